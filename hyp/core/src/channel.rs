//! Inter-partition channels: bounded FIFO queues of messages whose slots
//! live in memory no partition maps (the tool places it), reached by the
//! hypervisor only through transient mappings ([`SlotMemory`]). The queue
//! indices live in hypervisor memory, so no guest can corrupt them.
//!
//! A slot holds a 4-byte little-endian length followed by the message;
//! the slot stride is `msg_size + 4` (the size the config tool reserves,
//! `depth * (msg_size + 4)`), so headers may be unaligned.
//!
//! The system's channels are checked once, when [`Channels::configure`] fills
//! the table (endpoints, the receiver's core and the queue geometry of
//! each, next to its indices): a call is then an index, an owner compare
//! and the queue update, all under that channel's own lock.

use core::sync::atomic::{AtomicBool, Ordering};
use hypcfg::abi::Status;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::system::{Channel, MAX_CHANNELS};
use spin::Mutex;

use crate::guest_mem::{GuestRead, GuestWrite};

/// A `send_key`/`recv_key` no partition id equals (ids are bytes).
const UNUSABLE: u16 = 0x100;

/// Byte distance between two slots of `ch`.
pub const fn stride(ch: &Channel) -> u32 {
    // Cannot wrap for a channel that passed `geometry_ok` (msg_size <= MAX - 8).
    ch.msg_size.wrapping_add(4)
}

/// Whether `ch`'s queue geometry is usable: a nonzero depth and message
/// size, and every slot inside the queue storage without overflow.
pub fn geometry_ok(ch: &Channel) -> bool {
    ch.depth > 0
        && ch.msg_size > 0
        && ch.msg_size <= u32::MAX - 8
        && ch.depth.checked_mul(stride(ch)).is_some_and(|total| {
            total <= ch.queue_size && ch.queue_base.checked_add(total.wrapping_sub(1)).is_some()
        })
}

/// The hypervisor's access to slot memory (transient mappings on target,
/// a byte array in tests).
pub trait SlotMemory {
    /// Writes the message header and copies the sender's checked buffer
    /// `msg` into the slot at `slot_addr`, reading the guest bytes exactly
    /// once. Returns `Err` if the slot cannot be reached.
    fn fill_slot(&mut self, slot_addr: u32, msg: &GuestRead) -> Result<(), Status>;
    /// Reads the length header of the slot at `slot_addr` (bounded by
    /// `max`) and, if the message fits the receiver's checked buffer `dst`,
    /// copies it there, all under one mapping. Returns the length, or
    /// `BufferTooSmall` without copying.
    fn drain_slot(&mut self, slot_addr: u32, max: u32, dst: &GuestWrite) -> Result<u32, Status>;
}

/// One channel as a call needs it: its endpoints, its receiver's core and
/// its queue geometry, copied from the system and checked once
/// ([`Queue::new`]), and its queue indices (hypervisor memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue {
    /// The partition that may send.
    sender: PartitionId,
    /// The partition that may receive (and is notified).
    receiver: PartitionId,
    /// The receiver's core.
    core: CoreId,
    /// Whether the id names a channel of the system at all.
    present: bool,
    /// The sender's id when the channel is usable (its geometry passed
    /// [`geometry_ok`], its receiver is a partition of the system and the
    /// hypervisor may map its queue); [`UNUSABLE`] otherwise. A send is
    /// let through by one compare with the caller's id: a present channel
    /// that is not usable refuses every call (`NoChannel`, after the owner
    /// check).
    send_key: u16,
    /// As `send_key`, for the receiver.
    recv_key: u16,
    /// Largest message.
    msg_size: u32,
    /// Slots in the queue (nonzero when usable).
    depth: u32,
    /// Address of slot 0.
    base: u32,
    /// Slot of the oldest message (`< depth`).
    head: u32,
    /// Messages waiting (`<= depth`).
    count: u32,
}

impl Queue {
    /// A channel id the system does not have.
    const ABSENT: Queue = Queue {
        sender: PartitionId(0),
        receiver: PartitionId(0),
        core: CoreId(0),
        present: false,
        send_key: UNUSABLE,
        recv_key: UNUSABLE,
        msg_size: 0,
        depth: 0,
        base: 0,
        head: 0,
        count: 0,
    };

    /// The empty queue of `ch`, whose receiver runs on `core` (`None` if
    /// the receiver is no partition of the system: the channel is then
    /// refused like one with a bad geometry).
    pub fn new(ch: &Channel, core: Option<CoreId>) -> Queue {
        let usable = core.is_some() && geometry_ok(ch);
        Queue {
            sender: ch.sender,
            receiver: ch.receiver,
            core: core.unwrap_or(CoreId(0)),
            present: true,
            send_key: if usable { u16::from(ch.sender.0) } else { UNUSABLE },
            recv_key: if usable {
                u16::from(ch.receiver.0)
            } else {
                UNUSABLE
            },
            msg_size: ch.msg_size,
            depth: ch.depth,
            base: ch.queue_base,
            head: 0,
            count: 0,
        }
    }

    /// Whether calls may use the channel (see `send_key`).
    fn usable(&self) -> bool {
        self.send_key != UNUSABLE
    }

    /// Refuses every call from now on.
    fn disable(&mut self) {
        self.send_key = UNUSABLE;
        self.recv_key = UNUSABLE;
    }

    /// Byte distance between two slots: `msg_size + 4` (no wrap for a
    /// usable channel, see [`stride`]).
    fn stride(&self) -> u32 {
        self.msg_size.wrapping_add(4)
    }

    /// Messages waiting.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Slot of the oldest message.
    pub fn head(&self) -> u32 {
        self.head
    }

    /// Checks that `caller` is the sender (or the receiver when `sending`
    /// is false) of a usable channel: `NotOwner`, or `NoChannel` for an
    /// absent or unusable one (the owner is checked first, as the
    /// geometry is none of the caller's business).
    #[inline]
    fn endpoint(&self, caller: PartitionId, sending: bool) -> Result<(), Status> {
        let key = if sending { self.send_key } else { self.recv_key };
        if key == u16::from(caller.0) {
            return Ok(());
        }
        let owner = if sending { self.sender } else { self.receiver };
        Err(if !self.present || owner == caller {
            Status::NoChannel
        } else {
            Status::NotOwner
        })
    }

    /// Queues the message `msg` (a checked buffer of the sender's memory).
    /// The queue is unchanged on every error. The channel must be usable
    /// ([`Queue::endpoint`]); an unusable one is refused here too.
    pub fn send(&mut self, mem: &mut impl SlotMemory, msg: &GuestRead) -> Result<(), Status> {
        if !self.usable() {
            return Err(Status::NoChannel);
        }
        if msg.len() > self.msg_size {
            return Err(Status::MessageTooLarge);
        }
        if self.count >= self.depth {
            return Err(Status::QueueFull);
        }
        // head, count < depth, so head + count < 2 * depth, and
        // depth * stride fits the queue storage (`geometry_ok`): none of
        // this wraps.
        let mut slot = self.head.wrapping_add(self.count);
        if slot >= self.depth {
            slot = slot.wrapping_sub(self.depth);
        }
        mem.fill_slot(self.base.wrapping_add(slot.wrapping_mul(self.stride())), msg)?;
        self.count = self.count.wrapping_add(1);
        Ok(())
    }

    /// Hands the oldest message to the receiver's checked buffer `dst`;
    /// returns its length. A message longer than `dst` stays queued
    /// ([`Status::BufferTooSmall`]).
    pub fn recv(&mut self, mem: &mut impl SlotMemory, dst: &GuestWrite) -> Result<u32, Status> {
        if !self.usable() {
            return Err(Status::NoChannel);
        }
        if self.count == 0 {
            return Err(Status::QueueEmpty);
        }
        // head < depth: bounded by the queue storage, as in `send`.
        let addr = self.base.wrapping_add(self.head.wrapping_mul(self.stride()));
        // The header is written only by the hypervisor; it is bounded anyway.
        let len = mem.drain_slot(addr, self.msg_size, dst)?;
        let next = self.head.wrapping_add(1);
        self.head = if next >= self.depth { 0 } else { next };
        self.count = self.count.wrapping_sub(1); // nonzero, checked above
        Ok(len)
    }
}

/// Every channel of the system, checked once, each queue behind its own
/// lock: the whole of a `CHANNEL_SEND` or `CHANNEL_RECV` (endpoint check,
/// queue update, slot copy) happens under the lock of the one channel it
/// names, so the target's hypercall adapter only supplies the slot memory
/// and delivers the notification.
///
/// A lock per channel, not one for the table: only a channel's own sender
/// and receiver ever wait for each other (each partition runs on one
/// core), so partitions that share no channel never delay each other's
/// calls, whatever their cores.
pub struct Channels {
    /// Set by the first [`Channels::configure`], which alone fills the
    /// queues.
    configured: AtomicBool,
    /// The queues, in channel id order.
    queues: [Mutex<Queue>; MAX_CHANNELS],
}

impl Default for Channels {
    fn default() -> Self {
        Self::new()
    }
}

impl Channels {
    /// A table without channels (every id absent) until
    /// [`Channels::configure`]; `const`, so the target's table is a
    /// static filled in place, never built and moved.
    pub const fn new() -> Self {
        Channels {
            configured: AtomicBool::new(false),
            queues: [const { Mutex::new(Queue::ABSENT) }; MAX_CHANNELS],
        }
    }

    /// Fills the table with `channels` (a system's, in id order), all
    /// queues empty; `core_of` names the core of each receiver (`None`:
    /// not a partition of the system). Ids past `channels` stay absent.
    /// `slots_clear(first, last)` says whether the hypervisor may map a
    /// queue's slots `[first, last]` (on the target: clear of its own
    /// memory, see `mpu::open_window`); a queue it may not is refused like
    /// one with a bad geometry. Only the first call counts: a second one
    /// keeps the table and its queued messages.
    pub fn configure(
        &self,
        channels: &[Channel],
        core_of: impl Fn(PartitionId) -> Option<CoreId>,
        slots_clear: impl Fn(u32, u32) -> bool,
    ) {
        if self.configured.swap(true, Ordering::AcqRel) {
            return;
        }
        // Each queue is written under its own lock: a call that takes it
        // first finds the channel absent (as before any configure), one
        // that takes it after finds it whole.
        for (q, ch) in self.queues.iter().zip(channels) {
            let mut queue = Queue::new(ch, core_of(ch.receiver));
            // A usable geometry's slots end inside the address space.
            let last = queue
                .base
                .wrapping_add(queue.depth.wrapping_mul(queue.stride()).wrapping_sub(1));
            if queue.usable() && !slots_clear(queue.base, last) {
                queue.disable();
            }
            *q.lock() = queue;
        }
    }

    /// The queue of channel `ch`, locked (absent until configured).
    #[inline]
    fn queue(&self, ch: u32) -> Result<spin::MutexGuard<'_, Queue>, Status> {
        Ok(self.queues.get(ch as usize).ok_or(Status::NoChannel)?.lock())
    }

    /// `CHANNEL_SEND` by `caller` on channel `ch`: checks that the caller
    /// is its sender, queues `msg`, and returns the partition to notify
    /// (the channel's receiver) and its core.
    #[inline]
    pub fn send(
        &self,
        caller: PartitionId,
        ch: u32,
        msg: &GuestRead,
        mem: &mut impl SlotMemory,
    ) -> Result<(PartitionId, CoreId), Status> {
        let mut q = self.queue(ch)?;
        q.endpoint(caller, true)?;
        q.send(mem, msg)?;
        Ok((q.receiver, q.core))
    }

    /// `CHANNEL_RECV` by `caller` on channel `ch`: checks that the caller
    /// is its receiver and hands it the oldest message.
    #[inline]
    pub fn recv(
        &self,
        caller: PartitionId,
        ch: u32,
        dst: &GuestWrite,
        mem: &mut impl SlotMemory,
    ) -> Result<u32, Status> {
        let mut q = self.queue(ch)?;
        q.endpoint(caller, false)?;
        q.recv(mem, dst)
    }

    /// `CHANNEL_POLL` by `caller`: a bitmap (bit = channel id) of its
    /// receive channels with messages waiting.
    pub fn poll(&self, caller: PartitionId) -> u32 {
        self.queues
            .iter()
            .enumerate()
            .filter(|(_, q)| {
                let q = q.lock();
                q.present && q.receiver == caller && q.count > 0
            })
            .fold(0, |bits, (i, _)| bits | (1 << i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
    use hypcfg::system::{PartitionRegion, RegionKind};

    const QBASE: u32 = 0x3000_0000;
    const GUEST: u32 = 0x2000_0000;
    const P0: PartitionId = PartitionId(0);
    const P1: PartitionId = PartitionId(1);
    const CORE: CoreId = CoreId(1);

    struct Mem {
        queue: Vec<u8>,
        guest: Vec<u8>,
        guest_reads: usize,
        unreachable: bool,
    }

    impl SlotMemory for Mem {
        fn fill_slot(&mut self, slot: u32, msg: &GuestRead) -> Result<(), Status> {
            let (src, len) = (msg.addr(), msg.len());
            if self.unreachable {
                return Err(Status::Internal);
            }
            let s = (slot - QBASE) as usize;
            let g = (src - GUEST) as usize;
            self.queue[s..s + 4].copy_from_slice(&len.to_le_bytes());
            self.queue[s + 4..s + 4 + len as usize].copy_from_slice(&self.guest[g..g + len as usize]);
            self.guest_reads += 1;
            Ok(())
        }
        fn drain_slot(&mut self, slot: u32, max: u32, dst: &GuestWrite) -> Result<u32, Status> {
            let (dst, cap) = (dst.addr(), dst.len());
            if self.unreachable {
                return Err(Status::Internal);
            }
            let s = (slot - QBASE) as usize;
            let len = u32::from_le_bytes(self.queue[s..s + 4].try_into().unwrap()).min(max);
            if len > cap {
                return Err(Status::BufferTooSmall);
            }
            let d = (dst - GUEST) as usize;
            self.guest[d..d + len as usize].copy_from_slice(&self.queue[s + 4..s + 4 + len as usize]);
            Ok(len)
        }
    }

    fn chan(msg_size: u32, depth: u32) -> Channel {
        Channel {
            name: "c".try_into().unwrap(),
            sender: P0,
            receiver: P1,
            msg_size,
            depth,
            queue_base: QBASE,
            queue_size: depth * (msg_size + 4),
        }
    }

    /// A checked readable buffer of the fake guest memory.
    fn rd(addr: u32, len: u32) -> GuestRead {
        crate::guest_mem::check_read(&crate::guest_mem::BufferMap::of(&guest_regions()), addr, len, 1)
            .unwrap()
    }

    /// A checked writable buffer of the fake guest memory.
    fn wr(addr: u32, len: u32) -> GuestWrite {
        crate::guest_mem::check_write(&crate::guest_mem::BufferMap::of(&guest_regions()), addr, len, 1)
            .unwrap()
    }

    fn guest_regions() -> [PartitionRegion; 1] {
        let attrs = Attrs {
            access: Access::GuestRw,
            xn: true,
            mem: MemType::Normal,
        };
        [PartitionRegion {
            name: "ram".try_into().unwrap(),
            kind: RegionKind::Memory,
            words: RegionWords::encode(GUEST, GUEST + 0xFFF, attrs).unwrap(),
        }]
    }

    /// The empty queue of `ch`, its receiver on `CORE`.
    fn queue(ch: &Channel) -> Queue {
        Queue::new(ch, Some(CORE))
    }

    /// The table of `chans`, every receiver on `CORE`.
    fn table(chans: &[Channel]) -> Channels {
        configured(chans, |_| Some(CORE))
    }

    /// The table of `chans`, receivers' cores from `core_of`.
    fn configured(chans: &[Channel], core_of: impl Fn(PartitionId) -> Option<CoreId>) -> Channels {
        let c = Channels::new();
        c.configure(chans, core_of, |_, _| true);
        c
    }

    fn mem() -> Mem {
        Mem {
            queue: vec![0; 4096],
            guest: vec![0; 4096],
            guest_reads: 0,
            unreachable: false,
        }
    }

    #[test]
    fn messages_come_out_in_order_with_their_lengths() {
        let ch = chan(16, 4);
        let (mut q, mut m) = (queue(&ch), mem());
        m.guest[..3].copy_from_slice(b"one");
        q.send(&mut m, &rd(GUEST, 3)).unwrap();
        m.guest[..5].copy_from_slice(b"three");
        q.send(&mut m, &rd(GUEST, 5)).unwrap();
        assert_eq!(q.recv(&mut m, &wr(GUEST + 100, 16)), Ok(3));
        assert_eq!(&m.guest[100..103], b"one");
        assert_eq!(q.recv(&mut m, &wr(GUEST + 100, 16)), Ok(5));
        assert_eq!(&m.guest[100..105], b"three");
    }

    #[test]
    fn full_queue_refuses_and_keeps_contents() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (queue(&ch), mem());
        q.send(&mut m, &rd(GUEST, 1)).unwrap();
        q.send(&mut m, &rd(GUEST, 2)).unwrap();
        let before = (q, m.queue.clone());
        assert_eq!(q.send(&mut m, &rd(GUEST, 3)), Err(Status::QueueFull));
        assert_eq!((q, m.queue.clone()), before);
    }

    #[test]
    fn empty_queue_refuses() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (queue(&ch), mem());
        assert_eq!(q.recv(&mut m, &wr(GUEST, 8)), Err(Status::QueueEmpty));
    }

    #[test]
    fn oversized_message_is_refused() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (queue(&ch), mem());
        assert_eq!(q.send(&mut m, &rd(GUEST, 9)), Err(Status::MessageTooLarge));
        assert_eq!(q, queue(&ch));
        assert_eq!(m.guest_reads, 0);
    }

    #[test]
    fn small_receive_buffer_keeps_the_message() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (queue(&ch), mem());
        q.send(&mut m, &rd(GUEST, 6)).unwrap();
        assert_eq!(q.recv(&mut m, &wr(GUEST, 5)), Err(Status::BufferTooSmall));
        assert_eq!(q.count(), 1);
        assert_eq!(q.recv(&mut m, &wr(GUEST, 6)), Ok(6));
    }

    #[test]
    fn wraps_around_the_ring() {
        let ch = chan(4, 3);
        let (mut q, mut m) = (queue(&ch), mem());
        for i in 0..10u8 {
            m.guest[0] = i;
            q.send(&mut m, &rd(GUEST, 1)).unwrap();
            assert_eq!(q.recv(&mut m, &wr(GUEST + 8, 4)), Ok(1));
            assert_eq!(m.guest[8], i);
        }
        assert_eq!(q.count(), 0);
    }

    #[test]
    fn endpoints_are_checked() {
        let (chans, mut m) = (table(&[chan(8, 2)]), mem());
        let buf = rd(GUEST, 1);
        assert_eq!(chans.send(P0, 1, &buf, &mut m), Err(Status::NoChannel));
        assert_eq!(chans.send(P0, u32::MAX, &buf, &mut m), Err(Status::NoChannel));
        assert_eq!(chans.send(P1, 0, &buf, &mut m), Err(Status::NotOwner));
        assert_eq!(chans.recv(P0, 0, &wr(GUEST, 8), &mut m), Err(Status::NotOwner));
        assert_eq!(m.guest_reads, 0, "a refused send reads no guest byte");
        assert_eq!(chans.send(P0, 0, &buf, &mut m), Ok((P1, CORE)));
        assert_eq!(chans.recv(P1, 0, &wr(GUEST, 8), &mut m), Ok(1));
    }

    #[test]
    fn bad_geometry_disables_a_channel() {
        let mut c = chan(8, 2);
        c.queue_size = 8;
        assert!(!geometry_ok(&c));
        let (chans, mut m) = (table(&[c.clone()]), mem());
        assert_eq!(chans.send(P0, 0, &rd(GUEST, 1), &mut m), Err(Status::NoChannel));
        assert_eq!(chans.recv(P1, 0, &wr(GUEST, 8), &mut m), Err(Status::NoChannel));
        assert_eq!(
            chans.send(P1, 0, &rd(GUEST, 1), &mut m),
            Err(Status::NotOwner),
            "a stranger learns only that it is not the owner"
        );
        assert_eq!(m.guest_reads, 0);
        let mut q = Queue::new(&c, Some(CORE));
        assert_eq!(q.send(&mut m, &rd(GUEST, 1)), Err(Status::NoChannel));
        assert_eq!(q.recv(&mut m, &wr(GUEST, 8)), Err(Status::NoChannel));
        c = chan(8, 0);
        assert!(!geometry_ok(&c));
        c = chan(8, 2);
        c.queue_base = 0xFFFF_FFF0;
        assert!(!geometry_ok(&c));
        c = chan(u32::MAX - 7, 1);
        assert!(!geometry_ok(&c));
    }

    #[test]
    fn an_unconfigured_table_has_no_channels_and_only_the_first_configure_counts() {
        let (chans, mut m) = (Channels::new(), mem());
        assert_eq!(chans.send(P0, 0, &rd(GUEST, 1), &mut m), Err(Status::NoChannel));
        chans.configure(&[chan(8, 2)], |_| Some(CORE), |_, _| true);
        chans.send(P0, 0, &rd(GUEST, 1), &mut m).unwrap();
        chans.configure(&[], |_| Some(CORE), |_, _| true);
        assert_eq!(chans.poll(P1), 0b1, "the queued message survives");
        assert_eq!(chans.recv(P1, 0, &wr(GUEST, 8), &mut m), Ok(1));
    }

    #[test]
    fn a_receiver_outside_the_system_disables_the_channel() {
        let chans = configured(&[chan(8, 2)], |_| None);
        let mut m = mem();
        assert_eq!(chans.send(P0, 0, &rd(GUEST, 1), &mut m), Err(Status::NoChannel));
        assert_eq!(m.guest_reads, 0);
    }

    #[test]
    fn pending_bitmap_names_the_receivers_channels() {
        let mut cs = [chan(8, 2), chan(8, 2), chan(8, 2)];
        cs[1].receiver = PartitionId(2);
        let (chans, mut m) = (table(&cs), mem());
        chans.send(P0, 0, &rd(GUEST, 1), &mut m).unwrap();
        chans.send(P0, 1, &rd(GUEST, 1), &mut m).unwrap();
        assert_eq!(chans.poll(P1), 0b001);
        assert_eq!(chans.poll(PartitionId(2)), 0b010);
        assert_eq!(chans.poll(P0), 0);
    }

    #[test]
    fn the_receivers_core_comes_from_the_system() {
        let mut cs = [chan(8, 2), chan(8, 2)];
        cs[1].receiver = PartitionId(2);
        let chans = configured(&cs, |p| Some(CoreId(p.0 + 10)));
        let mut m = mem();
        assert_eq!(chans.send(P0, 0, &rd(GUEST, 1), &mut m), Ok((P1, CoreId(11))));
        assert_eq!(
            chans.send(P0, 1, &rd(GUEST, 1), &mut m),
            Ok((PartitionId(2), CoreId(12)))
        );
    }

    #[test]
    fn send_checks_the_sender_queues_and_names_the_receiver() {
        let (channels, mut m) = (table(&[chan(8, 2)]), mem());
        m.guest[..2].copy_from_slice(b"hi");
        assert_eq!(channels.send(P1, 0, &rd(GUEST, 2), &mut m), Err(Status::NotOwner));
        assert_eq!(
            channels.send(P0, 1, &rd(GUEST, 2), &mut m),
            Err(Status::NoChannel)
        );
        assert_eq!(m.guest_reads, 0, "a refused send reads no guest byte");
        assert_eq!(channels.send(P0, 0, &rd(GUEST, 2), &mut m), Ok((P1, CORE)));
        assert_eq!(channels.poll(P1), 0b1);
        assert_eq!(channels.poll(P0), 0);
    }

    #[test]
    fn recv_checks_the_receiver_and_drains_in_order() {
        let (channels, mut m) = (table(&[chan(8, 2)]), mem());
        m.guest[..3].copy_from_slice(b"abc");
        channels.send(P0, 0, &rd(GUEST, 3), &mut m).unwrap();
        assert_eq!(
            channels.recv(P0, 0, &wr(GUEST + 64, 8), &mut m),
            Err(Status::NotOwner)
        );
        assert_eq!(channels.recv(P1, 0, &wr(GUEST + 64, 8), &mut m), Ok(3));
        assert_eq!(&m.guest[64..67], b"abc");
        assert_eq!(
            channels.recv(P1, 0, &wr(GUEST + 64, 8), &mut m),
            Err(Status::QueueEmpty)
        );
        assert_eq!(channels.poll(P1), 0);
    }

    #[test]
    fn unreachable_slot_memory_keeps_its_own_status_and_the_queue() {
        let (channels, mut m) = (table(&[chan(8, 2)]), mem());
        m.unreachable = true;
        assert_eq!(channels.send(P0, 0, &rd(GUEST, 2), &mut m), Err(Status::Internal));
        assert_eq!(channels.poll(P1), 0, "a failed send queues nothing");
        m.unreachable = false;
        channels.send(P0, 0, &rd(GUEST, 2), &mut m).unwrap();
        m.unreachable = true;
        assert_eq!(channels.recv(P1, 0, &wr(GUEST, 8), &mut m), Err(Status::Internal));
        assert_eq!(channels.poll(P1), 0b1, "a failed receive keeps the message");
    }

    #[test]
    fn a_queue_the_hypervisor_may_not_map_disables_its_channel() {
        let c = chan(8, 2);
        let chans = Channels::new();
        let mut asked = Vec::new();
        let asked_ref = std::cell::RefCell::new(&mut asked);
        chans.configure(
            &[c],
            |_| Some(CORE),
            |first, last| {
                asked_ref.borrow_mut().push((first, last));
                false
            },
        );
        assert_eq!(
            asked,
            [(QBASE, QBASE + 2 * 12 - 1)],
            "the whole queue is asked about"
        );
        let mut m = mem();
        assert_eq!(chans.send(P0, 0, &rd(GUEST, 1), &mut m), Err(Status::NoChannel));
        assert_eq!(chans.send(P1, 0, &rd(GUEST, 1), &mut m), Err(Status::NotOwner));
        assert_eq!(m.guest_reads, 0);
    }

    #[test]
    fn a_busy_channel_never_holds_up_another() {
        // Channel 0's lock held (its sender mid-copy on another core): a
        // call on channel 1 still goes through at once.
        let chans = std::sync::Arc::new(table(&[chan(8, 2), chan(8, 2)]));
        let held = chans.queues[0].lock();
        let (done, wait) = std::sync::mpsc::channel();
        let other = std::sync::Arc::clone(&chans);
        std::thread::spawn(move || {
            let _ = done.send(other.send(P0, 1, &rd(GUEST, 1), &mut mem()));
        });
        let got = wait.recv_timeout(std::time::Duration::from_secs(10));
        drop(held);
        assert_eq!(got, Ok(Ok((P1, CORE))));
    }

    mod model {
        use super::*;
        use proptest::prelude::*;
        use std::collections::VecDeque;

        #[derive(Clone, Debug)]
        enum Op {
            Send(u8, u32),
            Recv(u32),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (any::<u8>(), 0u32..24).prop_map(|(b, n)| Op::Send(b, n)),
                (0u32..24).prop_map(Op::Recv),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            /// Random sends and receives against a `VecDeque` of messages:
            /// same results, same messages, and a refused call never
            /// changes the queue.
            #[test]
            fn queue_matches_a_fifo_model(depth in 1u32..6, ops in proptest::collection::vec(op(), 1..60)) {
                let ch = chan(16, depth);
                let (mut q, mut m) = (queue(&ch), mem());
                let mut model: VecDeque<Vec<u8>> = VecDeque::new();
                for op in ops {
                    let before = q;
                    match op {
                        Op::Send(byte, len) => {
                            m.guest[..len as usize].fill(byte);
                            let got = q.send(&mut m, &rd(GUEST, len));
                            let want = if len > 16 {
                                Err(Status::MessageTooLarge)
                            } else if model.len() as u32 == depth {
                                Err(Status::QueueFull)
                            } else {
                                model.push_back(vec![byte; len as usize]);
                                Ok(())
                            };
                            prop_assert_eq!(got, want);
                            if got.is_err() {
                                prop_assert_eq!(q, before);
                            }
                        }
                        Op::Recv(cap) => {
                            let got = q.recv(&mut m, &wr(GUEST + 512, cap));
                            match model.front() {
                                None => {
                                    prop_assert_eq!(got, Err(Status::QueueEmpty));
                                    prop_assert_eq!(q, before);
                                }
                                Some(msg) if msg.len() as u32 > cap => {
                                    prop_assert_eq!(got, Err(Status::BufferTooSmall));
                                    prop_assert_eq!(q, before);
                                }
                                Some(_) => {
                                    let msg = model.pop_front().unwrap();
                                    prop_assert_eq!(got, Ok(msg.len() as u32));
                                    prop_assert_eq!(&m.guest[512..512 + msg.len()], &msg[..]);
                                }
                            }
                        }
                    }
                    prop_assert_eq!(q.count() as usize, model.len());
                    prop_assert!(q.head() < depth);
                }
            }
        }
    }
}

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
//! and the queue update. No lock: each index has one writer, the sender's
//! or the receiver's core ([`Queue`]).

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use hypcfg::abi::Status;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::system::{Channel, MAX_CHANNELS};

use crate::guest_mem::{GuestRead, GuestWrite};

/// A `send_key`/`recv_key` no partition id equals (ids are bytes).
const UNUSABLE: u16 = 0x100;

/// Byte distance between two slots of `ch`.
pub const fn stride(ch: &Channel) -> u32 {
    slot_stride(ch.msg_size)
}

/// Byte distance between two slots of a channel whose messages are at
/// most `msg_size` bytes: the 4-byte length header, then the message.
const fn slot_stride(msg_size: u32) -> u32 {
    // Cannot wrap for a channel that passed `geometry_ok` (msg_size <= MAX - 8).
    msg_size.wrapping_add(4)
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
/// ([`Queue::new`], [`Channels::configure`]), and its queue indices
/// (hypervisor memory).
///
/// No lock: a channel has one sender and one receiver, each a partition
/// pinned to one core whose calls that core runs one at a time, so each
/// index has one writer. The sender alone writes `sent` and `tail`, the
/// receiver alone `taken` and `head`; each publishes its side with a
/// release store that the other side's acquire load pairs with (a send's
/// slot contents before the receive that reads them, a receive's reads
/// before the send that reuses the slot). Neither side ever waits for the
/// other, so a partition cannot hold up its peer's calls, whatever the
/// cores.
#[derive(Debug)]
pub struct Queue {
    /// `send_key | recv_key << 16`: each the owner's id when the channel is
    /// usable (its geometry passed [`geometry_ok`], its receiver is a
    /// partition of the system and the hypervisor may map its queue), and
    /// [`UNUSABLE`] otherwise, so a call is let through by one compare with
    /// the caller's id. Stored last by [`Queue::fill`] (release) and loaded
    /// first by every call (acquire): a call that sees a key sees every
    /// fact below.
    keys: AtomicU32,
    /// `sender | receiver << 8 | core << 16 | present << 24`, for refusals
    /// and notifications (`present`: the id names a channel of the system).
    ends: AtomicU32,
    /// Largest message.
    msg_size: AtomicU32,
    /// Slots in the queue (nonzero when usable).
    depth: AtomicU32,
    /// Address of slot 0.
    base: AtomicU32,
    /// Messages ever queued (wrapping); written by sends only.
    sent: AtomicU32,
    /// Slot the next send fills (`< depth`); sends only.
    tail: AtomicU32,
    /// Messages ever taken (wrapping); written by receives only.
    taken: AtomicU32,
    /// Slot of the oldest message (`< depth`); receives only.
    head: AtomicU32,
}

/// A queue's indices at one moment, for tests and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueState {
    /// Messages waiting.
    pub count: u32,
    /// Slot of the oldest message.
    pub head: u32,
    /// Slot the next send fills.
    pub tail: u32,
}

impl Queue {
    /// A channel id the system does not have.
    pub const fn absent() -> Queue {
        Queue {
            keys: AtomicU32::new(UNUSABLE as u32 | (UNUSABLE as u32) << 16),
            ends: AtomicU32::new(0),
            msg_size: AtomicU32::new(0),
            depth: AtomicU32::new(0),
            base: AtomicU32::new(0),
            sent: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            taken: AtomicU32::new(0),
            head: AtomicU32::new(0),
        }
    }

    /// The empty queue of `ch`, whose receiver runs on `core` (`None` if
    /// the receiver is no partition of the system: the channel is then
    /// refused like one with a bad geometry).
    pub fn new(ch: &Channel, core: Option<CoreId>) -> Queue {
        let q = Queue::absent();
        q.fill(ch, core, |_, _| true);
        q
    }

    /// Makes this (absent, unused) queue `ch`'s, as [`Queue::new`];
    /// `slots_clear` as for [`Channels::configure`]. The keys go last.
    fn fill(&self, ch: &Channel, core: Option<CoreId>, slots_clear: impl Fn(u32, u32) -> bool) {
        let mut usable = core.is_some() && geometry_ok(ch);
        // A usable geometry's slots end inside the address space.
        let last = ch
            .queue_base
            .wrapping_add(ch.depth.wrapping_mul(stride(ch)).wrapping_sub(1));
        usable = usable && slots_clear(ch.queue_base, last);
        let core = core.map_or(0, |c| u32::from(c.0));
        let ends = u32::from(ch.sender.0) | u32::from(ch.receiver.0) << 8 | core << 16 | 1 << 24;
        self.ends.store(ends, Ordering::Relaxed);
        self.msg_size.store(ch.msg_size, Ordering::Relaxed);
        self.depth.store(ch.depth, Ordering::Relaxed);
        self.base.store(ch.queue_base, Ordering::Relaxed);
        let key = |id: PartitionId| {
            if usable {
                u32::from(id.0)
            } else {
                u32::from(UNUSABLE)
            }
        };
        self.keys
            .store(key(ch.sender) | key(ch.receiver) << 16, Ordering::Release);
    }

    /// Messages waiting, head and tail.
    pub fn state(&self) -> QueueState {
        let sent = self.sent.load(Ordering::Acquire);
        QueueState {
            count: sent.wrapping_sub(self.taken.load(Ordering::Acquire)),
            head: self.head.load(Ordering::Relaxed),
            tail: self.tail.load(Ordering::Relaxed),
        }
    }

    /// Messages waiting.
    pub fn count(&self) -> u32 {
        self.state().count
    }

    /// Slot of the oldest message.
    pub fn head(&self) -> u32 {
        self.state().head
    }

    /// The refusal of a call by `caller` whose key did not match: `NotOwner`
    /// for a caller that is not the sender (or the receiver when `sending`
    /// is false), else `NoChannel` (an absent or unusable channel; the owner
    /// is checked first, as the geometry is none of the caller's business).
    #[cold]
    fn refusal(&self, caller: PartitionId, sending: bool) -> Status {
        let ends = self.ends.load(Ordering::Relaxed);
        let present = ends >> 24 & 1 != 0;
        let owner = if sending { ends & 0xFF } else { ends >> 8 & 0xFF };
        if !present || owner == u32::from(caller.0) {
            Status::NoChannel
        } else {
            Status::NotOwner
        }
    }

    /// The partition to notify of a send (the receiver) and its core.
    fn receiver(&self) -> (PartitionId, CoreId) {
        let ends = self.ends.load(Ordering::Relaxed);
        (PartitionId((ends >> 8) as u8), CoreId((ends >> 16) as u8))
    }

    /// Byte address of slot `slot` (no wrap for a usable channel: `slot <
    /// depth` and `depth * (msg_size + 4)` fits the queue storage).
    fn slot_addr(&self, slot: u32, msg_size: u32) -> u32 {
        self.base
            .load(Ordering::Relaxed)
            .wrapping_add(slot.wrapping_mul(slot_stride(msg_size)))
    }

    /// The slot after `slot` in a ring of `depth`.
    fn next(slot: u32, depth: u32) -> u32 {
        let n = slot.wrapping_add(1);
        if n >= depth {
            0
        } else {
            n
        }
    }

    /// `CHANNEL_SEND` by `caller`: queues the message `msg` (a checked
    /// buffer of the caller's memory) if the caller is the sender of a
    /// usable channel. The queue is unchanged on every error.
    #[inline]
    pub fn send(
        &self,
        caller: PartitionId,
        mem: &mut impl SlotMemory,
        msg: &GuestRead,
    ) -> Result<(), Status> {
        if self.keys.load(Ordering::Acquire) & 0xFFFF != u32::from(caller.0) {
            return Err(self.refusal(caller, true));
        }
        let msg_size = self.msg_size.load(Ordering::Relaxed);
        if msg.len() > msg_size {
            return Err(Status::MessageTooLarge);
        }
        let sent = self.sent.load(Ordering::Relaxed);
        // The receiver's last take, and with it its reads of that slot.
        let taken = self.taken.load(Ordering::Acquire);
        let depth = self.depth.load(Ordering::Relaxed);
        if sent.wrapping_sub(taken) >= depth {
            return Err(Status::QueueFull);
        }
        let tail = self.tail.load(Ordering::Relaxed);
        mem.fill_slot(self.slot_addr(tail, msg_size), msg)?;
        self.tail.store(Self::next(tail, depth), Ordering::Relaxed);
        // Publishes the slot's contents with the message.
        self.sent.store(sent.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// `CHANNEL_RECV` by `caller`: hands the oldest message to the checked
    /// buffer `dst` of the caller, if it is the receiver of a usable
    /// channel; returns its length. A message longer than `dst` stays
    /// queued ([`Status::BufferTooSmall`]).
    #[inline]
    pub fn recv(
        &self,
        caller: PartitionId,
        mem: &mut impl SlotMemory,
        dst: &GuestWrite,
    ) -> Result<u32, Status> {
        if self.keys.load(Ordering::Acquire) >> 16 != u32::from(caller.0) {
            return Err(self.refusal(caller, false));
        }
        // The sender's last send, and with it the slot's contents.
        let sent = self.sent.load(Ordering::Acquire);
        let taken = self.taken.load(Ordering::Relaxed);
        if sent == taken {
            return Err(Status::QueueEmpty);
        }
        let msg_size = self.msg_size.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Relaxed);
        // The header is written only by the hypervisor; it is bounded anyway.
        let len = mem.drain_slot(self.slot_addr(head, msg_size), msg_size, dst)?;
        self.head.store(
            Self::next(head, self.depth.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        // The slot may be filled again once this is seen.
        self.taken.store(taken.wrapping_add(1), Ordering::Release);
        Ok(len)
    }
}

/// Every channel of the system, checked once, each queue with its own
/// indices and no lock ([`Queue`]): the whole of a `CHANNEL_SEND` or
/// `CHANNEL_RECV` (endpoint check, queue update, slot copy) happens on the
/// queue of the one channel it names, so the target's hypercall adapter
/// only supplies the slot memory and delivers the notification.
pub struct Channels {
    /// Set by the first [`Channels::configure`], which alone fills the
    /// queues.
    configured: AtomicBool,
    /// The queues, in channel id order.
    queues: [Queue; MAX_CHANNELS],
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
            queues: [const { Queue::absent() }; MAX_CHANNELS],
        }
    }

    /// Fills the table with `channels` (a system's, in id order), all
    /// queues empty; `core_of` names the core of each receiver (`None`:
    /// not a partition of the system). Ids past `channels` stay absent.
    /// `slots_clear(first, last)` says whether the hypervisor may map a
    /// queue's slots `[first, last]` (on the target: clear of its own
    /// memory, see `mpu::with_window`); a queue it may not is refused like
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
        // A call that loads a queue's keys before they are stored finds
        // the channel absent (as before any configure); one that loads
        // them after finds it whole.
        for (q, ch) in self.queues.iter().zip(channels) {
            q.fill(ch, core_of(ch.receiver), &slots_clear);
        }
    }

    /// The queue of channel `ch` (absent until configured).
    #[inline]
    fn queue(&self, ch: u32) -> Result<&Queue, Status> {
        self.queues.get(ch as usize).ok_or(Status::NoChannel)
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
        let q = self.queue(ch)?;
        q.send(caller, mem, msg)?;
        Ok(q.receiver())
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
        self.queue(ch)?.recv(caller, mem, dst)
    }

    /// `CHANNEL_POLL` by `caller`: a bitmap (bit = channel id) of its
    /// receive channels with messages waiting.
    pub fn poll(&self, caller: PartitionId) -> u32 {
        self.queues
            .iter()
            .enumerate()
            .filter(|(_, q)| {
                let ends = q.ends.load(Ordering::Relaxed);
                ends >> 24 & 1 != 0 && ends >> 8 & 0xFF == u32::from(caller.0) && q.count() > 0
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
        let (q, mut m) = (queue(&ch), mem());
        m.guest[..3].copy_from_slice(b"one");
        q.send(P0, &mut m, &rd(GUEST, 3)).unwrap();
        m.guest[..5].copy_from_slice(b"three");
        q.send(P0, &mut m, &rd(GUEST, 5)).unwrap();
        assert_eq!(q.recv(P1, &mut m, &wr(GUEST + 100, 16)), Ok(3));
        assert_eq!(&m.guest[100..103], b"one");
        assert_eq!(q.recv(P1, &mut m, &wr(GUEST + 100, 16)), Ok(5));
        assert_eq!(&m.guest[100..105], b"three");
    }

    #[test]
    fn full_queue_refuses_and_keeps_contents() {
        let ch = chan(8, 2);
        let (q, mut m) = (queue(&ch), mem());
        q.send(P0, &mut m, &rd(GUEST, 1)).unwrap();
        q.send(P0, &mut m, &rd(GUEST, 2)).unwrap();
        let before = (q.state(), m.queue.clone());
        assert_eq!(q.send(P0, &mut m, &rd(GUEST, 3)), Err(Status::QueueFull));
        assert_eq!((q.state(), m.queue.clone()), before);
    }

    #[test]
    fn empty_queue_refuses() {
        let ch = chan(8, 2);
        let (q, mut m) = (queue(&ch), mem());
        assert_eq!(q.recv(P1, &mut m, &wr(GUEST, 8)), Err(Status::QueueEmpty));
    }

    #[test]
    fn oversized_message_is_refused() {
        let ch = chan(8, 2);
        let (q, mut m) = (queue(&ch), mem());
        assert_eq!(q.send(P0, &mut m, &rd(GUEST, 9)), Err(Status::MessageTooLarge));
        assert_eq!(q.state(), queue(&ch).state());
        assert_eq!(m.guest_reads, 0);
    }

    #[test]
    fn small_receive_buffer_keeps_the_message() {
        let ch = chan(8, 2);
        let (q, mut m) = (queue(&ch), mem());
        q.send(P0, &mut m, &rd(GUEST, 6)).unwrap();
        assert_eq!(q.recv(P1, &mut m, &wr(GUEST, 5)), Err(Status::BufferTooSmall));
        assert_eq!(q.count(), 1);
        assert_eq!(q.recv(P1, &mut m, &wr(GUEST, 6)), Ok(6));
    }

    #[test]
    fn wraps_around_the_ring() {
        let ch = chan(4, 3);
        let (q, mut m) = (queue(&ch), mem());
        for i in 0..10u8 {
            m.guest[0] = i;
            q.send(P0, &mut m, &rd(GUEST, 1)).unwrap();
            assert_eq!(q.recv(P1, &mut m, &wr(GUEST + 8, 4)), Ok(1));
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
        let q = Queue::new(&c, Some(CORE));
        assert_eq!(q.send(P0, &mut m, &rd(GUEST, 1)), Err(Status::NoChannel));
        assert_eq!(q.recv(P1, &mut m, &wr(GUEST, 8)), Err(Status::NoChannel));
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

    /// Slot memory shared by two threads (the sender's and the receiver's
    /// core), each with its own guest memory.
    struct Shared {
        queue: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        guest: Vec<u8>,
    }

    impl SlotMemory for Shared {
        fn fill_slot(&mut self, slot: u32, msg: &GuestRead) -> Result<(), Status> {
            let (s, g, len) = (
                (slot - QBASE) as usize,
                (msg.addr() - GUEST) as usize,
                msg.len() as usize,
            );
            let mut q = self.queue.lock().unwrap();
            q[s..s + 4].copy_from_slice(&(len as u32).to_le_bytes());
            q[s + 4..s + 4 + len].copy_from_slice(&self.guest[g..g + len]);
            Ok(())
        }
        fn drain_slot(&mut self, slot: u32, max: u32, dst: &GuestWrite) -> Result<u32, Status> {
            let s = (slot - QBASE) as usize;
            let q = self.queue.lock().unwrap();
            let len = u32::from_le_bytes(q[s..s + 4].try_into().unwrap()).min(max);
            if len > dst.len() {
                return Err(Status::BufferTooSmall);
            }
            let d = (dst.addr() - GUEST) as usize;
            self.guest[d..d + len as usize].copy_from_slice(&q[s + 4..s + 4 + len as usize]);
            Ok(len)
        }
    }

    #[test]
    fn a_sender_and_a_receiver_on_two_cores_keep_order_without_a_lock() {
        const MESSAGES: u32 = 20_000;
        let chans = std::sync::Arc::new(table(&[chan(8, 3)]));
        let queue = std::sync::Arc::new(std::sync::Mutex::new(vec![0u8; 4096]));
        let sender = {
            let (chans, queue) = (chans.clone(), queue.clone());
            std::thread::spawn(move || {
                let mut m = Shared {
                    queue,
                    guest: vec![0; 4096],
                };
                for i in 0..MESSAGES {
                    m.guest[..4].copy_from_slice(&i.to_le_bytes());
                    let len = 1 + i % 8;
                    loop {
                        match chans.send(P0, 0, &rd(GUEST, len), &mut m) {
                            Ok(_) => break,
                            Err(Status::QueueFull) => std::thread::yield_now(),
                            Err(e) => panic!("send {i}: {e:?}"),
                        }
                    }
                }
            })
        };
        let mut m = Shared {
            queue,
            guest: vec![0; 4096],
        };
        for i in 0..MESSAGES {
            let len = loop {
                match chans.recv(P1, 0, &wr(GUEST + 64, 8), &mut m) {
                    Ok(n) => break n,
                    Err(Status::QueueEmpty) => std::thread::yield_now(),
                    Err(e) => panic!("recv {i}: {e:?}"),
                }
            };
            assert_eq!(len, 1 + i % 8, "message {i}'s length");
            let n = len.min(4) as usize;
            assert_eq!(m.guest[64..64 + n], i.to_le_bytes()[..n], "message {i}'s bytes");
        }
        sender.join().unwrap();
        assert_eq!(chans.poll(P1), 0);
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
                let (q, mut m) = (queue(&ch), mem());
                let mut model: VecDeque<Vec<u8>> = VecDeque::new();
                for op in ops {
                    let before = q.state();
                    match op {
                        Op::Send(byte, len) => {
                            m.guest[..len as usize].fill(byte);
                            let got = q.send(P0, &mut m, &rd(GUEST, len));
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
                                prop_assert_eq!(q.state(), before);
                            }
                        }
                        Op::Recv(cap) => {
                            let got = q.recv(P1, &mut m, &wr(GUEST + 512, cap));
                            match model.front() {
                                None => {
                                    prop_assert_eq!(got, Err(Status::QueueEmpty));
                                    prop_assert_eq!(q.state(), before);
                                }
                                Some(msg) if msg.len() as u32 > cap => {
                                    prop_assert_eq!(got, Err(Status::BufferTooSmall));
                                    prop_assert_eq!(q.state(), before);
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

//! Inter-partition channels: bounded FIFO queues of messages whose slots
//! live in memory no partition maps (the tool places it), reached by the
//! hypervisor only through transient mappings ([`SlotMemory`]). The queue
//! indices live in hypervisor memory, so no guest can corrupt them.
//!
//! A slot holds a 4-byte little-endian length followed by the message;
//! the slot stride is `msg_size + 4` (the size the config tool reserves,
//! `depth * (msg_size + 4)`), so headers may be unaligned: they are copied
//! as bytes.

use hypcfg::abi::Status;
use hypcfg::ids::PartitionId;
use hypcfg::system::{Channel, MAX_CHANNELS};
use spin::Mutex;

use crate::guest_mem::{GuestRead, GuestWrite};

/// Queue indices of one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Slot of the oldest message.
    pub head: u32,
    /// Messages waiting.
    pub count: u32,
}

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

/// Finds channel `id` and checks that `caller` is its `sender` (or
/// receiver when `sending` is false).
pub fn endpoint(
    channels: &[Channel],
    id: u32,
    caller: PartitionId,
    sending: bool,
) -> Result<&Channel, Status> {
    let ch = channels.get(id as usize).ok_or(Status::NoChannel)?;
    let owner = if sending { ch.sender } else { ch.receiver };
    if owner != caller {
        return Err(Status::NotOwner);
    }
    if !geometry_ok(ch) {
        return Err(Status::NoChannel);
    }
    Ok(ch)
}

/// Queues the message `msg` (a checked buffer of the sender's memory).
/// The queue is unchanged on every error.
pub fn send(
    ch: &Channel,
    q: &mut QueueState,
    mem: &mut impl SlotMemory,
    msg: &GuestRead,
) -> Result<(), Status> {
    if msg.len() > ch.msg_size {
        return Err(Status::MessageTooLarge);
    }
    if q.count >= ch.depth {
        return Err(Status::QueueFull);
    }
    // head, count < depth (so depth > 0 here), and depth * stride fits the
    // queue storage (`geometry_ok`): none of this wraps.
    let slot = q.head.wrapping_add(q.count).checked_rem(ch.depth).unwrap_or(0);
    mem.fill_slot(ch.queue_base.wrapping_add(slot.wrapping_mul(stride(ch))), msg)?;
    q.count = q.count.wrapping_add(1);
    Ok(())
}

/// Hands the oldest message to the receiver's checked buffer `dst`;
/// returns its length. A message longer than `dst` stays queued
/// ([`Status::BufferTooSmall`]).
pub fn recv(
    ch: &Channel,
    q: &mut QueueState,
    mem: &mut impl SlotMemory,
    dst: &GuestWrite,
) -> Result<u32, Status> {
    if q.count == 0 {
        return Err(Status::QueueEmpty);
    }
    // Bounded by the queue storage (`geometry_ok`), as in `send`.
    let addr = ch
        .queue_base
        .wrapping_add(q.head.checked_rem(ch.depth).unwrap_or(0).wrapping_mul(stride(ch)));
    // The header is written only by the hypervisor; it is bounded anyway.
    let len = mem.drain_slot(addr, ch.msg_size, dst)?;
    q.head = q.head.wrapping_add(1).checked_rem(ch.depth).unwrap_or(0);
    q.count = q.count.wrapping_sub(1); // nonzero, checked above
    Ok(len)
}

/// Bitmap of the channels (bit = channel id) whose receiver is `caller`
/// and that have messages waiting.
pub fn pending(channels: &[Channel], queues: &[QueueState; MAX_CHANNELS], caller: PartitionId) -> u32 {
    channels
        .iter()
        .zip(queues.iter())
        .enumerate()
        .filter(|(_, (ch, q))| ch.receiver == caller && q.count > 0)
        .fold(0, |bits, (i, _)| bits | (1 << i))
}

/// Every channel's queue indices, behind one lock both cores take: the
/// whole of a `CHANNEL_SEND`, `CHANNEL_RECV` or `CHANNEL_POLL` (endpoint
/// check, queue update, slot copy) happens here, so the target's hypercall
/// adapter only supplies the slot memory and delivers the notification.
pub struct Channels {
    queues: Mutex<[QueueState; MAX_CHANNELS]>,
}

impl Default for Channels {
    fn default() -> Self {
        Self::new()
    }
}

impl Channels {
    /// All queues empty.
    pub const fn new() -> Self {
        Channels {
            queues: Mutex::new([QueueState { head: 0, count: 0 }; MAX_CHANNELS]),
        }
    }

    /// `CHANNEL_SEND` by `caller` on channel `ch` of `channels`: checks
    /// that the caller is its sender, queues `msg`, and returns the
    /// partition to notify (the channel's receiver).
    pub fn send(
        &self,
        channels: &[Channel],
        caller: PartitionId,
        ch: u32,
        msg: &GuestRead,
        mem: &mut impl SlotMemory,
    ) -> Result<PartitionId, Status> {
        let c = endpoint(channels, ch, caller, true)?;
        let mut queues = self.queues.lock();
        let q = queues.get_mut(ch as usize).ok_or(Status::NoChannel)?;
        send(c, q, mem, msg)?;
        Ok(c.receiver)
    }

    /// `CHANNEL_RECV` by `caller` on channel `ch`: checks that the caller
    /// is its receiver and hands it the oldest message.
    pub fn recv(
        &self,
        channels: &[Channel],
        caller: PartitionId,
        ch: u32,
        dst: &GuestWrite,
        mem: &mut impl SlotMemory,
    ) -> Result<u32, Status> {
        let c = endpoint(channels, ch, caller, false)?;
        let mut queues = self.queues.lock();
        let q = queues.get_mut(ch as usize).ok_or(Status::NoChannel)?;
        recv(c, q, mem, dst)
    }

    /// `CHANNEL_POLL` by `caller`: its receive channels with messages.
    pub fn poll(&self, channels: &[Channel], caller: PartitionId) -> u32 {
        pending(channels, &self.queues.lock(), caller)
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
        crate::guest_mem::check_read(&guest_regions(), addr, len, 1).unwrap()
    }

    /// A checked writable buffer of the fake guest memory.
    fn wr(addr: u32, len: u32) -> GuestWrite {
        crate::guest_mem::check_write(&guest_regions(), addr, len, 1).unwrap()
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
        let (mut q, mut m) = (QueueState::default(), mem());
        m.guest[..3].copy_from_slice(b"one");
        send(&ch, &mut q, &mut m, &rd(GUEST, 3)).unwrap();
        m.guest[..5].copy_from_slice(b"three");
        send(&ch, &mut q, &mut m, &rd(GUEST, 5)).unwrap();
        assert_eq!(recv(&ch, &mut q, &mut m, &wr(GUEST + 100, 16)), Ok(3));
        assert_eq!(&m.guest[100..103], b"one");
        assert_eq!(recv(&ch, &mut q, &mut m, &wr(GUEST + 100, 16)), Ok(5));
        assert_eq!(&m.guest[100..105], b"three");
    }

    #[test]
    fn full_queue_refuses_and_keeps_contents() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (QueueState::default(), mem());
        send(&ch, &mut q, &mut m, &rd(GUEST, 1)).unwrap();
        send(&ch, &mut q, &mut m, &rd(GUEST, 2)).unwrap();
        let before = (q, m.queue.clone());
        assert_eq!(send(&ch, &mut q, &mut m, &rd(GUEST, 3)), Err(Status::QueueFull));
        assert_eq!((q, m.queue.clone()), before);
    }

    #[test]
    fn empty_queue_refuses() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (QueueState::default(), mem());
        assert_eq!(recv(&ch, &mut q, &mut m, &wr(GUEST, 8)), Err(Status::QueueEmpty));
    }

    #[test]
    fn oversized_message_is_refused() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (QueueState::default(), mem());
        assert_eq!(
            send(&ch, &mut q, &mut m, &rd(GUEST, 9)),
            Err(Status::MessageTooLarge)
        );
        assert_eq!(q, QueueState::default());
        assert_eq!(m.guest_reads, 0);
    }

    #[test]
    fn small_receive_buffer_keeps_the_message() {
        let ch = chan(8, 2);
        let (mut q, mut m) = (QueueState::default(), mem());
        send(&ch, &mut q, &mut m, &rd(GUEST, 6)).unwrap();
        assert_eq!(
            recv(&ch, &mut q, &mut m, &wr(GUEST, 5)),
            Err(Status::BufferTooSmall)
        );
        assert_eq!(q.count, 1);
        assert_eq!(recv(&ch, &mut q, &mut m, &wr(GUEST, 6)), Ok(6));
    }

    #[test]
    fn wraps_around_the_ring() {
        let ch = chan(4, 3);
        let (mut q, mut m) = (QueueState::default(), mem());
        for i in 0..10u8 {
            m.guest[0] = i;
            send(&ch, &mut q, &mut m, &rd(GUEST, 1)).unwrap();
            assert_eq!(recv(&ch, &mut q, &mut m, &wr(GUEST + 8, 4)), Ok(1));
            assert_eq!(m.guest[8], i);
        }
        assert_eq!(q.count, 0);
    }

    #[test]
    fn endpoints_are_checked() {
        let chans = [chan(8, 2)];
        assert_eq!(endpoint(&chans, 1, P0, true).unwrap_err(), Status::NoChannel);
        assert_eq!(endpoint(&chans, 0, P1, true).unwrap_err(), Status::NotOwner);
        assert_eq!(endpoint(&chans, 0, P0, false).unwrap_err(), Status::NotOwner);
        assert!(endpoint(&chans, 0, P0, true).is_ok());
        assert!(endpoint(&chans, 0, P1, false).is_ok());
    }

    #[test]
    fn bad_geometry_disables_a_channel() {
        let mut c = chan(8, 2);
        c.queue_size = 8;
        assert!(!geometry_ok(&c));
        c = chan(8, 0);
        assert!(!geometry_ok(&c));
        c = chan(8, 2);
        c.queue_base = 0xFFFF_FFF0;
        assert!(!geometry_ok(&c));
    }

    #[test]
    fn pending_bitmap_names_the_receivers_channels() {
        let mut chans = [chan(8, 2), chan(8, 2), chan(8, 2)];
        chans[1].receiver = PartitionId(2);
        let mut qs = [QueueState::default(); MAX_CHANNELS];
        qs[0].count = 1;
        qs[1].count = 1;
        assert_eq!(pending(&chans, &qs, P1), 0b001);
        assert_eq!(pending(&chans, &qs, PartitionId(2)), 0b010);
    }

    #[test]
    fn send_checks_the_sender_queues_and_names_the_receiver() {
        let chans = [chan(8, 2)];
        let (channels, mut m) = (Channels::new(), mem());
        m.guest[..2].copy_from_slice(b"hi");
        assert_eq!(
            channels.send(&chans, P1, 0, &rd(GUEST, 2), &mut m),
            Err(Status::NotOwner)
        );
        assert_eq!(
            channels.send(&chans, P0, 1, &rd(GUEST, 2), &mut m),
            Err(Status::NoChannel)
        );
        assert_eq!(m.guest_reads, 0, "a refused send reads no guest byte");
        assert_eq!(channels.send(&chans, P0, 0, &rd(GUEST, 2), &mut m), Ok(P1));
        assert_eq!(channels.poll(&chans, P1), 0b1);
        assert_eq!(channels.poll(&chans, P0), 0);
    }

    #[test]
    fn recv_checks_the_receiver_and_drains_in_order() {
        let chans = [chan(8, 2)];
        let (channels, mut m) = (Channels::new(), mem());
        m.guest[..3].copy_from_slice(b"abc");
        channels.send(&chans, P0, 0, &rd(GUEST, 3), &mut m).unwrap();
        assert_eq!(
            channels.recv(&chans, P0, 0, &wr(GUEST + 64, 8), &mut m),
            Err(Status::NotOwner)
        );
        assert_eq!(channels.recv(&chans, P1, 0, &wr(GUEST + 64, 8), &mut m), Ok(3));
        assert_eq!(&m.guest[64..67], b"abc");
        assert_eq!(
            channels.recv(&chans, P1, 0, &wr(GUEST + 64, 8), &mut m),
            Err(Status::QueueEmpty)
        );
        assert_eq!(channels.poll(&chans, P1), 0);
    }

    #[test]
    fn unreachable_slot_memory_keeps_its_own_status_and_the_queue() {
        let chans = [chan(8, 2)];
        let (channels, mut m) = (Channels::new(), mem());
        m.unreachable = true;
        assert_eq!(
            channels.send(&chans, P0, 0, &rd(GUEST, 2), &mut m),
            Err(Status::Internal)
        );
        assert_eq!(channels.poll(&chans, P1), 0, "a failed send queues nothing");
        m.unreachable = false;
        channels.send(&chans, P0, 0, &rd(GUEST, 2), &mut m).unwrap();
        m.unreachable = true;
        assert_eq!(
            channels.recv(&chans, P1, 0, &wr(GUEST, 8), &mut m),
            Err(Status::Internal)
        );
        assert_eq!(
            channels.poll(&chans, P1),
            0b1,
            "a failed receive keeps the message"
        );
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
                let (mut q, mut m) = (QueueState::default(), mem());
                let mut model: VecDeque<Vec<u8>> = VecDeque::new();
                for op in ops {
                    let before = q;
                    match op {
                        Op::Send(byte, len) => {
                            m.guest[..len as usize].fill(byte);
                            let got = send(&ch, &mut q, &mut m, &rd(GUEST, len));
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
                            let got = recv(&ch, &mut q, &mut m, &wr(GUEST + 512, cap));
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
                    prop_assert_eq!(q.count as usize, model.len());
                    prop_assert!(q.head < depth);
                }
            }
        }
    }
}

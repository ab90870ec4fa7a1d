//! The hypercall environment of the calling partition: its identity and
//! memory, console lines, the clock, and channels whose slots are reached
//! through transient mappings.

use core::sync::atomic::Ordering;

use hypcfg::abi::Status;
use hypcfg::system::{Channel, Partition, PartitionRegion, System, MAX_CHANNELS};
use spin::Mutex;

use super::load::HYP_WRITE;
use super::{name_of, LINES, RESTARTS};
use crate::arch::timer;
use crate::channel::{self, QueueState, SlotMemory};
use crate::hypercall::Env;
use crate::{hprintln, mpu};

/// Queue indices of every channel (hypervisor memory: no guest can reach them).
static QUEUES: Mutex<[QueueState; MAX_CHANNELS]> =
    Mutex::new([QueueState { head: 0, count: 0 }; MAX_CHANNELS]);

/// Prints what partition `id` has buffered of an unfinished line.
pub(super) fn flush_line(s: &System, id: u8) {
    let Some(line) = LINES.get(id as usize) else {
        return;
    };
    let mut line = line.lock();
    if !line.is_empty() {
        print_line(name_of(s, id), &line);
        line.clear();
    }
}

fn print_line(name: &str, bytes: &[u8]) {
    let text = core::str::from_utf8(bytes).unwrap_or("<non-UTF-8 output>");
    hprintln!("[{}] {}", name, text);
}

/// The hypercall environment of the calling partition. The system is
/// looked up only by the calls that need it, so register-only calls (the
/// null hypercall, `VERSION`) stay as short as they can be.
pub(super) struct CallEnv {
    pub(super) id: u8,
}

impl CallEnv {
    fn system(&self) -> Option<&'static System> {
        super::system()
    }

    fn partition(&self) -> Option<&'static Partition> {
        self.system()?.partitions.get(self.id as usize)
    }

    fn channels(&self) -> &'static [Channel] {
        self.system().map_or(&[], |s| &s.channels)
    }
}

impl Env for CallEnv {
    fn id(&self) -> u8 {
        self.id
    }
    fn core(&self) -> u8 {
        self.partition().map_or(0, |p| p.core)
    }
    fn name(&self) -> &str {
        self.partition().map_or("", |p| p.name.as_str())
    }
    fn restarts(&self) -> u32 {
        RESTARTS
            .get(self.id as usize)
            .map_or(0, |r| r.load(Ordering::Acquire))
    }
    fn regions(&self) -> &[PartitionRegion] {
        self.partition().map_or(&[], |p| &p.regions)
    }
    fn read_guest(&mut self, ptr: u32, buf: &mut [u8]) {
        // SAFETY: `ptr..ptr+len` was checked to lie in the caller's own
        // memory, which its loaded band maps for EL2 too.
        unsafe { core::ptr::copy_nonoverlapping(ptr as *const u8, buf.as_mut_ptr(), buf.len()) }
    }
    fn write_guest(&mut self, ptr: u32, data: &[u8]) {
        // SAFETY: as for `read_guest`, and checked writable.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), ptr as *mut u8, data.len()) }
    }
    fn console(&mut self, bytes: &[u8]) {
        let name = self.name();
        let Some(line) = LINES.get(self.id as usize) else {
            return;
        };
        let mut line = line.lock();
        for &b in bytes {
            if b == b'\n' || line.is_full() {
                print_line(name, &line);
                line.clear();
                if b == b'\n' {
                    continue;
                }
            }
            let _ = line.push(b);
        }
    }
    fn counter(&self) -> (u64, u32) {
        (timer::counter(), timer::frequency())
    }
    fn channel_send(&mut self, ch: u32, ptr: u32, len: u32) -> Result<(), Status> {
        let c = channel::endpoint(self.channels(), ch, self.id, true)?;
        let mut queues = QUEUES.lock();
        let q = queues.get_mut(ch as usize).ok_or(Status::NoChannel)?;
        let r = channel::send(c, q, &mut TransientSlots, ptr, len);
        drop(queues);
        if r.is_ok() {
            let core = self
                .system()
                .and_then(|s| s.partitions.get(c.receiver as usize))
                .map(|p| p.core);
            if let Some(core) = core {
                super::vgic::notify(c.receiver, core as u32);
            }
        }
        r
    }
    fn channel_recv(&mut self, ch: u32, ptr: u32, cap: u32) -> Result<u32, Status> {
        let c = channel::endpoint(self.channels(), ch, self.id, false)?;
        let mut queues = QUEUES.lock();
        let q = queues.get_mut(ch as usize).ok_or(Status::NoChannel)?;
        channel::recv(c, q, &mut TransientSlots, ptr, cap)
    }
    fn channel_poll(&mut self) -> u32 {
        channel::pending(self.channels(), &QUEUES.lock(), self.id)
    }
}

/// Slot memory reached through transient mappings on the calling core.
struct TransientSlots;

impl TransientSlots {
    fn with_slot<R>(addr: u32, len: u32, f: impl FnOnce(*mut u8) -> R) -> Result<R, Status> {
        let end = addr.checked_add(len).ok_or(Status::InvalidArgument)?;
        let slot = mpu::map_mm_range(addr, end, HYP_WRITE).map_err(|_| Status::InvalidArgument)?;
        Ok(f(slot.ptr()))
    }
}

impl SlotMemory for TransientSlots {
    fn fill_slot(&mut self, slot: u32, src: u32, len: u32) -> Result<(), Status> {
        Self::with_slot(slot, len + 4, |dst| {
            // SAFETY: `dst` maps `len + 4` bytes of queue storage; `src` was
            // checked to be `len` readable bytes of the sender's memory.
            unsafe {
                core::ptr::copy_nonoverlapping(len.to_le_bytes().as_ptr(), dst, 4);
                core::ptr::copy_nonoverlapping(src as *const u8, dst.add(4), len as usize);
            }
        })
    }
    fn drain_slot(&mut self, slot: u32, max: u32, dst: u32, cap: u32) -> Result<u32, Status> {
        Self::with_slot(slot, max + 4, |p| {
            let mut b = [0u8; 4];
            // SAFETY: `p` maps the slot: the 4-byte header, then up to `max`
            // message bytes.
            unsafe { core::ptr::copy_nonoverlapping(p as *const u8, b.as_mut_ptr(), 4) };
            let len = u32::from_le_bytes(b).min(max);
            if len > cap {
                return Err(Status::BufferTooSmall);
            }
            // SAFETY: `p` maps `len + 4 <= max + 4` bytes of the slot; `dst`
            // was checked to be `cap >= len` writable bytes of the receiver.
            unsafe { core::ptr::copy_nonoverlapping(p.add(4) as *const u8, dst as *mut u8, len as usize) };
            Ok(len)
        })?
    }
}

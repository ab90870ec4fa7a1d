//! The target side of the hypercall seam ([`crate::hypercall::Env`]): the
//! calling partition's identity, console line and the clock, guest copies
//! of buffers [`crate::guest_mem`] has checked, and the slot memory of the
//! channels, reached through transient mappings. The channel rules
//! themselves (endpoints, queues, whom to notify) are the portable
//! [`crate::channel::Channels`].

use hypcfg::abi::Status;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::system::{Partition, System};

use super::block::PartitionStatus;
use super::load::HYP_WRITE;
use crate::arch::timer;
use crate::channel::{Channels, SlotMemory};
use crate::guest_console::{ConsoleLine, Out};
use crate::guest_mem::{BufferMap, GuestRead, GuestWrite};
use crate::hypercall::Env;
use crate::{hprintln, mpu};

/// Every channel of the system with its queue (hypervisor memory: no
/// guest can reach it), filled once the system is loaded.
static CHANNELS: Channels = Channels::new();

/// Fills the channel table from the loaded system `s`: each channel's
/// endpoints, receiver core and queue geometry are checked here, once, so
/// a channel call only indexes the table; so is each queue's distance from
/// the hypervisor's own memory, which lets a call map its slot without a
/// lookup (`mpu::with_window`; the blob check keeps queues clear of every
/// partition region). Called by `load_system` (a
/// second call keeps the first table).
pub(super) fn init_channels(s: &System) {
    CHANNELS.configure(
        &s.channels,
        |id| s.partitions.get(id.index()).map(|p| p.core),
        mpu::clear_of_static,
    );
}

/// Prints what a partition named `name` has buffered of an unfinished
/// line, and how many of its lines its budget dropped (it stops).
pub(super) fn flush_line(name: &str, line: &mut ConsoleLine) {
    line.flush(timer::counter(), timer::frequency(), &mut |o| print(name, o));
}

/// Prints one line of partition `name`'s console: always with its prefix,
/// its text escaped (`guest_console`), so it cannot pass for another's.
fn print(name: &str, out: Out<'_>) {
    match out {
        Out::Line(text) => hprintln!("[{}] {}", name, text),
        Out::Suppressed(n) => hprintln!("[{}] ... {} lines suppressed", name, n),
    }
}

/// The hypercall environment of the calling partition: the parts of its
/// control block a hypercall may touch (its registers are borrowed
/// separately by the dispatcher). The system is looked up only by the
/// calls that need it, so register-only calls (the null hypercall,
/// `VERSION`) stay as short as they can be.
pub(super) struct CallEnv<'a> {
    pub(super) id: PartitionId,
    pub(super) here: CoreId,
    pub(super) status: &'static PartitionStatus,
    pub(super) line: &'a mut ConsoleLine,
    pub(super) buffers: &'a BufferMap,
}

impl CallEnv<'_> {
    fn system(&self) -> Option<&'static System> {
        super::load::system()
    }

    fn partition(&self) -> Option<&'static Partition> {
        self.system()?.partitions.get(self.id.index())
    }
}

impl Env for CallEnv<'_> {
    fn id(&self) -> PartitionId {
        self.id
    }
    fn core(&self) -> CoreId {
        self.here
    }
    fn name(&self) -> &str {
        self.partition().map_or("", |p| p.name.as_str())
    }
    fn restarts(&self) -> u32 {
        self.status.restarts.load(core::sync::atomic::Ordering::Acquire)
    }
    fn buffers(&self) -> &BufferMap {
        self.buffers
    }
    fn read_guest(&mut self, src: &GuestRead, buf: &mut [u8]) {
        copy_from_guest(src, buf)
    }
    fn write_guest(&mut self, dst: &GuestWrite, data: &[u8]) {
        let n = data.len().min(dst.len() as usize);
        // SAFETY: as for `read_guest`, `dst` checked writable, `n <= dst.len()`.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), dst.addr() as *mut u8, n) }
    }
    fn console(&mut self, bytes: &[u8]) {
        let name = self.partition().map_or("", |p| p.name.as_str());
        self.line
            .push(bytes, timer::counter(), timer::frequency(), &mut |o| {
                print(name, o)
            });
    }
    fn counter(&self) -> (u64, u32) {
        (timer::counter(), timer::frequency())
    }
    fn channel_send(&mut self, ch: u32, msg: &GuestRead) -> Result<(), Status> {
        let (receiver, core) = CHANNELS.send(self.id, ch, msg, &mut TransientSlots)?;
        super::vgic::notify(receiver, core, self.here);
        Ok(())
    }
    fn channel_recv(&mut self, ch: u32, dst: &GuestWrite) -> Result<u32, Status> {
        CHANNELS.recv(self.id, ch, dst, &mut TransientSlots)
    }
    fn channel_poll(&mut self) -> u32 {
        CHANNELS.poll(self.id)
    }
}

/// Copies the start of the running partition's buffer `src` into `buf`
/// (as many bytes as both hold): hypercall buffers, and the instruction
/// the GIC emulation decodes.
pub(super) fn copy_from_guest(src: &GuestRead, buf: &mut [u8]) {
    let n = buf.len().min(src.len() as usize);
    // SAFETY: `src` was checked to lie in the running partition's own
    // readable memory, which its loaded band maps for EL2 too;
    // `n <= src.len()` and `n <= buf.len()`.
    unsafe { core::ptr::copy_nonoverlapping(src.addr() as *const u8, buf.as_mut_ptr(), n) }
}

/// Slot memory reached through transient mappings on the calling core.
struct TransientSlots;

impl TransientSlots {
    /// Runs `f` on the slot `[addr, addr + len)` mapped for the hypervisor
    /// (a window: the queues were checked clear of the hypervisor's memory
    /// by `init_channels` and of every partition by the blob check); a
    /// slot that cannot be mapped is [`Status::Internal`], reported.
    #[inline(always)]
    fn with_slot<R>(addr: u32, len: u32, f: impl FnOnce(*mut u8) -> R) -> Result<R, Status> {
        // A slot lies inside its queue, which ends inside the address space.
        let end = addr.wrapping_add(len);
        mpu::with_window(addr, end, HYP_WRITE, f).map_err(|e| slot_unmapped(addr, e))
    }
}

/// Reports a channel slot at `addr` that could not be mapped (`e`):
/// [`Status::Internal`] for the caller.
#[cold]
#[inline(never)]
fn slot_unmapped(addr: u32, e: mpu::MapError) -> Status {
    hprintln!(
        "[hyp] ERROR: channel slot {} cannot be mapped: {}",
        crate::text::hex8(addr),
        e.message()
    );
    Status::Internal
}

impl SlotMemory for TransientSlots {
    fn fill_slot(&mut self, slot: u32, msg: &GuestRead) -> Result<(), Status> {
        let len = msg.len();
        // len <= msg_size <= u32::MAX - 8 (`Queue::send`, `geometry_ok`): no wrap.
        Self::with_slot(slot, len.wrapping_add(4), |dst| {
            // SAFETY: `dst` maps `len + 4` bytes of queue storage: the
            // 4-byte header first (a plain, possibly unaligned, store:
            // the slot is Normal memory and the hypervisor leaves
            // HSCTLR.A clear).
            unsafe { dst.cast::<u32>().write_unaligned(len.to_le()) };
            // SAFETY: the message bytes follow the header in the same mapping.
            let body = unsafe { dst.add(4) };
            // SAFETY: `body` has `len` bytes of the slot; `msg` was checked
            // to be `len` readable bytes of the sender's memory, which no
            // slot overlaps (the channel pool is in no partition).
            unsafe { copy(body, msg.addr() as *const u8, len as usize) };
        })
    }
    fn drain_slot(&mut self, slot: u32, max: u32, dst: &GuestWrite) -> Result<u32, Status> {
        // max is the channel's msg_size <= u32::MAX - 8: no wrap.
        Self::with_slot(slot, max.wrapping_add(4), |p| {
            // SAFETY: `p` maps the slot: the 4-byte header (read as in
            // `fill_slot`), then up to `max` message bytes.
            let len = u32::from_le(unsafe { p.cast::<u32>().read_unaligned() }).min(max);
            if len > dst.len() {
                return Err(Status::BufferTooSmall);
            }
            // SAFETY: the message bytes follow the header in the same mapping.
            let body = unsafe { p.add(4) };
            // SAFETY: `body` maps `len <= max` bytes of the slot; `dst`
            // was checked to be `dst.len() >= len` writable bytes of the
            // receiver, which no slot overlaps.
            unsafe { copy(dst.addr() as *mut u8, body, len as usize) };
            Ok(len)
        })?
    }
}

/// Copies `len` bytes from `src` to `dst`, 32 bytes per `LDM`/`STM` pair
/// when both are word-aligned (the channel slots are when `msg_size` is a
/// multiple of 4, and so are most message buffers), then the last 0-31
/// bytes by size (nothing for a multiple of 32); a misaligned pair goes
/// to `memcpy`. A message costs about an eighth of an instruction per
/// byte this way instead of one (`memcpy` moves one word per four
/// instructions).
///
/// Every access is aligned to its size: nothing relies on unaligned
/// accesses being allowed (`LDM`/`STM` never allow them).
///
/// # Safety
///
/// `src` must be readable and `dst` writable for `len` bytes, and the two
/// ranges must not overlap.
#[inline(never)]
// A32 even in the T32 hypervisor: the tail's conditional LDM/STM/LDR/STR
// would each need an IT instruction in T32.
#[instruction_set(arm::a32)]
unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) {
    if (dst as usize | src as usize) & 3 != 0 {
        // SAFETY: the caller's contract, passed on.
        unsafe { core::ptr::copy_nonoverlapping(src, dst, len) };
        return;
    }
    // SAFETY: both pointers are word-aligned, `src` readable and `dst`
    // writable for `len` bytes (the caller's contract): the blocks read and
    // write 32 bytes at a time while at least 32 remain, then the tail
    // moves 16, 8, 4, 2 and 1 bytes as the low bits of `len` say, each
    // access aligned because everything before it moved a multiple of its
    // size. The eight block registers and the flags are declared
    // clobbered; the pointers and count are the compiler's registers.
    unsafe {
        core::arch::asm!(
            "subs {n}, {n}, #32",
            "blo 2f",
            "1:",
            "ldm {s}!, {{r2, r3, r4, r5, r8, r10, r12, lr}}",
            "stm {d}!, {{r2, r3, r4, r5, r8, r10, r12, lr}}",
            "subs {n}, {n}, #32",
            "bhs 1b",
            "2:",
            // n = len % 32 - 32: its low 5 bits are still len's. None set
            // (a multiple of 32): done.
            "lsls {n}, {n}, #27",
            "beq 3f",
            // Bit 4 into C and bit 3 into N.
            "lsls {n}, {n}, #1",
            "ldmcs {s}!, {{r2, r3, r4, r5}}",
            "stmcs {d}!, {{r2, r3, r4, r5}}",
            "ldmmi {s}!, {{r2, r3}}",
            "stmmi {d}!, {{r2, r3}}",
            // Bit 2 into C and bit 1 into N.
            "lsls {n}, {n}, #2",
            "ldrcs r2, [{s}], #4",
            "strcs r2, [{d}], #4",
            "ldrhmi r2, [{s}], #2",
            "strhmi r2, [{d}], #2",
            // Bit 0 into C.
            "lsls {n}, {n}, #2",
            "ldrbcs r2, [{s}]",
            "strbcs r2, [{d}]",
            "3:",
            s = inout(reg) src => _,
            d = inout(reg) dst => _,
            n = inout(reg) len => _,
            out("r2") _,
            out("r3") _,
            out("r4") _,
            out("r5") _,
            out("r8") _,
            out("r10") _,
            out("r12") _,
            out("lr") _,
            options(nostack),
        );
    }
}

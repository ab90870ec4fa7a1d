//! Partitions at run time (target only): loading the system blob, starting
//! each partition at EL1 from its pristine image, switching between the
//! partitions of a core, the hypercall environment, and applying the
//! health monitor's decisions.
//!
//! Ownership: a partition is pinned to one core, and only that core touches
//! its [`Vcpu`] (the mutex is uncontended; it exists so the summary can read
//! every partition safely). The system description is read-only after boot.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use heapless::Vec;
use hypcfg::abi::Status;
use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
use hypcfg::system::{Partition, PartitionRegion, RegionKind, System, MAX_CHANNELS, MAX_PARTITIONS};
use spin::{Mutex, Once};

use crate::arch::context::{self, El1State};
use crate::arch::vectors::{self, GuestFrame};
use crate::arch::{cpu, timer};
use crate::boot::MAX_CORES;
use crate::channel::{self, QueueState, SlotMemory};
use crate::health::{self, Decision, Fault};
use crate::hsr::{ExceptionClass, Hsr};
use crate::hypercall::{self, Effect, Env};
use crate::{hprintln, mpu, sched};

/// Where a partition is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Never run yet (its image is loaded when it is first scheduled).
    Unstarted,
    /// Running or waiting for its turn.
    Ready,
    /// Stopped by the health monitor.
    Halted,
    /// Stopped itself with an exit code.
    Shutdown(u32),
}

impl RunState {
    fn runnable(self) -> bool {
        matches!(self, RunState::Unstarted | RunState::Ready)
    }
}

/// Longest console line kept per partition before it is flushed anyway.
const LINE_MAX: usize = 100;

/// The run-time state of one partition.
pub struct Vcpu {
    /// Registers saved by the trap entry (valid while not running).
    pub frame: GuestFrame,
    /// EL1 state (valid while not running).
    pub el1: El1State,
    /// Life cycle.
    pub state: RunState,
    /// Restarts so far.
    pub restarts: u32,
    /// Faults so far.
    pub faults: u32,
    /// Console output not yet ended by a newline.
    pub line: Vec<u8, LINE_MAX>,
}

impl Vcpu {
    const NEW: Vcpu = Vcpu {
        frame: GuestFrame::at_entry(0),
        el1: El1State::ZERO,
        state: RunState::Unstarted,
        restarts: 0,
        faults: 0,
        line: Vec::new(),
    };
}

static SYSTEM: Once<System> = Once::new();
static VCPUS: [Mutex<Vcpu>; MAX_PARTITIONS] = [const { Mutex::new(Vcpu::NEW) }; MAX_PARTITIONS];
static QUEUES: Mutex<[QueueState; MAX_CHANNELS]> =
    Mutex::new([QueueState { head: 0, count: 0 }; MAX_CHANNELS]);
/// Partition running on each core (`NONE` when idle).
static CURRENT: [AtomicU8; MAX_CORES] = [const { AtomicU8::new(NONE) }; MAX_CORES];
/// Partitions not yet stopped; the core that stops the last one ends the run.
static LIVE: AtomicU32 = AtomicU32::new(0);
/// The EL1 reset state, read on each core before any partition ran.
static RESET_EL1: PerCore<El1State> = PerCore::new([El1State::ZERO; MAX_CORES]);
/// Per-core staging frame for [`vectors::enter_guest`] (not on the stack).
static LAUNCH: PerCore<GuestFrame> = PerCore::new([GuestFrame::at_entry(0); MAX_CORES]);

const NONE: u8 = 0xFF;

/// `HCR` while a partition runs: stage-2 MPU on (VM), set/way cache ops
/// upgraded (SWIO), IRQ/FIQ/async aborts routed to EL2 (IMO/FMO/AMO),
/// WFI/WFE trapped (TWI/TWE), SMC trapped (TSC), implementation-defined
/// CP15 and ACTLR accesses trapped (TIDCP/TAC).
pub const HCR_GUEST: u32 =
    1 | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 13) | (1 << 14) | (1 << 19) | (1 << 20) | (1 << 21);

/// A value each core owns one slot of.
struct PerCore<T>([UnsafeCell<T>; MAX_CORES]);

// SAFETY: slot `n` is only ever accessed by core `n` (see `get`), so no two
// cores share a slot.
unsafe impl<T> Sync for PerCore<T> {}

impl<T> PerCore<T> {
    const fn new(v: [T; MAX_CORES]) -> Self {
        // SAFETY: UnsafeCell<T> has the same layout as T.
        PerCore(unsafe { core::mem::transmute_copy(&core::mem::ManuallyDrop::new(v)) })
    }

    /// The calling core's slot.
    #[allow(clippy::mut_from_ref)]
    fn get(&self) -> &mut T {
        let core = (cpu::core_id() as usize).min(MAX_CORES - 1);
        // SAFETY: only this core uses this slot, and callers never hold two
        // references to it at once (each use is a short, non-reentrant step).
        unsafe { &mut *self.0[core].get() }
    }
}

/// The system description, once [`load_system`] has succeeded.
pub fn system() -> Option<&'static System> {
    SYSTEM.get()
}

/// Attributes of the hypervisor's temporary view of memory it reads
/// (blob, pristine images): read-only, execute-never, EL2 only.
const HYP_READ: Attrs = Attrs {
    access: Access::HypRo,
    xn: true,
    mem: MemType::Normal,
};
/// Attributes of the hypervisor's temporary view of memory it writes.
const HYP_WRITE: Attrs = Attrs {
    access: Access::HypRw,
    xn: true,
    mem: MemType::Normal,
};

/// Why the system cannot start.
#[derive(Clone, Copy, Debug)]
pub enum LoadError {
    /// The blob area could not be mapped.
    Map(mpu::MapError),
    /// The blob is damaged or invalid.
    Blob(hypcfg::blob::BlobError),
    /// The blob describes another board or hypervisor build.
    Mismatch(&'static str),
}

impl LoadError {
    /// A one-line explanation.
    pub fn message(&self) -> &'static str {
        match self {
            LoadError::Map(e) => e.message(),
            LoadError::Blob(e) => e.message(),
            LoadError::Mismatch(m) => m,
        }
    }
}

/// Reads and checks the system blob at `[base, base + size)`: header, CRC,
/// decoding, the invariants the hypervisor relies on, and that it was made
/// for this board and this hypervisor build. Core 0, once, at boot.
pub fn load_system(base: u32, size: u32) -> Result<&'static System, LoadError> {
    let ptr = mpu::map_mm_range(base, base + size, HYP_READ).map_err(LoadError::Map)?;
    // SAFETY: the range was just mapped readable for the hypervisor and
    // stays mapped until the unmap below; nothing writes it.
    let bytes = unsafe { core::slice::from_raw_parts(ptr as *const u8, size as usize) };
    let header_len = hypcfg::blob::HEADER_LEN;
    let body_len = bytes
        .get(8..12)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let used = header_len.saturating_add(body_len).min(bytes.len());
    let decoded = hypcfg::blob::decode(&bytes[..used]);
    let _ = mpu::unmap_mm_range(base);
    let system = decoded.map_err(LoadError::Blob)?;
    check_platform(&system)?;
    Ok(SYSTEM.call_once(|| system))
}

fn check_platform(s: &System) -> Result<(), LoadError> {
    let h = &s.hypervisor;
    if s.platform.cores as usize > MAX_CORES {
        return Err(LoadError::Mismatch(
            "the system has more cores than this hypervisor build",
        ));
    }
    if s.platform.mpu_regions as usize != crate::arch::mpu::region_count() {
        return Err(LoadError::Mismatch(
            "the system's MPU region count is not this core's HMPUIR",
        ));
    }
    if h.static_regions as usize != crate::layout::STATIC_REGIONS {
        return Err(LoadError::Mismatch(
            "the system's static band is not this hypervisor's",
        ));
    }
    if h.transient_slots as usize != mpu::DEFAULT_TRANSIENT_SLOTS {
        return Err(LoadError::Mismatch(
            "the system reserves a different number of transient slots",
        ));
    }
    if h.console_base != crate::boot::CONSOLE_UART_BASE {
        return Err(LoadError::Mismatch(
            "the system's console is not the one this hypervisor drives",
        ));
    }
    Ok(())
}

/// Prints the partition table at boot.
pub fn print_system(s: &System) {
    hprintln!(
        "[hyp] system for {}: {} partitions, {} channels, {} MPU regions ({} static, {} transient)",
        s.platform.name.as_str(),
        s.partitions.len(),
        s.channels.len(),
        s.platform.mpu_regions,
        s.hypervisor.static_regions,
        s.hypervisor.transient_slots
    );
    for (id, p) in s.partitions.iter().enumerate() {
        hprintln!(
            "[hyp]   partition {} {:<12} core {} entry {:#010x} {} regions, policy {:?}",
            id,
            p.name.as_str(),
            p.core,
            p.entry,
            p.regions.len(),
            p.fault_policy
        );
    }
}

/// Counts the partitions that will run (called once, before any core runs one).
pub fn arm_live_count(s: &System) {
    LIVE.store(s.partitions.len() as u32, Ordering::Release);
}

fn partitions_of(s: &System, core: u8) -> Vec<u8, MAX_PARTITIONS> {
    s.partitions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.core == core)
        .map(|(i, _)| i as u8)
        .collect()
}

fn runnable(id: u8) -> bool {
    VCPUS.get(id as usize).is_some_and(|v| v.lock().state.runnable())
}

/// Runs the partitions of the calling core; never returns.
pub fn run_this_core(s: &'static System) -> ! {
    let core = cpu::core_id() as u8;
    *RESET_EL1.get() = context::reset_state();
    timer::allow_guest_counter();
    let ids = partitions_of(s, core);
    match sched::next(&ids, None, runnable) {
        Some(id) => launch(s, id),
        None => idle_forever(),
    }
}

/// First entry into partition `id` on this core (its image is loaded).
fn launch(s: &System, id: u8) -> ! {
    let core = cpu::core_id() as usize;
    let frame = match prepare(s, id) {
        Ok(()) => {
            let v = VCPUS[id as usize].lock();
            context::restore(&v.el1);
            v.frame
        }
        Err(why) => {
            stop(s, id, RunState::Halted, why);
            // Try the next partition of this core, if any.
            match sched::next(&partitions_of(s, core as u8), Some(id), runnable) {
                Some(next) => launch(s, next),
                None => idle_forever(),
            }
        }
    };
    CURRENT[core].store(id, Ordering::Release);
    crate::arch::set_hcr(HCR_GUEST);
    *LAUNCH.get() = frame;
    vectors::enter_guest(LAUNCH.get(), crate::boot::stack_top(core))
}

/// Loads the pristine image and zeroes the writable memory of partition
/// `id`, resets its registers, and loads its MPU band. The band is cleared
/// while the image is copied, so the copy goes through transient mappings
/// with the hypervisor's own attributes.
fn prepare(s: &System, id: u8) -> Result<(), &'static str> {
    let p = s.partitions.get(id as usize).ok_or("no such partition")?;
    mpu::load_partition_band(&[]).map_err(|e| e.message())?;
    let img = p
        .image
        .ok_or("it has no image (build the system with one per partition)")?;
    copy_image(img)?;
    for r in p.regions.iter().filter(|r| r.kind == RegionKind::Memory) {
        if r.words.attrs().is_some_and(|a| a.access.writable()) {
            zero_region(&r.words)?;
        }
    }
    let words: Vec<RegionWords, { hypcfg::system::MAX_PARTITION_REGIONS }> =
        p.regions.iter().map(|r| r.words).collect();
    mpu::load_partition_band(&words).map_err(|e| e.message())?;
    let mut v = VCPUS[id as usize].lock();
    v.frame = GuestFrame::at_entry(p.entry);
    v.el1 = *RESET_EL1.get();
    v.state = RunState::Ready;
    v.line.clear();
    Ok(())
}

fn copy_image(img: hypcfg::system::Image) -> Result<(), &'static str> {
    let src_end = img.store.checked_add(img.len).ok_or("image store wraps around")?;
    let dst_end = img
        .load
        .checked_add(img.len)
        .ok_or("image load range wraps around")?;
    let src = mpu::map_mm_range(img.store, src_end, HYP_READ).map_err(|e| e.message())?;
    let dst = match mpu::map_mm_range(img.load, dst_end, HYP_WRITE) {
        Ok(d) => d,
        Err(e) => {
            let _ = mpu::unmap_mm_range(img.store);
            return Err(e.message());
        }
    };
    // SAFETY: both ranges were just mapped for the hypervisor with exactly
    // `len` bytes, and they do not overlap (flash store vs partition RAM,
    // checked by the config tool).
    let copied = unsafe {
        core::ptr::copy_nonoverlapping(src as *const u8, dst, img.len as usize);
        core::slice::from_raw_parts(dst as *const u8, img.len as usize)
    };
    let crc_ok = hypcfg::crc32::crc32(copied) == img.crc32;
    let _ = mpu::unmap_mm_range(img.load);
    let _ = mpu::unmap_mm_range(img.store);
    if crc_ok {
        Ok(())
    } else {
        Err("pristine image is damaged (CRC mismatch)")
    }
}

fn zero_region(w: &RegionWords) -> Result<(), &'static str> {
    let (base, size) = (w.base(), w.limit() - w.base() + 1);
    let ptr = mpu::map_mm_range(base, base.wrapping_add(size), HYP_WRITE).map_err(|e| e.message())?;
    // SAFETY: the region was just mapped writable for the hypervisor; the
    // partition that owns it is not running.
    unsafe { core::ptr::write_bytes(ptr, 0, size as usize) };
    let _ = mpu::unmap_mm_range(base);
    Ok(())
}

/// Stops partition `id` for good and reports it; ends the run if it was
/// the last one.
fn stop(s: &System, id: u8, state: RunState, why: &str) {
    let name = s.partitions.get(id as usize).map_or("?", |p| p.name.as_str());
    {
        let mut v = VCPUS[id as usize].lock();
        if !v.state.runnable() {
            return;
        }
        v.state = state;
    }
    match state {
        RunState::Shutdown(code) => hprintln!("[hyp] partition {} shut down (exit code {})", name, code),
        _ => hprintln!("[hyp] partition {} halted: {}", name, why),
    }
    if LIVE.fetch_sub(1, Ordering::AcqRel) == 1 {
        summary_and_exit(s);
    }
}

/// The end-of-run summary, then exit (QEMU) or halt (board).
fn summary_and_exit(s: &System) -> ! {
    hprintln!("[hyp] all partitions stopped; summary:");
    let mut exit = 0;
    for (id, p) in s.partitions.iter().enumerate() {
        let v = VCPUS[id].lock();
        let state = match v.state {
            RunState::Shutdown(0) => "shut down (exit 0)",
            RunState::Shutdown(_) => "shut down (error exit)",
            RunState::Halted => "halted by the health monitor",
            _ => "running",
        };
        if matches!(v.state, RunState::Shutdown(c) if c != 0) {
            exit = 1;
        }
        hprintln!(
            "[hyp]   {:<12} core {}  faults {:>2}  restarts {:>2}  {}",
            p.name.as_str(),
            p.core,
            v.faults,
            v.restarts,
            state
        );
    }
    crate::boot::exit(exit)
}

fn idle_forever() -> ! {
    let core = cpu::core_id() as usize;
    CURRENT[core].store(NONE, Ordering::Release);
    cpu::halt()
}

/// Saves the running partition into its [`Vcpu`] and makes `next` the
/// live state in `frame` (loading its image first if it never ran).
fn switch_to(s: &System, frame: &mut GuestFrame, from: Option<u8>, next: u8) {
    let core = cpu::core_id() as usize;
    if from == Some(next) {
        return;
    }
    if let Some(cur) = from {
        let mut v = VCPUS[cur as usize].lock();
        v.frame = *frame;
        context::save(&mut v.el1);
    }
    if VCPUS[next as usize].lock().state == RunState::Unstarted {
        if let Err(why) = prepare(s, next) {
            stop(s, next, RunState::Halted, why);
            return reschedule(s, frame, from);
        }
    } else if let Some(p) = s.partitions.get(next as usize) {
        let words: Vec<RegionWords, { hypcfg::system::MAX_PARTITION_REGIONS }> =
            p.regions.iter().map(|r| r.words).collect();
        if mpu::load_partition_band(&words).is_err() {
            stop(s, next, RunState::Halted, "its MPU band cannot be loaded");
            return reschedule(s, frame, from);
        }
    }
    let v = VCPUS[next as usize].lock();
    context::restore(&v.el1);
    *frame = v.frame;
    CURRENT[core].store(next, Ordering::Release);
}

/// Picks the next runnable partition after `from` on this core and makes
/// it live; idles the core if there is none.
fn reschedule(s: &System, frame: &mut GuestFrame, from: Option<u8>) {
    let core = cpu::core_id() as u8;
    let ids = partitions_of(s, core);
    match sched::next(&ids, from, runnable) {
        Some(next) => {
            // `from` may have stopped: then its state is not saved again.
            let save_from = from.filter(|&f| runnable(f));
            switch_to(s, frame, save_from, next)
        }
        None => idle_forever(),
    }
}

/// Rust side of every trap from a partition (vector 0x14).
#[no_mangle]
extern "C" fn hyp_guest_trap(frame: &mut GuestFrame) {
    let core = cpu::core_id() as usize;
    let hsr = Hsr(crate::arch::read_hsr());
    let (Some(s), Some(id)) = (SYSTEM.get(), CURRENT.get(core).map(|c| c.load(Ordering::Acquire))) else {
        return;
    };
    match hsr.class() {
        ExceptionClass::Hvc => {
            let mut env = CallEnv { s, id };
            let (regs, effect) =
                hypercall::dispatch([frame.r[0], frame.r[1], frame.r[2], frame.r[3]], &mut env);
            frame.r[..4].copy_from_slice(&regs);
            apply(s, frame, id, effect);
        }
        ExceptionClass::WfiWfe => {
            frame.elr = frame.elr.wrapping_add(if hsr.il32() { 4 } else { 2 });
            reschedule(s, frame, Some(id));
        }
        _ => {
            let (hdfar, hifar) = crate::arch::read_fault_addresses();
            let fault = Fault::from_trap(hsr, hdfar, hifar);
            let pc = frame.elr;
            on_fault(s, frame, id, fault, pc, if hsr.il32() { 4 } else { 2 });
        }
    }
}

fn apply(s: &System, frame: &mut GuestFrame, id: u8, effect: Effect) {
    match effect {
        Effect::Resume => {}
        Effect::Yield => reschedule(s, frame, Some(id)),
        Effect::Restart => restart(s, frame, id, "it asked to"),
        Effect::Shutdown(code) => {
            flush_line(s, id);
            stop(s, id, RunState::Shutdown(code), "");
            reschedule(s, frame, Some(id));
        }
        Effect::Fault { kind, addr, pc } => {
            // The guest reported from its own vector and resumes after the
            // hypercall if the policy lets it: nothing to skip.
            on_fault(s, frame, id, Fault::Reported { kind, addr }, pc, 0);
        }
    }
}

/// Restarts partition `id` in place from its pristine image.
fn restart(s: &System, frame: &mut GuestFrame, id: u8, why: &str) {
    let name = s.partitions.get(id as usize).map_or("?", |p| p.name.as_str());
    hprintln!("[hyp] restarting {} ({})", name, why);
    VCPUS[id as usize].lock().restarts += 1;
    match prepare(s, id) {
        Ok(()) => {
            let v = VCPUS[id as usize].lock();
            context::restore(&v.el1);
            *frame = v.frame;
        }
        Err(e) => {
            stop(s, id, RunState::Halted, e);
            reschedule(s, frame, Some(id));
        }
    }
}

/// The health monitor: report the fault (at guest `pc`), then apply the
/// policy; `skip` is the length of the faulting instruction, 0 when there
/// is nothing to skip.
fn on_fault(s: &System, frame: &mut GuestFrame, id: u8, fault: Fault, pc: u32, skip: u32) {
    let Some(p) = s.partitions.get(id as usize) else {
        return;
    };
    let restarts = {
        let mut v = VCPUS[id as usize].lock();
        v.faults += 1;
        v.restarts
    };
    let decision = health::decide(p.fault_policy, restarts);
    report(p, id, &fault, pc, decision);
    match decision {
        Decision::Restart { .. } => restart(s, frame, id, "fault policy"),
        Decision::Halt { budget_exhausted } => {
            let why = if budget_exhausted {
                "restart budget exhausted"
            } else {
                "fault policy is halt"
            };
            flush_line(s, id);
            stop(s, id, RunState::Halted, why);
            reschedule(s, frame, Some(id));
        }
        Decision::Log => match fault {
            // Nothing to skip for an instruction fetch: resume at the
            // return address of the branch that got there.
            Fault::PrefetchAbort { .. } => frame.elr = crate::arch::guest_lr(frame.spsr, frame.lr),
            _ => frame.elr = frame.elr.wrapping_add(skip),
        },
    }
}

fn report(p: &Partition, id: u8, fault: &Fault, pc: u32, decision: Decision) {
    let mut action: heapless::String<24> = heapless::String::new();
    let _ = match decision {
        Decision::Restart { attempt, budget } => {
            core::fmt::write(&mut action, format_args!("restart {attempt}/{budget}"))
        }
        Decision::Halt { .. } => action.push_str("halt").map_err(|_| core::fmt::Error),
        Decision::Log => action.push_str("log and continue").map_err(|_| core::fmt::Error),
    };
    let sep = if fault.status().is_empty() { "" } else { ", " };
    hprintln!(
        "[hyp] FAULT {} (partition {}, core {}): {}{}{} at {:#010x}, PC {:#010x} -> {}",
        p.name.as_str(),
        id,
        cpu::core_id(),
        fault.kind(),
        sep,
        fault.status(),
        fault.addr().unwrap_or(pc),
        pc,
        action.as_str()
    );
}

fn flush_line(s: &System, id: u8) {
    let mut v = VCPUS[id as usize].lock();
    if !v.line.is_empty() {
        let name = s.partitions.get(id as usize).map_or("?", |p| p.name.as_str());
        print_line(name, &v.line);
        v.line.clear();
    }
}

fn print_line(name: &str, bytes: &[u8]) {
    let text = core::str::from_utf8(bytes).unwrap_or("<non-UTF-8 output>");
    hprintln!("[{}] {}", name, text);
}

/// The hypercall environment of the calling partition.
struct CallEnv<'a> {
    s: &'a System,
    id: u8,
}

impl CallEnv<'_> {
    fn partition(&self) -> Option<&Partition> {
        self.s.partitions.get(self.id as usize)
    }
}

impl Env for CallEnv<'_> {
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
        VCPUS[self.id as usize].lock().restarts
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
        let mut v = VCPUS[self.id as usize].lock();
        for &b in bytes {
            if b == b'\n' || v.line.is_full() {
                print_line(name, &v.line);
                v.line.clear();
                if b == b'\n' {
                    continue;
                }
            }
            let _ = v.line.push(b);
        }
    }
    fn counter(&self) -> (u64, u32) {
        (timer::counter(), timer::frequency())
    }
    fn channel_send(&mut self, ch: u32, ptr: u32, len: u32) -> Result<(), Status> {
        let c = channel::endpoint(&self.s.channels, ch, self.id, true)?;
        let mut queues = QUEUES.lock();
        let q = queues.get_mut(ch as usize).ok_or(Status::NoChannel)?;
        let r = channel::send(c, q, &mut TransientSlots, ptr, len);
        drop(queues);
        if r.is_ok() {
            aarch32_cpu::asm::sev();
        }
        r
    }
    fn channel_recv(&mut self, ch: u32, ptr: u32, cap: u32) -> Result<u32, Status> {
        let c = channel::endpoint(&self.s.channels, ch, self.id, false)?;
        let mut queues = QUEUES.lock();
        let q = queues.get_mut(ch as usize).ok_or(Status::NoChannel)?;
        channel::recv(c, q, &mut TransientSlots, ptr, cap)
    }
    fn channel_poll(&mut self) -> u32 {
        channel::pending(&self.s.channels, &QUEUES.lock(), self.id)
    }
}

/// Slot memory reached through transient mappings on the calling core.
struct TransientSlots;

impl TransientSlots {
    fn with_slot<R>(addr: u32, len: u32, f: impl FnOnce(*mut u8) -> R) -> Result<R, Status> {
        let end = addr.checked_add(len).ok_or(Status::InvalidArgument)?;
        let ptr = mpu::map_mm_range(addr, end, HYP_WRITE).map_err(|_| Status::InvalidArgument)?;
        let r = f(ptr);
        let _ = mpu::unmap_mm_range(addr);
        Ok(r)
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
    fn slot_len(&mut self, slot: u32) -> Result<u32, Status> {
        Self::with_slot(slot, 4, |p| {
            let mut b = [0u8; 4];
            // SAFETY: `p` maps the 4-byte header.
            unsafe { core::ptr::copy_nonoverlapping(p as *const u8, b.as_mut_ptr(), 4) };
            u32::from_le_bytes(b)
        })
    }
    fn drain_slot(&mut self, slot: u32, dst: u32, len: u32) -> Result<(), Status> {
        Self::with_slot(slot, len + 4, |p| {
            // SAFETY: `p` maps the slot; `dst` was checked to be `len`
            // writable bytes of the receiver's memory.
            unsafe { core::ptr::copy_nonoverlapping(p.add(4) as *const u8, dst as *mut u8, len as usize) };
        })
    }
}

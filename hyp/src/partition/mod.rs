//! Partitions at run time (target only): loading the system ([`load`]),
//! the trap path and partition switches ([`trap`]), the hypercall
//! environment ([`env`]), and the state below.
//!
//! Ownership: a partition is pinned to one core, and only that core ever
//! touches its frame and EL1 state ([`Owned`]); what other cores may read
//! (run state, counters) is atomic. The system is read-only after boot.

mod env;
mod gic_emul;
mod load;
mod trap;
mod vgic;
mod windows;

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use heapless::Vec;
use hypcfg::mpu::RegionWords;
use hypcfg::system::{System, MAX_PARTITIONS, MAX_PARTITION_REGIONS};
use spin::{Mutex, Once};

use crate::arch::context::{self, El1State};
use crate::arch::vectors::{self, GuestFrame};
use crate::arch::{cpu, gic, timer};
use crate::board::CORES;
use crate::{hprintln, mpu, sched};

pub use load::{load_system, LoadError};

/// Where a partition is in its life (stored in [`STATE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Never run yet (its image is loaded when it is first scheduled).
    Unstarted,
    /// Running or waiting for its turn.
    Ready,
    /// Stopped by the health monitor.
    Halted,
    /// Stopped itself; the exit code is in [`EXIT_CODE`].
    Shutdown,
}

impl RunState {
    const fn from_u32(v: u32) -> RunState {
        match v {
            0 => RunState::Unstarted,
            1 => RunState::Ready,
            2 => RunState::Halted,
            _ => RunState::Shutdown,
        }
    }

    fn runnable(self) -> bool {
        matches!(self, RunState::Unstarted | RunState::Ready)
    }
}

/// A per-partition value only the partition's own core touches.
pub struct Owned<T>(UnsafeCell<T>);

// SAFETY: a partition is pinned to one core, and only code running on that
// core (its traps, its start and restart) accesses its `Owned` values.
unsafe impl<T> Sync for Owned<T> {}

impl<T> Owned<T> {
    const fn new(v: T) -> Self {
        Owned(UnsafeCell::new(v))
    }

    /// Raw pointer to the value (for the trap entry, which saves into it).
    fn ptr(&self) -> *mut T {
        self.0.get()
    }
}

/// Longest console line kept per partition before it is flushed anyway.
const LINE_MAX: usize = 100;
const NONE: u8 = 0xFF;

static SYSTEM: Once<System> = Once::new();
/// Each partition's registers, saved by the trap entry itself.
static FRAMES: [Owned<GuestFrame>; MAX_PARTITIONS] =
    [const { Owned::new(GuestFrame::at_entry(0)) }; MAX_PARTITIONS];
/// Each partition's EL1 state while it is not running.
static EL1: [Owned<El1State>; MAX_PARTITIONS] = [const { Owned::new(El1State::ZERO) }; MAX_PARTITIONS];
/// Each partition's MPU band, copied out of the system once at boot.
static BANDS: Once<[Vec<RegionWords, MAX_PARTITION_REGIONS>; MAX_PARTITIONS]> = Once::new();
/// [`RunState`] of each partition.
static STATE: [AtomicU32; MAX_PARTITIONS] = [const { AtomicU32::new(0) }; MAX_PARTITIONS];
static EXIT_CODE: [AtomicU32; MAX_PARTITIONS] = [const { AtomicU32::new(0) }; MAX_PARTITIONS];
static RESTARTS: [AtomicU32; MAX_PARTITIONS] = [const { AtomicU32::new(0) }; MAX_PARTITIONS];
static FAULTS: [AtomicU32; MAX_PARTITIONS] = [const { AtomicU32::new(0) }; MAX_PARTITIONS];
/// Console output of each partition not yet ended by a newline.
static LINES: [Mutex<Vec<u8, LINE_MAX>>; MAX_PARTITIONS] = [const { Mutex::new(Vec::new()) }; MAX_PARTITIONS];
/// Partition running on each core (`NONE` when idle).
static CURRENT: [AtomicU8; CORES] = [const { AtomicU8::new(NONE) }; CORES];
/// The partitions of each core, in config order.
static CORE_PARTS: [Once<Vec<u8, MAX_PARTITIONS>>; CORES] = [const { Once::new() }; CORES];
/// The EL1 reset state of each core, read before any partition ran on it.
static RESET_EL1: [Once<El1State>; CORES] = [const { Once::new() }; CORES];
/// Partitions not yet stopped; the core that stops the last one ends the run.
static LIVE: AtomicU32 = AtomicU32::new(0);

/// `HCR` while a partition runs: stage-2 MPU on (VM), set/way cache ops
/// upgraded (SWIO), IRQ/FIQ/async aborts routed to EL2 (IMO/FMO/AMO),
/// WFI/WFE trapped (TWI/TWE), SMC trapped (TSC), implementation-defined
/// CP15 and ACTLR accesses trapped (TIDCP/TAC).
pub const HCR_GUEST: u32 =
    1 | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 13) | (1 << 14) | (1 << 19) | (1 << 20) | (1 << 21);

/// The system description, once [`load_system`] has succeeded.
pub fn system() -> Option<&'static System> {
    SYSTEM.get()
}

fn state(id: u8) -> RunState {
    STATE.get(id as usize).map_or(RunState::Halted, |s| {
        RunState::from_u32(s.load(Ordering::Acquire))
    })
}

fn set_state(id: u8, st: RunState) {
    if let Some(s) = STATE.get(id as usize) {
        s.store(st as u32, Ordering::Release);
    }
}

fn runnable(id: u8) -> bool {
    state(id).runnable()
}

fn band(id: u8) -> &'static [RegionWords] {
    BANDS
        .get()
        .and_then(|b| b.get(id as usize))
        .map_or(&[], |v| v.as_slice())
}

fn frame_of(id: u8) -> *mut GuestFrame {
    FRAMES[(id as usize).min(MAX_PARTITIONS - 1)].ptr()
}

fn name_of(s: &System, id: u8) -> &str {
    s.partitions.get(id as usize).map_or("?", |p| p.name.as_str())
}

fn this_core() -> usize {
    (cpu::core_id() as usize).min(CORES - 1)
}

fn core_parts() -> &'static [u8] {
    CORE_PARTS[this_core()].get().map_or(&[], |v| v.as_slice())
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
            "[hyp]   partition {} {:<12} core {} entry {:#010x} {} regions",
            id,
            p.name.as_str(),
            p.core,
            p.entry,
            p.regions.len()
        );
    }
}

/// Records the owner of every device interrupt and returns (INTID, core)
/// pairs for the distributor's routing (core 0, at boot).
pub fn device_interrupts(s: &System) -> impl Iterator<Item = (u32, u32)> + '_ {
    vgic::set_owners(s)
}

/// Shared set-up before any core runs a partition (core 0, once).
pub fn prepare_system(s: &System) {
    LIVE.store(s.partitions.len() as u32, Ordering::Release);
    BANDS.call_once(|| {
        core::array::from_fn(|i| {
            s.partitions
                .get(i)
                .map_or(Vec::new(), |p| p.regions.iter().map(|r| r.words).collect())
        })
    });
}

/// Runs the partitions of the calling core; never returns.
pub fn run_this_core(s: &'static System) -> ! {
    let core = this_core();
    RESET_EL1[core].call_once(context::reset_state);
    CORE_PARTS[core].call_once(|| {
        s.partitions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.core as usize == core)
            .map(|(i, _)| i as u8)
            .collect()
    });
    timer::allow_guest_counter();
    crate::arch::set_trap_stack(crate::boot::stack_top(core));
    if let Err(e) = gic::init_this_core(core as u32) {
        hprintln!(
            "[hyp] core {}: GIC set-up failed ({}); no timer windows on this core",
            core,
            e.0
        );
    }
    // Each band is checked once, here, against this core's static band;
    // switches then load it without checking it again.
    for &id in core_parts() {
        if let Err(e) = mpu::register_band(id as usize, band(id)) {
            stop(s, id, RunState::Halted, 0, e.message());
        }
    }
    // The first window's partition starts; if it cannot, the next one.
    let first = windows::start(s, core).filter(|&p| runnable(p));
    let mut from = None;
    loop {
        let pick = first
            .filter(|_| from.is_none())
            .or_else(|| sched::next(core_parts(), from, runnable));
        let Some(id) = pick else { idle_forever() };
        match load::prepare(s, id) {
            Ok(()) => {
                // SAFETY: `id` is pinned to this core and not running.
                context::restore(unsafe { &*EL1[id as usize].ptr() });
                CURRENT[core].store(id, Ordering::Release);
                crate::arch::set_hcr(HCR_GUEST);
                // SAFETY: `id`'s frame is static; its EL1 state, HCR and band are set.
                unsafe { vectors::enter_guest(frame_of(id)) }
            }
            Err(why) => {
                stop(s, id, RunState::Halted, 0, why);
                from = Some(id);
            }
        }
    }
}

/// Stops partition `id` for good and reports it; ends the run if it was
/// the last one.
fn stop(s: &System, id: u8, st: RunState, code: u32, why: &str) {
    if !runnable(id) {
        return;
    }
    if let Some(c) = EXIT_CODE.get(id as usize) {
        c.store(code, Ordering::Release);
    }
    set_state(id, st);
    match st {
        RunState::Shutdown => hprintln!(
            "[hyp] partition {} shut down (exit code {})",
            name_of(s, id),
            code
        ),
        _ => hprintln!("[hyp] partition {} halted: {}", name_of(s, id), why),
    }
    if LIVE.fetch_sub(1, Ordering::AcqRel) == 1 {
        summary_and_exit(s);
    }
}

/// The end-of-run summary, then exit (QEMU) or halt (board).
fn summary_and_exit(s: &System) -> ! {
    hprintln!("[hyp] all partitions stopped; summary:");
    let mut exit = 0;
    for (i, p) in s.partitions.iter().enumerate() {
        let id = i as u8;
        let code = EXIT_CODE[i].load(Ordering::Acquire);
        let what = match (state(id), code) {
            (RunState::Shutdown, 0) => "shut down (exit 0)",
            (RunState::Shutdown, _) => "shut down (error exit)",
            (RunState::Halted, _) => "halted by the health monitor",
            _ => "running",
        };
        if state(id) == RunState::Shutdown && code != 0 {
            exit = 1;
        }
        hprintln!(
            "[hyp]   {:<12} core {}  faults {:>2}  restarts {:>2}  {}",
            p.name.as_str(),
            p.core,
            FAULTS[i].load(Ordering::Acquire),
            RESTARTS[i].load(Ordering::Acquire),
            what
        );
    }
    for core in 0..CORES {
        let (started, max, mean) = windows::stats(core);
        if started > 0 {
            // Timings only mean something under `-icount` (the `bench` runs).
            if !crate::boot::bench_output() {
                hprintln!("[hyp]   core {} windows: {} started", core, started);
                continue;
            }
            if core == 0 {
                hprintln!("[hyp] BENCH window_switch {}", mean);
            }
            hprintln!(
                "[hyp]   core {} windows: {} started, deadline to partition resumed: max {} / mean {} instructions",
                core,
                started,
                max,
                mean
            );
        }
    }
    if let Some(core) = crate::boot::stack_overflowed() {
        hprintln!(
            "[hyp] ERROR: core {} overflowed its Hyp stack (canary overwritten)",
            core
        );
        exit = 1;
    }
    crate::boot::exit(exit)
}

fn idle_forever() -> ! {
    CURRENT[this_core()].store(NONE, Ordering::Release);
    let _ = mpu::load_partition_band(&[]);
    cpu::halt()
}

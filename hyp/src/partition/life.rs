//! A partition's life on its core: the start of every core's partitions
//! ([`run_this_core`]), stopping one for good ([`stop`]), the end-of-run
//! summary, and an idle core.

use core::sync::atomic::{AtomicU32, Ordering};

use heapless::Vec;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::mpu::RegionWords;
use hypcfg::packed::Text;
use hypcfg::system::{System, MAX_PARTITION_REGIONS};

use super::block::{self, CoreBlock, RunState};
use super::{env, load, vgic, windows};
use crate::arch::context;
use crate::arch::vectors;
use crate::arch::{cpu, gic, timer};
use crate::board::CORES as MAX_CORES;
use crate::text::{hex8, left, right, Arg};
use crate::{hprintln, mpu};

/// Partitions not yet stopped; the core that stops the last one ends the run.
static LIVE: AtomicU32 = AtomicU32::new(0);

/// `HCR` while a partition runs: stage-2 MPU on (VM), set/way cache ops
/// upgraded (SWIO), IRQ/FIQ/async aborts routed to EL2 (IMO/FMO/AMO),
/// WFI/WFE trapped (TWI/TWE), SMC trapped (TSC), implementation-defined
/// CP15 and ACTLR accesses trapped (TIDCP/TAC).
pub const HCR_GUEST: u32 =
    1 | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 13) | (1 << 14) | (1 << 19) | (1 << 20) | (1 << 21);

pub(super) fn name_of(s: &System, id: PartitionId) -> &str {
    s.partitions.get(id.index()).map_or("?", |p| p.name.as_str())
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
            "[hyp]   partition {} {} core {} entry {}{} {} regions",
            id,
            left(p.name.as_str(), 12),
            p.core,
            hex8(p.entry),
            if p.entry & 1 == 1 {
                hypcfg::text!(" (T32)")
            } else {
                hypcfg::text!("")
            },
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
}

/// Runs the partitions of the calling core; never returns.
pub fn run_this_core(s: &'static System) -> ! {
    // SAFETY: the boot path's one entry on this core; the reference is not
    // used after `enter_guest` leaves the hypervisor.
    let k = unsafe { block::this_core() };
    let core = CoreId(cpu::core_id() as u8);
    if let Err(e) = k.init(s, core, context::reset_state()) {
        hprintln!(
            "[hyp] core {}: partition blocks refused ({}); core idles",
            core,
            e.name()
        );
        idle_forever(k)
    }
    timer::allow_guest_counter();
    // Debug and PMU accesses trap to EL2 (and are refused) from here on,
    // before any partition of this core runs.
    crate::arch::debug::init_this_core();
    crate::arch::set_trap_stack(crate::linker::stack_top(core.index()));
    match gic::init_this_core(core.0 as u32) {
        Ok(()) => crate::run::gic_ready_on_this_core(),
        Err(e) => hprintln!(
            "[hyp] core {}: GIC set-up failed ({}); no timer windows on this core",
            core,
            e.0
        ),
    }
    // Each band is checked once, here, against this core's static band;
    // switches then load it without checking it again.
    for slot in 0..k.parts.len() {
        let Some(id) = k.block(slot).map(|b| b.id) else {
            continue;
        };
        if let Err(e) = mpu::register_band(id.index(), &band(s, id)) {
            stop(s, k, id, RunState::Halted, 0, Arg::Text(e.message()));
        }
    }
    // The first window's partition starts; if it cannot, the next one.
    let first = k
        .windows
        .start(s, core)
        .filter(|&p| block::runnable(p))
        .and_then(|p| k.slot_of(p));
    let mut from = None;
    loop {
        let pick = first.filter(|_| from.is_none()).or_else(|| k.next_runnable(from));
        let Some(slot) = pick else { idle_forever(k) };
        let CoreBlock { parts, reset_el1, .. } = &mut *k;
        let Some(b) = parts.get_mut(slot) else {
            idle_forever(k)
        };
        let id = b.id;
        match load::prepare(s, b, reset_el1) {
            Ok(()) => {
                context::restore(&b.el1);
                let frame = &raw mut b.frame;
                k.current = Some(slot);
                // The schedule starts once the first partition is loaded:
                // loading it at boot is not taken from its first window.
                k.windows.arm();
                crate::arch::set_hcr(HCR_GUEST);
                // SAFETY: the frame is in this core's static block; its EL1
                // state, HCR and band are set.
                unsafe { vectors::enter_guest(frame) }
            }
            Err(why) => {
                stop(s, k, id, RunState::Halted, 0, Arg::Text(why));
                from = Some(slot);
            }
        }
    }
}

/// Partition `id`'s MPU band, as the system gives it.
fn band(s: &System, id: PartitionId) -> Vec<RegionWords, MAX_PARTITION_REGIONS> {
    let mut words = Vec::new();
    // Pushed one by one rather than collected: `collect` would keep a
    // panic (its overflow `expect`, which a partition's regions, at most
    // MAX_PARTITION_REGIONS, never reach) and with it `core::fmt`.
    for r in s.partitions.get(id.index()).map_or(&[][..], |p| &p.regions[..]) {
        let _ = words.push(r.words);
    }
    words
}

/// Stops partition `id` of this core for good and reports it (flushing
/// its console line; `why` is the reason a halt prints, unused for a
/// shutdown), drops its interrupts (`vgic::release`); ends the run if it
/// was the last one.
pub(super) fn stop(s: &System, k: &mut CoreBlock, id: PartitionId, st: RunState, code: u32, why: Arg<'_>) {
    let Some(slot) = k.slot_of(id) else { return };
    let Some(b) = k.block(slot) else { return };
    if !b.status.runnable() {
        return;
    }
    env::flush_line(name_of(s, id), &mut b.line);
    b.status.exit_code.store(code, Ordering::Release);
    b.status.set_state(st);
    // One print for both lines (one call site): the template and its
    // second argument are picked.
    let (template, detail) = match st {
        RunState::Shutdown => (
            hypcfg::text!("[hyp] partition {} shut down (exit code {})"),
            Arg::Dec(code),
        ),
        _ => (hypcfg::text!("[hyp] partition {} halted: {}"), why),
    };
    crate::console::print(template, &[Arg::Str(name_of(s, id)), detail]);
    // Its interrupts go with it, before the core runs anything else.
    vgic::release(s, k, slot);
    if LIVE.fetch_sub(1, Ordering::AcqRel) == 1 {
        summary_and_exit(s);
    }
}

/// The end-of-run summary, then the end of the run ([`crate::run::exit`]).
/// The exit code is 0 when every partition that shut down did so with
/// code 0 and at least one did; 1 when one shut down with an error, or
/// none shut down (every partition was halted by the health monitor), or
/// a Hyp stack overflowed.
fn summary_and_exit(s: &System) -> ! {
    hprintln!("[hyp] all partitions stopped; summary:");
    let mut exit = 0;
    let mut clean: u32 = 0;
    for (i, p) in s.partitions.iter().enumerate() {
        let Some(st) = PartitionId::from_index(i).and_then(block::status) else {
            continue;
        };
        let code = st.exit_code.load(Ordering::Acquire);
        let what = match (st.state(), code) {
            (RunState::Shutdown, 0) => hypcfg::text!("shut down (exit 0)"),
            (RunState::Shutdown, _) => hypcfg::text!("shut down (error exit)"),
            (RunState::Halted, _) => hypcfg::text!("halted by the health monitor"),
            _ => hypcfg::text!("running"),
        };
        match (st.state(), code) {
            (RunState::Shutdown, 0) => clean = clean.saturating_add(1),
            (RunState::Shutdown, _) => exit = 1,
            _ => {}
        }
        hprintln!(
            "[hyp]   {} core {}  faults {}  restarts {}  {}",
            left(p.name.as_str(), 12),
            p.core,
            right(st.faults.load(Ordering::Acquire), 2),
            right(st.restarts.load(Ordering::Acquire), 2),
            what
        );
    }
    // A core's window line; outside the `bench` runs only its start, the
    // count (timings only mean something under `-icount`).
    const WINDOWS: Text = hypcfg::text!(
        "[hyp]   core {} windows: {} started, deadline to partition resumed: \
         max {} / mean {} instructions"
    );
    const COUNT_ONLY: Text = hypcfg::text!("[hyp]   core {} windows: {} started");
    for core in 0..MAX_CORES {
        let (started, max, mean) = windows::stats(core);
        if started > 0 {
            let bench = crate::run::bench_output();
            if bench && core == 0 {
                hprintln!(
                    "[hyp] BENCH window_switch {}\n[hyp] BENCH window_start_delay_max {}",
                    mean,
                    max
                );
            }
            crate::console::print(
                if bench { WINDOWS } else { COUNT_ONLY },
                &[
                    Arg::from(&core),
                    Arg::from(&started),
                    Arg::from(&max),
                    Arg::from(&mean),
                ],
            );
        }
    }
    if clean == 0 && exit == 0 {
        hprintln!("[hyp] no partition shut down: every one was halted");
        exit = 1;
    }
    if let Some(core) = crate::linker::stack_overflowed() {
        hprintln!(
            "[hyp] ERROR: core {} overflowed its Hyp stack (canary overwritten)",
            core
        );
        exit = 1;
    }
    crate::run::exit(exit)
}

/// Nothing left to run on this core: it parks for good (so a core
/// ending the run does not wait for it).
pub(super) fn idle_forever(k: &mut CoreBlock) -> ! {
    k.current = None;
    let _ = mpu::load_partition_band(&[]);
    crate::run::park()
}

//! How a run ends, and what the runner asked of it: the exit path every
//! other module uses (so none of them needs `boot`), and the boot flags
//! (`forever`, `bench`, see [`hypcfg::boot_flags`]).
//!
//! A run ends on every build the same way, with no semihosting: the core
//! that ends it asks every other core to stop (SGI [`gic::INTID_KICK`]
//! with [`stop_requested`] set; a core waiting for the system wakes on
//! `SEV`), waits a bounded time for them to park, prints the one status
//! line `[hyp] run over: exit code N` and parks itself. The runner turns
//! that line into its exit status and ends QEMU; on a board the cores
//! stay parked. No partition can print that line: each of its lines
//! starts with its own `[name] ` (`guest_console`), and no partition may
//! be named `hyp` (the config tool refuses it).

use core::sync::atomic::{AtomicU32, Ordering};

use hypcfg::boot_flags;

use crate::arch::{cpu, gic, timer};
use crate::board::CORES;

/// The boot flags core 0 read at boot ([`read_boot_flags`]).
static FLAGS: AtomicU32 = AtomicU32::new(0);
/// Set by the first core that ends the run; the others park.
static ENDING: AtomicU32 = AtomicU32::new(0);
/// Bit per core: parked for good (runs nothing any more).
static PARKED: AtomicU32 = AtomicU32::new(0);
/// Bit per core: its GIC CPU interface is set up, so it can send and
/// take the stop SGI.
static GIC_READY: AtomicU32 = AtomicU32::new(0);

/// The status line's fixed beginning; the exit code follows in decimal.
/// The runner (`tools/runner/src/qemu.rs`) matches the whole line.
pub const STATUS_LINE: &str = "[hyp] run over: exit code ";

/// How long the core that ends the run waits for the others to park, in
/// counter ticks per second of [`timer::frequency`] (10 ms).
const STOP_WAIT_DIVISOR: u32 = 100;
/// Upper bound on that wait in polls, in case the counter does not run.
const STOP_WAIT_POLLS: u32 = 1_000_000;

/// Reads the boot flags the runner left at `__boot_flags` (core 0, once,
/// before anything depends on them) and clears them, so a reset that
/// does not write them again (a board's warm reset) starts with none.
pub fn read_boot_flags() {
    let area = crate::linker::boot_flags_area();
    // SAFETY: `area` is the 8-byte, word-aligned `.boot_flags` section of
    // the hypervisor's data region, mapped read/write for EL2 by the
    // static band; only core 0 touches it, here, before the other cores
    // are told the system is ready.
    let magic = unsafe { area.read_volatile() };
    let second = area.wrapping_add(1);
    // SAFETY: as above (the second word of the section).
    let flags = unsafe { second.read_volatile() };
    // SAFETY: as above.
    unsafe { area.write_volatile(0) };
    FLAGS.store(boot_flags::decode(magic, flags), Ordering::Release);
}

fn flag(bit: u32) -> bool {
    FLAGS.load(Ordering::Acquire) & bit != 0
}

/// Whether the run was started with `bench`: print the hypervisor's own
/// benchmark figures (`BENCH ...` lines) at the end of the run.
pub fn bench_output() -> bool {
    flag(boot_flags::BENCH)
}

/// Records that the calling core's GIC CPU interface is set up (it can
/// now be stopped by SGI, and send one).
pub fn gic_ready_on_this_core() {
    GIC_READY.fetch_or(1 << cpu::core_id(), Ordering::AcqRel);
}

/// Whether some core is ending the run: every other core parks at its
/// next chance (the stop SGI, or its wait for the system).
pub fn stop_requested() -> bool {
    ENDING.load(Ordering::Acquire) != 0
}

/// Stops the calling core for good: it runs nothing any more, and the
/// core ending the run sees it parked.
pub fn park() -> ! {
    PARKED.fetch_or(1 << cpu::core_id(), Ordering::AcqRel);
    cpu::halt()
}

/// Ends the run with `code`: stops every other core, prints the status
/// line (with `forever`: a line saying the system stays up, which the
/// runner does not end QEMU on) and parks. A second core that ends the
/// run at the same time only parks, so there is one status line.
pub fn exit(code: u32) -> ! {
    if ENDING.swap(1, Ordering::AcqRel) != 0 {
        park()
    }
    stop_other_cores();
    if flag(boot_flags::FOREVER) {
        crate::hprintln!(
            emergency;
            "[hyp] run over (exit code {}); staying up as asked (FOREVER=1)",
            code
        );
    } else {
        crate::hprintln!(emergency; "{}{}", STATUS_LINE, code);
    }
    park()
}

/// Asks every other online core to park and waits, bounded, until they
/// have: a core that runs a partition gets the stop SGI, a core waiting
/// for the system the `SEV`. A core that cannot be reached (its GIC
/// could not be set up) is not waited for beyond the bound.
fn stop_other_cores() {
    let me = 1u32 << cpu::core_id();
    aarch32_cpu::asm::dsb();
    aarch32_cpu::asm::sev();
    let ready = GIC_READY.load(Ordering::Acquire);
    if ready & me != 0 {
        for core in (0..CORES as u32).filter(|c| ready & (1 << c) != 0 && (1 << c) != me) {
            gic::kick(core);
        }
    }
    let online = crate::cores::online().min(CORES as u32);
    let all = if online >= 32 {
        u32::MAX
    } else {
        (1u32 << online).wrapping_sub(1) // online < 32
    };
    let limit = u64::from(timer::frequency() / STOP_WAIT_DIVISOR);
    let start = timer::counter();
    for _ in 0..STOP_WAIT_POLLS {
        if (PARKED.load(Ordering::Acquire) | me) & all == all || timer::counter().wrapping_sub(start) > limit
        {
            break;
        }
        core::hint::spin_loop();
    }
}

/// Stops after a fatal error (already reported).
pub fn fatal_stop(code: u32) -> ! {
    exit(code)
}

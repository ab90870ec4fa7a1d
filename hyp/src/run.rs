//! How a run ends, and what its command line asked for: the exit path
//! every other module uses (so none of them needs `boot`), the `forever`
//! and `bench` flags.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::{cpu, semihosting};
use crate::hprintln;

/// Set by `forever` on the command line: stay up when the run is over.
static FOREVER: AtomicU32 = AtomicU32::new(0);
/// Set by `bench` on the command line: print the hypervisor's own
/// benchmark figures (`BENCH ...` lines) at the end of the run.
static BENCH_OUTPUT: AtomicU32 = AtomicU32::new(0);

/// The run was started with `forever`: [`exit`] keeps the system up.
pub fn stay_up_at_the_end() {
    FOREVER.store(1, Ordering::Release);
}

/// The run was started with `bench`: see [`bench_output`].
pub fn print_bench_figures() {
    BENCH_OUTPUT.store(1, Ordering::Release);
}

/// Whether the run was started with `bench` (see [`BENCH_OUTPUT`]).
pub fn bench_output() -> bool {
    BENCH_OUTPUT.load(Ordering::Acquire) != 0
}

/// Ends the run: on QEMU builds through semihosting with `code` (unless
/// `forever` was asked for), on a board by halting the core.
pub fn exit(code: u32) -> ! {
    if FOREVER.load(Ordering::Acquire) != 0 {
        hprintln!(
            "[hyp] run over (exit code {}); staying up as asked (FOREVER=1)",
            code
        );
        cpu::halt()
    }
    if cfg!(feature = "qemu-exit") {
        semihosting::exit(code)
    }
    cpu::halt()
}

/// Stops after a fatal error (already reported).
pub fn fatal_stop(code: u32) -> ! {
    exit(code)
}

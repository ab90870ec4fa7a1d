//! Pieces the benchmark partitions share: per-sample statistics (mean and
//! worst case), the padding that sweeps a sample's phase against the
//! 16-instruction counter tick, and the constants of the scaling curves.
//! Nothing here uses the `guest` crate (the native baseline links this
//! library without it).
//!
//! A single operation is timed by reading the counter before and after it.
//! One tick is 16 instructions, so a sample of `n` instructions reads as
//! `16 * floor(n / 16)` or `16 * ceil(n / 16)` depending on where in a tick
//! it started. [`pad`] puts 0..15 `nop`s before each sample (outside the
//! timed part) so the start moves through every phase: the largest sample
//! is then the worst case rounded *up* to the tick, and the mean over whole
//! sweeps of the padding is exact.
#![cfg(target_arch = "arm")]

use crate::workload::{ticks, INSTR_PER_TICK};

/// Samples of one operation, in instructions.
#[derive(Clone, Copy, Debug, Default)]
pub struct Samples {
    /// Sum of all samples (instructions).
    pub sum: u64,
    /// Largest sample (instructions).
    pub max: u64,
    /// Number of samples.
    pub runs: u32,
}

impl Samples {
    /// No samples yet.
    pub const NEW: Samples = Samples {
        sum: 0,
        max: 0,
        runs: 0,
    };

    /// Adds one sample of `instr` instructions (every sample counts: the
    /// first, cold one included).
    #[inline(always)]
    pub fn record(&mut self, instr: u64) {
        self.sum += instr;
        self.max = self.max.max(instr);
        self.runs += 1;
    }

    /// Adds one sample of `ticks` counter ticks.
    #[inline(always)]
    pub fn record_ticks(&mut self, ticks: u64) {
        self.record(ticks * INSTR_PER_TICK);
    }

    /// Mean sample in instructions, rounded.
    pub fn mean(&self) -> u64 {
        let runs = u64::from(self.runs.max(1));
        (self.sum + runs / 2) / runs
    }

    /// The worst case of the operation alone: the largest sample minus the
    /// exact mean cost `overhead` of the timing itself (an empty sample of
    /// the same shape), in instructions. For bracketed samples, an upper
    /// bound of the operation's worst case, at most 15 instructions above
    /// it.
    pub fn worst_minus(&self, overhead: u64) -> u64 {
        self.max.saturating_sub(overhead)
    }
}

/// `k % 16` `nop`s: moves the next sample's start through the 16 phases
/// of a counter tick. A computed jump into a sled of 15 `nop`s (A32: `pc`
/// reads as the `add` plus 8, so the jump lands `15 - k % 16` slots into
/// the sled), small enough to leave an image's size, and with it the
/// image copy of `boot_to_first_partition`, almost unchanged. Runs
/// outside the timed part of a sample.
#[inline(never)]
pub fn pad(k: u32) {
    // SAFETY: register arithmetic and a jump within this block (to one of
    // its own `nop`s); no memory is touched.
    unsafe {
        core::arch::asm!(
            "and {k}, {k}, #15",
            "rsb {k}, {k}, #15",
            "add pc, pc, {k}, lsl #2",
            "nop",
            ".rept 15",
            "nop",
            ".endr",
            k = inout(reg) k => _,
            options(nomem, nostack),
        )
    };
}

/// The mean cost, in instructions, of timing nothing with the shape every
/// sample here has (`t0 = ticks(); t1 = ticks(); record(t1 - t0)` with the
/// padding before it), over `runs` samples (a multiple of 16 keeps it
/// exact).
#[inline(never)]
pub fn timing_overhead(runs: u32) -> u64 {
    let mut s = Samples::NEW;
    for k in 0..runs {
        pad(k);
        let t0 = ticks();
        let t1 = ticks();
        s.record_ticks(t1 - t0);
    }
    s.mean()
}

/// Prints `BENCH <name>_max <worst>` and `BENCH <name>_runs <runs>`. A
/// macro, expanded in the partition: this library stays free of the
/// `guest` crate, so the native baseline can use it.
#[macro_export]
macro_rules! print_worst {
    ($name:expr, $worst:expr, $runs:expr) => {{
        guest::println!("BENCH {}_max {}", $name, $worst);
        guest::println!("BENCH {}_runs {}", $name, $runs);
    }};
}

/// Yield turns of the partition-switch curve (each turn is one switch per
/// partition of the core).
pub const SWITCH_CURVE_ROUNDS: u32 = 1_000;

/// Milliseconds the short-window spinners spin (`bench_windows.toml`):
/// with 10 µs windows, over 10,000 window starts.
pub const SPIN_WINDOWS_MS: u64 = 110;

/// Restarts the restart-curve partition times itself.
pub const RESTART_CURVE_RUNS: u32 = 8;

/// The shared block the switch and restart benchmarks keep their
/// timestamps in (mapped by both partitions of `bench.toml`, and by the
/// restart partition alone: memory a restart does not clear).
pub const STAMPS: usize = 0x2030_0000;

/// Writes word `slot` of the [`STAMPS`] block.
pub fn stamp_store(slot: usize, v: u32) {
    // SAFETY: the block is mapped read-write into every partition that
    // calls this (its system file says so) and holds only plain words.
    unsafe { core::ptr::write_volatile((STAMPS as *mut u32).wrapping_add(slot), v) };
}

/// Reads word `slot` of the [`STAMPS`] block.
pub fn stamp_load(slot: usize) -> u32 {
    // SAFETY: as for `stamp_store`.
    unsafe { core::ptr::read_volatile((STAMPS as *const u32).wrapping_add(slot)) }
}

/// Lower 32 bits of the counter: the stamps a partition leaves for the
/// next one (deltas of far less than 2^32 ticks).
#[inline(always)]
pub fn ticks32() -> u32 {
    ticks() as u32
}

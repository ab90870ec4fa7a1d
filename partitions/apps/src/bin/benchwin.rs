//! `compute_hyp_windows` (`bench_compute_windows.toml`): the compute
//! workload of `compute_hyp` in a partition that shares core 0 with
//! `spinner` in 1 ms windows (2 ms major frame). Finds the window grid
//! first (the gap where `spinner` had the core), then times the work and
//! counts only the time that fell inside its own windows: the other
//! partition's windows are excluded, the window switches into this
//! partition are not.
#![no_std]
#![no_main]

use apps::workload::{compute, ticks, COMPUTE_ITERATIONS, INSTR_PER_TICK};
use guest::irq::vtimer;
use guest::println;

guest::entry!(main);

/// Instructions of `[t0, t1)` that fall inside this partition's windows
/// `[start + k * frame, start + k * frame + window)` (all in ticks,
/// `start <= t0`).
fn own_time(t0: u64, t1: u64, start: u64, window: u64, frame: u64) -> u64 {
    let mut own = 0;
    let mut w = start;
    while w < t1 {
        let (a, b) = (w.max(t0), (w + window).min(t1));
        own += b.saturating_sub(a);
        w += frame;
    }
    own * INSTR_PER_TICK
}

fn main() -> u32 {
    let window = vtimer::frequency() as u64 / 1000; // 1 ms
    let frame = 2 * window;
    // Spin until the core comes back after the other partition's window:
    // the last reading before the gap is in the last tick of this
    // partition's previous window (the loop is far shorter than a tick,
    // and the window timer fires on its tick), so that window ended at
    // `last + 1` and the current one started one window later.
    let mut last = ticks();
    let start = loop {
        let now = ticks();
        if now - last > window / 4 {
            break last + 1 + window;
        }
        last = now;
    };
    let t0 = ticks();
    let sum = compute(COMPUTE_ITERATIONS);
    let t1 = ticks();
    println!(
        "BENCH compute_hyp_windows {} (checksum {:#010x})",
        own_time(t0, t1, start, window, frame),
        sum
    );
    println!("BENCH compute_hyp_windows_elapsed {}", (t1 - t0) * INSTR_PER_TICK);
    0
}

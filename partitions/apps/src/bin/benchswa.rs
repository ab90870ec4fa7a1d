//! Partition-switch worst case (`bench_switch.toml`), first half: shares
//! core 0 with `benchswb`; each switch is timed alone, from the counter
//! the partition giving up the core stamps into the shared block
//! (`apps::benchkit::STAMPS`) to the counter the resuming one reads. This
//! side times the switches `benchswb` -> `benchswa`.
#![no_std]
#![no_main]

use apps::benchkit::{pad, stamp_load, stamp_store, ticks32, timing_overhead, Samples};
use apps::{BENCH_SAMPLES, BENCH_SWITCH_SAMPLES};
use guest::hvc;

guest::entry!(main);

fn main() -> u32 {
    let overhead = timing_overhead(BENCH_SAMPLES);
    // The first yield starts `benchswb`, which times it from this stamp
    // (`partition_switch_cold`).
    stamp_store(0, ticks32());
    hvc::yield_now();
    let mut back = Samples::NEW;
    for k in 0..BENCH_SWITCH_SAMPLES {
        let t = ticks32();
        back.record_ticks(u64::from(t.wrapping_sub(stamp_load(0))));
        pad(k);
        stamp_store(0, ticks32());
        hvc::yield_now();
    }
    apps::print_worst!("switch_to_a", back.worst_minus(overhead), back.runs);
    0
}

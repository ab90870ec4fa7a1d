//! Partition-switch worst case (`bench_switch.toml`), second half: times
//! its own cold start (`partition_switch_cold`: the first switch into it,
//! image load and entry code included) and then the switches
//! `benchswa` -> `benchswb` (see `benchswa`).
#![no_std]
#![no_main]

use apps::benchkit::{pad, stamp_load, stamp_store, ticks32, timing_overhead, Samples};
use apps::workload::INSTR_PER_TICK;
use apps::{BENCH_SAMPLES, BENCH_SWITCH_SAMPLES};
use guest::{hvc, println};

guest::entry!(main);

fn main() -> u32 {
    let cold = ticks32().wrapping_sub(stamp_load(0));
    let overhead = timing_overhead(BENCH_SAMPLES);
    let mut to_b = Samples::NEW;
    for k in 0..BENCH_SWITCH_SAMPLES {
        pad(k);
        stamp_store(0, ticks32());
        hvc::yield_now();
        let t = ticks32();
        to_b.record_ticks(u64::from(t.wrapping_sub(stamp_load(0))));
    }
    println!(
        "BENCH partition_switch_cold {}",
        (u64::from(cold) * INSTR_PER_TICK).saturating_sub(overhead)
    );
    apps::print_worst!("switch_to_b", to_b.worst_minus(overhead), to_b.runs);
    0
}

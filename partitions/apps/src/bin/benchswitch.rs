//! Partition-switch and boot curves: the first partition of a core that
//! holds 1 to 8 partitions (`target/bench/switch_<n>.toml`, written by
//! `hvrun bench`), the others `benchyield<k>`. Prints its boot time and
//! the instructions one turn of yields takes: one yield here, then one by
//! every other partition of the core before the core comes back (`n`
//! switches; with `n = 1`, a yield that finds no one else).
#![no_std]
#![no_main]

use apps::benchkit::SWITCH_CURVE_ROUNDS;
use apps::workload::{per_op, ticks, INSTR_PER_TICK};
use guest::{hvc, println};

guest::entry!(main);

fn main() -> u32 {
    let boot = ticks();
    // The first turn starts every other partition (image loads): not
    // part of the figure.
    hvc::yield_now();
    let t0 = ticks();
    for _ in 0..SWITCH_CURVE_ROUNDS {
        hvc::yield_now();
    }
    let t1 = ticks();
    println!("BENCH boot_to_first_partition {}", boot * INSTR_PER_TICK);
    println!(
        "BENCH switch_turn {}",
        per_op(t1 - t0, u64::from(SWITCH_CURVE_ROUNDS))
    );
    0
}

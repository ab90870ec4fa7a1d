//! Benchmark peer: gives the core straight back to `bench`, once for its
//! start-up yield and once per measured round, then stops.
#![no_std]
#![no_main]

use guest::hvc;

guest::entry!(main);

fn main() -> u32 {
    for _ in 0..apps::BENCH_SWITCH_ROUNDS + 1 {
        hvc::yield_now();
    }
    0
}

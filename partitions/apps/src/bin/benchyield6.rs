//! Partition-switch curve: the partition that fills slot 6 of core 0
//! after `benchswitch` (each slot needs its own binary, linked at its own
//! addresses). Yields once per turn of `benchswitch`, then ends.
#![no_std]
#![no_main]

guest::entry!(main);

fn main() -> u32 {
    for _ in 0..apps::benchkit::SWITCH_CURVE_ROUNDS + 1 {
        guest::hvc::yield_now();
    }
    0
}

//! Test: context-switch check, second copy (see `apps::ctx`); shares its
//! core with `ctx_a`, with a pattern of its own.
#![no_std]
#![no_main]

use apps::ctx::{check, fill, ROUNDS};
use guest::{hvc, println};

guest::entry!(main);

fn main() -> u32 {
    let id = hvc::id().0;
    let mut bad = 0;
    for round in 0..ROUNDS {
        let seed = (id + 1) * 0x1000 + round;
        fill(seed);
        hvc::yield_now();
        bad += check(seed);
    }
    if bad == 0 {
        println!("context intact over {} switches", ROUNDS);
        0
    } else {
        println!("context CORRUPTED: {} mismatches", bad);
        1
    }
}

//! Test: context-switch check, first copy (see `apps::ctx`); shares its
//! core with `ctx_b` and yields to it after filling its EL1 state.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);

fn main() -> u32 {
    let bad = apps::ctx::run(hvc::id().0, hvc::yield_now);
    if bad == 0 {
        println!("context intact over {} switches", apps::ctx::ROUNDS);
        0
    } else {
        println!("context CORRUPTED: {} mismatches", bad);
        1
    }
}

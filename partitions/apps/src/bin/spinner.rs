//! Test: a partition that never yields and masks its interrupts, spinning
//! for 30 ms of counter time; the window schedule must still take the core
//! away from it at every boundary.
#![no_std]
#![no_main]

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

fn main() -> u32 {
    println!("spinning with interrupts masked");
    irq::disable();
    let end = vtimer::now() + vtimer::frequency() as u64 * 30 / 1000;
    while vtimer::now() < end {}
    println!("done spinning");
    0
}

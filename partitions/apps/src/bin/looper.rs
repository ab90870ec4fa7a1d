//! Test: a hostile partition (policy `log`) that floods the health
//! monitor. First it alternates two different faults 200 times (never the
//! same fault twice in a row, so only the FAULT-line rate limit holds it),
//! then it faults at one PC forever, as a partition stuck on a refused
//! access would: the health monitor must escalate that to a halt.
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

/// `sensor`'s data (tools/runner/tests/systems/flood.toml), on the same core.
const SENSOR_DATA: u32 = 0x2021_0000;
/// Alternating faults before the endless one.
const ALTERNATING: u32 = 200;

#[inline(never)]
fn read(addr: u32) -> u32 {
    // SAFETY: deliberately outside this partition: a stage-2 data abort
    // the hypervisor reports and, under `log`, skips.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn main() -> u32 {
    println!("flooding: {} alternating faults", ALTERNATING);
    for i in 0..ALTERNATING {
        read(SENSOR_DATA + 4 * (i % 2));
    }
    println!("flooding: one fault at one PC, forever");
    loop {
        read(SENSOR_DATA);
    }
}

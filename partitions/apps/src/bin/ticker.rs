//! Test: shares core 0 with `spinner` under a 1 ms + 1 ms window schedule.
//! Watches the counter for the gaps where the other partition had the
//! core, and reports each window it gets; it must get one every major
//! frame although `spinner` never gives the core up.
#![no_std]
#![no_main]

use guest::irq::vtimer;
use guest::println;

guest::entry!(main);

const WINDOWS: u32 = 8;

fn main() -> u32 {
    let frame = vtimer::frequency() as u64 * 2 / 1000; // 2 ms major frame
    let mut last = vtimer::now();
    let mut seen = 0;
    let mut first_start = 0;
    while seen < WINDOWS {
        let now = vtimer::now();
        if now - last > frame / 4 {
            seen += 1;
            if seen == 1 {
                first_start = now;
            }
            println!("window {}: +{} ticks", seen, now - first_start);
        }
        last = now;
    }
    let span = last - first_start;
    println!(
        "{} windows in {} ticks (one per {} ticks)",
        WINDOWS,
        span,
        span / (WINDOWS as u64 - 1)
    );
    0
}

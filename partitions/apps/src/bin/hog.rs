//! Test: spins through its whole window without yielding, with an IRQ
//! handler that would report any interrupt reaching it (none must).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

static SEEN: AtomicU32 = AtomicU32::new(0);

fn on_irq(intid: u32) {
    SEEN.store(intid, Ordering::Release);
}

fn main() -> u32 {
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    irq::enable();
    let end = vtimer::now() + vtimer::frequency() as u64 * 3 / 1000;
    while vtimer::now() < end {}
    match SEEN.load(Ordering::Acquire) {
        0 => {
            println!("no interrupt reached me");
            0
        }
        intid => {
            println!("interrupt {} reached me: WRONG", intid);
            1
        }
    }
}

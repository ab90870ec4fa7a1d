//! Test: a periodic task on the partition's own virtual timer. Arms the
//! timer every millisecond, sleeps in WFI, and counts the interrupts;
//! reports the mean period and the worst lateness, in counter ticks.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

const PERIODS: u32 = 20;
static TICKS: AtomicU32 = AtomicU32::new(0);
static LATE_MAX: AtomicU32 = AtomicU32::new(0);
static mut DEADLINE: u64 = 0;
static mut PERIOD: u64 = 0;

fn on_irq(intid: u32) {
    if intid != irq::VTIMER {
        return;
    }
    let now = vtimer::now();
    // SAFETY: only this handler and main (before enabling IRQs) touch these.
    let deadline = unsafe { DEADLINE };
    // SAFETY: as above.
    let period = unsafe { PERIOD };
    let late = now.saturating_sub(deadline) as u32;
    LATE_MAX.fetch_max(late, Ordering::Relaxed);
    TICKS.fetch_add(1, Ordering::Release);
    // SAFETY: as above.
    unsafe { DEADLINE = deadline + period };
    vtimer::set_deadline(deadline + period);
}

fn main() -> u32 {
    let period = vtimer::frequency() as u64 / 1000;
    let start = vtimer::now();
    // SAFETY: IRQs are still masked; nothing else runs.
    unsafe { PERIOD = period };
    // SAFETY: as above.
    unsafe { DEADLINE = start + period };
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    vtimer::set_deadline(start + period);
    irq::enable();
    while TICKS.load(Ordering::Acquire) < PERIODS {
        irq::wait();
    }
    irq::disable();
    vtimer::stop();
    let elapsed = vtimer::now() - start;
    println!(
        "{} timer interrupts, mean period {} ticks (programmed {}), worst lateness {} ticks",
        PERIODS,
        elapsed / PERIODS as u64,
        period,
        LATE_MAX.load(Ordering::Relaxed)
    );
    0
}

//! Test (hostile): leaves its interrupts asserted and dies. It starts its
//! dual timer periodic with the interrupt enabled (a level interrupt that
//! stays asserted until the timer is told otherwise), sets its virtual
//! timer to a deadline in the past (asserted too), enables its CPU
//! interface but never takes them, then faults. Its fault policy
//! restarts it once (the fresh image does the same) and then halts it:
//! the other partition of its core must keep running and finish.
#![no_std]
#![no_main]

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

/// Dual timer 1 (the system passes the dual timer through).
const TIMER1: u32 = 0xE010_1000;
const LOAD: u32 = 0x0;
const CONTROL: u32 = 0x8;
/// Enable | periodic | interrupt enable | 32-bit.
const PERIODIC_IRQ: u32 = (1 << 7) | (1 << 6) | (1 << 5) | (1 << 1);
/// Not mapped for this partition: the access faults.
const FORBIDDEN: u32 = 0x2011_0000;

fn main() -> u32 {
    // SAFETY: the dual timer is this partition's device.
    unsafe { ((TIMER1 + LOAD) as *mut u32).write_volatile(100) };
    // SAFETY: as above.
    unsafe { ((TIMER1 + CONTROL) as *mut u32).write_volatile(PERIODIC_IRQ) };
    vtimer::set_deadline(0);
    irq::enable_cpu_interface();
    let end = vtimer::now() + vtimer::frequency() as u64 / 5000;
    while vtimer::now() < end {}
    println!("leaving my interrupts asserted and faulting");
    // SAFETY: deliberately outside this partition's memory: a stage-2 fault.
    unsafe { (FORBIDDEN as *mut u32).write_volatile(1) };
    println!("still running after the fault: WRONG");
    1
}

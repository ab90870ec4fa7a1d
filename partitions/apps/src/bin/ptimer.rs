//! Test: the EL1 physical timer (`CNTP_*`, PPI 30) behaves for a partition
//! as on the board: three 1 ms one-shots, each delivered as an interrupt.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

const PTIMER: u32 = 30;
static TICKS: AtomicU32 = AtomicU32::new(0);

fn arm(deadline: u64) {
    // SAFETY: this partition's own EL1 physical timer.
    unsafe {
        core::arch::asm!("mcrr p15, 2, {}, {}, c14", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32)
    };
    // SAFETY: as above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c2, 1", "isb", in(reg) 1u32) };
}

fn on_irq(intid: u32) {
    if intid == PTIMER {
        TICKS.fetch_add(1, Ordering::AcqRel);
        arm(vtimer::now() + vtimer::frequency() as u64 / 1000);
    }
}

fn main() -> u32 {
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    arm(vtimer::now() + vtimer::frequency() as u64 / 1000);
    irq::enable();
    while TICKS.load(Ordering::Acquire) < 3 {
        irq::wait();
    }
    irq::disable();
    // SAFETY: stops this partition's own EL1 physical timer.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c2, 1", "isb", in(reg) 0u32) };
    println!("{} physical timer interrupts", TICKS.load(Ordering::Acquire));
    0
}

//! Test (hostile): keeps all four list registers of its core busy with
//! its own pending SGIs (sent to itself with IRQs masked, never taken),
//! then lets its virtual timer fire, so its timer interrupt has to wait
//! in the hypervisor's queue, and spins with IRQs masked for 30 ms of
//! windows. The timer PPIs are shared by the core's partitions: its
//! waiting timer interrupt must not keep `periodic`'s from firing in
//! `periodic`'s windows.
#![no_std]
#![no_main]

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

const ISENABLER0: u32 = 0xF010_0000 + 0x1_0000 + 0x100;

fn main() -> u32 {
    // SAFETY: a GIC register: trapped and emulated.
    unsafe { (ISENABLER0 as *mut u32).write_volatile(0b1_1110) };
    irq::enable_cpu_interface();
    let mpidr: u32;
    // SAFETY: reading MPIDR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c0, c0, 5", out(reg) mpidr) };
    for sgi in 1..=4u32 {
        let lo = (1 << (mpidr & 0xF)) | (sgi << 24);
        // SAFETY: ICC_SGI1R: trapped and emulated.
        unsafe { core::arch::asm!("mcrr p15, 0, {}, {}, c12", in(reg) lo, in(reg) 0u32) };
    }
    let ms = vtimer::frequency() as u64 / 1000;
    vtimer::set_deadline(vtimer::now() + ms / 10);
    let end = vtimer::now() + 30 * ms;
    while vtimer::now() < end {}
    vtimer::stop();
    println!("held its list registers and its timer interrupt for 30 ms");
    0
}

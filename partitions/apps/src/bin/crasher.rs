//! Test (hostile): writes into the hypervisor's data at once; with the
//! `halt` policy the health monitor stops it for good.
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

fn main() -> u32 {
    println!("crasher up, writing the hypervisor's data");
    // SAFETY: not safe at all: the point is that the EL2 MPU stops it.
    unsafe { core::ptr::write_volatile(0x1000_8000 as *mut u32, 0xBAD) };
    println!("crasher still alive: isolation is broken");
    0
}

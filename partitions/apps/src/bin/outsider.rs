//! Test: a partition that does not map the shared block tries to read it.
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

const SHARED: u32 = 0x2030_0000;

fn main() -> u32 {
    println!("reading the shared block I do not map");
    // SAFETY: deliberately outside this partition: the hypervisor stops it.
    let v = unsafe { core::ptr::read_volatile(SHARED as *const u32) };
    println!("read {:#x}: isolation is broken", v);
    1
}

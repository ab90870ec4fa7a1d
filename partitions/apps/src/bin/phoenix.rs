//! Test: corrupts its own state and faults in its first life; after a
//! restart from the pristine image, checks that `.data` has its initial
//! value and `.bss` is zero again.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);

static mut INITIALISED: u32 = 42;
static mut ZEROED: u32 = 0;

fn main() -> u32 {
    let life = hvc::info().map(|i| i.restarts).unwrap_or(u32::MAX);
    // SAFETY: single-threaded partition; plain reads and writes of statics.
    let (init, zero) = unsafe { (INITIALISED, ZEROED) };
    println!("life {}: data = {}, bss = {}", life + 1, init, zero);
    if life == 0 {
        // SAFETY: as above.
        unsafe {
            INITIALISED = 7;
            ZEROED = 9;
        }
        println!("corrupting my own state, then faulting");
        // SAFETY: deliberately faults (hypervisor text).
        unsafe { core::ptr::read_volatile(0x1000_0000 as *const u32) };
        println!("fault did not stop me");
        return 1;
    }
    if init == 42 && zero == 0 {
        println!("pristine state restored");
        0
    } else {
        println!("state NOT restored");
        1
    }
}

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
    let init = unsafe { INITIALISED };
    // SAFETY: as above.
    let zero = unsafe { ZEROED };
    println!("life {}: data = {}, bss = {}", life + 1, init, zero);
    if !guest::rt::entry_registers_were_zero() {
        println!("registers NOT zero at entry");
        return 1;
    }
    println!("registers zero at entry");
    if life == 0 {
        // SAFETY: as above.
        unsafe { INITIALISED = 7 };
        // SAFETY: as above.
        unsafe { ZEROED = 9 };
        println!("corrupting my own state, then faulting");
        // Every register dirty when the fault hits, so a restart that kept
        // any of them (instead of the entry frame) shows in life 2.
        // SAFETY: deliberately faults (a load from hypervisor text); the
        // clobbered registers are declared.
        unsafe {
            core::arch::asm!(
                "mov r0, #0x10000000",
                "mvn r1, #0", "mvn r2, #0", "mvn r3, #0", "mvn r4, #0",
                "mvn r5, #0", "mvn r8, #0",
                "mvn r9, #0", "mvn r10, #0", "mvn r12, #0", "mvn lr, #0",
                "ldr r1, [r0]",
                out("r0") _, out("r1") _, out("r2") _, out("r3") _, out("r4") _,
                out("r5") _, out("r8") _, out("r9") _, out("r10") _, out("r12") _, out("lr") _,
            )
        };
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

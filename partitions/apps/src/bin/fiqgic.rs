//! Test (hostile): programs the GIC from FIQ mode, where r8-r12 are the
//! FIQ-banked registers: it stores a priority word from `r8_fiq` and
//! loads it back into `r12_fiq`, then checks the value and that its
//! User-mode `r8` and `r12` are untouched. Then it writes a register it
//! does not own (the enable bit of UART3's SPI 39): a fault, and its
//! policy halts it.
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
/// `GICD_IPRIORITYR8`: INTIDs 32..35; it owns 33..35 (the dual timer).
const PRIO_WORD: u32 = GICD + 0x420;
const VALUE: u32 = 0xA0B0_C000;
const ISENABLER1: u32 = GICD + 0x104;
const FOREIGN_SPI: u32 = 39;

/// Returns (value read into r12_fiq, r8_usr after, r12_usr after).
fn fiq_access(addr: u32, value: u32) -> (u32, u32, u32) {
    let (read, r8_usr, r12_usr): (u32, u32, u32);
    // SAFETY: switches to FIQ mode (interrupts stay masked; no stack is
    // used there) for one store and one load of a GIC register, which
    // trap and are emulated, and returns to the mode it came from; r8 is
    // saved and restored around it.
    unsafe {
        core::arch::asm!(
            "push {{r8}}",
            "movw r8, #0x0008",
            "movt r8, #0x5AFE",
            "movw r12, #0x0012",
            "movt r12, #0x5AFE",
            "mrs r3, cpsr",
            "cpsid if, #0x11",
            "mov r8, r1",
            "mov r12, #0",
            "str r8, [r0]",
            "ldr r12, [r0]",
            "mov r2, r12",
            "msr cpsr_c, r3",
            "mov r1, r8",
            "mov r3, r12",
            "pop {{r8}}",
            in("r0") addr,
            inout("r1") value => r8_usr,
            out("r2") read,
            out("r3") r12_usr,
            out("r12") _,
        );
    }
    (read, r8_usr, r12_usr)
}

fn main() -> u32 {
    let (read, r8_usr, r12_usr) = fiq_access(PRIO_WORD, VALUE);
    let ok = read == VALUE && r8_usr == 0x5AFE_0008 && r12_usr == 0x5AFE_0012;
    println!(
        "FIQ: wrote {:#010x} from r8, read {:#010x} into r12; usr r8 {:#010x} r12 {:#010x}: {}",
        VALUE,
        read,
        r8_usr,
        r12_usr,
        if ok { "ok" } else { "WRONG" }
    );
    println!("enabling an interrupt I do not own");
    // SAFETY: a GIC register: trapped and emulated (and refused).
    unsafe { (ISENABLER1 as *mut u32).write_volatile(1 << (FOREIGN_SPI - 32)) };
    println!("still running after a refused GIC write: WRONG");
    1
}

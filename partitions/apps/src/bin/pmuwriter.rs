//! Test: a hostile partition (policy `log`) that programs the
//! Performance Monitors so the partition after it on the core could read
//! what it leaves there (a covert channel) or count its events (a side
//! channel): reset and enable the counters, select and preset event
//! counter 0, preset the cycle counter, open the PMU to EL0. Every access
//! must be refused and reported and every read must give 0. It then tells
//! `pmureader` (channel 1) to look.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

/// Channel `done`: pmuwriter -> pmureader.
const DONE: u32 = hv::CHAN_TX_DONE;
/// What it leaves in event counter 0 and the cycle counter.
pub const MARK: u32 = 0x1234_5678;

/// One attempt: writes `v` with an `MCR p15, 0, .., c9/c14, ..`.
macro_rules! mcr15 {
    ($crn:literal, $crm:literal, $opc2:literal, $v:expr) => {
        // SAFETY: a PMU register write the hypervisor traps (HDCR.TPM)
        // and refuses; under `log` it resumes after the instruction.
        unsafe {
            core::arch::asm!(
                concat!("mcr p15, 0, {}, ", $crn, ", ", $crm, ", ", $opc2),
                in(reg) $v, options(nostack)
            )
        }
    };
}

fn main() -> u32 {
    let writes: [(&str, &dyn Fn()); 9] = [
        // PMCR: E (enable), P and C (reset the counters).
        ("PMCR", &|| mcr15!("c9", "c12", "0", 0b111u32)),
        ("PMCNTENSET", &|| mcr15!("c9", "c12", "1", 0x8000_0001u32)),
        ("PMSELR", &|| mcr15!("c9", "c12", "5", 0u32)),
        // Event 0x08: instructions architecturally executed.
        ("PMXEVTYPER", &|| mcr15!("c9", "c13", "1", 0x08u32)),
        ("PMXEVCNTR", &|| mcr15!("c9", "c13", "2", MARK)),
        ("PMCCNTR", &|| mcr15!("c9", "c13", "0", MARK)),
        // SAFETY: as for `mcr15!`: the 64-bit cycle counter write.
        ("PMCCNTR (64-bit)", &|| unsafe {
            core::arch::asm!("mcrr p15, 0, {}, {}, c9", in(reg) MARK, in(reg) 0u32, options(nostack))
        }),
        ("PMINTENSET", &|| mcr15!("c9", "c14", "1", 1u32)),
        ("PMUSERENR", &|| mcr15!("c9", "c14", "0", 0xFu32)),
    ];
    for (i, (reg, w)) in writes.iter().enumerate() {
        println!("attack {}: write {}", i + 1, reg);
        w();
        println!("attack {}: back in control", i + 1);
    }
    println!("attack 10: read back PMXEVCNTR");
    let v = apps::mrc15!("c9", "c13", "2");
    println!("attack 10: back in control, read {:#010x}", v);
    let _ = hvc::send(DONE, b"done");
    if v == 0 {
        println!("every PMU access refused; reads gave 0");
        0
    } else {
        println!("PMXEVCNTR read {:#010x}: WRONG", v);
        1
    }
}

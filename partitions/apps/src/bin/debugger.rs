//! Test: a hostile partition (policy `log`) that tries to use the
//! self-hosted debug hardware against the partitions it shares a core
//! with: it unlocks the OS lock, enables monitor debug, sets a watchpoint
//! over `sensor`'s whole data memory and a breakpoint on `sensor`'s entry,
//! reads the debug ROM address, reads back what it wrote, and touches two
//! other CP15 registers `HCR` traps (ACTLR, a TCM region register). Every
//! access must be refused and reported, every read must give 0, and it
//! must get control back after each one. Addresses match
//! tools/runner/tests/systems/debug.toml.
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

/// `sensor`'s code (its entry point) and data, on the same core.
const SENSOR_ENTRY: u32 = 0x2020_0000;
const SENSOR_DATA: u32 = 0x2021_0000;

/// DBGWCR: enabled, EL1 and EL0 (PAC 0b11), loads and stores (LSC 0b11),
/// all bytes (BAS 0xFF), address mask 16 bits: the whole 64 KiB region.
const WCR_64K_RW: u32 = 1 | (0b11 << 1) | (0b11 << 3) | (0xFF << 5) | (16 << 24);
/// DBGBCR: enabled, EL1 and EL0 (PMC 0b11), a 4-byte A32 instruction.
const BCR_A32: u32 = 1 | (0b11 << 1) | (0xF << 5);
/// DBGDSCRext.MDBGen: breakpoint, watchpoint and vector catch exceptions on.
const MDBGEN: u32 = 1 << 15;

/// One attempt: writes `v` with an `MCR p14` (the arguments are the
/// instruction's operands).
macro_rules! mcr14 {
    ($crn:literal, $crm:literal, $opc2:literal, $v:expr) => {
        // SAFETY: a debug-register write the hypervisor traps (HDCR) and
        // refuses; under `log` it resumes after the instruction.
        unsafe {
            core::arch::asm!(
                concat!("mcr p14, 0, {}, ", $crn, ", ", $crm, ", ", $opc2),
                in(reg) $v, options(nostack)
            )
        }
    };
}

/// One attempt: reads with an `MRC p14`; starts the destination at a
/// non-zero value so a refused read that leaves it alone is seen.
macro_rules! mrc14 {
    ($crn:literal, $crm:literal, $opc2:literal) => {{
        let mut v: u32 = 0xDEAD_BEEF;
        // SAFETY: as for `mcr14!`, a read: the hypervisor writes 0 to the
        // destination register.
        unsafe {
            core::arch::asm!(
                concat!("mrc p14, 0, {0}, ", $crn, ", ", $crm, ", ", $opc2),
                inout(reg) v, options(nostack)
            )
        };
        v
    }};
}

fn attempt(n: u32, what: &str, f: impl FnOnce() -> Option<u32>) -> bool {
    println!("attack {}: {}", n, what);
    let got = f();
    match got {
        Some(v) => {
            println!("attack {}: back in control, read {:#010x}", n, v);
            v == 0
        }
        None => {
            println!("attack {}: back in control", n);
            true
        }
    }
}

fn main() -> u32 {
    let mut ok = true;
    ok &= attempt(1, "unlock the OS lock (DBGOSLAR)", || {
        mcr14!("c1", "c0", "4", 0u32);
        None
    });
    ok &= attempt(2, "clear the OS double lock (DBGOSDLR)", || {
        mcr14!("c1", "c3", "4", 0u32);
        None
    });
    ok &= attempt(3, "enable monitor debug (DBGDSCRext)", || {
        mcr14!("c0", "c2", "2", MDBGEN);
        None
    });
    ok &= attempt(4, "watch the sensor's data (DBGWVR0)", || {
        mcr14!("c0", "c0", "6", SENSOR_DATA);
        None
    });
    ok &= attempt(5, "enable the watchpoint (DBGWCR0)", || {
        mcr14!("c0", "c0", "7", WCR_64K_RW);
        None
    });
    ok &= attempt(6, "break on the sensor's entry (DBGBVR0)", || {
        mcr14!("c0", "c0", "4", SENSOR_ENTRY);
        None
    });
    ok &= attempt(7, "enable the breakpoint (DBGBCR0)", || {
        mcr14!("c0", "c0", "5", BCR_A32);
        None
    });
    ok &= attempt(8, "catch every vector (DBGVCR)", || {
        mcr14!("c0", "c7", "0", 0xFFu32);
        None
    });
    ok &= attempt(9, "read back the watchpoint (DBGWCR0)", || {
        Some(mrc14!("c0", "c0", "7"))
    });
    ok &= attempt(10, "read the OS lock status (DBGOSLSR)", || {
        Some(mrc14!("c1", "c1", "4"))
    });
    ok &= attempt(11, "read the debug ROM address (DBGDRAR)", || {
        Some(mrc14!("c1", "c0", "0"))
    });
    ok &= attempt(12, "read the 64-bit debug ROM address (MRRC DBGDRAR)", || {
        let (mut lo, mut hi) = (0xDEAD_BEEFu32, 0xDEAD_BEEFu32);
        // SAFETY: as for `mrc14!`: both destinations are written with 0.
        unsafe {
            core::arch::asm!("mrrc p14, 0, {}, {}, c1", inout(reg) lo, inout(reg) hi, options(nostack))
        };
        Some(lo | hi)
    });
    ok &= attempt(13, "read the debug ID into LR (DBGDIDR)", || {
        let v: u32;
        // SAFETY: as for `mrc14!`, with LR (banked in SVC mode) as the
        // destination; LR is declared clobbered.
        unsafe {
            core::arch::asm!(
                "mov lr, #0xFF",
                "mrc p14, 0, lr, c0, c0, 0",
                "mov {}, lr",
                out(reg) v, out("lr") _, options(nostack)
            )
        };
        Some(v)
    });
    ok &= attempt(14, "read the debug ID into SP (DBGDIDR)", || {
        let v: u32;
        // SAFETY: as for `mrc14!`, with SP (banked in SVC mode) as the
        // destination: SP is kept in r4 meanwhile and restored, and
        // nothing between touches the stack.
        unsafe {
            core::arch::asm!(
                "mov r4, sp",
                "mrc p14, 0, sp, c0, c0, 0",
                "mov {}, sp",
                "mov sp, r4",
                out(reg) v, out("r4") _,
            )
        };
        Some(v)
    });
    ok &= attempt(15, "read the debug status into the flags (DBGDSCRint)", || {
        let flags: u32;
        // SAFETY: as for `mrc14!`: the destination is APSR.NZCV, which the
        // hypervisor clears for a refused read; the flags are set first.
        unsafe {
            core::arch::asm!(
                "msr APSR_nzcvq, {f}",
                "mrc p14, 0, APSR_nzcv, c0, c1, 0",
                "mrs {f}, APSR",
                f = inout(reg) 0xF000_0000u32 => flags,
                options(nostack)
            )
        };
        Some(flags & 0xF000_0000)
    });
    ok &= attempt(
        16,
        "read the watchpoint only if Z is set (condition fails)",
        || {
            let mut v: u32 = 0x1234_5678;
            // SAFETY: as for `mrc14!`: with Z clear the MRC does not execute,
            // so it is either not trapped or trapped and ignored; `v` stays.
            unsafe {
                core::arch::asm!(
                    "msr APSR_nzcvq, {z}",
                    "mrceq p14, 0, {v}, c0, c0, 7",
                    z = in(reg) 0u32, v = inout(reg) v, options(nostack)
                )
            };
            Some(if v == 0x1234_5678 { 0 } else { v })
        },
    );
    // Not debug registers, but the same path: the other CP15 accesses
    // HCR traps (ACTLR by TAC, implementation-defined ones by TIDCP).
    ok &= attempt(17, "write the auxiliary control register (ACTLR)", || {
        // SAFETY: trapped by HCR.TAC and refused; resumes after it.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c1, c0, 1", in(reg) u32::MAX, options(nostack)) };
        None
    });
    ok &= attempt(18, "read the TCM region register (IMP_ATCMREGIONR)", || {
        let mut v: u32 = 0xDEAD_BEEF;
        // SAFETY: trapped by HCR.TIDCP and refused, reading 0.
        unsafe { core::arch::asm!("mrc p15, 0, {}, c9, c1, 0", inout(reg) v, options(nostack)) };
        Some(v)
    });
    if ok {
        println!("every debug access refused; reads gave 0");
        0
    } else {
        println!("a refused read did not give 0: WRONG");
        1
    }
}

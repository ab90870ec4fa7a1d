//! Hostile test partition (policy `log`, core 1): faulting accesses whose
//! abort has no valid syndrome (`HSR.ISV` 0, so `HSR.IL` is 1 whatever
//! the instruction), outside and inside the GIC, in T32 and A32. Each is
//! a fault the hypervisor reports and steps over; the partition checks
//! that it resumed at the very next instruction (two `ADDS` after each
//! access both run, an `IT` block goes on) and that a refused GIC access
//! wrote no register and no base. Each case prints `<case>: ok`, else a
//! `WRONG` line. The memory it attacks is `steady`'s data (core 0).
#![no_std]
#![no_main]

use core::arch::asm;

use guest::println;

guest::entry!(main);

/// `steady`'s data region, on core 0: a stage-2 fault for this partition.
const FOREIGN: u32 = 0x2001_0000;
const GICD: u32 = 0xF000_0000;
/// The last word of core 1's redistributor (128 KiB at 0xF012_0000).
const GICR_LAST: u32 = 0xF012_0000 + 0x2_0000 - 4;
/// What a register holds when an instruction did not write it.
const UNTOUCHED: u32 = 0xDEAD_BEEF;

/// One inline-assembly block of faulting accesses.
macro_rules! hostile {
    ($($t:tt)*) => {
        // SAFETY: each access faults at stage 2 (the hypervisor steps
        // over it under policy `log`) and writes only the named registers.
        unsafe { asm!($($t)*) }
    };
}

/// Prints `<case>: ok` if `got` is `want`, else what differs; counts
/// the failures in `bad`.
fn check(bad: &mut u32, case: &str, got: &[u32], want: &[u32]) {
    if got == want {
        println!("{}: ok", case);
    } else {
        *bad += 1;
        println!("{}: WRONG got {:x?} want {:x?}", case, got, want);
    }
}

#[instruction_set(arm::t32)]
#[inline(never)]
fn t32_cases(bad: &mut u32) {
    let mut n: u32;

    // 16-bit LDM: no syndrome, 2 bytes. Stepped over by 4, the first ADDS
    // would be skipped (n 1), or worse, half an instruction run.
    hostile!(
        "movs r4, #0",
        "ldmia r1!, {{r2, r3}}",
        "adds r4, #1",
        "adds r4, #1",
        inout("r1") FOREIGN => _, out("r2") _, out("r3") _, out("r4") n,
    );
    check(bad, "T32 16-bit LDM outside the GIC", &[n], &[2]);

    hostile!(
        "movs r4, #0",
        "stmia r1!, {{r2, r3}}",
        "adds r4, #1",
        "adds r4, #1",
        inout("r1") FOREIGN => _, in("r2") 1, in("r3") 2, out("r4") n,
    );
    check(bad, "T32 16-bit STM outside the GIC", &[n], &[2]);

    // In an IT block: the LDM runs (EQ), is stepped over by 2, and the
    // IT block goes on, so the MOVNE after it does not run.
    hostile!(
        "movs r4, #0",
        "cmp r4, r4",
        "ite eq",
        "ldmiaeq r1!, {{r2, r3}}",
        "movne r4, #7",
        "adds r4, #1",
        inout("r1") FOREIGN => _, out("r2") _, out("r3") _, out("r4") n,
    );
    check(bad, "T32 16-bit LDM in an IT block", &[n], &[1]);

    // 32-bit, post-indexed (no syndrome): 4 bytes.
    hostile!(
        "movs r4, #0",
        "ldr.w r0, [r1], #4",
        "adds r4, #1",
        "adds r4, #1",
        inout("r1") FOREIGN => _, out("r0") _, out("r4") n,
    );
    check(bad, "T32 32-bit LDR post-indexed outside the GIC", &[n], &[2]);

    // 16-bit with a valid syndrome: `HSR.IL` 0, 2 bytes.
    hostile!(
        "movs r4, #0",
        "ldr r0, [r1]",
        "adds r4, #1",
        "adds r4, #1",
        in("r1") FOREIGN, out("r0") _, out("r4") n,
    );
    check(bad, "T32 16-bit LDR outside the GIC", &[n], &[2]);

    // A 16-bit STM to the GIC (refused, its decoded length 2).
    let mut b = GICD;
    hostile!(
        "movs r4, #0",
        "stmia r1!, {{r2, r3}}",
        "adds r4, #1",
        "adds r4, #1",
        inout("r1") b, in("r2") 0, in("r3") 0, out("r4") n,
    );
    check(bad, "T32 16-bit STM to the GIC refused", &[n, b], &[2, GICD]);

    // A post-indexed GIC access through SP: refused, SP not written back.
    let (mut v, mut sp) = (UNTOUCHED, 0u32);
    hostile!(
        "mov r3, sp",
        "mov sp, r1",
        "movs r4, #0",
        "ldr r0, [sp], #4",
        "adds r4, #1",
        "adds r4, #1",
        "mov r2, sp",
        "mov sp, r3",
        in("r1") GICD, inout("r0") v, out("r4") n, out("r3") _, inout("r2") sp,
    );
    check(
        bad,
        "T32 GIC access through SP refused",
        &[n, v, sp],
        &[2, UNTOUCHED, GICD],
    );
}

fn a32_cases(bad: &mut u32) {
    let mut n: u32;
    hostile!(
        "mov r4, #0",
        "ldm r1, {{r2, r3}}",
        "add r4, r4, #1",
        "add r4, r4, #1",
        in("r1") FOREIGN, out("r2") _, out("r3") _, out("r4") n,
    );
    check(bad, "A32 LDM outside the GIC", &[n], &[2]);

    // `LDRD` of the redistributor's last word: its second word would be
    // past the frame. Refused (no 64-bit register there), nothing written.
    let (mut lo, mut hi) = (UNTOUCHED, UNTOUCHED);
    hostile!(
        "mov r4, #0",
        "ldrd r0, r1, [r2]",
        "add r4, r4, #1",
        "add r4, r4, #1",
        inout("r0") lo, inout("r1") hi, in("r2") GICR_LAST, out("r4") n,
    );
    check(
        bad,
        "A32 LDRD across the redistributor's end refused",
        &[n, lo, hi],
        &[2, UNTOUCHED, UNTOUCHED],
    );
}

/// A post-indexed (syndrome-less, decoded) GIC read made in each EL1
/// mode whose r0-r12 are the User-mode ones: emulated with that mode's
/// registers, and nothing refused.
fn banked_modes(bad: &mut u32) {
    let typer = {
        // SAFETY: a GIC register: the access is trapped and emulated.
        unsafe { core::ptr::read_volatile((GICD + 4) as *const u32) }
    };
    for (mode, name) in [
        (0x17, "Abort"),
        (0x1B, "Undefined"),
        (0x12, "IRQ"),
        (0x1F, "System"),
    ] {
        let (mut v, mut b, mut ran_in) = (UNTOUCHED, GICD + 4, 0u32);
        // Interrupts stay masked (as the entry left them), so nothing is
        // taken in the borrowed mode; SVC mode is back before Rust runs.
        hostile!(
            "mrs r3, cpsr",
            "bic r2, r3, #0x1f",
            "orr r2, r2, r4",
            "msr cpsr_c, r2",
            "ldr r0, [r1], #4",
            "mrs r2, cpsr",
            "and r2, r2, #0x1f",
            "msr cpsr_c, r3",
            inout("r0") v, inout("r1") b, out("r2") ran_in, out("r3") _, in("r4") mode,
        );
        let case = match name {
            "Abort" => "A32 GIC read post-indexed in Abort mode",
            "Undefined" => "A32 GIC read post-indexed in Undefined mode",
            "IRQ" => "A32 GIC read post-indexed in IRQ mode",
            _ => "A32 GIC read post-indexed in System mode",
        };
        check(bad, case, &[ran_in, v, b], &[mode, typer, GICD + 8]);
    }
}

fn main() -> u32 {
    let mut bad = 0;
    t32_cases(&mut bad);
    a32_cases(&mut bad);
    banked_modes(&mut bad);
    println!("done: {} wrong", bad);
    bad
}

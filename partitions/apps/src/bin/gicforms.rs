//! Test: the load/store forms a GIC driver uses, against the emulated
//! distributor and this core's redistributor (core 1), in A32 and T32:
//! immediate and register offsets, pre-indexed with write-back and
//! post-indexed, bytes on `GICD_IPRIORITYR`, sign extension, `LDRD`/`STRD`
//! on `GICD_IROUTER33` (its own SPI) and `LDRD` on `GICR_TYPER`. Every
//! form is then run again against the redistributor (lines ending `GICR`
//! or naming a `GICR_` register): reads of `GICR_IIDR`/`GICR_TYPER`
//! compared with plain `LDR`s, stores to the virtual SGI enables
//! (`GICR_I[SC]ENABLER0`), bytes of the virtual SGI priorities
//! (`GICR_IPRIORITYR1`) and `STRD`/`LDRD` on `GICR_TYPER`. Each form
//! prints `<form>: ok` when the values and the written-back base are what
//! the architecture says, else a `WRONG` line. Then the forms the GIC
//! does not take (an `LDM`, halfwords and bytes to `GICD_CTLR` and
//! `GICR_CTLR`, 64 bits and a byte to a 32-bit register of each): each is
//! a fault (policy `log`: the run goes on) and must change nothing,
//! registers and base included.
#![no_std]
#![no_main]

use core::arch::asm;

use guest::println;

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
const CTLR: u32 = GICD;
const TYPER: u32 = GICD + 0x4;
const ISENABLER1: u32 = GICD + 0x104;
const ICENABLER1: u32 = GICD + 0x184;
/// `GICD_IPRIORITYR8`: SPIs 32 (not its own) to 35 (its own: 33-35).
const PRIO32: u32 = GICD + 0x420;
const IROUTER33: u32 = GICD + 0x6000 + 33 * 8;
/// Core 1's redistributor (the board's frames are 128 KiB apart from
/// 0xF010_0000): RD_base, then SGI_base 64 KiB on.
const GICR: u32 = 0xF012_0000;
const GICR_CTLR: u32 = GICR;
const GICR_IIDR: u32 = GICR + 0x4;
const GICR_TYPER: u32 = GICR + 0x8;
const SGI_BASE: u32 = GICR + 0x1_0000;
const GICR_ISENABLER0: u32 = SGI_BASE + 0x100;
const GICR_ICENABLER0: u32 = SGI_BASE + 0x180;
/// `GICR_IPRIORITYR1`: SGIs 4 to 7 (virtual: they read back as written).
const GICR_PRIO4: u32 = SGI_BASE + 0x404;
/// SGI 5 in `GICR_I[SC]ENABLER0` (its enable bit is virtual).
const SGI5: u32 = 1 << 5;
/// What `GICR_IPRIORITYR1` holds before a byte form writes its byte 1.
const PRIO4_INIT: u32 = 0x4030_2010;
/// SPI 33 in `GICD_I[SC]ENABLER1`.
const SPI33: u32 = 1 << 1;
/// What a register holds when an instruction did not write it.
const UNTOUCHED: u32 = 0xDEAD_BEEF;

/// One inline-assembly block of GIC accesses.
macro_rules! gic {
    ($($t:tt)*) => {
        // SAFETY: loads and stores of GIC registers (trapped and
        // emulated) through the named registers only.
        unsafe { asm!($($t)*) }
    };
}

fn rd(addr: u32) -> u32 {
    // SAFETY: a GIC register: the access is trapped and emulated.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn wr(addr: u32, v: u32) {
    // SAFETY: as for `rd`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

fn enabled() -> bool {
    rd(ISENABLER1) & SPI33 != 0
}

/// The partition's virtual SGI enable bits (`GICR_ISENABLER0` bits 0-15).
fn sgis_enabled() -> u32 {
    rd(GICR_ISENABLER0) & 0xFFFF
}

/// `GICR_IIDR` and `GICR_TYPER` (low word) read by plain `LDR`s, checked
/// to differ from each other and from `GICR_CTLR` (reads as zero) so a
/// form that reads the wrong one of them cannot pass.
fn gicr_ids(bad: &mut u32) -> (u32, u32) {
    let (iidr, typer) = (rd(GICR_IIDR), rd(GICR_TYPER));
    if iidr == typer || iidr == rd(GICR_CTLR) || typer == rd(GICR_CTLR) {
        *bad += 1;
        println!(
            "GICR reference values not distinct: IIDR {:#x} TYPER {:#x}",
            iidr, typer
        );
    }
    (iidr, typer)
}

/// Prints `<form>: ok` if `got` is `want`, else what differs; counts
/// the failures in `bad`.
fn check(bad: &mut u32, form: &str, got: &[u32], want: &[u32]) {
    if got == want {
        println!("{}: ok", form);
    } else {
        *bad += 1;
        println!("{}: WRONG got {:x?} want {:x?}", form, got, want);
    }
}

fn a32_forms(bad: &mut u32) {
    let typer = rd(TYPER);
    let ctlr = rd(CTLR);
    let (mut v, mut b, mut v2): (u32, u32, u32);

    gic!("ldr r0, [r1, #4]", out("r0") v, in("r1") GICD);
    check(bad, "A32 LDR immediate offset", &[v], &[typer]);

    gic!("ldr r0, [r1, r2, lsl #2]", out("r0") v, in("r1") GICD, in("r2") 1);
    check(bad, "A32 LDR register offset", &[v], &[typer]);

    b = GICD;
    gic!("ldr r0, [r1, #4]!", out("r0") v, inout("r1") b);
    check(bad, "A32 LDR pre-indexed", &[v, b], &[typer, GICD + 4]);

    b = GICD;
    gic!("ldr r0, [r1], #4", out("r0") v, inout("r1") b);
    check(bad, "A32 LDR post-indexed", &[v, b], &[ctlr, GICD + 4]);

    b = GICD;
    gic!("ldr r0, [r1, r2, lsl #2]!", out("r0") v, inout("r1") b, in("r2") 1);
    check(bad, "A32 LDR register pre-indexed", &[v, b], &[typer, GICD + 4]);

    b = TYPER;
    gic!("ldr r0, [r1], -r2", out("r0") v, inout("r1") b, in("r2") 4);
    check(bad, "A32 LDR register post-indexed", &[v, b], &[typer, GICD]);

    // Stores: SPI 33 disabled, then each store enables or disables it.
    wr(ICENABLER1, SPI33);
    b = ISENABLER1;
    gic!("str r0, [r1], #4", in("r0") SPI33, inout("r1") b);
    check(
        bad,
        "A32 STR post-indexed",
        &[enabled() as u32, b],
        &[1, ISENABLER1 + 4],
    );

    b = ISENABLER1;
    gic!("str r0, [r1, #0x80]!", in("r0") SPI33, inout("r1") b);
    check(
        bad,
        "A32 STR pre-indexed",
        &[enabled() as u32, b],
        &[0, ICENABLER1],
    );

    gic!("str r0, [r1, #-0x80]", in("r0") SPI33, in("r1") ICENABLER1);
    check(bad, "A32 STR immediate offset", &[enabled() as u32], &[1]);

    wr(ICENABLER1, SPI33);
    gic!("str r0, [r1, r2]", in("r0") SPI33, in("r1") GICD, in("r2") 0x104);
    check(bad, "A32 STR register offset", &[enabled() as u32], &[1]);

    // Bytes of SPI 33's priority (byte 1 of the word of SPIs 32-35).
    gic!("strb r0, [r1, #1]", "ldrb r2, [r1, #1]", in("r0") 0xA0, in("r1") PRIO32, out("r2") v);
    check(
        bad,
        "A32 STRB/LDRB IPRIORITYR",
        &[v, rd(PRIO32)],
        &[0xA0, 0x0000_A000],
    );

    b = PRIO32 + 1;
    gic!(
            "strb r0, [r1], #1",
            "mov r3, r1",
            "ldrb r2, [r1, #-1]!",
            in("r0") 0x60, inout("r1") b, out("r2") v, out("r3") v2,
    );
    check(
        bad,
        "A32 STRB post-indexed, LDRB pre-indexed",
        &[v2, v, b, rd(PRIO32)],
        &[PRIO32 + 2, 0x60, PRIO32 + 1, 0x0000_6000],
    );

    wr(PRIO32, 0x0000_A000);
    b = PRIO32 + 1;
    gic!("ldrsb r0, [r1]", "ldrsb r2, [r1], #1", out("r0") v, inout("r1") b, out("r2") v2);
    check(
        bad,
        "A32 LDRSB offset and post-indexed",
        &[v, v2, b],
        &[0xFFFF_FFA0, 0xFFFF_FFA0, PRIO32 + 2],
    );

    let typer64 = [rd(GICR_TYPER), rd(GICR_TYPER + 4)];
    let (mut lo, mut hi) = (UNTOUCHED, UNTOUCHED);
    gic!("ldrd r0, r1, [r2]", inout("r0") lo, inout("r1") hi, in("r2") GICR_TYPER);
    check(bad, "A32 LDRD GICR_TYPER", &[lo, hi], &typer64);

    // Route its own SPI 33 to its own core (Aff0 1): 64 bits at once.
    b = IROUTER33;
    gic!("strd r0, r1, [r2], #8", in("r0") 1, in("r1") 0, inout("r2") b);
    v2 = b;
    (lo, hi) = (UNTOUCHED, UNTOUCHED);
    gic!("ldrd r0, r1, [r2, #-8]!", inout("r0") lo, inout("r1") hi, inout("r2") b);
    check(
        bad,
        "A32 STRD post-indexed, LDRD pre-indexed GICD_IROUTER33",
        &[v2, lo, hi, b, rd(IROUTER33), rd(IROUTER33 + 4)],
        &[IROUTER33 + 8, 1, 0, IROUTER33, 1, 0],
    );
}

/// The forms of [`a32_forms`] against this core's redistributor: reads of
/// `GICR_IIDR`/`GICR_TYPER`, stores to the virtual SGI enables, bytes of
/// the virtual SGI priorities, and 64 bits on `GICR_TYPER`.
fn a32_gicr_forms(bad: &mut u32) {
    let (iidr, typer) = gicr_ids(bad);
    let (mut v, mut b, mut v2): (u32, u32, u32);

    gic!("ldr r0, [r1, #8]", out("r0") v, in("r1") GICR);
    check(bad, "A32 LDR immediate offset GICR", &[v], &[typer]);

    gic!("ldr r0, [r1, r2, lsl #2]", out("r0") v, in("r1") GICR, in("r2") 2);
    check(bad, "A32 LDR register offset GICR", &[v], &[typer]);

    b = GICR;
    gic!("ldr r0, [r1, #8]!", out("r0") v, inout("r1") b);
    check(bad, "A32 LDR pre-indexed GICR", &[v, b], &[typer, GICR_TYPER]);

    b = GICR_IIDR;
    gic!("ldr r0, [r1], #4", out("r0") v, inout("r1") b);
    check(bad, "A32 LDR post-indexed GICR", &[v, b], &[iidr, GICR_TYPER]);

    b = GICR;
    gic!("ldr r0, [r1, r2, lsl #2]!", out("r0") v, inout("r1") b, in("r2") 2);
    check(
        bad,
        "A32 LDR register pre-indexed GICR",
        &[v, b],
        &[typer, GICR_TYPER],
    );

    b = GICR_TYPER;
    gic!("ldr r0, [r1], -r2", out("r0") v, inout("r1") b, in("r2") 4);
    check(
        bad,
        "A32 LDR register post-indexed GICR",
        &[v, b],
        &[typer, GICR_IIDR],
    );

    // Stores: every virtual SGI disabled, then each store enables or
    // disables SGI 5 alone.
    wr(GICR_ICENABLER0, 0xFFFF);
    b = GICR_ISENABLER0;
    gic!("str r0, [r1], #4", in("r0") SGI5, inout("r1") b);
    check(
        bad,
        "A32 STR post-indexed GICR",
        &[sgis_enabled(), b],
        &[SGI5, GICR_ISENABLER0 + 4],
    );

    b = GICR_ISENABLER0;
    gic!("str r0, [r1, #0x80]!", in("r0") SGI5, inout("r1") b);
    check(
        bad,
        "A32 STR pre-indexed GICR",
        &[sgis_enabled(), b],
        &[0, GICR_ICENABLER0],
    );

    gic!("str r0, [r1, #-0x80]", in("r0") SGI5, in("r1") GICR_ICENABLER0);
    check(bad, "A32 STR immediate offset GICR", &[sgis_enabled()], &[SGI5]);

    wr(GICR_ICENABLER0, SGI5);
    gic!("str r0, [r1, r2]", in("r0") SGI5, in("r1") SGI_BASE, in("r2") 0x100);
    check(bad, "A32 STR register offset GICR", &[sgis_enabled()], &[SGI5]);
    wr(GICR_ICENABLER0, 0xFFFF);

    // Bytes of SGI 5's priority (byte 1 of the word of SGIs 4-7); the
    // other bytes must keep what a plain STR put there.
    wr(GICR_PRIO4, PRIO4_INIT);
    gic!("strb r0, [r1, #1]", "ldrb r2, [r1, #1]", in("r0") 0xA0, in("r1") GICR_PRIO4, out("r2") v);
    check(
        bad,
        "A32 STRB/LDRB IPRIORITYR GICR",
        &[v, rd(GICR_PRIO4)],
        &[0xA0, 0x4030_A010],
    );

    b = GICR_PRIO4 + 1;
    gic!(
            "strb r0, [r1], #1",
            "mov r3, r1",
            "ldrb r2, [r1, #-1]!",
            in("r0") 0x60, inout("r1") b, out("r2") v, out("r3") v2,
    );
    check(
        bad,
        "A32 STRB post-indexed, LDRB pre-indexed GICR",
        &[v2, v, b, rd(GICR_PRIO4)],
        &[GICR_PRIO4 + 2, 0x60, GICR_PRIO4 + 1, 0x4030_6010],
    );

    wr(GICR_PRIO4, 0x4030_A010);
    b = GICR_PRIO4 + 1;
    gic!("ldrsb r0, [r1]", "ldrsb r2, [r1], #1", out("r0") v, inout("r1") b, out("r2") v2);
    check(
        bad,
        "A32 LDRSB offset and post-indexed GICR",
        &[v, v2, b],
        &[0xFFFF_FFA0, 0xFFFF_FFA0, GICR_PRIO4 + 2],
    );

    // 64 bits on GICR_TYPER: read-only, so the STRD is taken and ignored
    // (a refused one would be a fault and leave the base as it was).
    let typer64 = [rd(GICR_TYPER), rd(GICR_TYPER + 4)];
    b = GICR_TYPER;
    gic!("strd r0, r1, [r2], #8", in("r0") !typer64[0], in("r1") !typer64[1], inout("r2") b);
    v2 = b;
    let (mut lo, mut hi) = (UNTOUCHED, UNTOUCHED);
    gic!("ldrd r0, r1, [r2, #-8]!", inout("r0") lo, inout("r1") hi, inout("r2") b);
    check(
        bad,
        "A32 STRD post-indexed, LDRD pre-indexed GICR_TYPER",
        &[v2, lo, hi, b, rd(GICR_TYPER), rd(GICR_TYPER + 4)],
        &[
            GICR_TYPER + 8,
            typer64[0],
            typer64[1],
            GICR_TYPER,
            typer64[0],
            typer64[1],
        ],
    );
}

#[instruction_set(arm::t32)]
#[inline(never)]
fn t32_forms(bad: &mut u32) {
    let typer = rd(TYPER);
    let ctlr = rd(CTLR);
    let (mut v, mut b, mut v2): (u32, u32, u32);

    // 16 bits: the two ADDS after it both run (ELR moved on by 2).
    gic!(
            "movs r3, #0",
            "ldr r0, [r1, #4]",
            "adds r3, #1",
            "adds r3, #1",
            out("r0") v, in("r1") GICD, out("r3") v2,
    );
    check(bad, "T32 LDR 16-bit immediate offset", &[v, v2], &[typer, 2]);

    gic!(
            "strb r0, [r1, r2]",
            "ldrb r3, [r1, r2]",
            in("r0") 0x50, in("r1") PRIO32, in("r2") 1, out("r3") v,
    );
    check(
        bad,
        "T32 STRB/LDRB 16-bit register offset",
        &[v, rd(PRIO32)],
        &[0x50, 0x0000_5000],
    );

    gic!("ldr.w r0, [r1, r2, lsl #2]", out("r0") v, in("r1") GICD, in("r2") 1);
    check(bad, "T32 LDR.W register offset", &[v], &[typer]);

    b = GICD;
    gic!("ldr r0, [r1, #4]!", out("r0") v, inout("r1") b);
    check(bad, "T32 LDR pre-indexed", &[v, b], &[typer, GICD + 4]);

    b = GICD;
    gic!("ldr r0, [r1], #4", out("r0") v, inout("r1") b);
    check(bad, "T32 LDR post-indexed", &[v, b], &[ctlr, GICD + 4]);

    wr(ICENABLER1, SPI33);
    b = ISENABLER1;
    gic!("str r0, [r1], #4", in("r0") SPI33, inout("r1") b);
    check(
        bad,
        "T32 STR post-indexed",
        &[enabled() as u32, b],
        &[1, ISENABLER1 + 4],
    );

    b = PRIO32 + 1;
    gic!(
            "strb r0, [r1], #1",
            "mov r3, r1",
            "ldrb r2, [r1, #-1]!",
            in("r0") 0x30, inout("r1") b, out("r2") v, out("r3") v2,
    );
    check(
        bad,
        "T32 STRB post-indexed, LDRB pre-indexed",
        &[v2, v, b, rd(PRIO32)],
        &[PRIO32 + 2, 0x30, PRIO32 + 1, 0x0000_3000],
    );

    wr(PRIO32, 0x0000_9000);
    b = PRIO32 + 1;
    gic!("ldrsb r0, [r1], #1", out("r0") v, inout("r1") b);
    check(bad, "T32 LDRSB post-indexed", &[v, b], &[0xFFFF_FF90, PRIO32 + 2]);

    let typer64 = [rd(GICR_TYPER), rd(GICR_TYPER + 4)];
    let (mut lo, mut hi) = (UNTOUCHED, UNTOUCHED);
    gic!("ldrd r0, r1, [r2]", inout("r0") lo, inout("r1") hi, in("r2") GICR_TYPER);
    check(bad, "T32 LDRD GICR_TYPER", &[lo, hi], &typer64);

    b = IROUTER33;
    gic!("strd r0, r1, [r2], #8", in("r0") 1, in("r1") 0, inout("r2") b);
    v2 = b;
    (lo, hi) = (UNTOUCHED, UNTOUCHED);
    gic!("ldrd r0, r1, [r2, #-8]!", inout("r0") lo, inout("r1") hi, inout("r2") b);
    check(
        bad,
        "T32 STRD post-indexed, LDRD pre-indexed GICD_IROUTER33",
        &[v2, lo, hi, b],
        &[IROUTER33 + 8, 1, 0, IROUTER33],
    );

    // Refused: a 16-bit LDM (stepped over by its 2 bytes: both ADDS run).
    let (mut r2, mut r3) = (UNTOUCHED, UNTOUCHED);
    b = GICD;
    gic!(
            "movs r4, #0",
            "ldmia r1!, {{r2, r3}}",
            "adds r4, #1",
            "adds r4, #1",
            inout("r1") b, inout("r2") r2, inout("r3") r3, out("r4") v,
    );
    check(
        bad,
        "T32 LDM refused",
        &[b, r2, r3, v],
        &[GICD, UNTOUCHED, UNTOUCHED, 2],
    );
}

/// The forms of [`t32_forms`] against this core's redistributor.
#[instruction_set(arm::t32)]
#[inline(never)]
fn t32_gicr_forms(bad: &mut u32) {
    let (iidr, typer) = gicr_ids(bad);
    let (mut v, mut b, mut v2): (u32, u32, u32);

    gic!(
            "movs r3, #0",
            "ldr r0, [r1, #8]",
            "adds r3, #1",
            "adds r3, #1",
            out("r0") v, in("r1") GICR, out("r3") v2,
    );
    check(bad, "T32 LDR 16-bit immediate offset GICR", &[v, v2], &[typer, 2]);

    wr(GICR_PRIO4, PRIO4_INIT);
    gic!(
            "strb r0, [r1, r2]",
            "ldrb r3, [r1, r2]",
            in("r0") 0x50, in("r1") GICR_PRIO4, in("r2") 1, out("r3") v,
    );
    check(
        bad,
        "T32 STRB/LDRB 16-bit register offset GICR",
        &[v, rd(GICR_PRIO4)],
        &[0x50, 0x4030_5010],
    );

    gic!("ldr.w r0, [r1, r2, lsl #2]", out("r0") v, in("r1") GICR, in("r2") 2);
    check(bad, "T32 LDR.W register offset GICR", &[v], &[typer]);

    b = GICR;
    gic!("ldr r0, [r1, #8]!", out("r0") v, inout("r1") b);
    check(bad, "T32 LDR pre-indexed GICR", &[v, b], &[typer, GICR_TYPER]);

    b = GICR_IIDR;
    gic!("ldr r0, [r1], #4", out("r0") v, inout("r1") b);
    check(bad, "T32 LDR post-indexed GICR", &[v, b], &[iidr, GICR_TYPER]);

    wr(GICR_ICENABLER0, 0xFFFF);
    b = GICR_ISENABLER0;
    gic!("str r0, [r1], #4", in("r0") SGI5, inout("r1") b);
    check(
        bad,
        "T32 STR post-indexed GICR",
        &[sgis_enabled(), b],
        &[SGI5, GICR_ISENABLER0 + 4],
    );
    wr(GICR_ICENABLER0, 0xFFFF);

    b = GICR_PRIO4 + 1;
    gic!(
            "strb r0, [r1], #1",
            "mov r3, r1",
            "ldrb r2, [r1, #-1]!",
            in("r0") 0x30, inout("r1") b, out("r2") v, out("r3") v2,
    );
    check(
        bad,
        "T32 STRB post-indexed, LDRB pre-indexed GICR",
        &[v2, v, b, rd(GICR_PRIO4)],
        &[GICR_PRIO4 + 2, 0x30, GICR_PRIO4 + 1, 0x4030_3010],
    );

    wr(GICR_PRIO4, 0x4030_9010);
    b = GICR_PRIO4 + 1;
    gic!("ldrsb r0, [r1], #1", out("r0") v, inout("r1") b);
    check(
        bad,
        "T32 LDRSB post-indexed GICR",
        &[v, b],
        &[0xFFFF_FF90, GICR_PRIO4 + 2],
    );

    let typer64 = [rd(GICR_TYPER), rd(GICR_TYPER + 4)];
    b = GICR_TYPER;
    gic!("strd r0, r1, [r2], #8", in("r0") !typer64[0], in("r1") !typer64[1], inout("r2") b);
    v2 = b;
    let (mut lo, mut hi) = (UNTOUCHED, UNTOUCHED);
    gic!("ldrd r0, r1, [r2, #-8]!", inout("r0") lo, inout("r1") hi, inout("r2") b);
    check(
        bad,
        "T32 STRD post-indexed, LDRD pre-indexed GICR_TYPER",
        &[v2, lo, hi, b, rd(GICR_TYPER), rd(GICR_TYPER + 4)],
        &[
            GICR_TYPER + 8,
            typer64[0],
            typer64[1],
            GICR_TYPER,
            typer64[0],
            typer64[1],
        ],
    );

    // Refused: a 16-bit LDM (stepped over by its 2 bytes: both ADDS run).
    let (mut r2, mut r3) = (UNTOUCHED, UNTOUCHED);
    b = GICR;
    gic!(
            "movs r4, #0",
            "ldmia r1!, {{r2, r3}}",
            "adds r4, #1",
            "adds r4, #1",
            inout("r1") b, inout("r2") r2, inout("r3") r3, out("r4") v,
    );
    check(
        bad,
        "T32 LDM GICR refused",
        &[b, r2, r3, v],
        &[GICR, UNTOUCHED, UNTOUCHED, 2],
    );
}

/// The forms the GIC does not take: each a fault that changes nothing.
fn refused_forms(bad: &mut u32) {
    let ctlr = rd(CTLR);
    let (mut b, mut r2, mut r3) = (GICD, UNTOUCHED, UNTOUCHED);
    gic!("ldm r1, {{r2, r3}}", in("r1") b, inout("r2") r2, inout("r3") r3);
    check(bad, "A32 LDM refused", &[r2, r3], &[UNTOUCHED, UNTOUCHED]);

    gic!("strh r0, [r1]", in("r0") 0, in("r1") CTLR);
    gic!("strb r0, [r1]", in("r0") 0, in("r1") CTLR);
    let mut v = UNTOUCHED;
    gic!("ldrh r0, [r1], #2", inout("r0") v, inout("r1") b);
    check(
        bad,
        "A32 STRH, STRB, LDRH GICD_CTLR refused",
        &[v, b, rd(CTLR)],
        &[UNTOUCHED, GICD, ctlr],
    );

    wr(ISENABLER1, SPI33);
    b = ICENABLER1;
    gic!("strd r0, r1, [r2], #8", in("r0") SPI33, in("r1") 0, inout("r2") b);
    gic!("strb r0, [r1]", in("r0") SPI33, in("r1") ICENABLER1);
    check(
        bad,
        "A32 STRD, STRB GICD_ICENABLER1 refused",
        &[enabled() as u32, b],
        &[1, ICENABLER1],
    );
}

/// The forms the redistributor does not take: each a fault that changes
/// nothing.
fn refused_gicr_forms(bad: &mut u32) {
    let (mut b, mut r2, mut r3) = (GICR, UNTOUCHED, UNTOUCHED);
    gic!("ldm r1, {{r2, r3}}", in("r1") b, inout("r2") r2, inout("r3") r3);
    check(bad, "A32 LDM GICR refused", &[r2, r3], &[UNTOUCHED, UNTOUCHED]);

    let ctlr = rd(GICR_CTLR);
    gic!("strh r0, [r1]", in("r0") 0xFFFF, in("r1") GICR_CTLR);
    gic!("strb r0, [r1]", in("r0") 0xFF, in("r1") GICR_CTLR);
    let mut v = UNTOUCHED;
    gic!("ldrh r0, [r1], #2", inout("r0") v, inout("r1") b);
    check(
        bad,
        "A32 STRH, STRB, LDRH GICR_CTLR refused",
        &[v, b, rd(GICR_CTLR)],
        &[UNTOUCHED, GICR, ctlr],
    );

    // SGI 5 enabled: a STRD or STRB taken by GICR_ICENABLER0 would
    // disable it.
    wr(GICR_ICENABLER0, 0xFFFF);
    wr(GICR_ISENABLER0, SGI5);
    b = GICR_ICENABLER0;
    gic!("strd r0, r1, [r2], #8", in("r0") SGI5, in("r1") 0, inout("r2") b);
    gic!("strb r0, [r1]", in("r0") SGI5, in("r1") GICR_ICENABLER0);
    check(
        bad,
        "A32 STRD, STRB GICR_ICENABLER0 refused",
        &[sgis_enabled(), b],
        &[SGI5, GICR_ICENABLER0],
    );
    wr(GICR_ICENABLER0, 0xFFFF);
}

fn main() -> u32 {
    let mut bad = 0;
    a32_forms(&mut bad);
    a32_gicr_forms(&mut bad);
    t32_forms(&mut bad);
    t32_gicr_forms(&mut bad);
    refused_forms(&mut bad);
    refused_gicr_forms(&mut bad);
    println!("done: {} wrong", bad);
    bad
}

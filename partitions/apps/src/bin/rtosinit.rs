//! Test: a GIC set-up as RTOS drivers write it, on raw registers (core 1):
//! every SPI disabled, not pending, group 1, at a default priority, level,
//! routed to this core; every SGI and PPI of its redistributor the same.
//! Most of those interrupts are not this partition's: to it they are
//! interrupts the GIC does not implement (RAZ/WI), so the set-up goes
//! through without a fault (policy `halt`: a refused write would stop
//! it). Then its own SPI 33 (the dual timer's) must show what it wrote.
#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};

use guest::println;

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
const GICD_TYPER: u32 = GICD + 0x4;
const GICD_IGROUPR: u32 = GICD + 0x80;
const GICD_ISENABLER: u32 = GICD + 0x100;
const GICD_ICENABLER: u32 = GICD + 0x180;
const GICD_ICPENDR: u32 = GICD + 0x280;
const GICD_IPRIORITYR: u32 = GICD + 0x400;
const GICD_ICFGR: u32 = GICD + 0xC00;
const GICD_IROUTER: u32 = GICD + 0x6000;
/// Core 1's redistributor, SGI_base frame.
const SGI_BASE: u32 = 0xF012_0000 + 0x1_0000;
const DEFAULT_PRIORITY: u32 = 0xA0A0_A0A0;

fn rd(addr: u32) -> u32 {
    // SAFETY: a GIC register (trapped and emulated for the partition).
    unsafe { read_volatile(addr as *const u32) }
}

fn wr(addr: u32, v: u32) {
    // SAFETY: a GIC register (trapped and emulated for the partition).
    unsafe { write_volatile(addr as *mut u32, v) }
}

fn check(bad: &mut u32, what: &str, got: u32, want: u32) {
    if got == want {
        println!("{}: ok", what);
    } else {
        println!("{}: WRONG {:#010x}, want {:#010x}", what, got, want);
        *bad += 1;
    }
}

fn main() -> u32 {
    let lines = ((rd(GICD_TYPER) & 0x1F) + 1) * 32;
    // Distributor: every SPI.
    for word in 1..lines / 32 {
        wr(GICD_ICENABLER + word * 4, u32::MAX);
        wr(GICD_ICPENDR + word * 4, u32::MAX);
        wr(GICD_IGROUPR + word * 4, u32::MAX);
    }
    for word in 8..lines / 4 {
        wr(GICD_IPRIORITYR + word * 4, DEFAULT_PRIORITY);
    }
    for word in 2..lines / 16 {
        wr(GICD_ICFGR + word * 4, 0);
    }
    for spi in 32..lines {
        wr(GICD_IROUTER + spi * 8, 1); // Aff0 1: this core
        wr(GICD_IROUTER + spi * 8 + 4, 0);
    }
    // Redistributor: every SGI and PPI.
    wr(SGI_BASE + 0x180, u32::MAX);
    wr(SGI_BASE + 0x280, u32::MAX);
    wr(SGI_BASE + 0x80, u32::MAX);
    for word in 0..8 {
        wr(SGI_BASE + 0x400 + word * 4, DEFAULT_PRIORITY);
    }
    println!("set-up of {} interrupts done", lines);
    let mut bad = 0;
    // Its own SPIs (33-35) show the default priority, the others 0.
    check(
        &mut bad,
        "own SPI priorities",
        rd(GICD_IPRIORITYR + 0x20),
        0xA0A0_A000,
    );
    check(&mut bad, "own SPIs disabled", rd(GICD_ISENABLER + 4) & 0xE, 0);
    check(&mut bad, "own SPI 33 routed here", rd(GICD_IROUTER + 33 * 8), 1);
    check(
        &mut bad,
        "another's SPI 32 routing reads 0",
        rd(GICD_IROUTER + 32 * 8),
        0,
    );
    check(&mut bad, "SGI priorities", rd(SGI_BASE + 0x400), DEFAULT_PRIORITY);
    wr(GICD_ISENABLER + 4, 1 << 1);
    check(
        &mut bad,
        "own SPI 33 enabled",
        rd(GICD_ISENABLER + 4) & 0xE,
        1 << 1,
    );
    println!("done: {} wrong", bad);
    bad
}

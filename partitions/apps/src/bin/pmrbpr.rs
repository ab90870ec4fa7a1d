//! Test: the partition's own priority mask (`ICC_PMR`) and binary point
//! (`ICC_BPR1`) hold on its virtual CPU interface, across switches to
//! `periodic`, which shares the core with its own mask 0xFF.
//!
//! - PMR: with the mask at 0x40, its SGI 1 at priority 0x40 (not higher
//!   than the mask) stays pending for 5 ms (several windows); with the
//!   mask raised to 0x48 it arrives.
//! - BPR: in the handler of SGI 4 (priority 0xA0) it sends itself SGI 5
//!   (0x80) and reads `ICC_IAR1`: SGI 5 preempts (is acknowledged there)
//!   only if the group priorities differ under the binary point: not
//!   with `ICC_BPR1` 7 (group priority bit 7 only: both 1), but with the
//!   smallest binary point (group priority bits 7:3).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

const SGI_BASE: u32 = 0xF010_0000 + 0x1_0000;
const ISENABLER0: u32 = SGI_BASE + 0x100;
const IPRIORITYR: u32 = SGI_BASE + 0x400;

static ARRIVED: [AtomicU32; 16] = [const { AtomicU32::new(0) }; 16];
/// What `ICC_IAR1` gave in SGI 4's handler.
static INNER: AtomicU32 = AtomicU32::new(0);

fn write(addr: u32, v: u32) {
    // SAFETY: a GIC register: trapped and emulated.
    unsafe { (addr as *mut u32).write_volatile(v) }
}

/// `ICC_SGI1R` with this core (Aff0 0 or 1, Aff1-3 0) as the target.
fn send(intid: u32) {
    let mpidr: u32;
    // SAFETY: reading MPIDR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c0, c0, 5", out(reg) mpidr) };
    let lo = (1 << (mpidr & 0xF)) | (intid << 24);
    // SAFETY: ICC_SGI1R: trapped and emulated.
    unsafe { core::arch::asm!("mcrr p15, 0, {}, {}, c12", "isb", in(reg) lo, in(reg) 0u32) };
}

fn set_pmr(v: u32) {
    // SAFETY: this partition's (virtual) ICC_PMR.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c4, c6, 0", "isb", in(reg) v) };
}

fn bpr1() -> u32 {
    let v: u32;
    // SAFETY: reading ICC_BPR1 has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c12, 3", out(reg) v) };
    v
}

fn set_bpr1(v: u32) {
    // SAFETY: this partition's (virtual) ICC_BPR1.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 3", "isb", in(reg) v) };
}

fn on_irq(intid: u32) {
    if let Some(n) = ARRIVED.get(intid as usize) {
        n.fetch_add(1, Ordering::AcqRel);
    }
    if intid == 4 {
        send(5);
        let inner: u32;
        // SAFETY: acknowledges SGI 5 if it may preempt SGI 4.
        unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c12, 0", out(reg) inner) };
        let inner = inner & 0xFF_FFFF;
        INNER.store(inner, Ordering::Release);
        if inner < 1020 {
            // SAFETY: ends the interrupt acknowledged just above.
            unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 1", in(reg) inner) };
        }
    }
}

fn wait_ms(ms: u64) {
    let until = vtimer::now() + ms * vtimer::frequency() as u64 / 1000;
    while vtimer::now() < until {}
}

fn arrived(intid: usize) -> u32 {
    ARRIVED.get(intid).map_or(0, |n| n.load(Ordering::Acquire))
}

fn main() -> u32 {
    // SGI 1 0x40; SGI 4 0xA0, SGI 5 0x80.
    write(IPRIORITYR, 0x0000_4000);
    write(IPRIORITYR + 4, 0x0000_80A0);
    write(ISENABLER0, (1 << 1) | (1 << 4) | (1 << 5));
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    set_pmr(0x40);
    irq::enable();
    send(1);
    wait_ms(5);
    println!("PMR 0x40: SGI 1 at 0x40 arrived {} time(s) in 5 ms", arrived(1));
    set_pmr(0x48);
    wait_ms(1);
    println!("PMR 0x48: SGI 1 arrived {} time(s)", arrived(1));
    set_pmr(0xFF);

    for bpr in [7, 0] {
        set_bpr1(bpr);
        let now = bpr1();
        let before = arrived(5);
        send(4);
        wait_ms(1);
        let inner = INNER.load(Ordering::Acquire);
        println!(
            "BPR1 {} (reads {}): SGI 5 (0x80) in SGI 4 (0xA0): {}, later {}",
            bpr,
            now,
            if inner == 5 { "preempts" } else { "waits" },
            arrived(5) - before
        );
    }
    irq::disable();
    0
}

//! Test: a level interrupt follows its line. The EL1 virtual timer's
//! interrupt is level-sensitive: once the partition moves `CNTV_CVAL`
//! into the future the line is low, and on a GIC an interrupt whose line
//! fell before it was taken is no longer pending. Three ways a stale one
//! could still arrive:
//!
//! 1. at start: the timer enabled while `CNTV_CVAL` is still 0 (in the
//!    past, so the line rises at once), then `CNTV_CVAL` set 2 ms ahead,
//!    all with IRQs masked: nothing may arrive before the deadline;
//! 2. after one interrupt whose handler first spins 1.5 ms (a window
//!    boundary passes, `steady` runs meanwhile) and then reprograms
//!    `CNTV_CVAL` 2 ms ahead: exactly one interrupt, none before the new
//!    deadline;
//! 3. polled: with IRQs masked it waits for `CNTV_CTL.ISTATUS`, moves
//!    `CNTV_CVAL` 2 ms ahead and unmasks: nothing may arrive before the
//!    deadline.
//!
//! 4. a device's level SPI (the dual timer's): with IRQs masked it waits
//!    for the timer's raw interrupt, clears it at the device (the line
//!    falls) and unmasks: the SPI must not arrive; left asserted, it
//!    arrives once (the handler clears it).
//!
//! Prints `WRONG` for each violation and `timer level ok` when all hold.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

static COUNT: AtomicU32 = AtomicU32::new(0);
/// Counter value of the deadline currently programmed.
static DEADLINE: AtomicU64 = AtomicU64::new(0);
/// Interrupts that arrived before the deadline programmed at the time
/// (a stale one arrives right after the line fell, well before it).
static EARLY: AtomicU32 = AtomicU32::new(0);
/// How long (ticks) the handler spins before it reprograms the timer.
static SPIN: AtomicU64 = AtomicU64::new(0);
static STEP: AtomicU64 = AtomicU64::new(0);

fn spin(ticks: u64) {
    let until = vtimer::now() + ticks;
    while vtimer::now() < until {}
}

fn cntv_ctl() -> u32 {
    let v: u32;
    // SAFETY: reading the partition's own CNTV_CTL.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c14, c3, 1", out(reg) v) };
    v
}

fn set_ctl(v: u32) {
    // SAFETY: the partition's own virtual timer.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) v) };
}

fn set_cval(deadline: u64) {
    DEADLINE.store(deadline, Ordering::Release);
    // SAFETY: the partition's own virtual timer.
    unsafe {
        core::arch::asm!("mcrr p15, 3, {}, {}, c14", "isb", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32)
    };
}

/// The dual timer's first timer and its SPI.
const TIMER1: u32 = 0xE010_1000;
const SPI: u32 = 33;
static SPIS: AtomicU32 = AtomicU32::new(0);

fn timer1(off: u32, v: u32) {
    // SAFETY: this partition's device.
    unsafe { ((TIMER1 + off) as *mut u32).write_volatile(v) };
}

fn timer1_raw() -> bool {
    // SAFETY: this partition's device (TimerRIS).
    unsafe { ((TIMER1 + 0x10) as *const u32).read_volatile() & 1 != 0 }
}

/// Starts the dual timer's first timer, one-shot, 100 ticks, with its
/// interrupt.
fn timer1_fire() {
    timer1(0x8, 0);
    timer1(0x0, 100);
    // Enable | interrupt enable | 32-bit | one-shot.
    timer1(0x8, (1 << 7) | (1 << 5) | (1 << 1) | 1);
}

fn on_irq(intid: u32) {
    if intid == SPI {
        SPIS.fetch_add(1, Ordering::AcqRel);
        timer1(0xC, 1); // INTCLR: the line falls
        return;
    }
    if intid != irq::VTIMER {
        println!("WRONG: interrupt {}", intid);
        return;
    }
    if vtimer::now() < DEADLINE.load(Ordering::Acquire) {
        EARLY.fetch_add(1, Ordering::AcqRel);
    }
    COUNT.fetch_add(1, Ordering::AcqRel);
    spin(SPIN.load(Ordering::Acquire));
    set_cval(vtimer::now() + STEP.load(Ordering::Acquire));
}

fn main() -> u32 {
    let ms = vtimer::frequency() as u64 / 1000;
    STEP.store(2 * ms, Ordering::Release);
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();

    // 1. Enabled with CNTV_CVAL = 0 (the line rises), then moved ahead.
    set_ctl(1);
    spin(ms / 10);
    set_cval(vtimer::now() + 2 * ms);
    irq::enable();
    // The first deadline's interrupt; the handler sets the next (the
    // timer then stays quiet until 2 ms later).
    while COUNT.load(Ordering::Acquire) < 1 {}
    report("at start");

    // 2. One interrupt whose handler spins across a window boundary.
    SPIN.store(3 * ms / 2, Ordering::Release);
    while COUNT.load(Ordering::Acquire) < 2 {}
    SPIN.store(0, Ordering::Release);
    // The next deadline (2 ms after the handler): no stale interrupt
    // may come before it.
    while COUNT.load(Ordering::Acquire) < 3 {}
    irq::disable();
    report("after a handler across a window boundary");

    // 3. Polled with IRQs masked, then moved ahead and unmasked.
    while cntv_ctl() & 0b100 == 0 {}
    set_cval(vtimer::now() + 2 * ms);
    irq::enable();
    let before = COUNT.load(Ordering::Acquire);
    while COUNT.load(Ordering::Acquire) == before {}
    irq::disable();
    vtimer::stop();
    report("polled with IRQs masked");

    // 4. The device's level SPI, cleared at the device before it is taken.
    // Only SPI 33 (timer 1): the combined interrupt (35) and timer 2's
    // (34) off.
    // SAFETY: GICD_ICENABLER1, trapped and emulated.
    unsafe { (0xF000_0184 as *mut u32).write_volatile((1 << 2) | (1 << 3)) };
    timer1_fire();
    while !timer1_raw() {}
    spin(ms / 10);
    timer1(0xC, 1);
    irq::enable();
    spin(ms);
    irq::disable();
    let stale = SPIS.load(Ordering::Acquire);
    if stale != 0 {
        println!("WRONG: the SPI arrived {} time(s) after its line fell", stale);
        WRONG.fetch_add(stale, Ordering::AcqRel);
    }
    timer1_fire();
    while !timer1_raw() {}
    irq::enable();
    spin(ms);
    irq::disable();
    println!(
        "SPI left asserted: arrived {} time(s)",
        SPIS.load(Ordering::Acquire) - stale
    );

    let wrong = WRONG.load(Ordering::Acquire);
    println!(
        "{} timer interrupts, {} stale interrupt(s)",
        COUNT.load(Ordering::Acquire),
        wrong
    );
    if wrong == 0 {
        println!("timer level ok");
    }
    0
}

/// Stale interrupts reported so far.
static WRONG: AtomicU32 = AtomicU32::new(0);

/// Reports the interrupts that came before their deadline since the last
/// report.
fn report(phase: &str) {
    let early = EARLY.swap(0, Ordering::AcqRel);
    if early != 0 {
        println!("WRONG: {} interrupt(s) before their deadline {}", early, phase);
        WRONG.fetch_add(early, Ordering::AcqRel);
    }
}

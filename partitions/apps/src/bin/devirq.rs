//! Test: owns the CMSDK dual timer (SPI 1, INTID 33). Starts a one-shot
//! of about 0.2 ms, then yields its window to `hog`, which spins through
//! the expiry: the interrupt must be held until this partition runs again
//! and then arrive here, once.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::{hvc, println};

guest::entry!(main);

/// Dual timer 1 (tools/runner/tests/systems/devirq.toml passes it through).
const TIMER1: u32 = 0xE010_1000;
const LOAD: u32 = 0x0;
const CONTROL: u32 = 0x8;
const INTCLR: u32 = 0xC;
/// Enable | periodic off | interrupt enable | 32-bit | one-shot.
const ONESHOT_IRQ: u32 = (1 << 7) | (1 << 5) | (1 << 1) | 1;
const INTID: u32 = 33;

static COUNT: AtomicU32 = AtomicU32::new(0);
static AT: AtomicU32 = AtomicU32::new(0);

fn reg(off: u32) -> *mut u32 {
    (TIMER1 + off) as *mut u32
}

fn on_irq(intid: u32) {
    if intid == INTID {
        AT.store(vtimer::now() as u32, Ordering::Release);
        COUNT.fetch_add(1, Ordering::AcqRel);
        // SAFETY: the timer is this partition's device.
        unsafe { reg(INTCLR).write_volatile(1) };
    }
}

fn main() -> u32 {
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    irq::enable();
    let start = vtimer::now() as u32;
    // SAFETY: the timer is this partition's device.
    unsafe { reg(LOAD).write_volatile(5_000) };
    // SAFETY: as above.
    unsafe { reg(CONTROL).write_volatile(ONESHOT_IRQ) };
    println!("timer armed, giving the core away");
    hvc::yield_now();
    // Back in our own window (hog never yields): the interrupt is here.
    let end = vtimer::now() as u32 + vtimer::frequency() / 1000;
    while COUNT.load(Ordering::Acquire) == 0 && (vtimer::now() as u32) < end {}
    let n = COUNT.load(Ordering::Acquire);
    let after = AT.load(Ordering::Acquire).wrapping_sub(start);
    println!(
        "device interrupt {} received {} time(s), {} ticks after arming",
        INTID, n, after
    );
    if n == 1 {
        0
    } else {
        1
    }
}

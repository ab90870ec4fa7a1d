//! Test (hostile): gives its own SPI the highest priority there is
//! (0x00), reads it back, then makes it fire as fast as it can for 20 ms
//! of counter time (its dual timer's level interrupt is never cleared,
//! so it is raised again as soon as it is deactivated). Its priority must
//! not let it keep the core past its window: `ticker` on the same core
//! must still get its windows on time.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
const TIMER1: u32 = 0xE010_1000;
const LOAD: u32 = 0x0;
const CONTROL: u32 = 0x8;
const INTCLR: u32 = 0xC;
/// Enable | periodic | interrupt enable | 32-bit.
const PERIODIC_IRQ: u32 = (1 << 7) | (1 << 6) | (1 << 5) | (1 << 1);
const SPI: u32 = 33;

static COUNT: AtomicU32 = AtomicU32::new(0);
static UNTIL: AtomicU64 = AtomicU64::new(0);
static STOPPED: AtomicU32 = AtomicU32::new(0);

fn timer(off: u32) -> *mut u32 {
    (TIMER1 + off) as *mut u32
}

fn on_irq(intid: u32) {
    if intid != SPI {
        return;
    }
    COUNT.fetch_add(1, Ordering::AcqRel);
    // The interrupt is not cleared at the timer: it fires again at once.
    if vtimer::now() >= UNTIL.load(Ordering::Acquire) {
        // SAFETY: this partition's device.
        unsafe { timer(CONTROL).write_volatile(0) };
        // SAFETY: as above.
        unsafe { timer(INTCLR).write_volatile(1) };
        STOPPED.store(1, Ordering::Release);
    }
}

fn main() -> u32 {
    let reg = (GICD + 0x400 + (SPI & !3)) as *mut u32;
    let shift = (SPI & 3) * 8;
    // SAFETY: a GIC register: trapped and emulated.
    let old = unsafe { reg.read_volatile() };
    // SAFETY: as above.
    unsafe { reg.write_volatile(old & !(0xFF << shift)) };
    // SAFETY: as above.
    let back = (unsafe { reg.read_volatile() } >> shift) & 0xFF;
    println!("priority of SPI {} set to 0x00, reads back {:#04x}", SPI, back);
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    UNTIL.store(
        vtimer::now() + vtimer::frequency() as u64 * 20 / 1000,
        Ordering::Release,
    );
    // SAFETY: this partition's device.
    unsafe { timer(LOAD).write_volatile(10) };
    // SAFETY: as above.
    unsafe { timer(CONTROL).write_volatile(PERIODIC_IRQ) };
    irq::enable();
    while STOPPED.load(Ordering::Acquire) == 0 {}
    irq::disable();
    println!(
        "{} interrupts in 20 ms at priority {:#04x}",
        COUNT.load(Ordering::Acquire),
        back
    );
    0
}

//! Test: a partition with its own GIC driver, written as for the bare
//! board: it sets up the distributor and its core's redistributor through
//! their registers (trapped and emulated by the hypervisor), enables its
//! virtual timer PPI and its own SPI, tries to enable another partition's
//! SPI and to route its SPI to the other core (both refused), then takes
//! five timer interrupts.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::println;

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
const GICR0: u32 = 0xF010_0000;
const SGI: u32 = 0x1_0000;
const VTIMER: u32 = 27;
/// The dual timer's first SPI (this partition owns the dual timer).
const OWN_SPI: u32 = 33;
/// UART3's first SPI (owned by `other`).
const FOREIGN_SPI: u32 = 39;

static TICKS: AtomicU32 = AtomicU32::new(0);

fn rd(addr: u32) -> u32 {
    // SAFETY: a GIC register: the access is trapped and emulated.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn wr(addr: u32, v: u32) {
    // SAFETY: as for `rd`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

fn on_irq(intid: u32) {
    if intid == VTIMER {
        TICKS.fetch_add(1, Ordering::AcqRel);
        vtimer::set_deadline(vtimer::now() + vtimer::frequency() as u64 / 1000);
    }
}

fn main() -> u32 {
    // Distributor: affinity routing, both groups.
    wr(GICD, 1 << 4);
    wr(GICD, (1 << 4) | 0b11);
    let typer = rd(GICD + 0x4);
    println!(
        "GICD_CTLR {:#x}, GICD_TYPER {:#x} ({} SPIs)",
        rd(GICD),
        typer,
        32 * ((typer & 0x1F) + 1) - 32
    );
    // Redistributor of this core: wake it, group 1 and enable the timer PPI.
    wr(GICR0 + 0x14, rd(GICR0 + 0x14) & !(1 << 1));
    while rd(GICR0 + 0x14) & (1 << 2) != 0 {}
    wr(GICR0 + SGI + 0x80, rd(GICR0 + SGI + 0x80) | 1 << VTIMER);
    let pr = GICR0 + SGI + 0x400 + (VTIMER & !3);
    wr(pr, rd(pr) | 0xA0 << ((VTIMER & 3) * 8));
    wr(GICR0 + SGI + 0x100, 1 << VTIMER);
    println!(
        "PPI {} enabled: {}",
        VTIMER,
        rd(GICR0 + SGI + 0x100) & (1 << VTIMER) != 0
    );
    // Its own SPI: priority, route to this core, enable.
    let pr = GICD + 0x400 + (OWN_SPI & !3);
    wr(pr, rd(pr) | 0xA0 << ((OWN_SPI & 3) * 8));
    wr(GICD + 0x6000 + 8 * OWN_SPI, 0);
    wr(GICD + 0x100 + 4 * (OWN_SPI / 32), 1 << (OWN_SPI % 32));
    println!(
        "SPI {} enabled: {}",
        OWN_SPI,
        rd(GICD + 0x100 + 4 * (OWN_SPI / 32)) & (1 << (OWN_SPI % 32)) != 0
    );
    // Someone else's SPI, and a route away from this core: refused.
    wr(GICD + 0x100 + 4 * (FOREIGN_SPI / 32), 1 << (FOREIGN_SPI % 32));
    wr(GICD + 0x6000 + 8 * OWN_SPI, 1);
    // The CPU interface and the timer, as on the board.
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    vtimer::set_deadline(vtimer::now() + vtimer::frequency() as u64 / 1000);
    irq::enable();
    while TICKS.load(Ordering::Acquire) < 5 {
        irq::wait();
    }
    irq::disable();
    vtimer::stop();
    println!(
        "{} timer interrupts through its own GIC set-up",
        TICKS.load(Ordering::Acquire)
    );
    0
}

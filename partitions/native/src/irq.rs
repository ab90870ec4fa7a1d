//! The timer-interrupt loop of the native baseline: the EL1 virtual timer
//! (PPI 27) delivered by the physical GICv3 straight to EL1, measured the
//! way the `bench` partition measures `irq_to_guest` under the hypervisor:
//! from the timer's deadline (`CNTV_CVAL`) to the first instruction of the
//! handler body, with 0..15 extra `nop`s stepped through to resolve the
//! 16-instruction counter tick. The IRQ entry (`native_irq` in `start.rs`)
//! and the dispatch mirror the partitions' (`partitions/guest`), so the
//! difference between the two figures is what the hypervisor adds.

use core::ptr::{read_volatile, write_volatile};

/// GICv3 distributor of `mps3-an536`.
const GICD_BASE: usize = 0xF000_0000;
/// Core 0's redistributor (its SGI/PPI frame is 64 KiB above).
const GICR_BASE: usize = 0xF010_0000;
const GICD_CTLR: usize = 0x0;
const GICR_WAKER: usize = 0x14;
const SGI_BASE: usize = 0x1_0000;
const GICR_IGROUPR0: usize = SGI_BASE + 0x80;
const GICR_ISENABLER0: usize = SGI_BASE + 0x100;
const GICR_IPRIORITYR: usize = SGI_BASE + 0x400;
/// INTID of the EL1 virtual timer.
const VTIMER: u32 = 27;
/// Trials per padding value.
const ROUNDS: u32 = 4;

fn write32(addr: usize, v: u32) {
    // SAFETY: only called with GIC register addresses of this board; with
    // the EL1 MPU off they are reachable and have no other user.
    unsafe { write_volatile(addr as *mut u32, v) }
}

fn read32(addr: usize) -> u32 {
    // SAFETY: as for `write32`.
    unsafe { read_volatile(addr as *const u32) }
}

/// Distributor, core 0's redistributor (PPI 27 in group 1, enabled) and
/// the EL1 CPU interface, as the hypervisor and a partition do together.
fn init_gic() -> Result<(), &'static str> {
    write32(GICD_BASE + GICD_CTLR, 1 << 4);
    write32(GICD_BASE + GICD_CTLR, (1 << 4) | 0b11);
    write32(GICR_BASE + GICR_WAKER, read32(GICR_BASE + GICR_WAKER) & !(1 << 1));
    let mut spins = 0u32;
    while read32(GICR_BASE + GICR_WAKER) & (1 << 2) != 0 {
        spins += 1;
        if spins > 1_000_000 {
            return Err("the redistributor does not wake up");
        }
    }
    write32(
        GICR_BASE + GICR_IGROUPR0,
        read32(GICR_BASE + GICR_IGROUPR0) | 1 << VTIMER,
    );
    let reg = GICR_BASE + GICR_IPRIORITYR + (VTIMER as usize & !3);
    let shift = (VTIMER & 3) * 8;
    write32(reg, (read32(reg) & !(0xFF << shift)) | (0x80 << shift));
    write32(GICR_BASE + GICR_ISENABLER0, 1 << VTIMER);
    // SAFETY: this core's GIC CPU interface registers (ICC_SRE, ICC_PMR,
    // ICC_IGRPEN1): they only change how interrupts reach this core.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 5", "isb", in(reg) 1u32) };
    // SAFETY: as above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c4, c6, 0", in(reg) 0xFFu32) };
    // SAFETY: as above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 7", "isb", in(reg) 1u32) };
    Ok(())
}

/// The virtual count (`CNTVCT`).
/// The handler body, shared with the `bench` partition.
#[inline(never)]
fn on_timer(_intid: u32) {
    apps::irqbench::handler_body();
}

/// Rust side of the IRQ vector: acknowledge, handle, end of interrupt
/// (the partitions' `guest_irq_dispatch`, with the handler called
/// directly).
#[no_mangle]
extern "C" fn native_irq_dispatch() {
    let intid: u32;
    // SAFETY: ICC_IAR1 acknowledges the interrupt we were sent for.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c12, 0", out(reg) intid) };
    let intid = intid & 0xFF_FFFF;
    if intid >= 1020 {
        return;
    }
    on_timer(intid);
    // SAFETY: ICC_EOIR1 ends the interrupt acknowledged above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 1", in(reg) intid) };
}

/// Mean instructions from the virtual timer's deadline to the first
/// instruction of the handler body, over whole sweeps of the padding (so
/// the tick quantisation cancels).
pub fn irq_latency() -> Result<u64, &'static str> {
    init_gic()?;
    // SAFETY: the IRQ vector and stack are set up by the entry code.
    unsafe { core::arch::asm!("cpsie i") };
    let latency = apps::irqbench::measure(ROUNDS);
    // SAFETY: masking interrupts is always sound.
    unsafe { core::arch::asm!("cpsid i") };
    Ok(latency)
}

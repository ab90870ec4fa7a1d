//! The timer-interrupt loop of the native baseline: the EL1 virtual timer
//! (PPI 27) delivered by the physical GICv3 straight to EL1, measured the
//! way the `bench` partition measures `irq_to_guest` under the hypervisor:
//! from the timer's deadline (`CNTV_CVAL`) to the first instruction of the
//! handler body, with 0..15 extra `nop`s stepped through to resolve the
//! 16-instruction counter tick. The IRQ entry (`native_irq` in `start.rs`)
//! and the dispatch mirror the partitions' (`partitions/guest`), so the
//! difference between the two figures is what the hypervisor adds.

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicU32, Ordering};

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
    unsafe {
        core::arch::asm!("mcr p15, 0, {}, c12, c12, 5", "isb", in(reg) 1u32);
        core::arch::asm!("mcr p15, 0, {}, c4, c6, 0", in(reg) 0xFFu32);
        core::arch::asm!("mcr p15, 0, {}, c12, c12, 7", "isb", in(reg) 1u32);
    }
    Ok(())
}

/// The virtual count (`CNTVCT`).
fn now() -> u64 {
    apps::workload::ticks()
}

/// Fires the virtual timer when the virtual count reaches `deadline`.
fn set_deadline(deadline: u64) {
    // SAFETY: this core's own EL1 virtual timer (CNTV_CVAL, CNTV_CTL).
    unsafe {
        core::arch::asm!("mcrr p15, 3, {}, {}, c14", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32);
        core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 1u32);
    }
}

/// Stops the virtual timer.
fn stop_timer() {
    // SAFETY: this core's own EL1 virtual timer.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 0u32) };
}

/// Extra `nop`s before the handler reads the counter in the current trial.
static PAD: AtomicU32 = AtomicU32::new(0);
/// Counter value the handler read (0 = not yet).
static SEEN: AtomicU32 = AtomicU32::new(0);

/// The handler body (the same as the `bench` partition's `on_timer`):
/// `PAD` nops, read the counter, stop the timer.
#[inline(never)]
fn on_timer(_intid: u32) {
    macro_rules! pad_then_read {
        ($($n:literal),*) => {
            match PAD.load(Ordering::Relaxed) {
                $($n => {
                    // SAFETY: `nop`s only.
                    unsafe { core::arch::asm!(concat!(".rept ", $n), "nop", ".endr") };
                })*
                _ => {}
            }
        };
    }
    pad_then_read!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    SEEN.store(now() as u32, Ordering::Release);
    stop_timer();
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
    let mut total: u64 = 0;
    for trial in 0..16 * ROUNDS {
        let pad = trial % 16;
        PAD.store(pad, Ordering::Relaxed);
        SEEN.store(0, Ordering::Release);
        let deadline = now() + 64;
        set_deadline(deadline);
        while SEEN.load(Ordering::Acquire) == 0 {}
        let ticks = SEEN.load(Ordering::Acquire).wrapping_sub(deadline as u32) as u64;
        total += (ticks * apps::workload::INSTR_PER_TICK).saturating_sub(pad as u64);
    }
    // SAFETY: masking interrupts is always sound.
    unsafe { core::arch::asm!("cpsid i") };
    Ok(total / (16 * ROUNDS) as u64)
}

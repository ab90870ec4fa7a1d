//! The GICv3 as the hypervisor drives it: distributor and this core's
//! redistributor set up once at boot (through `ioremap`, unmapped again:
//! at run time only system registers are used), the EL2 CPU interface
//! (`ICC_*`), and the virtual CPU interface's list registers (`ICH_*`),
//! [`LRS`] of them (the board's `gic.list_registers`; the R52 has 4), to
//! deliver virtual interrupts. Where the frames are is the board's
//! ([`crate::board`]); the register offsets are the architecture's
//! ([`crate::gicv3`]).
//!
//! EOI mode 1 is used at EL2: writing `ICC_EOIR1` only drops the running
//! priority; an interrupt passed to a partition stays active until the
//! partition deactivates its virtual twin, which, through the list
//! register's HW link, deactivates the physical interrupt too.

use hypcfg::mpu::Attrs;

use crate::board::{GICD_BASE, GICD_SIZE, GICR_BASE, GICR_STRIDE, INTERRUPTS, LRS};
use crate::gicv3::*;
use crate::mpu;
/// INTID of the EL2 physical timer (window boundaries).
pub const INTID_HYP_TIMER: u32 = 26;
/// INTID of the EL1 virtual timer (each partition's own timer).
pub const INTID_VTIMER: u32 = 27;
/// INTID of the EL1 physical timer (also each partition's own).
pub const INTID_PTIMER: u32 = 30;
/// SGI one core sends another when a partition of the other core has a
/// channel notification waiting.
pub const INTID_KICK: u32 = 9;
/// Priority of every interrupt the hypervisor enables.
const PRIORITY: u8 = 0x80;
/// Spurious INTID (nothing pending).
pub const SPURIOUS: u32 = 1023;

/// Why the GIC could not be set up.
#[derive(Clone, Copy, Debug)]
pub struct GicError(pub &'static str);

fn write32(addr: u32, v: u32) {
    // SAFETY: callers pass an address inside a window just ioremapped.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

fn read32(addr: u32) -> u32 {
    // SAFETY: as for `write32`.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Enables affinity routing and both groups in the distributor, then
/// routes each SPI in `spis` (INTID, owner's core) to that core as an
/// enabled group-1 interrupt (core 0, once). The distributor window is
/// unmapped again afterwards.
pub fn init_distributor(spis: impl Iterator<Item = (u32, u32)>) -> Result<(), GicError> {
    let dist = mpu::ioremap(GICD_BASE, GICD_SIZE, Attrs::HYP_DEVICE).map_err(|e| GicError(e.message()))?;
    // Single security state (no EL3 on the R52): ARE = bit 4, then the
    // group enables (bit 0, bit 1).
    write32(GICD_BASE + GICD_CTLR, 1 << 4);
    write32(GICD_BASE + GICD_CTLR, (1 << 4) | 0b11);
    for (intid, core) in spis.filter(|&(i, _)| (32..INTERRUPTS).contains(&i)) {
        // intid < INTERRUPTS: every address below is inside the
        // distributor frame, nothing wraps.
        let word = (intid / 32).wrapping_mul(4);
        let bit = 1 << (intid % 32);
        write32(
            (GICD_BASE + GICD_IGROUPR).wrapping_add(word),
            read32((GICD_BASE + GICD_IGROUPR).wrapping_add(word)) | bit,
        );
        let reg = (GICD_BASE + GICD_IPRIORITYR).wrapping_add(intid & !3);
        let shift = (intid & 3).wrapping_mul(8);
        write32(
            reg,
            (read32(reg) & !(0xFF << shift)) | ((PRIORITY as u32) << shift),
        );
        // IROUTER: Aff0 = the owner's core, interrupt routing mode 0.
        let router = (GICD_BASE + GICD_IROUTER).wrapping_add(intid.wrapping_mul(8));
        write32(router, core);
        write32(router.wrapping_add(4), 0);
        write32((GICD_BASE + GICD_ISENABLER).wrapping_add(word), bit);
    }
    drop(dist);
    Ok(())
}

/// Wakes this core's redistributor and enables the timer PPIs (EL2
/// physical timer, EL1 virtual and physical timers) as group-1 interrupts;
/// then sets up the EL2 CPU interface and the virtual interface.
pub fn init_this_core(core: u32) -> Result<(), GicError> {
    if list_registers() < LRS {
        return Err(GicError(
            "the board's gic.list_registers is more than ICH_VTR.ListRegs + 1 of this core",
        ));
    }
    // `core` is below the board's core count: every address below is
    // inside its redistributor frame, nothing wraps.
    let rd = GICR_BASE.wrapping_add(core.wrapping_mul(GICR_STRIDE));
    let redist = mpu::ioremap(rd, GICR_STRIDE, Attrs::HYP_DEVICE).map_err(|e| GicError(e.message()))?;
    write32(
        rd.wrapping_add(GICR_WAKER),
        read32(rd.wrapping_add(GICR_WAKER)) & !(1 << 1),
    );
    let mut spins = 0u32;
    while read32(rd.wrapping_add(GICR_WAKER)) & (1 << 2) != 0 {
        spins = spins.wrapping_add(1); // stops at 1_000_001
        if spins > 1_000_000 {
            return Err(GicError("the redistributor does not wake up"));
        }
    }
    let bits = (1 << INTID_HYP_TIMER) | (1 << INTID_VTIMER) | (1 << INTID_PTIMER) | (1 << INTID_KICK);
    write32(
        rd.wrapping_add(GICR_IGROUPR0),
        read32(rd.wrapping_add(GICR_IGROUPR0)) | bits,
    );
    for intid in [INTID_HYP_TIMER, INTID_VTIMER, INTID_PTIMER, INTID_KICK] {
        let reg = rd.wrapping_add(GICR_IPRIORITYR).wrapping_add(intid & !3);
        let shift = (intid & 3).wrapping_mul(8);
        let v = (read32(reg) & !(0xFF << shift)) | ((PRIORITY as u32) << shift);
        write32(reg, v);
    }
    write32(rd.wrapping_add(GICR_ISENABLER0), bits);
    drop(redist);
    init_cpu_interface();
    Ok(())
}

fn init_cpu_interface() {
    // The GIC CPU interface system registers of this core only change how
    // interrupts are signalled to and from it.
    // ICC_HSRE: SRE | Enable (EL1 may use its system-register interface).
    // SAFETY: this core's ICC_HSRE, see above.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c9, 5", in(reg) 0b1001u32) };
    // SAFETY: a barrier only.
    unsafe { core::arch::asm!("isb") };
    // ICC_PMR: let every priority through.
    // SAFETY: this core's ICC_PMR, see above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c4, c6, 0", in(reg) 0xFFu32) };
    // ICC_BPR1 = 0, ICC_CTLR.EOImode = 1 (bit 1).
    // SAFETY: this core's ICC_BPR1, see above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 3", in(reg) 0u32) };
    // SAFETY: this core's ICC_CTLR, see above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 4", in(reg) 0b10u32) };
    // ICC_IGRPEN1: group 1 on.
    // SAFETY: this core's ICC_IGRPEN1, see above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 7", in(reg) 1u32) };
    // ICH_HCR.En: the virtual CPU interface on.
    // SAFETY: this core's ICH_HCR; no list register is in use yet.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c11, 0", in(reg) 1u32) };
    // SAFETY: a barrier only.
    unsafe { core::arch::asm!("isb") };
}

/// Acknowledges the highest-priority pending interrupt (`ICC_IAR1`).
pub fn acknowledge() -> u32 {
    let v: u32;
    // SAFETY: reading IAR1 acknowledges an interrupt; the caller handles it.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c12, 0", out(reg) v, options(nostack)) };
    v & 0xFF_FFFF
}

/// Drops the running priority (`ICC_EOIR1`; EOI mode 1).
pub fn priority_drop(intid: u32) {
    // SAFETY: ends the priority of an interrupt this core acknowledged.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 1", in(reg) intid, options(nostack)) };
}

/// Deactivates an interrupt the hypervisor handled itself (`ICC_DIR`).
pub fn deactivate(intid: u32) {
    // SAFETY: deactivates an interrupt this core acknowledged.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c11, 1", in(reg) intid, options(nostack)) };
}

/// List registers this core's virtual CPU interface has
/// (`ICH_VTR.ListRegs + 1`); the board's [`LRS`] must not exceed it.
pub fn list_registers() -> usize {
    let v: u32;
    // SAFETY: reading ICH_VTR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c12, c11, 1", out(reg) v, options(nomem, nostack)) };
    ((v & 0x1F) as usize).wrapping_add(1) // at most 32
}

/// A list register's two halves (`ICH_LRn`, `ICH_LRCn`).
pub type ListReg = (u32, u32);

/// A pending, HW-linked, group-1 virtual interrupt for `intid`.
pub const fn hw_pending(intid: u32) -> ListReg {
    // LRC: State = pending (bits 31:30 = 01), HW (29), Group1 (28),
    // priority (23:16), pINTID (9:0).
    (
        intid,
        (0b01 << 30) | (1 << 29) | (1 << 28) | ((PRIORITY as u32) << 16) | (intid & 0x3FF),
    )
}

/// A pending, group-1 virtual interrupt `intid` with no physical twin.
pub const fn virtual_pending(intid: u32) -> ListReg {
    (intid, (0b01 << 30) | (1 << 28) | ((PRIORITY as u32) << 16))
}

/// Sends SGI [`INTID_KICK`] to `core` (same cluster, `Aff0 = core`).
pub fn kick(core: u32) {
    let lo = (1u32 << (core & 0xF)) | (INTID_KICK << 24);
    // SAFETY: ICC_SGI1R only raises an interrupt on the target core.
    unsafe {
        core::arch::asm!("mcrr p15, 0, {}, {}, c12", "isb", in(reg) lo, in(reg) 0u32, options(nostack))
    };
}

/// Whether a list register holds nothing (state invalid).
pub const fn lr_free(lr: ListReg) -> bool {
    lr.1 >> 30 == 0
}

// `ICH_LR<n>` is `c12, c12, n` for n < 8 and `c12, c13, n - 8` above;
// `ICH_LRC<n>` likewise with `c14`/`c15`. Only the first `LRS` are used.
macro_rules! lr_access {
    ($($n:literal => $lr:literal, $lrc:literal, $op2:literal;)*) => {
        /// Reads list register `n` (below [`LRS`]).
        pub fn read_lr(n: usize) -> ListReg {
            let (lo, hi): (u32, u32);
            match n {
                $($n if $n < LRS => {
                    // SAFETY: reading a list register has no side effects
                    // (the board's LRS is checked against ICH_VTR at boot).
                    unsafe {
                        core::arch::asm!(concat!("mrc p15, 4, {}, c12, ", $lr, ", ", $op2), out(reg) lo);
                        core::arch::asm!(concat!("mrc p15, 4, {}, c12, ", $lrc, ", ", $op2), out(reg) hi);
                    }
                })*
                _ => return (0, 0),
            }
            (lo, hi)
        }

        /// Writes list register `n` (below [`LRS`]).
        pub fn write_lr(n: usize, lr: ListReg) {
            match n {
                $($n if $n < LRS => {
                    // SAFETY: list registers only affect the virtual CPU
                    // interface seen by EL1.
                    unsafe {
                        core::arch::asm!(concat!("mcr p15, 4, {}, c12, ", $lr, ", ", $op2), in(reg) lr.0);
                        core::arch::asm!(concat!("mcr p15, 4, {}, c12, ", $lrc, ", ", $op2), in(reg) lr.1);
                    }
                })*
                _ => {}
            }
        }
    };
}
lr_access! {
    0 => "c12", "c14", "0"; 1 => "c12", "c14", "1"; 2 => "c12", "c14", "2"; 3 => "c12", "c14", "3";
    4 => "c12", "c14", "4"; 5 => "c12", "c14", "5"; 6 => "c12", "c14", "6"; 7 => "c12", "c14", "7";
    8 => "c13", "c15", "0"; 9 => "c13", "c15", "1"; 10 => "c13", "c15", "2"; 11 => "c13", "c15", "3";
    12 => "c13", "c15", "4"; 13 => "c13", "c15", "5"; 14 => "c13", "c15", "6"; 15 => "c13", "c15", "7";
}
const _: () = assert!(LRS <= 16, "a GICv3 CPU interface has at most 16 list registers");

/// `ICH_VMCR`: the virtual CPU interface's control (the guest's own PMR,
/// BPR, group enables), saved and restored per partition.
pub fn read_vmcr() -> u32 {
    let v: u32;
    // SAFETY: reading ICH_VMCR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c12, c11, 7", out(reg) v, options(nostack)) };
    v
}

/// Writes `ICH_VMCR`.
pub fn write_vmcr(v: u32) {
    // SAFETY: only the virtual CPU interface seen by EL1 changes.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c11, 7", in(reg) v, options(nostack)) };
}

/// The virtual CPU interface of a partition while it is not running:
/// its list registers and `ICH_VMCR` (saved and restored by
/// `partition::vgic`).
#[derive(Clone, Copy)]
pub struct VgicState {
    /// The list registers.
    pub lrs: [ListReg; LRS],
    /// `ICH_VMCR`.
    pub vmcr: u32,
}

impl VgicState {
    /// Nothing pending, interface off.
    pub const EMPTY: VgicState = VgicState {
        lrs: [(0, 0); LRS],
        vmcr: 0,
    };
}

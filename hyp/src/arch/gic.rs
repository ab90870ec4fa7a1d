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
//!
//! Priorities: the hypervisor's own interrupts (window timer, maintenance
//! interrupt, kick SGI) have [`HYP_PRIORITY`]; a partition's interrupts
//! have [`physical_priority`] of the priority it gave them, always lower.
//! After boot, the distributor and redistributors are reached only
//! through [`with_frame`], one lock for every core, so each emulated
//! access (a read-modify-write of a shared word included) is atomic.

use hypcfg::mpu::Attrs;
use hypcfg::packed::Text;
use spin::{Mutex, MutexGuard};

use crate::board::{GICD_BASE, GICD_SIZE, GICR_BASE, GICR_STRIDE, INTERRUPTS, LRS};
use crate::gicv3::*;
use crate::mpu;
use crate::virq::{physical_priority, IrqSet, VirtualIrqs, HYP_PRIORITY};
/// INTID of the EL2 physical timer (window boundaries).
pub const INTID_HYP_TIMER: u32 = 26;
/// INTID of the EL1 virtual timer (each partition's own timer).
pub const INTID_VTIMER: u32 = 27;
/// INTID of the EL1 physical timer (also each partition's own).
pub const INTID_PTIMER: u32 = 30;

/// Whether `intid` is one of the EL1 timers' PPIs (level-sensitive, each
/// partition's own, shared by the partitions of a core).
pub const fn is_el1_timer(intid: u32) -> bool {
    intid == INTID_VTIMER || intid == INTID_PTIMER
}
/// SGI one core sends another when a partition of the other core has a
/// channel notification waiting.
pub const INTID_KICK: u32 = 9;
/// INTID of the virtual CPU interface's maintenance interrupt (PPI 9):
/// raised while `ICH_HCR.UIE` is set and at most one list register is
/// in use, so the hypervisor can refill them from its queue.
pub const INTID_MAINTENANCE: u32 = 25;
/// Physical priority of a partition's interrupt it never gave a priority.
const GUEST_DEFAULT: u8 = physical_priority(0);
/// Spurious INTID (nothing pending).
pub const SPURIOUS: u32 = 1023;

/// Why the GIC could not be set up.
#[derive(Clone, Copy, Debug)]
pub struct GicError(pub Text);

fn write32(addr: u32, v: u32) {
    // SAFETY: callers pass an address inside a window just ioremapped.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

fn read32(addr: u32) -> u32 {
    // SAFETY: as for `write32`.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Enables affinity routing and both groups in the distributor, then
/// routes each SPI in `spis` (INTID, owner's core) to that core as a
/// group-1 interrupt of a partition's priority (core 0, once); it is
/// enabled when its owner starts ([`claim_spi`]). The distributor window
/// is unmapped again afterwards.
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
            (read32(reg) & !(0xFF << shift)) | ((GUEST_DEFAULT as u32) << shift),
        );
        // IROUTER: Aff0 = the owner's core, interrupt routing mode 0.
        write32(router_of(intid), core);
        write32(router_of(intid).wrapping_add(4), 0);
    }
    drop(dist);
    Ok(())
}

/// The hypervisor's own interrupts of a core's redistributor (EL2 timer,
/// maintenance interrupt, kick SGI), set up at [`HYP_PRIORITY`]. Bit sets
/// rather than arrays of (INTID, priority) chained at run time, which
/// were about 0.2 KB of code.
const OWN_INTERRUPTS: u32 = 1 << INTID_HYP_TIMER | 1 << INTID_MAINTENANCE | 1 << INTID_KICK;
/// The partitions' EL1 virtual and physical timers, set up at a
/// partition's default priority.
const GUEST_INTERRUPTS: u32 = 1 << INTID_VTIMER | 1 << INTID_PTIMER;

/// Wakes this core's redistributor and enables, as group-1 interrupts,
/// the hypervisor's own (EL2 physical timer, maintenance interrupt, kick
/// SGI) at [`HYP_PRIORITY`] and the partitions' EL1 virtual and physical
/// timers at a partition's priority; then sets up the EL2 CPU interface
/// and the virtual interface.
pub fn init_this_core(core: u32) -> Result<(), GicError> {
    if list_registers() < LRS {
        return Err(GicError(hypcfg::text!(
            "the board's gic.list_registers is more than ICH_VTR.ListRegs + 1 of this core"
        )));
    }
    if preemption_bits() > 5 {
        // Only ICH_AP1R0 is saved per partition: it covers 5 bits.
        return Err(GicError(hypcfg::text!(
            "ICH_VTR.PREbits is more than 5: more active-priority registers than saved"
        )));
    }
    let rd = redist_base(core);
    let redist = mpu::ioremap(rd, GICR_STRIDE, Attrs::HYP_DEVICE).map_err(|e| GicError(e.message()))?;
    write32(
        rd.wrapping_add(GICR_WAKER),
        read32(rd.wrapping_add(GICR_WAKER)) & !(1 << 1),
    );
    let mut spins = 0u32;
    while read32(rd.wrapping_add(GICR_WAKER)) & (1 << 2) != 0 {
        spins = spins.wrapping_add(1); // stops at 1_000_001
        if spins > 1_000_000 {
            return Err(GicError(hypcfg::text!("the redistributor does not wake up")));
        }
    }
    let bits = OWN_INTERRUPTS | GUEST_INTERRUPTS;
    write32(
        rd.wrapping_add(GICR_IGROUPR0),
        read32(rd.wrapping_add(GICR_IGROUPR0)) | bits,
    );
    for intid in (0..32u32).filter(|i| bits & (1 << i) != 0) {
        let prio = if OWN_INTERRUPTS & (1 << intid) != 0 {
            HYP_PRIORITY
        } else {
            GUEST_DEFAULT
        };
        let reg = rd.wrapping_add(GICR_IPRIORITYR).wrapping_add(intid & !3);
        let shift = (intid & 3).wrapping_mul(8);
        let v = (read32(reg) & !(0xFF << shift)) | ((prio as u32) << shift);
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

/// Active-priority bits of this core's virtual CPU interface
/// (`ICH_VTR.PREbits + 1`).
fn preemption_bits() -> u32 {
    let v: u32;
    // SAFETY: reading ICH_VTR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c12, c11, 1", out(reg) v, options(nomem, nostack)) };
    ((v >> 26) & 0x7).wrapping_add(1) // at most 8
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

/// `ICH_LRC.HW`: the virtual interrupt is linked to physical `pINTID`.
pub const LRC_HW: u32 = 1 << 29;
/// `ICH_LRC.State` = pending.
pub const LRC_PENDING: u32 = 0b01 << 30;
/// `ICH_LRC.State` = active.
pub const LRC_ACTIVE: u32 = 0b10 << 30;

/// A pending, HW-linked, group-1 virtual interrupt for `intid` at the
/// partition's priority `prio`.
pub const fn hw_pending(intid: u32, prio: u8) -> ListReg {
    // LRC: State = pending (bits 31:30 = 01), HW (29), Group1 (28),
    // priority (23:16), pINTID (9:0).
    (
        intid,
        LRC_PENDING | LRC_HW | (1 << 28) | ((prio as u32) << 16) | (intid & 0x3FF),
    )
}

/// A pending, group-1 virtual interrupt `intid` with no physical twin.
pub const fn virtual_pending(intid: u32, prio: u8) -> ListReg {
    (intid, LRC_PENDING | (1 << 28) | ((prio as u32) << 16))
}

/// This core's `MPIDR` (its affinity, as SGI target lists name it).
pub fn mpidr() -> u32 {
    aarch32_cpu::register::Mpidr::read().0
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

/// `ICH_ELRSR`: bit `n` set when list register `n` is empty (state
/// invalid; the hypervisor never sets `EOI`, so no maintenance interrupt
/// is lost by reusing it).
pub fn read_elrsr() -> u32 {
    let v: u32;
    // SAFETY: reading ICH_ELRSR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c12, c11, 5", out(reg) v, options(nomem, nostack)) };
    v
}

/// Writes `ICH_VMCR`.
pub fn write_vmcr(v: u32) {
    // SAFETY: only the virtual CPU interface seen by EL1 changes.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c11, 7", in(reg) v, options(nostack)) };
}

/// `ICH_AP1R0`: the group-1 active priorities of the virtual interface
/// (the partition's running priority), saved and restored per partition.
pub fn read_apr() -> u32 {
    let v: u32;
    // SAFETY: reading ICH_AP1R0 has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c12, c9, 0", out(reg) v, options(nostack)) };
    v
}

/// Writes `ICH_AP1R0`.
pub fn write_apr(v: u32) {
    // SAFETY: only the virtual CPU interface seen by EL1 changes.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c9, 0", in(reg) v, options(nostack)) };
}

/// Writes `ICH_HCR`: the virtual interface on (`En`), with the underflow
/// maintenance interrupt (`UIE`) if `refill` (the running partition has
/// interrupts waiting for a list register), and with every group-1
/// `ICC_*` access of EL1 trapped (`TALL1`) if `resample` (a level
/// interrupt waits in a list register: its line is sampled again before
/// the partition acknowledges it).
pub fn set_hcr(refill: bool, resample: bool) {
    let v = 1 | (refill as u32) << 1 | (resample as u32) << 12;
    // SAFETY: only the virtual CPU interface and its maintenance
    // interrupt change.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c11, 0", in(reg) v, options(nostack)) };
}

/// Turns on `ICH_HCR.TALL1` (see [`set_hcr`]), keeping the rest of
/// `ICH_HCR` (the refill interrupt stays as it was).
pub fn trap_group1_accesses() {
    let v: u32;
    // SAFETY: reading ICH_HCR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c12, c11, 0", out(reg) v, options(nostack)) };
    // SAFETY: only the virtual CPU interface's traps change.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c12, c11, 0", in(reg) v | 1 << 12, options(nostack)) };
}

/// The virtual CPU interface of a partition while it is not running:
/// its list registers, `ICH_VMCR` and `ICH_AP1R0`, plus what the
/// hypervisor keeps for it: the interrupts waiting for a list register
/// and the priorities it gave its interrupts (saved and restored by
/// `partition::vgic`).
#[derive(Clone, Copy)]
pub struct VgicState {
    /// The list registers.
    pub lrs: [ListReg; LRS],
    /// Bit `n` set when `lrs[n]` holds an interrupt (the others are
    /// `(0, 0)`): the list registers a switch-in must write.
    pub used: u32,
    /// `ICH_VMCR`.
    pub vmcr: u32,
    /// `ICH_AP1R0`.
    pub apr: u32,
    /// Its interrupts the hypervisor acknowledged (physical twin active)
    /// that wait for a free list register.
    pub queue: IrqSet,
    /// Its priorities as it wrote them, and its virtual SGIs.
    pub virt: VirtualIrqs,
    /// A level interrupt waits pending in a list register while it runs:
    /// its line is sampled again at its next GIC CPU interface access
    /// (`ICH_HCR.TALL1`), see `partition::vgic`.
    pub resample: bool,
    /// Its SPIs in list registers that it made pending itself
    /// (`VirtualIrqs::soft_pending` when they were listed): pending until
    /// acknowledged, never sampled against their line.
    pub unsampled: IrqSet,
}

impl VgicState {
    /// Nothing pending, interface off, every priority 0.
    pub const EMPTY: VgicState = VgicState {
        lrs: [(0, 0); LRS],
        used: 0,
        vmcr: 0,
        apr: 0,
        queue: IrqSet::EMPTY,
        virt: VirtualIrqs::RESET,
        resample: false,
        unsampled: IrqSet::EMPTY,
    };
}

/// The one lock of the distributor and redistributors after boot.
static GIC: Mutex<()> = Mutex::new(());

/// A GIC frame mapped for one access, under the GIC lock.
#[derive(Clone, Copy)]
pub struct Frame {
    base: u32,
}

impl Frame {
    /// Reads the word at `off`.
    pub fn read(&self, off: u32) -> u32 {
        read32(self.base.wrapping_add(off))
    }
    /// Writes the word at `off`.
    pub fn write(&self, off: u32, v: u32) {
        write32(self.base.wrapping_add(off), v)
    }
}

/// The distributor's base and size.
pub const DISTRIBUTOR: (u32, u32) = (GICD_BASE, GICD_SIZE);

/// The base and size of `core`'s redistributor.
pub const fn redistributor(core: u32) -> (u32, u32) {
    (redist_base(core), GICR_STRIDE)
}

/// Runs `f` on the GIC frame `(base, size)` ([`DISTRIBUTOR`] or a
/// [`redistributor`]) with the GIC lock held and the frame mapped;
/// `None` if it cannot be mapped. Offsets passed to the frame's accessors
/// must be below `size`.
pub fn with_frame<R>(frame: (u32, u32), f: impl FnOnce(Frame) -> R) -> Option<R> {
    let (_lock, window) = open_frame(frame)?;
    let r = f(Frame { base: window.addr() });
    drop(window);
    Some(r)
}

/// The GIC lock and the frame `(base, size)` mapped, for [`with_frame`]:
/// one out-of-line copy of the lock's acquire loop and of the mapping
/// instead of one per caller (every caller is off the hot paths).
#[inline(never)]
fn open_frame((base, size): (u32, u32)) -> Option<(MutexGuard<'static, ()>, mpu::Mapping)> {
    let lock = GIC.lock();
    let window = mpu::ioremap(base, size, Attrs::HYP_DEVICE).ok()?;
    Some((lock, window))
}

/// Starts SPI `intid` of a partition that starts: its priority is the
/// partition's reset priority (0, mapped), then it is enabled.
pub fn claim_spi(d: Frame, intid: u32) {
    set_priority_byte(d, GICD_IPRIORITYR, intid, GUEST_DEFAULT);
    d.write(GICD_ISENABLER.wrapping_add(word_of(intid)), bit_of(intid));
}

/// Stops SPI `intid` of a partition that stops or restarts: disabled,
/// then its pending and active state cleared (nothing of it stays to fire
/// again or to block it).
pub fn release_spi(d: Frame, intid: u32) {
    let (word, bit) = (word_of(intid), bit_of(intid));
    d.write(GICD_ICENABLER.wrapping_add(word), bit);
    d.write(GICD_ICPENDR.wrapping_add(word), bit);
    d.write(GICD_ICACTIVER.wrapping_add(word), bit);
    set_priority_byte(d, GICD_IPRIORITYR, intid, GUEST_DEFAULT);
}

fn set_priority_byte(f: Frame, reg: u32, intid: u32, prio: u8) {
    let off = reg.wrapping_add(intid & !3);
    let shift = (intid & 3).wrapping_mul(8);
    f.write(off, (f.read(off) & !(0xFF << shift)) | (prio as u32) << shift);
}

/// Clears the pending and active state of this core's EL1 timer PPIs at
/// its redistributor `r`, for a partition whose timers were live and that
/// stops (they stay enabled: the core's other partitions use them).
pub fn release_timers(r: Frame) {
    let bits = (1 << INTID_VTIMER) | (1 << INTID_PTIMER);
    r.write(GICR_ICPENDR0, bits);
    r.write(GICR_ICACTIVER0, bits);
}

/// Whether SPI `intid`, acknowledged by the hypervisor and still active,
/// is level-sensitive and its line has fallen: configured level
/// (`GICD_ICFGR` bit 2n+1 clear) and not pending (a level interrupt is
/// pending, here active and pending, exactly while its line is high).
/// `false` for an edge-triggered SPI, anything not an SPI, or when the
/// distributor cannot be mapped.
pub fn spi_line_fallen(intid: u32) -> bool {
    if !(32..INTERRUPTS).contains(&intid) {
        return false;
    }
    with_frame(DISTRIBUTOR, |d| {
        let cfg = d.read(GICD_ICFGR.wrapping_add((intid >> 4).wrapping_mul(4)));
        let edge = cfg & (2 << ((intid & 15).wrapping_mul(2))) != 0;
        !edge && d.read(GICD_ISPENDR.wrapping_add(word_of(intid))) & bit_of(intid) == 0
    })
    .unwrap_or(false)
}

/// Disables SPI `intid` that arrived for no partition able to take it,
/// so it cannot fire again (the caller deactivates it).
pub fn disable_spi(intid: u32) {
    if (32..INTERRUPTS).contains(&intid) {
        with_frame(DISTRIBUTOR, |d| {
            d.write(GICD_ICENABLER.wrapping_add(word_of(intid)), bit_of(intid))
        });
    }
}

// INTIDs are below 1020 and cores below the board's count, so the
// register addresses below stay inside their GIC frames: nothing wraps.

/// `GICD_IROUTER<intid>` (64 bits per INTID).
fn router_of(intid: u32) -> u32 {
    GICD_BASE
        .wrapping_add(GICD_IROUTER)
        .wrapping_add(intid.wrapping_mul(8))
}

/// The redistributor frame of `core`.
const fn redist_base(core: u32) -> u32 {
    GICR_BASE.wrapping_add(core.wrapping_mul(GICR_STRIDE))
}

/// Offset of the 32-bit register holding `intid`'s bit in a bitmap
/// register bank (`ISENABLER`, `ICPENDR`, ...).
fn word_of(intid: u32) -> u32 {
    (intid >> 5).wrapping_mul(4)
}

/// `intid`'s bit in its bitmap register.
fn bit_of(intid: u32) -> u32 {
    1 << (intid & 31)
}

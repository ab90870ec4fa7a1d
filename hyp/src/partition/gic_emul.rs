//! The target side of [`crate::vgic_mmio`]: a partition's access to the GIC
//! distributor or to its own core's redistributor arrives as a stage-2
//! data abort; it is decoded from `HSR` (a single 32-bit load or store with
//! a valid syndrome), emulated, and the partition resumes after it.
//!
//! Each access is atomic against the other core: the GIC lock is held and
//! the one frame it touches mapped for the whole access
//! ([`gic::with_frame`]), a read-modify-write of a word shared with
//! another partition's interrupts included. The register the instruction
//! names is the one of the mode it ran in (FIQ mode's own r8-r12, see
//! [`crate::virq::guest_reg`]); SP, LR and PC are not emulated (a fault).
//! A refused write is a fault for the health monitor
//! ([`Fault::GicRefused`]); under `log` it is skipped.

use hypcfg::ids::CoreId;
use hypcfg::system::Partition;

use super::block::PartitionBlock;
use crate::arch::context;
use crate::arch::gic::{self, INTID_PTIMER, INTID_VTIMER};
use crate::arch::vectors::GuestFrame;
use crate::board::{GICD_BASE, GICD_SIZE};
use crate::health::Fault;
use crate::hsr::Hsr;
use crate::vgic_mmio::{self, Frame, GicRegs, Outcome, Owns};
use crate::virq::{guest_reg, GuestReg};

/// The interrupts partition `p` owns: its own, and its two EL1 timers.
struct PartOwns<'a> {
    p: &'a Partition,
}

impl Owns for PartOwns<'_> {
    fn owns(&self, intid: u32) -> bool {
        intid == INTID_VTIMER || intid == INTID_PTIMER || self.p.irqs.iter().any(|&i| i as u32 == intid)
    }
    fn core(&self) -> u32 {
        self.p.core.0 as u32
    }
}

/// The one GIC frame an access touches, mapped, under the GIC lock (the
/// emulation reads and writes only the frame the access landed in).
struct Mmio(gic::Frame);

impl GicRegs for Mmio {
    fn dist_read(&mut self, offset: u32) -> u32 {
        self.0.read(offset)
    }
    fn dist_write(&mut self, offset: u32, value: u32) {
        self.0.write(offset, value)
    }
    fn redist_read(&mut self, offset: u32) -> u32 {
        self.0.read(offset)
    }
}

/// What became of a data abort.
pub(super) enum Emulation {
    /// A GIC access, emulated; the partition resumes after it.
    Done,
    /// A GIC write the partition may not make: a fault (nothing written).
    Refused(Fault),
    /// Not an access the emulation covers: an ordinary data abort.
    NotGic,
}

/// Register `rt` of the access, in the mode it was made in.
fn read_reg(f: &GuestFrame, rt: usize) -> Option<u32> {
    match guest_reg(f.spsr, rt) {
        GuestReg::Frame(n) => f.r.get(n).copied(),
        GuestReg::FiqBanked(n) => Some(context::read_fiq_reg(n)),
        GuestReg::Unsupported => None,
    }
}

fn write_reg(f: &mut GuestFrame, rt: usize, v: u32) {
    match guest_reg(f.spsr, rt) {
        GuestReg::Frame(n) => {
            if let Some(r) = f.r.get_mut(n) {
                *r = v;
            }
        }
        GuestReg::FiqBanked(n) => context::write_fiq_reg(n, v),
        GuestReg::Unsupported => {}
    }
}

/// Emulates the access of partition `p` (block `b`, on `core`) that
/// faulted at `addr` if it is a GIC access the emulation covers. Not
/// covered (an ordinary fault): another core's redistributor, an access
/// without a valid syndrome, not a single aligned word, or through
/// SP/LR/PC.
pub(super) fn try_emulate(
    p: &Partition,
    core: CoreId,
    b: &mut PartitionBlock,
    hsr: Hsr,
    addr: u32,
) -> Emulation {
    let (redist, rsize) = gic::redistributor(core.0 as u32);
    let (at, window) = if (GICD_BASE..GICD_BASE + GICD_SIZE).contains(&addr) {
        (Frame::Dist(addr.wrapping_sub(GICD_BASE)), gic::DISTRIBUTOR) // addr in the frame
    } else if (redist..redist.wrapping_add(rsize)).contains(&addr) {
        (Frame::Redist(addr.wrapping_sub(redist)), (redist, rsize))
    } else {
        return Emulation::NotGic;
    };
    let iss = hsr.iss();
    let valid = iss & (1 << 24) != 0;
    let word = (iss >> 22) & 0b11 == 0b10;
    let rt = ((iss >> 16) & 0xF) as usize;
    if !valid || !word || !addr.is_multiple_of(4) || guest_reg(b.frame.spsr, rt) == GuestReg::Unsupported {
        return Emulation::NotGic;
    }
    let write = if hsr.is_write() {
        read_reg(&b.frame, rt)
    } else {
        None
    };
    let owns = PartOwns { p };
    let virt = &mut b.vgic.virt;
    let Some(outcome) = gic::with_frame(window, |f| {
        vgic_mmio::access(at, write, &owns, &mut Mmio(f), virt)
    }) else {
        return Emulation::NotGic;
    };
    match outcome {
        Outcome::Read(v) => write_reg(&mut b.frame, rt, v),
        Outcome::Done => {}
        Outcome::Refused { intid, why } => return Emulation::Refused(Fault::GicRefused { addr, intid, why }),
    }
    b.frame.elr = b.frame.elr.wrapping_add(if hsr.il32() { 4 } else { 2 });
    Emulation::Done
}

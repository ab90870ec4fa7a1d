//! The target side of [`crate::vgic_mmio`]: a partition's access to the GIC
//! distributor or to its own core's redistributor arrives as a stage-2
//! data abort; it is decoded from `HSR` (a single 32-bit load or store with
//! a valid syndrome), emulated, and the partition resumes after it. A
//! refused write is reported on the console and ignored.

use hypcfg::ids::CoreId;
use hypcfg::mpu::Attrs;
use hypcfg::system::Partition;

use crate::arch::gic::{INTID_PTIMER, INTID_VTIMER};
use crate::arch::vectors::GuestFrame;
use crate::board::{GICD_BASE, GICD_SIZE, GICR_BASE, GICR_STRIDE};
use crate::hprintln;
use crate::hsr::Hsr;
use crate::mpu;
use crate::vgic_mmio::{self, Frame, GicRegs, Outcome, Owns};

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

/// The physical GIC, reached through a transient device mapping per access.
struct Mmio {
    redist: u32,
}

fn with_window<R>(base: u32, size: u32, f: impl FnOnce(u32) -> R) -> Option<R> {
    let window = mpu::ioremap(base, size, Attrs::HYP_DEVICE).ok()?;
    Some(f(window.addr()))
}

impl GicRegs for Mmio {
    fn dist_read(&mut self, offset: u32) -> u32 {
        // SAFETY: a word inside the distributor window just mapped (the
        // offset is inside the frame: `try_emulate`), no wrap.
        with_window(GICD_BASE, GICD_SIZE, |b| unsafe {
            core::ptr::read_volatile(b.wrapping_add(offset) as *const u32)
        })
        .unwrap_or(0)
    }
    fn dist_write(&mut self, offset: u32, value: u32) {
        // SAFETY: as for `dist_read`.
        with_window(GICD_BASE, GICD_SIZE, |b| unsafe {
            core::ptr::write_volatile(b.wrapping_add(offset) as *mut u32, value)
        });
    }
    fn redist_read(&mut self, offset: u32) -> u32 {
        // SAFETY: a word inside this core's redistributor window.
        with_window(self.redist, GICR_STRIDE, |b| unsafe {
            core::ptr::read_volatile(b.wrapping_add(offset) as *const u32)
        })
        .unwrap_or(0)
    }
}

/// Emulates partition `p`'s access (on `core`, registers in `f`) that
/// faulted at `addr` if it is a GIC access the
/// emulation covers; returns `false` (a fault for the health monitor)
/// otherwise: another core's redistributor, or an access without a valid
/// syndrome, not a single aligned word, or through SP/LR/PC.
pub(super) fn try_emulate(p: &Partition, core: CoreId, f: &mut GuestFrame, hsr: Hsr, addr: u32) -> bool {
    // `core` is one of the board's cores, whose redistributor frames lie
    // below 4 GiB; `addr` is inside the frame it is subtracted from.
    let redist = GICR_BASE.wrapping_add((core.0 as u32).wrapping_mul(GICR_STRIDE));
    let at = if (GICD_BASE..GICD_BASE + GICD_SIZE).contains(&addr) {
        Frame::Dist(addr.wrapping_sub(GICD_BASE))
    } else if (redist..redist.wrapping_add(GICR_STRIDE)).contains(&addr) {
        Frame::Redist(addr.wrapping_sub(redist))
    } else {
        return false;
    };
    let iss = hsr.iss();
    let valid = iss & (1 << 24) != 0;
    let word = (iss >> 22) & 0b11 == 0b10;
    let rt = ((iss >> 16) & 0xF) as usize;
    if !valid || !word || !addr.is_multiple_of(4) || rt > 12 {
        return false;
    }
    let write = if hsr.is_write() {
        f.r.get(rt).copied()
    } else {
        None
    };
    match vgic_mmio::access(at, write, &PartOwns { p }, &mut Mmio { redist }) {
        Outcome::Read(v) => {
            if let Some(r) = f.r.get_mut(rt) {
                *r = v;
            }
        }
        Outcome::Done => {}
        Outcome::Refused { intid, why } => hprintln!(
            "[hyp] GIC: partition {} may not change interrupt {} ({}); write at {:#010x} ignored",
            p.name.as_str(),
            intid,
            why,
            addr
        ),
    }
    f.elr = f.elr.wrapping_add(if hsr.il32() { 4 } else { 2 });
    true
}

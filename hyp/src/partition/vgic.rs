//! Each partition's view of the virtual GIC CPU interface: its list
//! registers and `ICH_VMCR`, saved and restored on a switch. An interrupt
//! passed to a partition with the HW link keeps its physical twin active
//! until the partition deactivates it; when the partition is switched out
//! first, the physical interrupt is deactivated here (so the next
//! partition's interrupts are not blocked) and the saved list register
//! keeps only the virtual state. A pending timer interrupt is dropped on
//! switch-out: the timer's level raises it again when the partition's own
//! timer state is back in the hardware.

use super::Owned;
use crate::arch::gic::{self, ListReg, LRS};
use hypcfg::system::MAX_PARTITIONS;

/// Saved virtual-interface state of one partition.
#[derive(Clone, Copy)]
pub struct VgicState {
    lrs: [ListReg; LRS],
    vmcr: u32,
}

static VGIC: [Owned<VgicState>; MAX_PARTITIONS] = [const {
    Owned::new(VgicState {
        lrs: [(0, 0); LRS],
        vmcr: 0,
    })
}; MAX_PARTITIONS];

const LRC_HW: u32 = 1 << 29;
const LRC_STATE_PENDING: u32 = 0b01 << 30;

/// Queues virtual interrupt `intid`, HW-linked to the physical one, for
/// the running partition. With every list register taken the physical
/// interrupt is deactivated instead (a level source raises it again).
pub fn inject_hw(intid: u32) {
    for n in 0..LRS {
        if gic::lr_free(gic::read_lr(n)) {
            gic::write_lr(n, gic::hw_pending(intid));
            return;
        }
    }
    gic::deactivate(intid);
}

/// Saves partition `id`'s list registers and VMCR and empties the list
/// registers (see the module documentation for HW-linked ones).
pub fn switch_out(id: u8) {
    let Some(slot) = VGIC.get(id as usize) else { return };
    // SAFETY: `id` is pinned to this core and has just trapped.
    let st = unsafe { &mut *slot.ptr() };
    st.vmcr = gic::read_vmcr();
    for n in 0..LRS {
        let (lo, hi) = gic::read_lr(n);
        let mut saved = (lo, hi);
        if !gic::lr_free((lo, hi)) && hi & LRC_HW != 0 {
            gic::deactivate(hi & 0x3FF);
            saved = if hi >> 30 == LRC_STATE_PENDING >> 30 && lo == gic::INTID_VTIMER {
                (0, 0)
            } else {
                (lo, hi & !(LRC_HW | 0x3FF))
            };
        }
        if let Some(s) = st.lrs.get_mut(n) {
            *s = saved;
        }
        gic::write_lr(n, (0, 0));
    }
}

/// Loads partition `id`'s list registers and VMCR.
pub fn switch_in(id: u8) {
    let Some(slot) = VGIC.get(id as usize) else { return };
    // SAFETY: `id` is pinned to this core and not running.
    let st = unsafe { &*slot.ptr() };
    gic::write_vmcr(st.vmcr);
    for (n, lr) in st.lrs.iter().enumerate() {
        gic::write_lr(n, *lr);
    }
}

/// Clears partition `id`'s saved state (at start and restart).
pub fn reset(id: u8) {
    if let Some(slot) = VGIC.get(id as usize) {
        // SAFETY: `id` is pinned to this core and not running.
        unsafe {
            *slot.ptr() = VgicState {
                lrs: [(0, 0); LRS],
                vmcr: 0,
            }
        };
    }
}

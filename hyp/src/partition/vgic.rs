//! Each partition's view of the virtual GIC CPU interface: its list
//! registers and `ICH_VMCR`, saved and restored on a switch. An interrupt
//! passed to a partition with the HW link keeps its physical twin active
//! until the partition deactivates it; when the partition is switched out
//! first, the physical interrupt is deactivated here (so the next
//! partition's interrupts are not blocked) and the saved list register
//! keeps only the virtual state. A pending timer interrupt is dropped on
//! switch-out: the timer's level raises it again when the partition's own
//! timer state is back in the hardware.

use core::sync::atomic::{AtomicU8, Ordering};

use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::system::System;

use super::block::{self, CoreBlock, PartitionBlock};
use crate::arch::gic::{self, VgicState};
use crate::board::LRS;

/// INTIDs below this have an owner entry (covers 224 SPIs).
const OWNED_INTIDS: usize = 256;
const NO_OWNER: u8 = 0xFF;
/// Partition owning each device interrupt (from the system's `irqs`),
/// written once at boot.
static OWNER: [AtomicU8; OWNED_INTIDS] = [const { AtomicU8::new(NO_OWNER) }; OWNED_INTIDS];

/// Marks a channel notification for partition `receiver` (pinned to
/// `core`) and, if that is not the calling core `here`, kicks it; the
/// notification is delivered as virtual interrupt
/// `hypcfg::abi::NOTIFY_INTID` when the receiver runs.
pub fn notify(receiver: PartitionId, core: CoreId, here: CoreId) {
    if let Some(st) = block::status(receiver) {
        st.notify.store(1, Ordering::Release);
    }
    if core != here {
        gic::kick(core.0 as u32);
    }
}

/// Whether the running partition has a virtual interrupt pending in a list
/// register: then a trapped `WFI` must not wait (as on hardware, where a
/// pending interrupt ends `WFI` even with interrupts masked).
pub fn has_pending() -> bool {
    (0..LRS).any(|n| gic::read_lr(n).1 >> 30 & 0b01 != 0)
}

/// Delivers the running partition `b`'s waiting notification, if any.
pub fn deliver_notification(b: &PartitionBlock) {
    if b.status.notify.swap(0, Ordering::AcqRel) != 0 {
        inject_virtual(hypcfg::abi::NOTIFY_INTID);
    }
}

/// Queues a virtual interrupt with no physical twin for the running
/// partition (dropped if every list register is taken: notifications are
/// level-like, the partition sees the messages when it next receives).
fn inject_virtual(intid: u32) {
    for n in 0..LRS {
        if gic::lr_free(gic::read_lr(n)) {
            gic::write_lr(n, gic::virtual_pending(intid));
            return;
        }
    }
}

/// Records which partition owns each device interrupt (core 0, at boot),
/// and returns (INTID, owner's core) of every SPI for the distributor.
pub fn set_owners(s: &System) -> impl Iterator<Item = (u32, u32)> + '_ {
    for (id, p) in s.partitions.iter().enumerate() {
        for &irq in &p.irqs {
            if let Some(o) = OWNER.get(irq as usize) {
                o.store(id as u8, Ordering::Release);
            }
        }
    }
    s.partitions
        .iter()
        .flat_map(|p| p.irqs.iter().map(move |&i| (i as u32, p.core.0 as u32)))
}

/// A device interrupt arrived on this core: pass it to its owner now if
/// the owner is running, hold it (physical interrupt left active) until
/// the owner's next turn if the owner is a partition of this core, or
/// drop it.
pub fn device_irq(k: &mut CoreBlock, s: &System, intid: u32) {
    let owner = PartitionId(
        OWNER
            .get(intid as usize)
            .map_or(NO_OWNER, |o| o.load(Ordering::Acquire)),
    );
    gic::priority_drop(intid);
    if k.running().is_some_and(|b| b.id == owner) {
        inject_hw(intid);
        return;
    }
    let bit = s
        .partitions
        .get(owner.index())
        .and_then(|p| p.irqs.iter().position(|&i| i as u32 == intid));
    let slot = k.slot_of(owner);
    match (bit, slot.and_then(|i| k.block(i))) {
        (Some(bit), Some(b)) if b.status.runnable() => b.held |= 1 << bit,
        _ => gic::deactivate(intid),
    }
}

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

/// Saves the list registers and VMCR of the partition leaving the core
/// into `st` and empties the list registers (see the module documentation
/// for HW-linked ones).
pub fn switch_out(st: &mut VgicState) {
    st.vmcr = gic::read_vmcr();
    for (n, slot) in st.lrs.iter_mut().enumerate() {
        let (lo, hi) = gic::read_lr(n);
        let mut saved = (lo, hi);
        if !gic::lr_free((lo, hi)) && hi & LRC_HW != 0 {
            gic::deactivate(hi & 0x3FF);
            saved = if hi >> 30 == LRC_STATE_PENDING >> 30
                && (lo == gic::INTID_VTIMER || lo == gic::INTID_PTIMER)
            {
                (0, 0)
            } else {
                (lo, hi & !(LRC_HW | 0x3FF))
            };
        }
        *slot = saved;
        gic::write_lr(n, (0, 0));
    }
}

/// Loads partition `b`'s list registers and VMCR, then passes on the
/// device interrupts held for it while it was not running.
pub fn switch_in(s: &System, b: &mut PartitionBlock) {
    gic::write_vmcr(b.vgic.vmcr);
    for (n, lr) in b.vgic.lrs.iter().enumerate() {
        gic::write_lr(n, *lr);
    }
    take_held(s, b, inject_hw);
    deliver_notification(b);
}

/// Clears the device interrupts held for partition `b` and calls `f`
/// with each of their INTIDs.
fn take_held(s: &System, b: &mut PartitionBlock, f: impl Fn(u32)) {
    let held = core::mem::take(&mut b.held);
    if let Some(p) = s.partitions.get(b.id.index()) {
        for (bit, &irq) in p.irqs.iter().enumerate() {
            if held & (1 << bit) != 0 {
                f(irq as u32);
            }
        }
    }
}

/// Clears partition `b`'s saved state (at start and restart); held
/// device interrupts are deactivated (their sources raise them again).
pub fn reset(s: &System, b: &mut PartitionBlock) {
    take_held(s, b, gic::deactivate);
    b.vgic = VgicState::EMPTY;
}

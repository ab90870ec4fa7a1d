//! Each partition's view of the virtual GIC CPU interface and the life
//! cycle of its interrupts.
//!
//! - **Delivery.** A device interrupt (or the running partition's EL1
//!   timer) is acknowledged and its priority dropped at once; its
//!   physical twin stays active, so it cannot fire again, until the
//!   owner deactivates the virtual interrupt through the list register's
//!   HW link. It goes into a free list register of the owner if the owner
//!   runs, else into the owner's queue (`VgicState::queue`, a set of
//!   INTIDs, so never twice). Queued interrupts fill free list registers
//!   when the owner is switched in, and while it runs from the
//!   maintenance interrupt (`ICH_HCR.UIE`: at most one list register
//!   left in use), highest priority first. An INTID is in one list
//!   register or in the queue, never both: its physical twin stays active
//!   until the partition is done with it.
//! - **Switch.** List registers, `ICH_VMCR` and `ICH_AP1R0` are saved and
//!   restored. The EL1 timer PPIs are per core and shared by the core's
//!   partitions: a timer's HW-linked entry (or its place in the queue)
//!   is dropped and its physical interrupt deactivated on switch-out
//!   (its level raises it again when the partition's timer state is
//!   back; an active one is finished by the partition's EOI, which then
//!   matches no list register and only drops its running priority).
//!   SPIs belong to one partition and keep their HW link.
//! - **Level lines** ([`resample`]): an interrupt listed while the
//!   partition cannot take it at once may see its line fall before it is
//!   acknowledged; `ICH_HCR.TALL1` then traps the partition's next
//!   `ICC_*` access, and a fallen entry is taken out (its physical twin
//!   deactivated) before the access runs again, untrapped.
//! - **SGIs** ([`send_self_sgi`], [`withdraw_sgis`]): each partition's
//!   SGIs are virtual, pending bits in its state delivered through free
//!   list registers (no HW link) with its queue.
//! - **Stop, halt, restart** ([`release`], [`reset`]): before anything
//!   else runs on the core, the partition's SPIs are disabled, their
//!   pending and active state cleared and their priority reset at the
//!   distributor; its timers are stopped (live and saved) and, if they
//!   were live, their pending and active state cleared at this core's
//!   redistributor; its list registers, queue and priorities are
//!   dropped. A (re)started partition gets its SPIs enabled again at its
//!   reset priority, as at its first start.

use core::sync::atomic::{AtomicU8, Ordering};

use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::system::{Partition, System};

use super::block::{self, CoreBlock, PartitionBlock};
use crate::arch::gic::{self, VgicState, LRC_ACTIVE, LRC_HW, LRC_PENDING};
use crate::arch::timer;
use crate::board::LRS;

// The refill interrupt (UIE) fires while at most one list register is in
// use: with two or more, it always finds one free, so it cannot fire
// without making progress.
const _: () = assert!(LRS >= 2, "the queue refill needs at least two list registers");
const _: () = assert!(LRS <= 32, "ICH_ELRSR has 32 bits");

/// `ICH_ELRSR` bits of the list registers the hypervisor uses.
const ALL_LRS: u32 = if LRS >= 32 { !0 } else { (1 << LRS) - 1 };

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
    (0..LRS).any(|n| gic::read_lr(n).1 & LRC_PENDING != 0)
}

/// Delivers the running partition `b`'s waiting notification, if any
/// (it stays waiting while no list register can take it).
#[inline]
pub fn deliver_notification(b: &PartitionBlock) {
    if b.status.notify.load(Ordering::Acquire) != 0 {
        let intid = hypcfg::abi::NOTIFY_INTID;
        if inject_virtual(intid, b.vgic.virt.prio.get(intid)) {
            b.status.notify.store(0, Ordering::Release);
        }
    }
}

/// Makes virtual interrupt `intid` (no physical twin) pending for the
/// running partition: in the list register that already holds it (then
/// pending and active), or in a free one; `false` if none is free.
fn inject_virtual(intid: u32, prio: u8) -> bool {
    let mut free = None;
    for n in 0..LRS {
        let lr = gic::read_lr(n);
        if gic::lr_free(lr) {
            free = free.or(Some(n));
        } else if lr.0 == intid && lr.1 & LRC_HW == 0 {
            gic::write_lr(n, (lr.0, lr.1 | LRC_PENDING));
            return true;
        }
    }
    match free {
        Some(n) => {
            gic::write_lr(n, gic::virtual_pending(intid, prio));
            true
        }
        None => false,
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

/// A device interrupt arrived on this core (acknowledged): pass it to its
/// owner now if the owner is running, queue it (physical interrupt left
/// active) for the owner's next turn if the owner is a live partition of
/// this core, or else disable and deactivate it (an interrupt of a
/// stopped partition must not fire again).
pub fn device_irq(k: &mut CoreBlock, intid: u32) {
    let owner = PartitionId(
        OWNER
            .get(intid as usize)
            .map_or(NO_OWNER, |o| o.load(Ordering::Acquire)),
    );
    gic::priority_drop(intid);
    if let Some(b) = k.running().filter(|b| b.id == owner) {
        inject_hw(&mut b.vgic, intid, b.frame.spsr);
        return;
    }
    let queued = match k.slot_of(owner).and_then(|i| k.block(i)) {
        Some(b) if b.status.runnable() => b.vgic.queue.insert(intid),
        _ => false,
    };
    if !queued {
        gic::disable_spi(intid);
        gic::deactivate(intid);
    }
}

/// Passes `intid`, acknowledged with its physical twin left active, to
/// the running partition whose state is `v` (`spsr` its saved CPSR): in
/// a free list register, HW-linked and at the partition's own priority,
/// or else into its queue with the refill interrupt on. Unless the
/// partition takes it the moment it resumes ([`taken_at_once`]), its
/// line is sampled again before the partition acknowledges it
/// ([`resample`]).
pub fn inject_hw(v: &mut VgicState, intid: u32, spsr: u32) {
    let prio = v.virt.prio.get(intid);
    // One `ICH_ELRSR` read finds a free list register and whether any
    // other is in use (the hypervisor never sets `EOI`, so an empty one
    // is exactly a free one).
    let empty = gic::read_elrsr() & ALL_LRS;
    if empty != 0 {
        let n = empty.trailing_zeros(); // below LRS
        gic::write_lr(n as usize, gic::hw_pending(intid, prio));
        // Another in use: it was not empty.
        let others = empty != ALL_LRS;
        // A timer is never pended by software (its PPI's set-pending
        // writes are ignored): no record to keep.
        let sampled = gic::is_el1_timer(intid) || listed(v, intid);
        if sampled && !v.resample && (others || !taken_at_once(spsr, prio)) {
            v.resample = true;
            gic::trap_group1_accesses();
        }
        return;
    }
    if v.queue.insert(intid) {
        gic::set_hcr(true, v.resample);
    } else {
        // Outside the board's INTIDs: nothing to keep it for.
        gic::deactivate(intid);
    }
}

/// Records that `intid` was just put in a list register of the partition
/// whose state is `v`, and whether its line is to be sampled: not if the
/// partition made it pending itself (then it stays pending until
/// acknowledged, whatever the line does).
fn listed(v: &mut VgicState, intid: u32) -> bool {
    if v.virt.soft_pending.remove(intid) {
        v.unsampled.insert(intid);
        false
    } else {
        v.unsampled.remove(intid);
        true
    }
}

/// Whether the running partition (saved CPSR `spsr`), with nothing else
/// in its list registers, takes a group-1 virtual interrupt of priority
/// `prio` as soon as it resumes: IRQs unmasked, group 1 enabled
/// (`ICH_VMCR.VENG1`), the priority above its mask (`VPMR`) and no
/// interrupt active (`ICH_AP1R0` 0). Then it acknowledges the interrupt
/// in its vector, with the line as it was: no need to sample it again.
fn taken_at_once(spsr: u32, prio: u8) -> bool {
    const CPSR_I: u32 = 1 << 7;
    if spsr & CPSR_I != 0 {
        return false;
    }
    let vmcr = gic::read_vmcr();
    let (veng1, vpmr) = (vmcr & (1 << 1) != 0, (vmcr >> 24) as u8);
    veng1 && prio < vpmr && gic::read_apr() == 0
}

/// Moves the running partition `b`'s queued interrupts into its free list
/// registers (highest priority first), delivers its ready virtual SGIs
/// and its notification, then keeps the refill interrupt on while
/// anything still waits.
pub fn refill(b: &mut PartitionBlock) {
    let v = &mut b.vgic;
    let mut queued = !v.queue.is_empty();
    if queued {
        for n in 0..LRS {
            if gic::lr_free(gic::read_lr(n)) {
                let Some(intid) = v.queue.pop_best(&v.virt.prio) else {
                    break;
                };
                // Queued for a while: its line may have fallen since.
                v.resample |= listed(v, intid);
                gic::write_lr(n, gic::hw_pending(intid, v.virt.prio.get(intid)));
            }
        }
        queued = !v.queue.is_empty();
    }
    let sgis = v.virt.sgi.any_ready() && deliver_sgis(v);
    deliver_notification(b);
    let waiting = queued || sgis || b.status.notify.load(Ordering::Relaxed) != 0;
    gic::set_hcr(waiting, b.vgic.resample);
}

/// Puts the running partition's pending and enabled virtual SGIs (state
/// `v`) into free list registers, highest priority first; whether any
/// still waits for one. Out of line: the switch path rarely has any.
#[inline(never)]
fn deliver_sgis(v: &mut VgicState) -> bool {
    while let Some(intid) = v.virt.sgi.take_best(&v.virt.prio) {
        if !inject_virtual(intid, v.virt.prio.get(intid)) {
            v.virt.sgi.raise(intid);
            return true;
        }
    }
    false
}

/// The running partition `b` sends itself SGI `intid` (its own virtual
/// SGI, see [`crate::virq::Sgis`]): pending, and delivered at once if it
/// is enabled and a list register is free (else when one frees up).
pub fn send_self_sgi(b: &mut PartitionBlock, intid: u32) {
    b.vgic.virt.sgi.raise(intid);
    refill(b);
}

/// Takes the running partition's virtual SGIs that wait in its list
/// registers and are not yet acknowledged back into its pending bits,
/// before an access to its redistributor reads or changes them (a
/// disabled or cleared SGI must not stay signalled); [`refill`] puts
/// those still pending and enabled back. An SGI the partition has
/// acknowledged stays active in its list register. INTID
/// [`hypcfg::abi::NOTIFY_INTID`] is left alone: it also carries channel
/// notifications.
pub fn withdraw_sgis(b: &mut PartitionBlock) {
    for n in 0..LRS {
        let (intid, hi) = gic::read_lr(n);
        if intid >= 16 || intid == hypcfg::abi::NOTIFY_INTID || hi & (LRC_HW | LRC_PENDING) != LRC_PENDING {
            continue;
        }
        b.vgic.virt.sgi.raise(intid);
        let rest = hi & !LRC_PENDING;
        gic::write_lr(
            n,
            if rest & LRC_ACTIVE != 0 {
                (intid, rest)
            } else {
                (0, 0)
            },
        );
    }
}

/// Samples again the lines of the level-sensitive interrupts waiting
/// pending (not yet acknowledged) in the running partition's list
/// registers, HW-linked: an EL1 timer's from its control register, an
/// SPI's from the distributor (a level SPI the hypervisor acknowledged is
/// pending there again only while its line is high; an edge-triggered
/// one, or one the partition made pending itself through `GICD_ISPENDR`,
/// is left alone: it stays pending until acknowledged). One whose line
/// has fallen (the partition moved its deadline, masked or stopped its
/// timer, or cleared its device) is no longer pending, as on a GIC: it
/// is taken out and its physical twin deactivated (it fires again if the
/// line rises again). Called on the
/// `ICH_HCR.TALL1` trap of the partition's next GIC CPU interface access
/// (its acknowledge, typically) and before it waits; turns the trap off.
pub fn resample(b: &mut PartitionBlock) {
    for n in 0..LRS {
        let (intid, hi) = gic::read_lr(n);
        if hi & (LRC_HW | LRC_PENDING | LRC_ACTIVE) != LRC_HW | LRC_PENDING {
            continue;
        }
        let fallen = if gic::is_el1_timer(intid) {
            !timer::guest_line_high(intid)
        } else {
            !b.vgic.unsampled.contains(intid) && gic::spi_line_fallen(intid)
        };
        if fallen {
            gic::write_lr(n, (0, 0));
            gic::deactivate(intid);
        }
    }
    b.vgic.resample = false;
    refill(b);
}

/// Saves the list registers, VMCR and active priorities of the partition
/// leaving the core into `st` and empties the list registers (see the
/// module documentation for the timers). Only the list registers in use
/// (`ICH_ELRSR` clear) are read and cleared: an empty one is saved as
/// `(0, 0)` and left as it is, its state invalid, which the GIC ignores
/// and only the hypervisor can read; so every list register is invalid
/// when the next partition's are loaded.
pub fn switch_out(st: &mut VgicState) {
    // Its timer interrupts waiting for a list register: deactivated, as
    // those in list registers below (the PPIs are the next partition's
    // too; the line raises them again when the timers are back).
    const TIMERS: u32 = 1 << gic::INTID_VTIMER | 1 << gic::INTID_PTIMER;
    let queued = st.queue.take_word(0, TIMERS);
    if queued != 0 {
        for t in [gic::INTID_VTIMER, gic::INTID_PTIMER] {
            if queued & 1 << t != 0 {
                gic::deactivate(t);
            }
        }
    }
    // Sampled again after the switch-in if a saved entry still waits.
    st.resample = false;
    st.vmcr = gic::read_vmcr();
    st.apr = gic::read_apr();
    let empty = gic::read_elrsr();
    // The saved slots outside `used` are already (0, 0).
    let was = core::mem::replace(&mut st.used, 0);
    if empty & ALL_LRS == ALL_LRS {
        if was != 0 {
            st.lrs = [(0, 0); LRS];
        }
        return;
    }
    for (n, slot) in st.lrs.iter_mut().enumerate() {
        *slot = (0, 0);
        let bit = 1u32.checked_shl(n as u32).unwrap_or(0);
        if empty & bit != 0 {
            continue;
        }
        let (lo, hi) = gic::read_lr(n);
        gic::write_lr(n, (0, 0));
        if gic::lr_free((lo, hi)) {
            continue;
        }
        if hi & LRC_HW != 0 && gic::is_el1_timer(lo) {
            gic::deactivate(lo);
            continue;
        }
        *slot = (lo, hi);
        st.used |= bit;
        st.resample |= hi & (LRC_HW | LRC_PENDING | LRC_ACTIVE) == LRC_HW | LRC_PENDING;
    }
}

/// Loads partition `b`'s list registers, VMCR and active priorities,
/// then fills free list registers from its queue. Every list register is
/// invalid here ([`switch_out`], [`release`], or reset), so only those
/// the partition had in use (`VgicState::used`) are written.
pub fn switch_in(b: &mut PartitionBlock) {
    gic::write_vmcr(b.vgic.vmcr);
    gic::write_apr(b.vgic.apr);
    if b.vgic.used != 0 {
        for (n, lr) in b.vgic.lrs.iter().enumerate() {
            if !gic::lr_free(*lr) {
                gic::write_lr(n, *lr);
            }
        }
    }
    refill(b);
}

/// Stops every interrupt of partition `p` at the GIC: its SPIs disabled,
/// not pending, not active, at their reset priority, and with `reclaim`
/// enabled again at once (a restart), under the same mapping of the
/// distributor (none for a partition without SPIs); and, if its timers
/// were live (`timers_live`), their pending and active state at this
/// core's (`core`) redistributor.
fn quiesce(p: &Partition, core: u32, timers_live: bool, reclaim: bool) {
    let mut spis = p.irqs.iter().filter(|&&i| i >= 32).peekable();
    if spis.peek().is_some() {
        gic::with_frame(gic::DISTRIBUTOR, |d| {
            for &irq in spis {
                gic::release_spi(d, irq as u32);
                if reclaim {
                    gic::claim_spi(d, irq as u32);
                }
            }
        });
    }
    if timers_live {
        gic::with_frame(gic::redistributor(core), gic::release_timers);
    }
}

/// Partition `slot` of this core stops for good (shut down or halted):
/// everything of its interrupts is dropped before the core runs anything
/// else (see the module documentation).
pub(super) fn release(s: &System, k: &mut CoreBlock, slot: usize) {
    let running = k.current == Some(slot);
    let core = k.core.0 as u32;
    let Some(b) = k.block(slot) else { return };
    if running {
        for n in 0..LRS {
            gic::write_lr(n, (0, 0));
        }
        gic::write_apr(0);
        gic::set_hcr(false, false);
        timer::stop_guest_timers();
    }
    b.el1.stop_timers();
    b.vgic = VgicState::EMPTY;
    if let Some(p) = s.partitions.get(b.id.index()) {
        quiesce(p, core, running, false);
    }
}

/// Partition `b` (re)starts (`load::prepare`, with its EL1 state just
/// reset and no state of it in the list registers): whatever is left of
/// its interrupts from an earlier life is dropped as in [`release`], its
/// live timers stopped (the caller restores its reset EL1 state next),
/// and its SPIs are enabled at their reset priority.
pub fn reset(s: &System, b: &mut PartitionBlock) {
    b.vgic = VgicState::EMPTY;
    timer::stop_guest_timers();
    let Some(p) = s.partitions.get(b.id.index()) else {
        return;
    };
    quiesce(p, b.core.0 as u32, true, true);
}

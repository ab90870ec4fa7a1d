//! The portable rules of the virtual interrupt path: how a partition's
//! priorities map onto physical ones (always below the hypervisor's own),
//! the per-partition priorities the partition sees, the software queue
//! of interrupts waiting for a list register, the virtual SGIs, and
//! which register a trapped access names in the mode it came from. The target side is
//! `hyp::partition::vgic` and `hyp::partition::gic_emul`.

use crate::board::INTERRUPTS;

/// Physical priority of the hypervisor's own interrupts (the `CNTHP`
/// window timer, the maintenance interrupt, the kick SGI): above every
/// priority a partition's interrupt can have ([`physical_priority`]).
pub const HYP_PRIORITY: u8 = 0x40;

/// The physical priority of an interrupt whose owner gave it priority
/// `guest`: `0x80 | (guest >> 1)`. The partition keeps the whole 0x00 to
/// 0xFF range and its order (halved), but it lands in the lower half of
/// the physical range, so whatever it writes, its interrupts never
/// preempt or delay the hypervisor's ([`HYP_PRIORITY`]). (QEMU's GICv3
/// maps a Non-secure view the same way.)
pub const fn physical_priority(guest: u8) -> u8 {
    0x80 | (guest >> 1)
}

/// What the partition reads back for a physical priority byte: its upper
/// seven bits come from the hardware (so a lost hardware update shows),
/// the lowest, which the hardware byte cannot hold, from `stored`, the
/// value the partition last wrote.
pub const fn guest_priority(physical: u8, stored: u8) -> u8 {
    ((physical & 0x7F) << 1) | (stored & 1)
}

const WORDS: usize = (INTERRUPTS as usize).div_ceil(32);

/// The priorities a partition gave its interrupts (its view of
/// `GICD_IPRIORITYR`/`GICR_IPRIORITYR`); they also go into its list
/// registers. All 0 at reset, as the GIC's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priorities([u8; INTERRUPTS as usize]);

impl Priorities {
    /// Every priority 0.
    pub const RESET: Priorities = Priorities([0; INTERRUPTS as usize]);

    /// The priority of `intid` (0 outside the board's INTIDs).
    pub fn get(&self, intid: u32) -> u8 {
        self.0.get(intid as usize).copied().unwrap_or(0)
    }

    /// Sets the priority of `intid` (ignored outside the board's INTIDs).
    pub fn set(&mut self, intid: u32, prio: u8) {
        if let Some(p) = self.0.get_mut(intid as usize) {
            *p = prio;
        }
    }
}

/// A set of INTIDs: a partition's interrupts whose physical twin the
/// hypervisor has acknowledged (so it stays active and cannot fire again)
/// but which wait for a free list register. Being a set, an INTID is in
/// it at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqSet([u32; WORDS]);

impl IrqSet {
    /// The empty set.
    pub const EMPTY: IrqSet = IrqSet([0; WORDS]);

    /// Adds `intid`; `false` if it is outside the board's INTIDs (then
    /// nothing is added).
    pub fn insert(&mut self, intid: u32) -> bool {
        match self.0.get_mut(intid as usize / 32) {
            Some(w) => {
                *w |= 1 << (intid % 32);
                true
            }
            None => false,
        }
    }

    /// Takes `intid` out; whether it was in the set.
    pub fn remove(&mut self, intid: u32) -> bool {
        match self.0.get_mut(intid as usize / 32) {
            Some(w) if *w & (1 << (intid % 32)) != 0 => {
                *w &= !(1 << (intid % 32));
                true
            }
            _ => false,
        }
    }

    /// Sets the 32 members `first..first + 32` (`first` a multiple of
    /// 32) whose bits are set in `bits` (`set`), or takes them out.
    pub fn update_word(&mut self, first: u32, bits: u32, set: bool) {
        if let Some(w) = self.0.get_mut(first as usize / 32) {
            if set {
                *w |= bits;
            } else {
                *w &= !bits;
            }
        }
    }

    /// Takes out the members `first + n` for each bit `n` set in `mask`
    /// (`first` a multiple of 32) and returns which were in: one word's
    /// work.
    pub fn take_word(&mut self, first: u32, mask: u32) -> u32 {
        match self.0.get_mut(first as usize / 32) {
            Some(w) => {
                let taken = *w & mask;
                *w &= !mask;
                taken
            }
            None => 0,
        }
    }

    /// Whether `intid` is in the set.
    pub fn contains(&self, intid: u32) -> bool {
        self.0
            .get(intid as usize / 32)
            .is_some_and(|w| w & (1 << (intid % 32)) != 0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        // Straight-line for this board's four words (the length is known
        // at compile time, so only one arm is built): at opt-level `s` a
        // fold over the words stayed a loop, about a dozen instructions
        // more on every switch.
        match self.0.as_slice() {
            [a, b, c, d] => a | b | c | d == 0,
            words => words.iter().all(|&w| w == 0),
        }
    }

    /// Takes out the member a GIC would signal first: the highest
    /// priority (lowest value in `prio`), the lowest INTID among equals.
    pub fn pop_best(&mut self, prio: &Priorities) -> Option<u32> {
        let mut best: Option<(u8, u32)> = None;
        for (i, &w) in self.0.iter().enumerate() {
            let mut bits = w;
            while bits != 0 {
                let intid = (i as u32).wrapping_mul(32).wrapping_add(bits.trailing_zeros()); // i < 32
                bits &= bits.wrapping_sub(1); // bits != 0 here
                let p = prio.get(intid);
                if best.is_none_or(|(bp, _)| p < bp) {
                    best = Some((p, intid));
                }
            }
        }
        let (_, intid) = best?;
        if let Some(w) = self.0.get_mut(intid as usize / 32) {
            *w &= !(1 << (intid % 32));
        }
        Some(intid)
    }
}

/// A partition's virtual SGIs 0-15 (its view of their `GICR_ISENABLER0`
/// and `GICR_ISPENDR0` bits): they exist only for the partition, never
/// at the hardware, whose SGIs are the hypervisor's. An SGI is a pending
/// bit, not a queue: sending one again while it is pending changes
/// nothing, so no rate of sends can grow the state. Disabled at reset
/// (the GIC leaves it IMPLEMENTATION DEFINED; the GIC-600 and QEMU reset
/// them disabled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sgis {
    /// Bit `n` set: SGI `n` is enabled.
    pub enabled: u16,
    /// Bit `n` set: SGI `n` is pending and not yet in a list register.
    pub pending: u16,
}

impl Sgis {
    /// None enabled, none pending.
    pub const RESET: Sgis = Sgis {
        enabled: 0,
        pending: 0,
    };

    /// Makes SGI `intid` (0-15; higher bits are ignored) pending.
    pub fn raise(&mut self, intid: u32) {
        self.pending |= 1 << (intid & 0xF);
    }

    /// Whether any SGI is pending and enabled (so it waits for a list
    /// register).
    pub fn any_ready(&self) -> bool {
        self.pending & self.enabled != 0
    }

    /// Takes out the pending and enabled SGI a GIC would signal first: the
    /// highest priority (lowest value in `prio`), the lowest INTID among
    /// equals. A pending but disabled SGI stays pending.
    pub fn take_best(&mut self, prio: &Priorities) -> Option<u32> {
        let mut bits = self.pending & self.enabled;
        let mut best: Option<(u8, u32)> = None;
        while bits != 0 {
            let intid = bits.trailing_zeros();
            bits &= bits.wrapping_sub(1); // bits != 0 here
            let p = prio.get(intid);
            if best.is_none_or(|(bp, _)| p < bp) {
                best = Some((p, intid));
            }
        }
        let (_, intid) = best?;
        self.pending &= !(1 << intid);
        Some(intid)
    }
}

/// What the hypervisor keeps of a partition's programming of its
/// interrupts: the priorities it wrote, its virtual SGIs, and which of
/// its SPIs it made pending itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtualIrqs {
    /// Its priorities, as it wrote them.
    pub prio: Priorities,
    /// Its virtual SGIs.
    pub sgi: Sgis,
    /// Its SPIs it made pending through `GICD_ISPENDR` (and did not clear
    /// through `GICD_ICPENDR`) that have not reached a list register
    /// yet: such an interrupt stays pending until acknowledged whatever
    /// its line does, so its delivery is not sampled against the line.
    pub soft_pending: IrqSet,
}

impl VirtualIrqs {
    /// As at reset: every priority 0, no SGI enabled or pending.
    pub const RESET: VirtualIrqs = VirtualIrqs {
        prio: Priorities::RESET,
        sgi: Sgis::RESET,
        soft_pending: IrqSet::EMPTY,
    };
}

/// CPSR mode field of FIQ mode.
pub const MODE_FIQ: u32 = 0x11;

/// Where the register a trapped load or store names (`Rt` in the
/// syndrome) lives, for an access made in CPSR mode `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestReg {
    /// r0-r12 saved in the trap frame (User/System mode's, shared by
    /// every mode but FIQ for r8-r12).
    Frame(usize),
    /// FIQ mode's own r8-r12, still live in the hardware during the
    /// trap (the hypervisor's code never uses the FIQ bank).
    FiqBanked(usize),
    /// SP, LR or PC: not emulated; the access is a fault.
    Unsupported,
}

/// The register `rt` of an access made in `mode`.
pub fn guest_reg(mode: u32, rt: usize) -> GuestReg {
    match rt {
        8..=12 if mode & 0x1F == MODE_FIQ => GuestReg::FiqBanked(rt),
        0..=12 => GuestReg::Frame(rt),
        _ => GuestReg::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guest_priority_is_below_the_hypervisors_and_keeps_its_order() {
        for g in 0..=255u8 {
            let p = physical_priority(g);
            assert!(p >= 0x80 && HYP_PRIORITY < 0x80, "{g:#x} -> {p:#x}");
            assert_eq!(guest_priority(p, g), g, "{g:#x} reads back");
            if g > 0 {
                assert!(physical_priority(g - 1) <= p);
            }
        }
        assert_eq!(physical_priority(0x00), 0x80);
        assert_eq!(physical_priority(0xFF), 0xFF);
    }

    #[test]
    fn a_lost_hardware_update_shows_in_the_read_back() {
        // The hardware still has the old byte for 0xA0: the partition
        // does not read its 0xA0.
        assert_ne!(guest_priority(physical_priority(0x40), 0xA0), 0xA0);
    }

    #[test]
    fn the_queue_hands_out_the_highest_priority_first_each_once() {
        let mut prio = Priorities::RESET;
        let mut q = IrqSet::EMPTY;
        for (intid, p) in [(33, 0xC0), (34, 0x10), (46, 0x10), (120, 0x00), (40, 0x80)] {
            prio.set(intid, p);
            assert!(q.insert(intid));
        }
        assert!(q.insert(34), "a second insert is the same member");
        assert!(!q.insert(INTERRUPTS));
        assert!(q.contains(46) && !q.contains(35));
        let order: Vec<u32> = core::iter::from_fn(|| q.pop_best(&prio)).collect();
        assert_eq!(order, vec![120, 34, 46, 40, 33]);
        assert!(q.is_empty());
        assert_eq!(q.pop_best(&prio), None);
    }

    #[test]
    fn members_are_removed_once_and_words_updated_whole() {
        let mut q = IrqSet::EMPTY;
        q.update_word(32, 1 << 1 | 1 << 3, true);
        assert!(q.contains(33) && q.contains(35) && !q.contains(34));
        assert!(q.remove(33));
        assert!(!q.remove(33), "already out");
        assert!(!q.remove(INTERRUPTS));
        q.update_word(32, 1 << 3, false);
        assert!(q.is_empty());
        q.update_word(INTERRUPTS, 1, true);
        assert!(q.is_empty(), "outside the board: nothing");
        q.update_word(0, 1 << 27 | 1 << 9, true);
        assert_eq!(q.take_word(0, 1 << 27 | 1 << 30), 1 << 27);
        assert!(q.contains(9) && !q.contains(27));
        assert_eq!(q.take_word(INTERRUPTS, !0), 0);
    }

    #[test]
    fn priorities_outside_the_board_read_zero_and_ignore_writes() {
        let mut prio = Priorities::RESET;
        prio.set(INTERRUPTS, 7);
        assert_eq!(prio.get(INTERRUPTS), 0);
        prio.set(27, 0xA0);
        assert_eq!(prio.get(27), 0xA0);
    }

    #[test]
    fn sgis_are_a_pending_bit_each_delivered_by_priority_when_enabled() {
        let mut prio = Priorities::RESET;
        prio.set(3, 0x80);
        prio.set(5, 0x10);
        let mut s = Sgis::RESET;
        for _ in 0..1000 {
            s.raise(3);
        }
        s.raise(5);
        s.raise(0x13); // only the four INTID bits count: SGI 3
        assert_eq!(s.pending, 1 << 3 | 1 << 5, "a pending bit, not a queue");
        assert!(!s.any_ready());
        assert_eq!(s.take_best(&prio), None, "disabled: stays pending");
        s.enabled = 1 << 3 | 1 << 5;
        assert_eq!(s.take_best(&prio), Some(5));
        assert_eq!(s.take_best(&prio), Some(3));
        assert_eq!(s.take_best(&prio), None);
        assert_eq!(s.pending, 0);
        s.raise(7);
        s.raise(6);
        s.enabled = 0xFFFF;
        assert_eq!(s.take_best(&prio), Some(6), "equal priority: lowest INTID");
    }

    #[test]
    fn fiq_mode_names_its_own_r8_to_r12() {
        assert_eq!(guest_reg(0x11, 8), GuestReg::FiqBanked(8));
        assert_eq!(guest_reg(0x11, 12), GuestReg::FiqBanked(12));
        assert_eq!(guest_reg(0x11, 7), GuestReg::Frame(7));
        assert_eq!(guest_reg(0x13, 8), GuestReg::Frame(8));
        assert_eq!(guest_reg(0x1F, 12), GuestReg::Frame(12));
        for rt in 13..=15 {
            assert_eq!(guest_reg(0x13, rt), GuestReg::Unsupported);
            assert_eq!(guest_reg(0x11, rt), GuestReg::Unsupported);
        }
    }
}

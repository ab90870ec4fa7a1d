//! Trap-and-emulate of the GIC distributor and a partition's own
//! redistributor, for partitions with their own GIC driver: neither is
//! mapped for partitions, so every access arrives as a stage-2 data abort
//! and is emulated here, register by register. Writes that concern
//! interrupts the partition owns reach the hardware; writes that would
//! change another's are refused (a fault for the caller's health
//! monitor); everything else reads as the architecture allows (fixed
//! values or zero) and ignores writes. Portable: the hardware is behind
//! [`GicRegs`].
//!
//! Priorities are the partition's own ([`Priorities`]): the hardware gets
//! [`physical_priority`] of what it writes, always below the hypervisor's
//! own interrupts, and it reads back what it wrote. Active state belongs
//! to the hypervisor (it links it to the list registers): it reads as
//! zero and writes are ignored.
//!
//! Groups: every interrupt a partition sees is group 1, and its group is
//! fixed: `GICD_IGROUPR<n>` and `GICR_IGROUPR0` read as one and ignore
//! writes (RAO/WI, as the architecture has it for an interrupt whose group
//! this security state cannot change), for every INTID. A GIC driver's
//! set-up that writes all ones (the `arm-gic` crate's `GicV3::setup`)
//! changes nothing and is not refused; a write of 0 to make an owned
//! interrupt group 0 is ignored too (group 0 would be signalled as FIQ,
//! which the hypervisor does not offer a partition), and the driver reads
//! back 1.
//!
//! SGIs 0-15 are the partition's own and virtual ([`Sgis`]): their
//! enable, pending and priority registers in the redistributor read and
//! write the partition's copy only, never the hardware SGIs the
//! hypervisor uses itself; they are edge-triggered (`GICR_ICFGR0` reads
//! `0xAAAA_AAAA`, writes ignored). Each call is one access; the caller makes
//! it atomic against the other core (the target holds one lock across
//! the read and the write of a shared word).

use crate::gicv3::*;
use crate::virq::{guest_priority, physical_priority, Priorities, Sgis, VirtualIrqs};
use hypcfg::packed::Text;

/// Where an access landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The distributor, at this offset.
    Dist(u32),
    /// The partition's own redistributor (RD_base then SGI_base), at this
    /// offset.
    Redist(u32),
}

/// The physical registers behind the emulation.
pub trait GicRegs {
    /// Reads a 32-bit distributor register.
    fn dist_read(&mut self, offset: u32) -> u32;
    /// Writes a 32-bit distributor register.
    fn dist_write(&mut self, offset: u32, value: u32);
    /// Reads a 32-bit register of the partition's core's redistributor.
    fn redist_read(&mut self, offset: u32) -> u32;
}

/// What the partition may touch: the interrupts it owns.
pub trait Owns {
    /// Whether the partition owns INTID `intid`.
    fn owns(&self, intid: u32) -> bool;
    /// The partition's core (its only allowed routing target).
    fn core(&self) -> u32;
}

/// The result of one emulated access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A read: the value for the partition's register.
    Read(u32),
    /// A write that was applied or ignored as the architecture allows.
    Done,
    /// A write refused because it concerns INTID `intid`, which the
    /// partition does not own (or a routing it may not choose).
    Refused {
        /// The interrupt concerned.
        intid: u32,
        /// Why, for the report.
        why: Text,
    },
}

/// The mask of owned INTIDs in the 32-interrupt word starting at `first`.
fn owned_mask(o: &impl Owns, first: u32) -> u32 {
    // INTIDs here are below 1024 (the register offsets are bounded): no wrap.
    (0..32)
        .filter(|b| o.owns(first.wrapping_add(*b)))
        .fold(0, |m, b| m | 1 << b)
}

/// Emulates one 32-bit access (`write` = the value written, `None` for a
/// read) at `at`; `virt` is the partition's view of its priorities and
/// its virtual SGIs.
pub fn access(
    at: Frame,
    write: Option<u32>,
    o: &impl Owns,
    hw: &mut impl GicRegs,
    virt: &mut VirtualIrqs,
) -> Outcome {
    match at {
        Frame::Dist(off) => dist(off, write, o, hw, virt),
        Frame::Redist(off) => redist(off, write, o, hw, virt),
    }
}

/// What a partition owns in its redistributor: its PPIs, and every SGI
/// (virtual, its own).
struct WithSgis<'a, O>(&'a O);

impl<O: Owns> Owns for WithSgis<'_, O> {
    fn owns(&self, intid: u32) -> bool {
        intid < 16 || self.0.owns(intid)
    }
    fn core(&self) -> u32 {
        self.0.core()
    }
}

/// A set/clear register of SGIs and PPIs (`GICR_IS*R0`/`GICR_IC*R0`):
/// reads show `sgis` and the owned PPIs' bits of `hw`; a write changes
/// the SGI bits in `sgis` (set when `set`, else cleared), ignores the
/// owned PPIs (the EL1 timers are the hypervisor's to enable and pend:
/// the core's partitions share them); setting another's PPI is refused,
/// clearing it is ignored (to the partition it is an interrupt the GIC
/// does not implement: RAZ/WI, what a driver that quiesces every
/// interrupt at start-up relies on).
fn sgi_ppi_bitmap(
    write: Option<u32>,
    o: &impl Owns,
    hw: u32,
    sgis: &mut u16,
    set: bool,
    why: Text,
) -> Outcome {
    let ppis = owned_mask(o, 0) & !0xFFFF;
    match write {
        None => Outcome::Read(u32::from(*sgis) | (hw & ppis)),
        Some(v) if set && v & !(ppis | 0xFFFF) != 0 => Outcome::Refused {
            intid: (v & !(ppis | 0xFFFF)).trailing_zeros(),
            why,
        },
        Some(v) => {
            let bits = v as u16; // the SGIs' half
            if set {
                *sgis |= bits;
            } else {
                *sgis &= !bits;
            }
            Outcome::Done
        }
    }
}

/// The owned bytes of the priority word of INTIDs `first..first + 4`.
fn owned_bytes(o: &impl Owns, first: u32) -> u32 {
    (0..4u32)
        .filter(|&k| o.owns(first.wrapping_add(k)))
        .fold(0u32, |m, k| m | 0xFF << k.wrapping_mul(8))
}

/// Byte `k` of `w`.
fn byte(w: u32, k: u32) -> u8 {
    (w >> k.wrapping_mul(8)) as u8
}

/// A priority word (INTIDs `first..first + 4`) whose hardware value is
/// `current`, of which the partition owns the bytes set in `mask`
/// ([`owned_bytes`]): owned bytes read as the partition's priorities and
/// are written as such (the hardware gets the mapped value, see
/// [`physical_priority`]; `None` from [`Outcome`] when nothing is
/// written); another's byte reads as 0 and ignores writes: to the
/// partition it is an interrupt the GIC does not implement (RAZ/WI), so
/// a driver that gives every interrupt a default priority goes through.
/// Not generic over the owner, one loop for reads and writes: one copy
/// of it in the image, for the distributor and the redistributor.
fn priority_word(
    first: u32,
    write: Option<u32>,
    mask: u32,
    current: u32,
    prio: &mut Priorities,
) -> (Outcome, Option<u32>) {
    // A write keeps another's bytes as they are; a read shows them as 0.
    let mut out = if write.is_some() { current & !mask } else { 0 };
    for k in 0..4u32 {
        if mask & (0xFF << k.wrapping_mul(8)) == 0 {
            continue;
        }
        let intid = first.wrapping_add(k);
        let p = match write {
            None => guest_priority(byte(current, k), prio.get(intid)),
            Some(v) => {
                prio.set(intid, byte(v, k));
                physical_priority(byte(v, k))
            }
        };
        out |= (p as u32) << k.wrapping_mul(8);
    }
    match write {
        None => (Outcome::Read(out), None),
        Some(_) => (Outcome::Done, Some(out)),
    }
}

/// Why an enable or disable is refused.
const ENABLE_WHY: Text = hypcfg::text!("enable/disable of an interrupt it does not own");
/// Why a set- or clear-pending is refused.
const PENDING_WHY: Text = hypcfg::text!("pending state of an interrupt it does not own");

/// A bitmap register (one bit per INTID; a set register when `set`, else
/// a clear one): owned bits pass to `apply`; setting a bit the partition
/// does not own is refused for `why`, clearing one is ignored (RAZ/WI, as
/// for an interrupt the GIC does not implement: drivers clear every
/// interrupt at start-up).
fn bitmap(
    first: u32,
    write: Option<u32>,
    o: &impl Owns,
    read: u32,
    set: bool,
    why: Text,
    apply: impl FnOnce(u32),
) -> Outcome {
    let mask = owned_mask(o, first);
    match write {
        None => Outcome::Read(read & mask),
        Some(v) if set && v & !mask != 0 => Outcome::Refused {
            intid: first.wrapping_add((v & !mask).trailing_zeros()),
            why,
        },
        Some(v) => {
            if v & mask != 0 {
                apply(v & mask);
            }
            Outcome::Done
        }
    }
}

/// A field register (`bits` per INTID): owned fields are read and written
/// through; another's read as 0 and ignore writes (to the partition, an
/// interrupt the GIC does not implement: drivers that configure every
/// interrupt at start-up go through).
fn fields(first: u32, bits: u32, write: Option<u32>, o: &impl Owns, current: u32) -> (Outcome, Option<u32>) {
    // `bits` is 2 or 8 and INTIDs are below 1024: nothing here wraps.
    let per = 32u32.checked_div(bits).unwrap_or(0);
    let field = (1u32 << bits).wrapping_sub(1);
    let mask = (0..per)
        .filter(|k| o.owns(first.wrapping_add(*k)))
        .fold(0u32, |m, k| m | field << k.wrapping_mul(bits));
    match write {
        None => (Outcome::Read(current & mask), None),
        // Fields it does not own read as 0 and ignore writes (RAZ/WI).
        Some(v) => (Outcome::Done, Some((current & !mask) | (v & mask))),
    }
}

/// A distributor register of `bits`-wide fields starting at INTID `first`:
/// owned fields are written through to the hardware. Inlined into its
/// one caller: out of line it costs 80 B more (its arguments and calls).
#[inline(always)]
fn field_register(
    off: u32,
    first: u32,
    bits: u32,
    write: Option<u32>,
    o: &impl Owns,
    hw: &mut impl GicRegs,
) -> Outcome {
    let current = hw.dist_read(off);
    let (out, new) = fields(first, bits, write, o, current);
    if let Some(v) = new {
        hw.dist_write(off, v);
    }
    out
}

fn dist(
    off: u32,
    write: Option<u32>,
    o: &impl Owns,
    hw: &mut impl GicRegs,
    virt: &mut VirtualIrqs,
) -> Outcome {
    let VirtualIrqs {
        prio, soft_pending, ..
    } = virt;
    // The registers that read as one value and ignore writes give the
    // value; the others return their outcome (one shared read-or-ignore
    // tail: code size).
    let fixed = match off {
        // Control (affinity routing on, both groups enabled, as the
        // hypervisor set it), type and identification: as the hardware
        // says; writes are ignored (a write falls to the last arm, which
        // reads nothing: no other arm takes these offsets).
        GICD_CTLR | GICD_TYPER | GICD_IIDR | GICD_PIDR2 if write.is_none() => hw.dist_read(off),
        // Every interrupt is group 1, fixed: RAO/WI (module documentation).
        0x80..=0xFC => u32::MAX,
        // Each arm below starts at the register it subtracts and its
        // offsets are below 0x10000: no arithmetic in this match wraps.
        // Set-enable and clear-enable, set-pending and clear-pending
        // (one arm: code size): owned bits go to the same register;
        // pending ones are noted as pending by software (or not). Each
        // of the four starts at a multiple of 0x80 (the set one at an
        // even one): bits 6:0 give the INTIDs, bit 7 set or clear.
        0x100..=0x1FC | 0x200..=0x2FC => {
            let first = (off & 0x7F).wrapping_mul(8);
            let set = off & 0x80 == 0;
            let pending = off >= GICD_ISPENDR;
            let why = if pending { PENDING_WHY } else { ENABLE_WHY };
            let read = hw.dist_read(off);
            return bitmap(first, write, o, read, set, why, |v| {
                hw.dist_write(off, v);
                if pending {
                    soft_pending.update_word(first, v, set);
                }
            });
        }
        0x400..=0x7F8 => {
            let current = hw.dist_read(off);
            let first = off.wrapping_sub(GICD_IPRIORITYR);
            let (out, new) = priority_word(first, write, owned_bytes(o, first), current, prio);
            if let Some(v) = new {
                hw.dist_write(off, v);
            }
            return out;
        }
        0xC00..=0xCFC => {
            return field_register(off, off.wrapping_sub(GICD_ICFGR).wrapping_mul(4), 2, write, o, hw)
        }
        0x6100..=0x7FDC => {
            let intid = off.wrapping_sub(GICD_IROUTER) / 8;
            let high = off % 8 == 4;
            return match write {
                None if !o.owns(intid) => Outcome::Read(0),
                None => Outcome::Read(if high { 0 } else { hw.dist_read(off) }),
                // Another's: RAZ/WI, as for an interrupt the GIC does not
                // implement (drivers route every SPI at start-up).
                Some(_) if !o.owns(intid) => Outcome::Done,
                // The high word (Aff3) must be 0, the low one's affinity
                // the partition's core.
                Some(v) if (if high { v != 0 } else { v & 0xFF_FFFF != o.core() }) => Outcome::Refused {
                    intid,
                    why: hypcfg::text!("routing to another core"),
                },
                Some(_) => Outcome::Done,
            };
        }
        // Active state (0x300..=0x3FC) is the hypervisor's, and the
        // other offsets are reserved: RAZ/WI.
        _ => 0,
    };
    write.map_or(Outcome::Read(fixed), |_| Outcome::Done)
}

fn redist(
    off: u32,
    write: Option<u32>,
    o: &impl Owns,
    hw: &mut impl GicRegs,
    virt: &mut VirtualIrqs,
) -> Outcome {
    let VirtualIrqs { prio, sgi, .. } = virt;
    let Sgis { enabled, pending } = sgi;
    // As in `dist`: fixed values here, the others return.
    let fixed = match off {
        // TYPER (both words) and IIDR as the hardware says (a write
        // falls to the last arm: no other arm takes these offsets).
        GICR_IIDR | GICR_TYPER | GICR_TYPER_HI if write.is_none() => hw.redist_read(off),
        // Group 1, fixed (module documentation).
        GICR_IGROUPR0 => u32::MAX,
        // The SGIs' enable and pending bits are the partition's virtual
        // ones; its PPIs (the EL1 timers) are enabled by the hypervisor
        // and pend from their lines: writes to them are accepted and
        // ignored, writes to another's refused.
        // (One arm for the four: code size.)
        GICR_ISENABLER0 | GICR_ICENABLER0 | GICR_ISPENDR0 | GICR_ICPENDR0 => {
            let (set_reg, bits, why) = if off >= GICR_ISPENDR0 {
                (GICR_ISPENDR0, pending, PENDING_WHY)
            } else {
                (GICR_ISENABLER0, enabled, ENABLE_WHY)
            };
            let read = hw.redist_read(set_reg);
            return sgi_ppi_bitmap(write, o, read, bits, off == set_reg, why);
        }
        // SGIs are edge-triggered, read-only.
        GICR_ICFGR0 => 0xAAAA_AAAA,
        o_ if (GICR_IPRIORITYR..=GICR_IPRIORITYR + 0x1C).contains(&o_) => {
            // The SGIs' bytes are the partition's alone (virtual).
            let o = &WithSgis(o);
            // The owned PPIs (the EL1 timers) are shared by the partitions
            // of the core: their hardware priority stays the one the
            // hypervisor gave them (below its own); the partition's value
            // is kept for it (read back, and put in its list registers).
            let first = o_.wrapping_sub(GICR_IPRIORITYR); // o_ >= GICR_IPRIORITYR
            let stored = (0..4).fold(0u32, |v, k| {
                v | (physical_priority(prio.get(first.wrapping_add(k))) as u32) << k.wrapping_mul(8)
            });
            let mask = owned_bytes(o, first);
            let current = (hw.redist_read(o_) & !mask) | (stored & mask);
            return priority_word(first, write, mask, current, prio).0;
        }
        // GICR_WAKER reads 0, always awake (the hypervisor woke it at
        // boot); the other offsets are reserved: RAZ/WI.
        _ => 0,
    };
    write.map_or(Outcome::Read(fixed), |_| Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Hw {
        dist: std::collections::HashMap<u32, u32>,
        writes: Vec<(u32, u32)>,
    }

    impl GicRegs for Hw {
        fn dist_read(&mut self, off: u32) -> u32 {
            *self.dist.get(&off).unwrap_or(&0)
        }
        fn dist_write(&mut self, off: u32, v: u32) {
            self.writes.push((off, v));
            self.dist.insert(off, v);
        }
        fn redist_read(&mut self, off: u32) -> u32 {
            if off == GICR_ISENABLER0 {
                1 << 27 | 1 << 26
            } else {
                0x55
            }
        }
    }

    /// Owns the virtual timer PPI 27 and SPI 33 (the dual timer); core 0.
    struct Part;

    impl Owns for Part {
        fn owns(&self, intid: u32) -> bool {
            intid == 27 || intid == 33
        }
        fn core(&self) -> u32 {
            0
        }
    }

    fn acc(at: Frame, write: Option<u32>, h: &mut Hw) -> Outcome {
        let mut prio = VirtualIrqs::RESET;
        access(at, write, &Part, h, &mut prio)
    }

    fn hw() -> Hw {
        Hw {
            dist: Default::default(),
            writes: Vec::new(),
        }
    }

    #[test]
    fn enabling_an_owned_spi_reaches_the_distributor() {
        let mut h = hw();
        assert_eq!(acc(Frame::Dist(0x104), Some(1 << 1), &mut h), Outcome::Done);
        assert_eq!(h.writes, vec![(0x104, 1 << 1)]);
    }

    #[test]
    fn enabling_someone_elses_spi_is_refused_and_nothing_is_written() {
        let mut h = hw();
        let out = acc(Frame::Dist(0x104), Some(1 << 2), &mut h);
        assert_eq!(
            out,
            Outcome::Refused {
                intid: 34,
                why: hypcfg::text!("enable/disable of an interrupt it does not own")
            }
        );
        assert!(h.writes.is_empty());
    }

    #[test]
    fn reads_show_only_owned_interrupts() {
        let mut h = hw();
        h.dist.insert(0x104, u32::MAX);
        assert_eq!(acc(Frame::Dist(0x104), None, &mut h), Outcome::Read(1 << 1));
    }

    #[test]
    fn priority_bytes_of_owned_interrupts_are_mapped_below_the_hypervisor() {
        let mut h = hw();
        let mut prio = VirtualIrqs::RESET;
        // INTIDs 32..35 share 0x420; 33 is byte 1.
        let w = |h: &mut Hw, prio: &mut VirtualIrqs, v| access(Frame::Dist(0x420), v, &Part, h, prio);
        assert_eq!(w(&mut h, &mut prio, Some(0x0000_A000)), Outcome::Done);
        assert_eq!(h.writes, vec![(0x420, 0x0000_D000)]);
        assert_eq!(w(&mut h, &mut prio, None), Outcome::Read(0x0000_A000));
        assert_eq!(prio.prio.get(33), 0xA0);
        // The highest priority a partition can ask for is still below 0x80.
        assert_eq!(w(&mut h, &mut prio, Some(0)), Outcome::Done);
        assert_eq!(h.dist[&0x420], 0x0000_8000);
        assert_eq!(w(&mut h, &mut prio, None), Outcome::Read(0));
        // An odd priority reads back whole although the hardware byte
        // holds seven bits of it.
        assert_eq!(w(&mut h, &mut prio, Some(0x0000_0100)), Outcome::Done);
        assert_eq!(w(&mut h, &mut prio, None), Outcome::Read(0x0000_0100));
        // Another's byte (34) is RAZ/WI: the owned byte is written, the
        // other keeps its hardware value.
        let before = h.dist.get(&0x420).copied().unwrap_or(0);
        assert_eq!(w(&mut h, &mut prio, Some(0x00A0_A000)), Outcome::Done);
        assert_eq!(prio.prio.get(33), 0xA0);
        assert_eq!(prio.prio.get(34), 0, "another's priority is not kept");
        assert_eq!(
            h.dist.get(&0x420).copied().unwrap_or(0) & 0x00FF_0000,
            before & 0x00FF_0000,
            "another's hardware byte unchanged"
        );
        assert_eq!(w(&mut h, &mut prio, None), Outcome::Read(0x0000_A000));
    }

    #[test]
    fn read_modify_write_of_a_shared_priority_word_is_accepted() {
        let mut h = hw();
        let mut prio = VirtualIrqs::RESET;
        h.dist.insert(0x420, 0x8080_0080);
        let Outcome::Read(seen) = access(Frame::Dist(0x420), None, &Part, &mut h, &mut prio) else {
            panic!()
        };
        assert_eq!(seen, 0);
        assert_eq!(
            access(Frame::Dist(0x420), Some(seen | 0xA000), &Part, &mut h, &mut prio),
            Outcome::Done
        );
        assert_eq!(h.dist[&0x420], 0x8080_D080);
    }

    #[test]
    fn ppi_priorities_are_kept_for_the_partition_not_written() {
        let mut h = hw();
        let mut prio = VirtualIrqs::RESET;
        // 27 is byte 3 of the word of 24..27.
        let off = GICR_IPRIORITYR + 24;
        assert_eq!(
            access(Frame::Redist(off), Some(0x1000_0000), &Part, &mut h, &mut prio),
            Outcome::Done
        );
        assert!(h.writes.is_empty());
        assert_eq!(prio.prio.get(27), 0x10);
        assert_eq!(
            access(Frame::Redist(off), None, &Part, &mut h, &mut prio),
            Outcome::Read(0x1000_0000)
        );
        // PPI 24 is another's: RAZ/WI.
        assert_eq!(
            access(Frame::Redist(off), Some(0x0000_0010), &Part, &mut h, &mut prio),
            Outcome::Done
        );
        assert_eq!(prio.prio.get(24), 0);
        assert!(h.writes.is_empty());
    }

    #[test]
    fn pending_of_owned_spis_reaches_the_distributor_active_is_the_hypervisors() {
        let mut h = hw();
        assert_eq!(acc(Frame::Dist(0x204), Some(1 << 1), &mut h), Outcome::Done);
        assert_eq!(acc(Frame::Dist(0x284), Some(1 << 1), &mut h), Outcome::Done);
        assert_eq!(h.writes, vec![(0x204, 1 << 1), (0x284, 1 << 1)]);
        assert!(matches!(
            acc(Frame::Dist(0x204), Some(1 << 2), &mut h),
            Outcome::Refused { intid: 34, .. }
        ));
        h.dist.insert(0x304, u32::MAX);
        assert_eq!(acc(Frame::Dist(0x304), None, &mut h), Outcome::Read(0));
        assert_eq!(acc(Frame::Dist(0x384), Some(1 << 1), &mut h), Outcome::Done);
        assert_eq!(h.writes.len(), 2);
    }

    #[test]
    fn routing_an_owned_spi_to_its_own_core_is_accepted_elsewhere_refused() {
        let mut h = hw();
        assert_eq!(acc(Frame::Dist(0x6000 + 33 * 8), Some(0), &mut h), Outcome::Done);
        assert_eq!(
            acc(Frame::Dist(0x6000 + 33 * 8), Some(1), &mut h),
            Outcome::Refused {
                intid: 33,
                why: hypcfg::text!("routing to another core")
            }
        );
        // Another's SPI: RAZ/WI.
        let writes = h.writes.len();
        assert_eq!(acc(Frame::Dist(0x6000 + 34 * 8), Some(0), &mut h), Outcome::Done);
        assert_eq!(acc(Frame::Dist(0x6000 + 34 * 8), None, &mut h), Outcome::Read(0));
        assert_eq!(h.writes.len(), writes);
    }

    #[test]
    fn control_and_wake_read_as_a_running_gic() {
        let mut h = hw();
        h.dist.insert(0, 0x53);
        assert_eq!(acc(Frame::Dist(0), None, &mut h), Outcome::Read(0x53));
        assert_eq!(acc(Frame::Dist(0), Some(0), &mut h), Outcome::Done);
        assert_eq!(acc(Frame::Redist(0x14), None, &mut h), Outcome::Read(0));
        assert!(h.writes.is_empty());
    }

    #[test]
    fn ppi_enable_of_the_virtual_timer_is_accepted_others_refused() {
        let mut h = hw();
        assert_eq!(
            acc(Frame::Redist(GICR_ISENABLER0), Some(1 << 27), &mut h),
            Outcome::Done
        );
        assert_eq!(
            acc(Frame::Redist(GICR_ISENABLER0), None, &mut h),
            Outcome::Read(1 << 27)
        );
        assert_eq!(
            acc(Frame::Redist(GICR_ISENABLER0), Some(1 << 26), &mut h),
            Outcome::Refused {
                intid: 26,
                why: hypcfg::text!("enable/disable of an interrupt it does not own")
            }
        );
    }

    #[test]
    fn every_group_register_reads_as_one_and_ignores_writes() {
        let mut h = hw();
        // What `arm-gic`'s `GicV3::setup` writes: all ones, for SPIs it
        // does not own and for every SGI and PPI.
        for off in (0x84..=0xFC).step_by(4) {
            assert_eq!(acc(Frame::Dist(off), Some(u32::MAX), &mut h), Outcome::Done);
            assert_eq!(acc(Frame::Dist(off), None, &mut h), Outcome::Read(u32::MAX));
        }
        assert_eq!(
            acc(Frame::Redist(GICR_IGROUPR0), Some(u32::MAX), &mut h),
            Outcome::Done
        );
        // Group 0 for an owned SPI: ignored, it stays group 1.
        assert_eq!(acc(Frame::Dist(0x84), Some(0), &mut h), Outcome::Done);
        assert_eq!(acc(Frame::Dist(0x84), None, &mut h), Outcome::Read(u32::MAX));
        assert_eq!(
            acc(Frame::Redist(GICR_IGROUPR0), None, &mut h),
            Outcome::Read(u32::MAX)
        );
        assert!(h.writes.is_empty());
    }

    #[test]
    fn sgi_enable_and_pending_are_the_partitions_own_never_the_hardwares() {
        let mut h = hw();
        let mut v = VirtualIrqs::RESET;
        let mut a = |off, w, v: &mut VirtualIrqs| access(Frame::Redist(off), w, &Part, &mut h, v);
        // Reads: the SGIs' virtual bits and the owned PPI's hardware bit;
        // the hypervisor's own SGI 9 and PPI 26 are not shown.
        assert_eq!(a(GICR_ISENABLER0, None, &mut v), Outcome::Read(1 << 27));
        assert_eq!(a(GICR_ISENABLER0, Some(1 << 9 | 1 << 1), &mut v), Outcome::Done);
        assert_eq!(v.sgi.enabled, 1 << 9 | 1 << 1);
        assert_eq!(
            a(GICR_ICENABLER0, None, &mut v),
            Outcome::Read(1 << 27 | 1 << 9 | 1 << 1)
        );
        assert_eq!(a(GICR_ICENABLER0, Some(1 << 1), &mut v), Outcome::Done);
        assert_eq!(v.sgi.enabled, 1 << 9);
        assert_eq!(a(GICR_ISPENDR0, Some(1 << 4), &mut v), Outcome::Done);
        assert_eq!(v.sgi.pending, 1 << 4);
        assert_eq!(a(GICR_ISPENDR0, None, &mut v), Outcome::Read(1 << 4));
        assert_eq!(a(GICR_ICPENDR0, Some(0xFFFF), &mut v), Outcome::Done);
        assert_eq!(v.sgi.pending, 0);
        // The owned timer PPI: accepted, nothing written; another's: refused.
        assert_eq!(a(GICR_ISPENDR0, Some(1 << 27), &mut v), Outcome::Done);
        assert_eq!(
            a(GICR_ISPENDR0, Some(1 << 26 | 1 << 2), &mut v),
            Outcome::Refused {
                intid: 26,
                why: hypcfg::text!("pending state of an interrupt it does not own")
            }
        );
        assert_eq!(v.sgi.pending, 0, "a refused write changes nothing");
        // Clearing another's PPI is ignored (RAZ/WI), setting it refused.
        assert_eq!(a(GICR_ICENABLER0, Some(1 << 25), &mut v), Outcome::Done);
        assert!(matches!(
            a(GICR_ISENABLER0, Some(1 << 25), &mut v),
            Outcome::Refused { intid: 25, .. }
        ));
        assert_eq!(a(GICR_ICFGR0, None, &mut v), Outcome::Read(0xAAAA_AAAA));
        assert_eq!(a(GICR_ICFGR0, Some(0), &mut v), Outcome::Done);
        assert!(h.writes.is_empty());
    }

    #[test]
    fn sgi_priorities_are_kept_for_the_partition() {
        let mut h = hw();
        let mut v = VirtualIrqs::RESET;
        // SGIs 8..11: byte 1 is SGI 9, which the hypervisor uses itself at
        // the hardware; the partition's SGI 9 is its own.
        let off = GICR_IPRIORITYR + 8;
        assert_eq!(
            access(Frame::Redist(off), Some(0x4030_2010), &Part, &mut h, &mut v),
            Outcome::Done
        );
        assert_eq!((v.prio.get(8), v.prio.get(9), v.prio.get(11)), (0x10, 0x20, 0x40));
        assert_eq!(
            access(Frame::Redist(off), None, &Part, &mut h, &mut v),
            Outcome::Read(0x4030_2010)
        );
        assert!(h.writes.is_empty());
    }

    #[test]
    fn spis_made_pending_by_software_are_noted_until_cleared() {
        let mut h = hw();
        let mut v = VirtualIrqs::RESET;
        assert_eq!(
            access(Frame::Dist(0x204), Some(1 << 1), &Part, &mut h, &mut v),
            Outcome::Done
        );
        assert!(v.soft_pending.contains(33));
        assert_eq!(
            access(Frame::Dist(0x284), Some(1 << 1), &Part, &mut h, &mut v),
            Outcome::Done
        );
        assert!(v.soft_pending.is_empty());
        assert!(matches!(
            access(Frame::Dist(0x204), Some(1 << 2), &Part, &mut h, &mut v),
            Outcome::Refused { intid: 34, .. }
        ));
        assert!(v.soft_pending.is_empty(), "a refused write notes nothing");
    }

    #[test]
    fn pending_writes_for_anothers_spi_say_pending() {
        let mut h = hw();
        // Clear-pending of another's SPI: ignored; set-pending: refused.
        assert_eq!(acc(Frame::Dist(0x284), Some(1 << 3), &mut h), Outcome::Done);
        assert!(h.writes.is_empty());
        assert_eq!(
            acc(Frame::Dist(0x204), Some(1 << 3), &mut h),
            Outcome::Refused {
                intid: 35,
                why: hypcfg::text!("pending state of an interrupt it does not own")
            }
        );
    }

    #[test]
    fn unknown_registers_read_zero_and_ignore_writes() {
        let mut h = hw();
        assert_eq!(acc(Frame::Dist(0x3000), None, &mut h), Outcome::Read(0));
        assert_eq!(acc(Frame::Dist(0x3000), Some(7), &mut h), Outcome::Done);
        assert!(h.writes.is_empty());
    }
}

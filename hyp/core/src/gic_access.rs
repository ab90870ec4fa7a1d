//! The access sizes the GICv3 architecture permits per register (IHI 0069,
//! "GIC memory-mapped register access"), and accesses of 1, 4 or 8 bytes
//! built on the word-level emulation [`vgic_mmio::access`]:
//!
//! - every register takes 32-bit accesses;
//! - `GICD_IPRIORITYR<n>`, `GICD_ITARGETSR<n>`, `GICD_CPENDSGIR<n>`,
//!   `GICD_SPENDSGIR<n>` and `GICR_IPRIORITYR<n>` also take byte accesses:
//!   a byte write is a read-modify-write of its word (as the partition
//!   sees it, so another partition's bytes are written back unchanged);
//! - the 64-bit registers (`GICD_IROUTER<n>`, `GICR_TYPER` and the LPI
//!   registers) also take 64-bit accesses, as two word accesses: a write
//!   is tried on both words first and made only if both are accepted, so
//!   a refused write changes nothing;
//! - anything else (a halfword, a byte to a word register, 64 bits to a
//!   32-bit register, an access not aligned to its size) is a
//!   [`Refusal`]: the architecture does not define it.
//!
//! The caller runs one call under the GIC lock with the frame mapped, so
//! the words of one access are atomic against the other core.

use core::fmt;

use hypcfg::packed::Text;
use hypcfg::text::{self, Arg, Out, Show};

use crate::gicv3::*;
use crate::insn::NotDecoded;
use crate::vgic_mmio::{self, Frame, GicRegs, Outcome, Owns};
use crate::virq::VirtualIrqs;

/// The sizes a register takes besides 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Width {
    /// 32 bits only.
    Word = 0,
    /// Bytes too.
    Byte = 1,
    /// 64 bits too (a 64-bit register, or either of its halves).
    Double = 2,
}

/// A run of registers of one name and [`Width`], in 8 bytes (the tables
/// are in every image: 45 entries): its name, and in one word the word
/// indices (offset / 4) of its first word (bits 14:0), of its last word
/// (bits 29:15; for a 64-bit register the upper one) and its width
/// (bits 31:30, `Width as u32`).
struct Regs {
    words: u32,
    name: Text,
}

/// The run `first..=last` (offsets of the first bytes of its first and
/// last register) named `name`.
const fn regs(first: u32, last: u32, name: Text, width: Width) -> Regs {
    // A 64-bit register's last word is 4 bytes after its start.
    let end = if matches!(width, Width::Double) {
        last.wrapping_add(4)
    } else {
        last
    };
    // Evaluated when the tables are (they are constants): a run that is
    // not word-aligned, ends before it starts or does not fit in a frame
    // of 128 KiB does not build.
    assert!(
        first.is_multiple_of(4) && last.is_multiple_of(4) && first <= last && end < 0x2_0000,
        "a run of GIC registers is not word-aligned, ends before it starts or is beyond 128 KiB"
    );
    Regs {
        words: (first / 4) | ((end / 4) << 15) | ((width as u32) << 30),
        name,
    }
}

/// The distributor's registers (IHI 0069, table "Distributor register
/// map"), those the board's GIC has.
const DIST: &[Regs] = &[
    regs(GICD_CTLR, GICD_CTLR, hypcfg::text!("GICD_CTLR"), Width::Word),
    regs(GICD_TYPER, GICD_TYPER, hypcfg::text!("GICD_TYPER"), Width::Word),
    regs(GICD_IIDR, GICD_IIDR, hypcfg::text!("GICD_IIDR"), Width::Word),
    regs(0x000C, 0x000C, hypcfg::text!("GICD_TYPER2"), Width::Word),
    regs(0x0010, 0x0010, hypcfg::text!("GICD_STATUSR"), Width::Word),
    regs(0x0040, 0x0058, hypcfg::text!("GICD_SETSPI/CLRSPI"), Width::Word),
    regs(
        GICD_IGROUPR,
        0x00FC,
        hypcfg::text!("GICD_IGROUPR<n>"),
        Width::Word,
    ),
    regs(
        GICD_ISENABLER,
        0x017C,
        hypcfg::text!("GICD_ISENABLER<n>"),
        Width::Word,
    ),
    regs(
        GICD_ICENABLER,
        0x01FC,
        hypcfg::text!("GICD_ICENABLER<n>"),
        Width::Word,
    ),
    regs(
        GICD_ISPENDR,
        0x027C,
        hypcfg::text!("GICD_ISPENDR<n>"),
        Width::Word,
    ),
    regs(
        GICD_ICPENDR,
        0x02FC,
        hypcfg::text!("GICD_ICPENDR<n>"),
        Width::Word,
    ),
    regs(
        GICD_ISACTIVER,
        0x037C,
        hypcfg::text!("GICD_ISACTIVER<n>"),
        Width::Word,
    ),
    regs(
        GICD_ICACTIVER,
        0x03FC,
        hypcfg::text!("GICD_ICACTIVER<n>"),
        Width::Word,
    ),
    regs(
        GICD_IPRIORITYR,
        0x07F8,
        hypcfg::text!("GICD_IPRIORITYR<n>"),
        Width::Byte,
    ),
    regs(0x0800, 0x0BF8, hypcfg::text!("GICD_ITARGETSR<n>"), Width::Byte),
    regs(GICD_ICFGR, 0x0CFC, hypcfg::text!("GICD_ICFGR<n>"), Width::Word),
    regs(0x0D00, 0x0D7C, hypcfg::text!("GICD_IGRPMODR<n>"), Width::Word),
    regs(0x0E00, 0x0EFC, hypcfg::text!("GICD_NSACR<n>"), Width::Word),
    regs(0x0F00, 0x0F00, hypcfg::text!("GICD_SGIR"), Width::Word),
    regs(0x0F10, 0x0F1C, hypcfg::text!("GICD_CPENDSGIR<n>"), Width::Byte),
    regs(0x0F20, 0x0F2C, hypcfg::text!("GICD_SPENDSGIR<n>"), Width::Byte),
    // IROUTER<n> for n = 32..=1019, 8 bytes each.
    regs(0x6100, 0x7FD8, hypcfg::text!("GICD_IROUTER<n>"), Width::Double),
    regs(GICD_PIDR2, GICD_PIDR2, hypcfg::text!("GICD_PIDR2"), Width::Word),
];

/// The redistributor's registers (RD_base, then SGI_base).
const REDIST: &[Regs] = &[
    regs(0x0000, 0x0000, hypcfg::text!("GICR_CTLR"), Width::Word),
    regs(GICR_IIDR, GICR_IIDR, hypcfg::text!("GICR_IIDR"), Width::Word),
    regs(GICR_TYPER, GICR_TYPER, hypcfg::text!("GICR_TYPER"), Width::Double),
    regs(0x0010, 0x0010, hypcfg::text!("GICR_STATUSR"), Width::Word),
    regs(GICR_WAKER, GICR_WAKER, hypcfg::text!("GICR_WAKER"), Width::Word),
    regs(
        0x0040,
        0x0048,
        hypcfg::text!("GICR_SETLPIR/CLRLPIR"),
        Width::Double,
    ),
    regs(
        0x0070,
        0x0078,
        hypcfg::text!("GICR_PROPBASER/PENDBASER"),
        Width::Double,
    ),
    regs(0x00A0, 0x00A0, hypcfg::text!("GICR_INVLPIR"), Width::Double),
    regs(0x00B0, 0x00B0, hypcfg::text!("GICR_INVALLR"), Width::Double),
    regs(0x00C0, 0x00C0, hypcfg::text!("GICR_SYNCR"), Width::Word),
    regs(0xFFE8, 0xFFE8, hypcfg::text!("GICR_PIDR2"), Width::Word),
    regs(
        GICR_IGROUPR0,
        GICR_IGROUPR0,
        hypcfg::text!("GICR_IGROUPR0"),
        Width::Word,
    ),
    regs(
        GICR_ISENABLER0,
        GICR_ISENABLER0,
        hypcfg::text!("GICR_ISENABLER0"),
        Width::Word,
    ),
    regs(
        GICR_ICENABLER0,
        GICR_ICENABLER0,
        hypcfg::text!("GICR_ICENABLER0"),
        Width::Word,
    ),
    regs(
        SGI_BASE + 0x200,
        SGI_BASE + 0x200,
        hypcfg::text!("GICR_ISPENDR0"),
        Width::Word,
    ),
    regs(
        GICR_ICPENDR0,
        GICR_ICPENDR0,
        hypcfg::text!("GICR_ICPENDR0"),
        Width::Word,
    ),
    regs(
        SGI_BASE + 0x300,
        SGI_BASE + 0x300,
        hypcfg::text!("GICR_ISACTIVER0"),
        Width::Word,
    ),
    regs(
        GICR_ICACTIVER0,
        GICR_ICACTIVER0,
        hypcfg::text!("GICR_ICACTIVER0"),
        Width::Word,
    ),
    regs(
        GICR_IPRIORITYR,
        GICR_IPRIORITYR + 0x1C,
        hypcfg::text!("GICR_IPRIORITYR<n>"),
        Width::Byte,
    ),
    regs(
        SGI_BASE + 0xC00,
        SGI_BASE + 0xC04,
        hypcfg::text!("GICR_ICFGR<n>"),
        Width::Word,
    ),
    regs(
        SGI_BASE + 0xD00,
        SGI_BASE + 0xD00,
        hypcfg::text!("GICR_IGRPMODR0"),
        Width::Word,
    ),
    regs(
        SGI_BASE + 0xE00,
        SGI_BASE + 0xE00,
        hypcfg::text!("GICR_NSACR"),
        Width::Word,
    ),
];

/// The name and [`Width`] of the register at `at` (a reserved offset is a
/// 32-bit register that reads as zero).
fn register(at: Frame) -> (Text, Width) {
    let (table, off, other) = match at {
        Frame::Dist(off) => (DIST, off, hypcfg::text!("a GICD register")),
        Frame::Redist(off) => (REDIST, off, hypcfg::text!("a GICR register")),
    };
    let word = off / 4;
    table
        .iter()
        .find(|r| (r.words & 0x7FFF..=(r.words >> 15) & 0x7FFF).contains(&word))
        .map_or((other, Width::Word), |r| {
            let width = match r.words >> 30 {
                1 => Width::Byte,
                2 => Width::Double,
                _ => Width::Word,
            };
            (r.name, width)
        })
}

/// Why an access to the GIC is not emulated (nothing is written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A size the register does not take.
    Size {
        /// Bytes accessed.
        bytes: u8,
        /// The register.
        reg: Text,
    },
    /// An access not aligned to its size.
    Misaligned {
        /// Bytes accessed.
        bytes: u8,
        /// The register.
        reg: Text,
    },
    /// The instruction is not one the emulation decodes.
    Insn(NotDecoded),
    /// A transfer or base register the emulation does not reach.
    Register,
    /// The instruction at the faulting PC is not in the partition's
    /// readable memory.
    Fetch,
    /// The instruction read does not make the faulting access (it was
    /// changed since, or does not match the syndrome).
    Mismatch,
    /// Data accesses are big-endian (`SPSR.E`).
    BigEndian,
}

impl Show for Refusal {
    fn show(&self, o: &mut dyn Out) {
        // One write of the template with arguments and one of the plain
        // texts (rather than one per arm: code size).
        let plain = match *self {
            Refusal::Size { bytes, reg } | Refusal::Misaligned { bytes, reg } => {
                let template = if let Refusal::Size { .. } = self {
                    hypcfg::text!("{}-bit access to {} is not permitted")
                } else {
                    hypcfg::text!("misaligned {}-bit access to {}")
                };
                let bits = u32::from(bytes).wrapping_mul(8);
                return text::write(o, template, &[Arg::from(&bits), Arg::from(&reg)]);
            }
            Refusal::Insn(why) => why.message(),
            Refusal::Register => hypcfg::text!("GIC access through SP, LR or PC is not emulated"),
            Refusal::Fetch => hypcfg::text!("the instruction at PC is not in the partition's memory"),
            Refusal::Mismatch => hypcfg::text!("the instruction at PC does not make the faulting access"),
            Refusal::BigEndian => hypcfg::text!("big-endian GIC access is not emulated"),
        };
        plain.write(o)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

/// Why [`access`] did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The access is not one the architecture permits.
    Access(Refusal),
    /// The emulation refused the write ([`Outcome::Refused`]).
    Write {
        /// The interrupt concerned.
        intid: u32,
        /// Why.
        why: Text,
    },
}

/// Checks that an access of `bytes` at `at` is one its register takes.
pub fn check(at: Frame, bytes: u8) -> Result<(), Refusal> {
    let (reg, width) = register(at);
    let off = match at {
        Frame::Dist(o) | Frame::Redist(o) => o,
    };
    let permitted = match bytes {
        4 => true,
        1 => width == Width::Byte,
        8 => width == Width::Double,
        _ => false,
    };
    if !permitted {
        return Err(Refusal::Size { bytes, reg });
    }
    if off & u32::from(bytes).wrapping_sub(1) != 0 {
        return Err(Refusal::Misaligned { bytes, reg });
    }
    Ok(())
}

/// The frame position `delta` bytes after `at`.
fn plus(at: Frame, delta: u32) -> Frame {
    match at {
        Frame::Dist(o) => Frame::Dist(o.wrapping_add(delta)),
        Frame::Redist(o) => Frame::Redist(o.wrapping_add(delta)),
    }
}

/// Any [`GicRegs`] behind one pointer, so that [`word`] and the word
/// emulation under it are compiled once, not once per hardware type (the
/// real one and its [`Trial`]): ~1.3 KB of code, for a virtual call per
/// register on a path that is not a hot one.
struct Dyn<'a>(&'a mut dyn GicRegs);

impl GicRegs for Dyn<'_> {
    fn dist_read(&mut self, offset: u32) -> u32 {
        self.0.dist_read(offset)
    }
    fn dist_write(&mut self, offset: u32, value: u32) {
        self.0.dist_write(offset, value)
    }
    fn redist_read(&mut self, offset: u32) -> u32 {
        self.0.redist_read(offset)
    }
}

/// One word access, refused as [`Refused::Write`] if the emulation
/// refuses it.
fn word(
    at: Frame,
    write: Option<u32>,
    o: &impl Owns,
    hw: &mut dyn GicRegs,
    prio: &mut VirtualIrqs,
) -> Result<u32, Refused> {
    match vgic_mmio::access(at, write, o, &mut Dyn(hw), prio) {
        Outcome::Read(v) => Ok(v),
        Outcome::Done => Ok(0),
        Outcome::Refused { intid, why } => Err(Refused::Write { intid, why }),
    }
}

/// The hardware seen by a trial write: reads pass through, writes are
/// dropped.
struct Trial<'a>(&'a mut dyn GicRegs);

impl GicRegs for Trial<'_> {
    fn dist_read(&mut self, offset: u32) -> u32 {
        self.0.dist_read(offset)
    }
    fn dist_write(&mut self, _: u32, _: u32) {}
    fn redist_read(&mut self, offset: u32) -> u32 {
        self.0.redist_read(offset)
    }
}

/// Emulates an access of `bytes` (1, 4 or 8) at `at`: `write` is the
/// value stored (its low `bytes` bytes), `None` for a load, which returns
/// the value read (zero-extended). A refused access writes nothing.
pub fn access(
    at: Frame,
    bytes: u8,
    write: Option<u64>,
    o: &impl Owns,
    hw: &mut impl GicRegs,
    prio: &mut VirtualIrqs,
) -> Result<u64, Refused> {
    check(at, bytes).map_err(Refused::Access)?;
    match bytes {
        1 => {
            let (aligned, lane) = match at {
                Frame::Dist(off) => (Frame::Dist(off & !3), off & 3),
                Frame::Redist(off) => (Frame::Redist(off & !3), off & 3),
            };
            let shift = lane.wrapping_mul(8);
            let current = word(aligned, None, o, hw, prio)?;
            match write {
                None => Ok(u64::from((current >> shift) & 0xFF)),
                Some(v) => {
                    let new = (current & !(0xFF << shift)) | ((v as u32 & 0xFF) << shift);
                    // The other bytes are written back as read, so a
                    // refusal is about this byte's interrupt (every byte
                    // register has one INTID per byte, four per word).
                    word(aligned, Some(new), o, hw, prio)
                        .map(|_| 0)
                        .map_err(|e| match e {
                            Refused::Write { intid, why } => Refused::Write {
                                intid: (intid & !3) | lane,
                                why,
                            },
                            other => other,
                        })
                }
            }
        }
        8 => {
            // Two word accesses, low word first. A write is made twice:
            // first tried on both words (on a copy of the partition's
            // interrupt state, with no hardware write), so that either is
            // refused before anything is written, then made. One call
            // site in a loop rather than one per word and pass (code
            // size: this is a cold path).
            let mut scratch = *prio;
            let mut value = 0u64;
            let first = if write.is_some() { 0 } else { 2 };
            for step in first..4u32 {
                let high = step & 1;
                let half = write.map(|v| (v >> high.wrapping_mul(32)) as u32);
                let mut trial;
                let (regs, state): (&mut dyn GicRegs, &mut VirtualIrqs) = if step < 2 {
                    trial = Trial(hw);
                    (&mut trial, &mut scratch)
                } else {
                    (hw, prio)
                };
                let v = word(plus(at, high.wrapping_mul(4)), half, o, regs, state)?;
                value |= u64::from(v) << high.wrapping_mul(32);
            }
            // A write's words are 0 ([`Outcome::Done`]).
            Ok(value)
        }
        _ => word(at, write.map(|v| v as u32), o, hw, prio).map(u64::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A distributor and redistributor of plain words.
    #[derive(Default)]
    struct Hw {
        regs: std::collections::HashMap<u32, u32>,
        writes: Vec<(u32, u32)>,
    }

    impl GicRegs for Hw {
        fn dist_read(&mut self, off: u32) -> u32 {
            *self.regs.get(&off).unwrap_or(&0)
        }
        fn dist_write(&mut self, off: u32, v: u32) {
            self.writes.push((off, v));
            self.regs.insert(off, v);
        }
        fn redist_read(&mut self, off: u32) -> u32 {
            *self.regs.get(&(0x100_0000 + off)).unwrap_or(&0)
        }
    }

    /// Owns SPIs 33 and 35 and the virtual timer PPI 27; core 0.
    struct Part;

    impl Owns for Part {
        fn owns(&self, intid: u32) -> bool {
            matches!(intid, 27 | 33 | 35)
        }
        fn core(&self) -> u32 {
            0
        }
    }

    fn acc(
        h: &mut Hw,
        prio: &mut VirtualIrqs,
        at: Frame,
        bytes: u8,
        write: Option<u64>,
    ) -> Result<u64, Refused> {
        access(at, bytes, write, &Part, h, prio)
    }

    fn refusal(r: Result<u64, Refused>) -> String {
        match r {
            Err(Refused::Access(why)) => why.to_string(),
            other => panic!("not an access refusal: {other:?}"),
        }
    }

    #[test]
    fn byte_writes_to_priorities_change_only_their_byte() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        // INTIDs 32..35 share 0x420; the hypervisor gave 33 and 35 0x80
        // and the others' bytes hold something the partition cannot see.
        h.regs.insert(0x420, 0x8066_8077);
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x421), 1, Some(0xA0)), Ok(0));
        assert_eq!(h.regs[&0x420], 0x8066_D077, "33 mapped below the hypervisor");
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x421), 1, None), Ok(0xA0));
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x423), 1, Some(0x10)), Ok(0));
        assert_eq!(h.regs[&0x420], 0x8866_D077);
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x423), 1, None), Ok(0x10));
        assert_eq!(
            acc(&mut h, &mut prio, Frame::Dist(0x420), 4, None),
            Ok(0x1000_A000)
        );
        // Another partition's byte: RAZ/WI, its hardware byte unchanged.
        let theirs = h.regs[&0x420] & 0x00FF_0000;
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x422), 1, Some(0x20)), Ok(0));
        assert_eq!(h.regs[&0x420] & 0x00FF_0000, theirs);
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x422), 1, None), Ok(0));
    }

    #[test]
    fn byte_accesses_reach_the_redistributor_priorities_and_the_sgi_registers() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        // PPI 27 is byte 3 of GICR_IPRIORITYR6.
        let at = Frame::Redist(GICR_IPRIORITYR + 27);
        assert_eq!(acc(&mut h, &mut prio, at, 1, Some(0x30)), Ok(0));
        assert_eq!(acc(&mut h, &mut prio, at, 1, None), Ok(0x30));
        assert_eq!(prio.prio.get(27), 0x30);
        // ITARGETSR, CPENDSGIR and SPENDSGIR take bytes (and read zero).
        for off in [0x821, 0xF13, 0xF2E] {
            assert_eq!(
                acc(&mut h, &mut prio, Frame::Dist(off), 1, None),
                Ok(0),
                "{off:#x}"
            );
        }
    }

    #[test]
    fn sizes_the_register_does_not_take_are_refused_with_its_name() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        let cases = [
            (Frame::Dist(0), 1, "8-bit access to GICD_CTLR is not permitted"),
            (Frame::Dist(0), 2, "16-bit access to GICD_CTLR is not permitted"),
            (Frame::Dist(0), 8, "64-bit access to GICD_CTLR is not permitted"),
            (
                Frame::Dist(0x420),
                2,
                "16-bit access to GICD_IPRIORITYR<n> is not permitted",
            ),
            (
                Frame::Dist(0x104),
                1,
                "8-bit access to GICD_ISENABLER<n> is not permitted",
            ),
            (
                Frame::Dist(0x6108),
                1,
                "8-bit access to GICD_IROUTER<n> is not permitted",
            ),
            (
                Frame::Dist(0x6104),
                8,
                "misaligned 64-bit access to GICD_IROUTER<n>",
            ),
            (
                Frame::Dist(0x422),
                4,
                "misaligned 32-bit access to GICD_IPRIORITYR<n>",
            ),
            (
                Frame::Dist(0x3000),
                1,
                "8-bit access to a GICD register is not permitted",
            ),
            (
                Frame::Redist(GICR_WAKER),
                8,
                "64-bit access to GICR_WAKER is not permitted",
            ),
            (
                Frame::Redist(GICR_TYPER),
                2,
                "16-bit access to GICR_TYPER is not permitted",
            ),
            (
                Frame::Redist(GICR_ISENABLER0 + 1),
                1,
                "8-bit access to GICR_ISENABLER0 is not permitted",
            ),
        ];
        for (at, bytes, msg) in cases {
            assert_eq!(refusal(acc(&mut h, &mut prio, at, bytes, Some(1))), msg);
            assert_eq!(refusal(acc(&mut h, &mut prio, at, bytes, None)), msg);
        }
        assert!(h.writes.is_empty());
        assert_eq!(prio, VirtualIrqs::RESET);
    }

    #[test]
    fn sixty_four_bit_registers_take_both_sizes() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        h.regs.insert(0x100_0000 + GICR_TYPER, 0x0000_0110);
        h.regs.insert(0x100_0000 + GICR_TYPER_HI, 0x0000_0001);
        let typer = Frame::Redist(GICR_TYPER);
        assert_eq!(acc(&mut h, &mut prio, typer, 8, None), Ok(0x1_0000_0110));
        assert_eq!(acc(&mut h, &mut prio, typer, 4, None), Ok(0x110));
        assert_eq!(
            acc(&mut h, &mut prio, Frame::Redist(GICR_TYPER_HI), 4, None),
            Ok(1)
        );
        // IROUTER of an owned SPI: 64-bit and either half.
        let route = Frame::Dist(GICD_IROUTER + 33 * 8);
        h.regs.insert(GICD_IROUTER + 33 * 8, 0);
        assert_eq!(acc(&mut h, &mut prio, route, 8, Some(0)), Ok(0));
        assert_eq!(acc(&mut h, &mut prio, route, 8, None), Ok(0));
        assert_eq!(acc(&mut h, &mut prio, plus(route, 4), 4, Some(0)), Ok(0));
    }

    #[test]
    fn a_refused_half_of_a_64_bit_write_writes_neither() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        let route = Frame::Dist(GICD_IROUTER + 33 * 8);
        // Low half fine (core 0), high half (Aff3) routes elsewhere.
        assert_eq!(
            acc(&mut h, &mut prio, route, 8, Some(1 << 32)),
            Err(Refused::Write {
                intid: 33,
                why: hypcfg::text!("routing to another core")
            })
        );
        assert!(h.writes.is_empty());
        // Another's SPI: RAZ/WI, both halves, nothing written.
        assert_eq!(
            acc(&mut h, &mut prio, Frame::Dist(GICD_IROUTER + 34 * 8), 8, Some(0)),
            Ok(0)
        );
        assert!(h.writes.is_empty());
    }

    #[test]
    fn a_trial_write_never_reaches_the_hardware() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        assert_eq!(
            word(
                Frame::Dist(0x104),
                Some(1 << 1),
                &Part,
                &mut Trial(&mut h),
                &mut prio
            ),
            Ok(0)
        );
        assert!(h.writes.is_empty());
        assert_eq!(
            word(Frame::Dist(0x104), Some(1 << 1), &Part, &mut h, &mut prio),
            Ok(0)
        );
        assert_eq!(h.writes, vec![(0x104, 1 << 1)]);
    }

    #[test]
    fn word_accesses_are_the_word_emulation() {
        let mut h = Hw::default();
        let mut prio = VirtualIrqs::RESET;
        h.regs.insert(0, 0x53);
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0), 4, None), Ok(0x53));
        assert_eq!(acc(&mut h, &mut prio, Frame::Dist(0x104), 4, Some(1 << 3)), Ok(0));
        assert_eq!(h.writes, vec![(0x104, 1 << 3)]);
    }
}

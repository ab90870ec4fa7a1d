//! The target side of [`crate::vgic_mmio`]: a partition's access to the GIC
//! distributor or to its own core's redistributor arrives as a stage-2
//! data abort; it is decoded from `HSR` when the syndrome is valid (a
//! single load or store without write-back), else from the instruction at
//! the faulting PC, read through the guest-memory checks ([`crate::insn`]:
//! `LDR`/`STR` in every size and indexing, `LDRD`/`STRD`, A32 and T32),
//! emulated in the sizes the register takes ([`crate::gic_access`]), and
//! the partition resumes after it with its registers and written-back
//! base as the instruction leaves them.
//!
//! Each access is atomic against the other core: the GIC lock is held and
//! the one frame it touches mapped for the whole access
//! ([`gic::with_frame`]), a read-modify-write of a word shared with
//! another partition's interrupts included. The register the instruction
//! names is the one of the mode it ran in (FIQ mode's own r8-r12, see
//! [`crate::virq::guest_reg`]); SP, LR and PC are not emulated (a fault).
//! A refused write ([`Fault::GicRefused`]) or access ([`Fault::GicAccess`]:
//! a size the register does not take, an instruction not decoded) is a
//! fault for the health monitor and changes nothing: no register, no
//! write-back, no GIC state; under `log` it is skipped.

use hypcfg::ids::CoreId;
use hypcfg::system::Partition;

use super::block::PartitionBlock;
use crate::arch::context;
use crate::arch::gic;
use crate::arch::vectors::GuestFrame;
use crate::board::{GICD_BASE, GICD_SIZE};
use crate::guest_mem::{check_read, BufferMap};
use crate::health::Fault;
use crate::hsr::{it_advance, Hsr};
use crate::vgic_mmio::{Frame, GicRegs, Owns};
use crate::virq::{guest_reg, GuestReg};
use hyp_core::gic_access::{self, Refusal, Refused};
use hyp_core::insn::{self, LoadStore, Offset};

/// The interrupts partition `p` owns: its own, and its two EL1 timers.
struct PartOwns<'a> {
    p: &'a Partition,
}

impl Owns for PartOwns<'_> {
    // Out of line: the emulation asks it from several places (one
    // inlined copy of the search each otherwise); it is not a hot path.
    #[inline(never)]
    fn owns(&self, intid: u32) -> bool {
        gic::is_el1_timer(intid) || self.p.irqs.iter().any(|&i| i as u32 == intid)
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
    /// A GIC access the partition may not make: a fault (nothing
    /// written), and the length of its instruction (to step over it:
    /// `HSR.IL` says 32 bits for every abort without a valid syndrome).
    Refused(Fault, u32),
    /// Not an access the emulation covers: an ordinary data abort.
    NotGic,
}

/// Register `rt` of the access, in the mode it was made in: r0-r12
/// (FIQ mode's own r8-r12); `None` for SP, LR and PC.
pub(super) fn read_reg(f: &GuestFrame, rt: usize) -> Option<u32> {
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

/// `SPSR.T`: the partition ran T32 code.
const SPSR_T: u32 = 1 << 5;
/// `SPSR.E`: its data accesses are big-endian.
const SPSR_E: u32 = 1 << 9;
/// `SPSR.C`: the carry flag (`RRX` offsets).
const SPSR_C: u32 = 1 << 29;
/// `HSR.ISS.ISV` of a data abort: the syndrome describes the access.
const ISS_ISV: u32 = 1 << 24;

/// What an access does to the partition's registers.
struct Transfer {
    load: bool,
    bytes: u8,
    signed: bool,
    rt: usize,
    rt2: Option<usize>,
    /// The base register and its new value, if written back.
    wback: Option<(usize, u32)>,
    /// Instruction length.
    len: u32,
}

/// Reads the `len` (2 or 4) bytes of instruction at `pc` of the
/// partition whose buffer map is `mem`, little-endian: only from its own
/// readable memory (the checks every guest buffer passes), never from a
/// device or another partition.
fn fetch(mem: &BufferMap, pc: u32, len: u32) -> Result<u32, Refusal> {
    fetch_raw(mem, pc, len).ok_or(Refusal::Fetch)
}

/// [`fetch`]'s work: one out-of-line copy for every fetch (four were
/// inlined), its result an `Option` so that it comes back in registers.
#[inline(never)]
fn fetch_raw(mem: &BufferMap, pc: u32, len: u32) -> Option<u32> {
    let mut buf = [0u8; 4];
    let src = check_read(mem, pc, len, len).ok()?;
    super::env::copy_from_guest(&src, &mut buf);
    Some(u32::from_le_bytes(buf))
}

/// The T32 halfword at `pc` ([`fetch`]).
fn fetch16(mem: &BufferMap, pc: u32) -> Result<u16, Refusal> {
    fetch(mem, pc, 2).map(|w| w as u16)
}

/// The length in bytes of the instruction of the partition (buffer map
/// `mem`, frame `f`)
/// that took data abort `hsr`, to step over it. With a valid syndrome
/// (`HSR.ISV` 1) it is `HSR.IL`; without one `HSR.IL` is 1 whatever the
/// instruction (Arm ARM, `HSR.IL`), so a T32 instruction's length is read
/// from its first halfword, through the same guest-memory checks as
/// [`decode`]: 32 bits iff its bits [15:11] are `0b11101`, `0b11110` or
/// `0b11111`. A32 instructions are 4 bytes. A first halfword that cannot
/// be read (never the case for code the partition could run: every
/// executable region is readable) keeps `HSR.IL`.
pub(super) fn abort_insn_len(mem: &BufferMap, f: &GuestFrame, hsr: Hsr) -> u32 {
    let il = if hsr.il32() { 4 } else { 2 };
    if hsr.iss() & ISS_ISV != 0 || f.spsr & SPSR_T == 0 {
        return il;
    }
    match fetch16(mem, f.elr) {
        Ok(hw1) if !insn::t32_is_32bit(hw1) => 2,
        Ok(_) => 4,
        Err(_) => il,
    }
}

/// Reads and decodes the instruction at the frame's PC; `Err` carries
/// its length, once known, for stepping over it. One path for A32 and
/// T32 (an A32 instruction is a first fetch of 4 bytes, a T32 one of 2
/// and, if 32 bits long, a second of 2): one decoder call and one error
/// mapping each, not one per instruction set.
fn decode(mem: &BufferMap, f: &GuestFrame) -> Result<LoadStore, (Refusal, Option<u32>)> {
    let pc = f.elr;
    let t32 = f.spsr & SPSR_T != 0;
    // A T32 first halfword that cannot be read leaves the length unknown.
    let first = fetch(mem, pc, if t32 { 2 } else { 4 }).map_err(|e| (e, (!t32).then_some(4)))?;
    let len = if t32 && !insn::t32_is_32bit(first as u16) {
        2
    } else {
        4
    };
    let second = if t32 && len == 4 {
        fetch16(mem, pc.wrapping_add(2)).map_err(|e| (e, Some(4)))?
    } else {
        0
    };
    let d = if t32 {
        insn::decode_t32(first as u16, second)
    } else {
        insn::decode_a32(first)
    };
    d.map_err(|e| (Refusal::Insn(e), Some(len)))
}

/// The transfer of the access at `addr` (a write if `write`): from the
/// syndrome when it is valid, else from the instruction, whose address
/// must be `addr` and direction `write` (else it is not the instruction
/// that faulted: the partition changed it meanwhile).
fn transfer(
    mem: &BufferMap,
    f: &GuestFrame,
    hsr: Hsr,
    addr: u32,
) -> Result<Transfer, (Refusal, Option<u32>)> {
    let iss = hsr.iss();
    let len = if hsr.il32() { 4 } else { 2 };
    if iss & ISS_ISV != 0 {
        // ISV: SAS (bytes 1, 2, 4; 8 is reserved), SSE, SRT, WnR.
        let bytes = 1u8 << ((iss >> 22) & 3);
        if bytes == 8 {
            return Err((Refusal::Mismatch, Some(len)));
        }
        return Ok(Transfer {
            load: !hsr.is_write(),
            bytes,
            signed: iss & (1 << 21) != 0,
            rt: ((iss >> 16) & 0xF) as usize,
            rt2: None,
            wback: None,
            len,
        });
    }
    let d = decode(mem, f)?;
    let refuse = |why| Err((why, Some(d.len)));
    let rn = usize::from(d.rn);
    let Some(base) = read_reg(f, rn) else {
        return refuse(Refusal::Register);
    };
    let rm = match d.offset {
        Offset::Imm(_) => 0,
        Offset::Reg { rm, .. } => match read_reg(f, usize::from(rm)) {
            Some(v) => v,
            None => return refuse(Refusal::Register),
        },
    };
    let (at, wback) = d.address(base, rm, f.spsr & SPSR_C != 0);
    if at != addr || d.load == hsr.is_write() {
        return refuse(Refusal::Mismatch);
    }
    Ok(Transfer {
        load: d.load,
        bytes: d.bytes,
        signed: d.signed,
        rt: usize::from(d.rt),
        rt2: d.rt2.map(usize::from),
        wback: wback.map(|v| (rn, v)),
        len: d.len,
    })
}

/// A loaded value of `bytes`, sign-extended if `signed`, as the
/// transfer register's (and for a pair the second register's) value.
fn extend(raw: u64, bytes: u8, signed: bool) -> (u32, u32) {
    let lo = match (bytes, signed) {
        (1, true) => raw as u8 as i8 as i32 as u32,
        (2, true) => raw as u16 as i16 as i32 as u32,
        _ => raw as u32,
    };
    (lo, (raw >> 32) as u32)
}

/// Emulates the access of partition `p` (block `b`, on `core`) that
/// faulted at `addr` if it is a GIC access: the distributor or this
/// core's redistributor. Another core's redistributor, or any other
/// address, is an ordinary fault.
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
    let refused = |why, len: Option<u32>| {
        Emulation::Refused(
            Fault::GicAccess { addr, why },
            len.unwrap_or(if hsr.il32() { 4 } else { 2 }),
        )
    };
    let t = match transfer(&b.buffers, &b.frame, hsr, addr) {
        Ok(t) => t,
        Err((why, len)) => return refused(why, len),
    };
    if b.frame.spsr & SPSR_E != 0 {
        return refused(Refusal::BigEndian, Some(t.len));
    }
    // Both registers must be reachable, loads' too: read for both (a
    // load's values are not used; reading is what says they are
    // reachable, with one check rather than a second one).
    let lo = read_reg(&b.frame, t.rt);
    let hi = t.rt2.map_or(Some(0), |r| read_reg(&b.frame, r));
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return refused(Refusal::Register, Some(t.len));
    };
    let write = (!t.load).then_some(u64::from(lo) | u64::from(hi) << 32);
    let owns = PartOwns { p };
    let virt = &mut b.vgic.virt;
    let Some(result) = gic::with_frame(window, |f| {
        gic_access::access(at, t.bytes, write, &owns, &mut Mmio(f), virt)
    }) else {
        return Emulation::NotGic;
    };
    let raw = match result {
        Ok(v) => v,
        Err(Refused::Access(why)) => return refused(why, Some(t.len)),
        Err(Refused::Write { intid, why }) => {
            return Emulation::Refused(Fault::GicRefused { addr, intid, why }, t.len)
        }
    };
    let f = &mut b.frame;
    if t.load {
        let (lo, hi) = extend(raw, t.bytes, t.signed);
        write_reg(f, t.rt, lo);
        if let Some(r2) = t.rt2 {
            write_reg(f, r2, hi);
        }
    }
    if let Some((rn, v)) = t.wback {
        write_reg(f, rn, v);
    }
    f.elr = f.elr.wrapping_add(t.len);
    f.spsr = it_advance(f.spsr);
    Emulation::Done
}

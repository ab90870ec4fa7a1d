//! Decoding of the A32 and T32 single and dual load/store instructions, for
//! the GIC emulation ([`crate::gic_access`]): a data abort without a valid
//! syndrome (`HSR.ISV` 0: `LDRD`/`STRD`, every form with write-back or
//! post-indexing) only says where the access went, so the hypervisor reads
//! the instruction at the faulting PC and decodes it here (Arm ARM for
//! Armv8-R AArch32, the Armv7-A/R encodings it keeps).
//!
//! Decoded: `LDR`/`STR`, `LDRB`/`STRB`, `LDRH`/`STRH`, `LDRSB`/`LDRSH` with
//! an immediate or a (shifted) register offset, offset, pre-indexed with
//! write-back and post-indexed; `LDRD`/`STRD` (immediate and register in
//! A32, immediate in T32); the T32 16-bit immediate, register and
//! SP-relative forms. Everything else is a [`NotDecoded`] that says what
//! it is: `LDM`/`STM` (and `PUSH`/`POP`), exclusive and acquire/release
//! accesses, the unprivileged `LDRT` family, FP and coprocessor transfers,
//! and encodings the architecture calls UNPREDICTABLE (which a hostile
//! partition may use to make a decoder guess).

use core::fmt;

use hypcfg::packed::Text;
use hypcfg::text::{self, Out, Show};

/// The shift applied to a register offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    /// Logical shift left by 0 to 31.
    Lsl,
    /// Logical shift right by 1 to 32.
    Lsr,
    /// Arithmetic shift right by 1 to 32.
    Asr,
    /// Rotate right by 1 to 31.
    Ror,
    /// Rotate right by one through the carry flag.
    Rrx,
}

/// The offset added to or subtracted from the base register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offset {
    /// An immediate, already scaled.
    Imm(u32),
    /// Register `rm`, shifted by `shift` and `amount`.
    Reg {
        /// The offset register.
        rm: u8,
        /// The shift applied to it.
        shift: Shift,
        /// The shift amount (0 for [`Shift::Rrx`]).
        amount: u8,
    },
}

/// A decoded single or dual load/store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadStore {
    /// A load (else a store).
    pub load: bool,
    /// Bytes accessed: 1, 2, 4, or 8 for a register pair.
    pub bytes: u8,
    /// A load that sign-extends (`LDRSB`, `LDRSH`).
    pub signed: bool,
    /// The transfer register (the lower word of a pair).
    pub rt: u8,
    /// The second register of a pair (`LDRD`/`STRD`: the upper word).
    pub rt2: Option<u8>,
    /// The base register (15: PC-relative, a literal).
    pub rn: u8,
    /// The offset.
    pub offset: Offset,
    /// The offset is added (else subtracted).
    pub add: bool,
    /// The access is at base + offset (else at the base: post-indexed).
    pub index: bool,
    /// The base register is written back with base + offset.
    pub wback: bool,
    /// Instruction length in bytes (2 or 4).
    pub len: u32,
}

/// Why an instruction is not decoded: each says what it is, for the
/// report of the refused access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotDecoded {
    /// `LDM`/`STM`, `PUSH`/`POP`.
    Multiple,
    /// `LDREX`/`STREX`, `LDA`/`STL` and the other synchronisation forms.
    Exclusive,
    /// `LDRT`/`STRT` and the other unprivileged forms.
    Unprivileged,
    /// `VLDR`/`VSTR`/`VLDM`/`VSTM`, `LDC`/`STC`.
    Coprocessor,
    /// An encoding the architecture calls UNPREDICTABLE.
    Unpredictable,
    /// Anything else (not a load or store, or undefined).
    Other,
}

impl NotDecoded {
    /// The report of the refused access.
    pub const fn message(self) -> Text {
        match self {
            NotDecoded::Multiple => hypcfg::text!("LDM/STM to the GIC is not emulated"),
            NotDecoded::Exclusive => {
                hypcfg::text!("exclusive or acquire/release access to the GIC is not emulated")
            }
            NotDecoded::Unprivileged => {
                hypcfg::text!("unprivileged LDRT/STRT access to the GIC is not emulated")
            }
            NotDecoded::Coprocessor => hypcfg::text!("VLDR/VSTR/LDC/STC access to the GIC is not emulated"),
            NotDecoded::Unpredictable => hypcfg::text!("UNPREDICTABLE load/store encoding"),
            NotDecoded::Other => hypcfg::text!("not a load or store the GIC emulation decodes"),
        }
    }
}

impl Show for NotDecoded {
    fn show(&self, o: &mut dyn Out) {
        self.message().write(o)
    }
}

impl fmt::Display for NotDecoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

/// Whether a T32 instruction whose first halfword is `hw1` is 32 bits
/// long (its second halfword follows at PC + 2).
pub const fn t32_is_32bit(hw1: u16) -> bool {
    hw1 >> 11 >= 0b11101
}

/// Bit `n` of `v`.
const fn bit(v: u32, n: u32) -> bool {
    (v >> n) & 1 != 0
}

/// Register field of `v` at bits `lo + 3 .. lo`.
const fn reg(v: u32, lo: u32) -> u8 {
    ((v >> lo) & 0xF) as u8
}

/// `DecodeImmShift` of the Arm ARM.
const fn imm_shift(ty: u32, imm5: u32) -> (Shift, u8) {
    match (ty & 3, imm5 & 0x1F) {
        (0, n) => (Shift::Lsl, n as u8),
        (1, 0) => (Shift::Lsr, 32),
        (1, n) => (Shift::Lsr, n as u8),
        (2, 0) => (Shift::Asr, 32),
        (2, n) => (Shift::Asr, n as u8),
        (_, 0) => (Shift::Rrx, 0),
        (_, n) => (Shift::Ror, n as u8),
    }
}

/// Decodes the A32 instruction `insn`. Both groups end in one
/// [`LoadStore`] (one construction in the code, not one per group).
#[inline(never)]
pub fn decode_a32(insn: u32) -> Result<LoadStore, NotDecoded> {
    if insn >> 28 == 0xF {
        // The unconditional space: PLD, RFE, SRS, ...
        return Err(NotDecoded::Other);
    }
    let (p, u, w, l) = (bit(insn, 24), bit(insn, 23), bit(insn, 21), bit(insn, 20));
    let (rn, rt) = (reg(insn, 16), reg(insn, 12));
    let (load, bytes, signed, rt2, offset);
    match (insn >> 25) & 7 {
        // LDR, STR, LDRB, STRB (immediate, register).
        op @ (0b010 | 0b011) => {
            if op == 0b011 && bit(insn, 4) {
                return Err(NotDecoded::Other); // media instructions
            }
            if !p && w {
                return Err(NotDecoded::Unprivileged);
            }
            offset = if op == 0b010 {
                Offset::Imm(insn & 0xFFF)
            } else {
                let (shift, amount) = imm_shift(insn >> 5, insn >> 7);
                Offset::Reg {
                    rm: reg(insn, 0),
                    shift,
                    amount,
                }
            };
            let byte = bit(insn, 22);
            if byte && rt == 15 {
                return Err(NotDecoded::Unpredictable);
            }
            (load, bytes, signed, rt2) = (l, if byte { 1 } else { 4 }, false, None);
        }
        // The extra load/store instructions: bits 7 and 4 set, bits 6:5 not 0.
        0b000 if insn & 0x90 == 0x90 => {
            let op2 = (insn >> 5) & 3;
            if op2 == 0 {
                // Multiply (bit 24 clear) or synchronisation primitives.
                return Err(if p {
                    NotDecoded::Exclusive
                } else {
                    NotDecoded::Other
                });
            }
            // (op2, L): 01x STRH/LDRH, 10 LDRD / LDRSB, 11 STRD / LDRSH.
            let pair = op2 != 1 && !l;
            if !p && w {
                return Err(if pair {
                    NotDecoded::Unpredictable
                } else {
                    NotDecoded::Unprivileged
                });
            }
            offset = if bit(insn, 22) {
                Offset::Imm(((insn >> 4) & 0xF0) | (insn & 0xF))
            } else if (insn >> 8) & 0xF != 0 {
                return Err(NotDecoded::Unpredictable); // (0)(0)(0)(0)
            } else {
                Offset::Reg {
                    rm: reg(insn, 0),
                    shift: Shift::Lsl,
                    amount: 0,
                }
            };
            if rt == 15 {
                return Err(NotDecoded::Unpredictable);
            }
            rt2 = if pair {
                // A32 pairs are Rt, Rt+1 with Rt even (and so not 15).
                if rt & 1 != 0 || rt == 14 {
                    return Err(NotDecoded::Unpredictable);
                }
                Some(rt.wrapping_add(1))
            } else {
                None
            };
            // op2 10 with L 0 is LDRD, op2 11 with L 0 STRD.
            load = if pair { op2 == 2 } else { l };
            bytes = if pair {
                8
            } else if op2 == 2 {
                1
            } else {
                2
            };
            signed = l && op2 != 1;
        }
        0b100 => return Err(NotDecoded::Multiple),
        0b110 => return Err(NotDecoded::Coprocessor),
        _ => return Err(NotDecoded::Other),
    }
    common_checks(LoadStore {
        load,
        bytes,
        signed,
        rt,
        rt2,
        rn,
        offset,
        add: u,
        index: p,
        wback: !p || w,
        len: 4,
    })
}

/// The UNPREDICTABLE cases every encoding shares: write-back to PC or to
/// a transfer register, PC as the offset register, and for `LDRD` an
/// offset register that is also a destination.
fn common_checks(d: LoadStore) -> Result<LoadStore, NotDecoded> {
    let names_rt = |r: u8| r == d.rt || d.rt2 == Some(r);
    if d.wback && (d.rn == 15 || names_rt(d.rn)) {
        return Err(NotDecoded::Unpredictable);
    }
    if let Offset::Reg { rm, .. } = d.offset {
        if rm == 15 || (d.load && d.rt2.is_some() && names_rt(rm)) {
            return Err(NotDecoded::Unpredictable);
        }
    }
    Ok(d)
}

/// Decodes the T32 instruction whose first halfword is `hw1`; `hw2` is
/// its second halfword if [`t32_is_32bit`] (ignored otherwise).
#[inline(never)]
pub fn decode_t32(hw1: u16, hw2: u16) -> Result<LoadStore, NotDecoded> {
    if t32_is_32bit(hw1) {
        decode_t32_wide(u32::from(hw1), u32::from(hw2))
    } else {
        decode_t16(u32::from(hw1))
    }
}

/// The T32 16-bit register-offset forms by opB, from opB 7 down to 0
/// (LDRSH, LDRB, LDRH, LDR, LDRSB, STRB, STRH, STR): log2 of the size in
/// bits 1:0 of each nibble, signed in bit 2 (a table rather than a
/// match: code size).
const T16_REG: u32 = 0x5012_4012;

/// The 16-bit T32 encodings.
fn decode_t16(hw: u32) -> Result<LoadStore, NotDecoded> {
    let low = |lo: u32| ((hw >> lo) & 7) as u8;
    let op = hw >> 12;
    // The forms differ in size, registers and offset only: each sets
    // what it changes of a word access at [Rn, offset] with L in bit 11
    // (one construction for all: code size).
    let (mut load, mut size, mut signed) = (bit(hw, 11), 2, false);
    let (mut rn, mut rt) = (low(3), low(0));
    let offset = if op == 0b0101 {
        // opB (bits 11:9): STR, STRH, STRB, LDRSB, LDR, LDRH, LDRB,
        // LDRSH; one nibble each in `T16_REG` (bits 1:0 log2 of the
        // size, bit 2 signed), opB 3 and up are loads.
        let opb = (hw >> 9) & 7;
        let form = T16_REG >> opb.wrapping_mul(4);
        (load, size, signed) = (opb >= 3, form & 3, bit(form, 2));
        Offset::Reg {
            rm: low(6),
            shift: Shift::Lsl,
            amount: 0,
        }
    } else if (0b0110..=0b1000).contains(&op) {
        // Immediate, scaled by the size: 0110 word, 0111 byte, 1000
        // halfword (log2 of the size in the nibbles of 0x102).
        size = (0x102 >> op.wrapping_sub(0b0110).wrapping_mul(4)) & 3;
        Offset::Imm(((hw >> 6) & 0x1F) << size)
    } else if op == 0b1001 || hw >> 11 == 0b01001 {
        // SP-relative (1001) and literal (01001, a load: bit 11 is
        // set): words at imm8 * 4, Rt in bits 10:8.
        rn = if op == 0b1001 { 13 } else { 15 };
        rt = low(8);
        Offset::Imm((hw & 0xFF) << 2)
    } else if op == 0b1100 || (op == 0b1011 && hw & 0x0600 == 0x0400) {
        // LDM/STM; PUSH and POP (1011 x10x).
        return Err(NotDecoded::Multiple);
    } else {
        return Err(NotDecoded::Other);
    };
    Ok(LoadStore {
        load,
        bytes: 1 << size,
        signed,
        rt,
        rt2: None,
        rn,
        offset,
        add: true,
        index: true,
        wback: false,
        len: 2,
    })
}

/// The 32-bit T32 encodings. The single and dual forms end in one
/// [`LoadStore`] (one construction and one [`common_checks`] call rather
/// than one per addressing form: it is code in every image).
fn decode_t32_wide(hw1: u32, hw2: u32) -> Result<LoadStore, NotDecoded> {
    let rn = reg(hw1, 0);
    let rt = reg(hw2, 12);
    let (load, bytes, signed, rt2, offset, add, index, wback);
    if hw1 & 0xFE00 == 0xF800 {
        // Load/store single: 1111 100 S (imm12) size(2) L Rn.
        let size;
        (signed, load, size) = (bit(hw1, 8), bit(hw1, 4), (hw1 >> 5) & 3);
        if size == 3 || (signed && (!load || size == 2)) {
            return Err(NotDecoded::Other);
        }
        bytes = 1u8 << size;
        if load && rt == 15 && bytes < 4 {
            return Err(NotDecoded::Other); // PLD, PLI and unallocated hints
        }
        (offset, add, index, wback) = if rn == 15 || bit(hw1, 7) {
            if rn == 15 && !load {
                return Err(NotDecoded::Other); // stores have no literal form
            }
            // The literal form's U is bit 7; the other imm12 form has it set.
            (Offset::Imm(hw2 & 0xFFF), bit(hw1, 7), true, false)
        } else if bit(hw2, 11) {
            let (p, u, w) = (bit(hw2, 10), bit(hw2, 9), bit(hw2, 8));
            if p && u && !w {
                return Err(NotDecoded::Unprivileged);
            }
            if !p && !w {
                return Err(NotDecoded::Other);
            }
            (Offset::Imm(hw2 & 0xFF), u, p, w)
        } else if (hw2 >> 6) & 0x3F == 0 {
            let rm = reg(hw2, 0);
            if rm == 13 {
                return Err(NotDecoded::Unpredictable);
            }
            let offset = Offset::Reg {
                rm,
                shift: Shift::Lsl,
                amount: ((hw2 >> 4) & 3) as u8,
            };
            (offset, true, true, false)
        } else {
            return Err(NotDecoded::Other);
        };
        // Byte and halfword transfers may not name SP, stores not PC.
        if (bytes < 4 && rt == 13) || (!load && rt == 15) {
            return Err(NotDecoded::Unpredictable);
        }
        rt2 = None;
    } else if hw1 & 0xFE40 == 0xE840 {
        // Load/store dual, exclusive, table branch: 1110 100 P U 1 W L Rn.
        (index, add, wback, load) = (bit(hw1, 8), bit(hw1, 7), bit(hw1, 5), bit(hw1, 4));
        if !index && !wback {
            // TBB/TBH (a table load that branches) or the exclusives.
            let table_branch = hw1 & 0xFFF0 == 0xE8D0 && (hw2 >> 5) & 0x7 == 0;
            return Err(if table_branch {
                NotDecoded::Other
            } else {
                NotDecoded::Exclusive
            });
        }
        let r2 = reg(hw2, 8);
        let bad = |r: u8| r == 13 || r == 15;
        if bad(rt) || bad(r2) || (load && rt == r2) || (rn == 15 && (wback || !load)) {
            return Err(NotDecoded::Unpredictable);
        }
        (bytes, signed, rt2, offset) = (8, false, Some(r2), Offset::Imm((hw2 & 0xFF) << 2));
    } else if hw1 & 0xFE40 == 0xE800 {
        // LDM/STM (op 01, 10); SRS/RFE (00, 11).
        let op = (hw1 >> 7) & 3;
        return Err(if op == 1 || op == 2 {
            NotDecoded::Multiple
        } else {
            NotDecoded::Other
        });
    } else if hw1 & 0xEE00 == 0xEC00 {
        return Err(NotDecoded::Coprocessor);
    } else {
        return Err(NotDecoded::Other);
    }
    common_checks(LoadStore {
        load,
        bytes,
        signed,
        rt,
        rt2,
        rn,
        offset,
        add,
        index,
        wback,
        len: 4,
    })
}

impl LoadStore {
    /// The address accessed and the base register's new value if it is
    /// written back, for base value `rn`, offset register value `rm`
    /// (unused for an immediate) and the carry flag (for `RRX`). The caller
    /// gives the base's value as the instruction sees it (a PC base is
    /// not handled here).
    pub fn address(&self, rn: u32, rm: u32, carry: bool) -> (u32, Option<u32>) {
        let off = match self.offset {
            Offset::Imm(i) => i,
            Offset::Reg { shift, amount, .. } => shifted(rm, shift, amount, carry),
        };
        let offset_addr = if self.add {
            rn.wrapping_add(off)
        } else {
            rn.wrapping_sub(off)
        };
        let address = if self.index { offset_addr } else { rn };
        (address, self.wback.then_some(offset_addr))
    }
}

/// `Shift_C` of the Arm ARM for the amounts [`imm_shift`] gives.
fn shifted(v: u32, shift: Shift, amount: u8, carry: bool) -> u32 {
    let n = u32::from(amount);
    match shift {
        Shift::Lsl => v.checked_shl(n).unwrap_or(0),
        Shift::Lsr => v.checked_shr(n).unwrap_or(0),
        // A shift by 32 fills with the sign, as one by 31 does.
        Shift::Asr => ((v as i32) >> n.min(31)) as u32,
        Shift::Ror => v.rotate_right(n),
        Shift::Rrx => (u32::from(carry) << 31) | (v >> 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a32(insn: u32) -> LoadStore {
        decode_a32(insn).unwrap_or_else(|e| panic!("{insn:#010x}: {e}"))
    }

    fn t32(hw1: u16, hw2: u16) -> LoadStore {
        decode_t32(hw1, hw2).unwrap_or_else(|e| panic!("{hw1:#06x} {hw2:#06x}: {e}"))
    }

    fn t16(hw: u16) -> LoadStore {
        assert!(!t32_is_32bit(hw));
        t32(hw, 0)
    }

    /// A load/store with the fields that vary most; the rest as given.
    #[allow(clippy::too_many_arguments)]
    fn ls(
        load: bool,
        bytes: u8,
        rt: u8,
        rn: u8,
        offset: Offset,
        add: bool,
        index: bool,
        wback: bool,
    ) -> LoadStore {
        LoadStore {
            load,
            bytes,
            signed: false,
            rt,
            rt2: None,
            rn,
            offset,
            add,
            index,
            wback,
            len: 4,
        }
    }

    fn reg(rm: u8, shift: Shift, amount: u8) -> Offset {
        Offset::Reg { rm, shift, amount }
    }

    const LSL0: Shift = Shift::Lsl;

    #[test]
    fn a32_word_and_byte_forms() {
        use Offset::Imm;
        // ldr r0, [r1]
        assert_eq!(a32(0xe591_0000), ls(true, 4, 0, 1, Imm(0), true, true, false));
        // ldr r0, [r1, #-4]
        assert_eq!(a32(0xe511_0004), ls(true, 4, 0, 1, Imm(4), false, true, false));
        // ldr r0, [r1, #4]!
        assert_eq!(a32(0xe5b1_0004), ls(true, 4, 0, 1, Imm(4), true, true, true));
        // ldr r0, [r1], #-8
        assert_eq!(a32(0xe411_0008), ls(true, 4, 0, 1, Imm(8), false, false, true));
        // str r2, [r3, -r4]
        assert_eq!(
            a32(0xe703_2004),
            ls(false, 4, 2, 3, reg(4, LSL0, 0), false, true, false)
        );
        // ldr r2, [r3, r4, lsl #2]
        assert_eq!(
            a32(0xe793_2104),
            ls(true, 4, 2, 3, reg(4, LSL0, 2), true, true, false)
        );
        // ldr r2, [r3, r4, lsr #1]!
        assert_eq!(
            a32(0xe7b3_20a4),
            ls(true, 4, 2, 3, reg(4, Shift::Lsr, 1), true, true, true)
        );
        // ldr r2, [r3, r4, asr #32]
        assert_eq!(
            a32(0xe793_2044),
            ls(true, 4, 2, 3, reg(4, Shift::Asr, 32), true, true, false)
        );
        // ldr r2, [r3], r4, ror #3
        assert_eq!(
            a32(0xe693_21e4),
            ls(true, 4, 2, 3, reg(4, Shift::Ror, 3), true, false, true)
        );
        // ldr r2, [r3, r4, rrx]
        assert_eq!(
            a32(0xe793_2064),
            ls(true, 4, 2, 3, reg(4, Shift::Rrx, 0), true, true, false)
        );
        // str r0, [r1], #4
        assert_eq!(a32(0xe481_0004), ls(false, 4, 0, 1, Imm(4), true, false, true));
        // strb r0, [r1, #3]
        assert_eq!(a32(0xe5c1_0003), ls(false, 1, 0, 1, Imm(3), true, true, false));
        // ldrb r0, [r1], #1
        assert_eq!(a32(0xe4d1_0001), ls(true, 1, 0, 1, Imm(1), true, false, true));
        // ldrne r0, [r1]: the condition is the processor's business.
        assert_eq!(a32(0x1591_0000), ls(true, 4, 0, 1, Imm(0), true, true, false));
    }

    #[test]
    fn a32_halfword_signed_and_dual_forms() {
        use Offset::Imm;
        // ldrh r0, [r1, #2]
        assert_eq!(a32(0xe1d1_00b2), ls(true, 2, 0, 1, Imm(2), true, true, false));
        // strh r0, [r1, #-2]!
        assert_eq!(a32(0xe161_00b2), ls(false, 2, 0, 1, Imm(2), false, true, true));
        // ldrsb r0, [r1, #1]
        let d = a32(0xe1d1_00d1);
        assert_eq!((d.bytes, d.signed, d.load), (1, true, true));
        // ldrsh r0, [r1], #2
        let d = a32(0xe0d1_00f2);
        assert_eq!((d.bytes, d.signed, d.index, d.wback), (2, true, false, true));
        // ldrh r0, [r1, r2]
        assert_eq!(
            a32(0xe191_00b2),
            ls(true, 2, 0, 1, reg(2, LSL0, 0), true, true, false)
        );
        // ldrsb r0, [r1, -r2]!
        let d = a32(0xe131_00d2);
        assert_eq!((d.bytes, d.signed, d.add, d.wback), (1, true, false, true));
        // ldrd r0, r1, [r2]
        let d = a32(0xe1c2_00d0);
        assert_eq!(
            d,
            LoadStore {
                rt2: Some(1),
                ..ls(true, 8, 0, 2, Imm(0), true, true, false)
            }
        );
        // ldrd r4, r5, [r2, #8]!
        let d = a32(0xe1e2_40d8);
        assert_eq!(
            (d.load, d.bytes, d.rt, d.rt2, d.offset, d.wback),
            (true, 8, 4, Some(5), Imm(8), true)
        );
        // strd r0, r1, [r2], #-8
        let d = a32(0xe042_00f8);
        assert_eq!(
            (d.load, d.bytes, d.add, d.index, d.wback),
            (false, 8, false, false, true)
        );
        // ldrd r0, r1, [r2, r3]
        assert_eq!(a32(0xe182_00d3).offset, reg(3, LSL0, 0));
        // strd r6, r7, [r8, -r9]
        let d = a32(0xe108_60f9);
        assert_eq!((d.load, d.rt, d.rt2, d.rn, d.add), (false, 6, Some(7), 8, false));
    }

    #[test]
    fn a32_forms_that_are_not_emulated_say_what_they_are() {
        let cases = [
            (0xe890_0006, NotDecoded::Multiple),     // ldm r0, {r1, r2}
            (0xe92d_0003, NotDecoded::Multiple),     // push {r0, r1}
            (0xe191_0f9f, NotDecoded::Exclusive),    // ldrex r0, [r1]
            (0xe182_0f91, NotDecoded::Exclusive),    // strex r0, r1, [r2]
            (0xe191_0c9f, NotDecoded::Exclusive),    // lda r0, [r1]
            (0xe4b1_0004, NotDecoded::Unprivileged), // ldrt r0, [r1], #4
            (0xe4e1_0000, NotDecoded::Unprivileged), // strbt r0, [r1]
            (0xe0f1_00b0, NotDecoded::Unprivileged), // ldrht r0, [r1]
            (0xed91_0a00, NotDecoded::Coprocessor),  // vldr s0, [r1]
            (0xed81_0b02, NotDecoded::Coprocessor),  // vstr d0, [r1, #8]
            (0xe1a0_0001, NotDecoded::Other),        // mov r0, r1
            (0xf5d0_f000, NotDecoded::Other),        // pld [r0]
            (0xe000_0291, NotDecoded::Other),        // mul r0, r1, r2
        ];
        for (insn, why) in cases {
            assert_eq!(decode_a32(insn), Err(why), "{insn:#010x}");
        }
    }

    #[test]
    fn a32_unpredictable_encodings_are_refused() {
        let cases = [
            0xe5b0_0004,              // ldr r0, [r0, #4]!  (write-back to Rt)
            0xe4b0_0004 & !(1 << 21), // ldr r0, [r0], #4 (post-indexed: write-back to Rt)
            0xe5bf_0004,              // ldr r0, [pc, #4]!  (write-back to PC)
            0xe791_000f,              // ldr r0, [r1, pc]   (Rm = PC)
            0xe5d1_f000,              // ldrb pc, [r1]
            0xe1d1_f0b0,              // ldrh pc, [r1]
            0xe1c2_10d0,              // ldrd r1, r2, [r2]  (odd Rt)
            0xe1c2_e0d0,              // ldrd lr, pc, [r2]
            0xe1e0_00d8,              // ldrd r0, r1, [r0, #8]!  (write-back to Rt)
            0xe1e1_00d8,              // ldrd r0, r1, [r1, #8]!  (write-back to Rt2)
            0xe182_00d1,              // ldrd r0, r1, [r2, r1]  (Rm = Rt2)
            0xe062_00f8,              // strd r0, r1, [r2], #-8 with W set (P 0, W 1)
            0xe191_01b2,              // ldrh r0, [r1, r2] with bits 11:8 not zero
        ];
        for insn in cases {
            assert_eq!(decode_a32(insn), Err(NotDecoded::Unpredictable), "{insn:#010x}");
        }
        // ldr r0, [pc, #4]: a literal, no write-back, is decoded (the
        // emulation refuses a PC base itself).
        assert_eq!(a32(0xe59f_0004).rn, 15);
    }

    #[test]
    fn t16_forms() {
        use Offset::Imm;
        let n = |load, bytes, rt, rn, off| LoadStore {
            len: 2,
            ..ls(load, bytes, rt, rn, off, true, true, false)
        };
        assert_eq!(t16(0x6808), n(true, 4, 0, 1, Imm(0))); // ldr r0, [r1, #0]
        assert_eq!(t16(0x6fc8), n(true, 4, 0, 1, Imm(124))); // ldr r0, [r1, #124]
        assert_eq!(t16(0x605a), n(false, 4, 2, 3, Imm(4))); // str r2, [r3, #4]
        assert_eq!(t16(0x7fc8), n(true, 1, 0, 1, Imm(31))); // ldrb r0, [r1, #31]
        assert_eq!(t16(0x7048), n(false, 1, 0, 1, Imm(1))); // strb r0, [r1, #1]
        assert_eq!(t16(0x8fc8), n(true, 2, 0, 1, Imm(62))); // ldrh r0, [r1, #62]
        assert_eq!(t16(0x8048), n(false, 2, 0, 1, Imm(2))); // strh r0, [r1, #2]
        let r2 = reg(2, LSL0, 0);
        assert_eq!(t16(0x5888), n(true, 4, 0, 1, r2)); // ldr r0, [r1, r2]
        assert_eq!(t16(0x5088), n(false, 4, 0, 1, r2)); // str r0, [r1, r2]
        assert_eq!(t16(0x5488), n(false, 1, 0, 1, r2)); // strb r0, [r1, r2]
        assert_eq!(t16(0x5288), n(false, 2, 0, 1, r2)); // strh r0, [r1, r2]
        assert_eq!(t16(0x5c88), n(true, 1, 0, 1, r2)); // ldrb r0, [r1, r2]
        assert_eq!(t16(0x5a88), n(true, 2, 0, 1, r2)); // ldrh r0, [r1, r2]
        let signed = |d: LoadStore| (d.bytes, d.signed);
        assert_eq!(signed(t16(0x5688)), (1, true)); // ldrsb r0, [r1, r2]
        assert_eq!(signed(t16(0x5e88)), (2, true)); // ldrsh r0, [r1, r2]
        assert_eq!(t16(0x9802), n(true, 4, 0, 13, Imm(8))); // ldr r0, [sp, #8]
        assert_eq!(t16(0x9002), n(false, 4, 0, 13, Imm(8))); // str r0, [sp, #8]
        assert_eq!(t16(0x4802), n(true, 4, 0, 15, Imm(8))); // ldr r0, [pc, #8]
        for hw in [0xc806, 0xc803, 0xc002, 0xb401, 0xbc01] {
            // ldmia r0!, {r1, r2}; ldmia r0, {r0, r1}; stmia r0!, {r1}; push; pop
            assert_eq!(decode_t32(hw, 0), Err(NotDecoded::Multiple), "{hw:#06x}");
        }
        assert_eq!(decode_t32(0xbf00, 0), Err(NotDecoded::Other)); // nop
    }

    #[test]
    fn t32_single_forms() {
        use Offset::Imm;
        assert!(t32_is_32bit(0xf8d1) && t32_is_32bit(0xe9d2) && !t32_is_32bit(0xe7fe));
        // ldr.w r0, [r1, #4]
        assert_eq!(t32(0xf8d1, 0x0004), ls(true, 4, 0, 1, Imm(4), true, true, false));
        // ldr.w r8, [r9, #4095]
        assert_eq!(
            t32(0xf8d9, 0x8fff),
            ls(true, 4, 8, 9, Imm(4095), true, true, false)
        );
        // ldr r0, [r1, #-4]
        assert_eq!(t32(0xf851, 0x0c04), ls(true, 4, 0, 1, Imm(4), false, true, false));
        // ldr r0, [r1, #4]!
        assert_eq!(t32(0xf851, 0x0f04), ls(true, 4, 0, 1, Imm(4), true, true, true));
        // ldr r0, [r1], #-4
        assert_eq!(t32(0xf851, 0x0904), ls(true, 4, 0, 1, Imm(4), false, false, true));
        // str.w r0, [r1, #4]
        assert_eq!(t32(0xf8c1, 0x0004), ls(false, 4, 0, 1, Imm(4), true, true, false));
        // str r0, [r1], #4
        assert_eq!(t32(0xf841, 0x0b04), ls(false, 4, 0, 1, Imm(4), true, false, true));
        // str.w sl, [fp, #-255]!
        assert_eq!(
            t32(0xf84b, 0xadff),
            ls(false, 4, 10, 11, Imm(255), false, true, true)
        );
        // ldr.w r0, [r1, r2]
        assert_eq!(
            t32(0xf851, 0x0002),
            ls(true, 4, 0, 1, reg(2, LSL0, 0), true, true, false)
        );
        // ldr.w r0, [r1, r2, lsl #3]
        assert_eq!(
            t32(0xf851, 0x0032),
            ls(true, 4, 0, 1, reg(2, LSL0, 3), true, true, false)
        );
        // str.w r0, [r1, r2, lsl #1]
        assert_eq!(
            t32(0xf841, 0x0012),
            ls(false, 4, 0, 1, reg(2, LSL0, 1), true, true, false)
        );
        // ldrb.w r0, [r1, #4]
        assert_eq!(t32(0xf891, 0x0004), ls(true, 1, 0, 1, Imm(4), true, true, false));
        // strb.w r0, [r1, #4]
        assert_eq!(t32(0xf881, 0x0004), ls(false, 1, 0, 1, Imm(4), true, true, false));
        // ldrb.w r0, [r1], #1
        assert_eq!(t32(0xf811, 0x0b01), ls(true, 1, 0, 1, Imm(1), true, false, true));
        // ldrh.w r0, [r1, #2]
        assert_eq!(t32(0xf8b1, 0x0002), ls(true, 2, 0, 1, Imm(2), true, true, false));
        // strh.w r0, [r1, #2]
        assert_eq!(t32(0xf8a1, 0x0002), ls(false, 2, 0, 1, Imm(2), true, true, false));
        // strh r0, [r1, #-2]!
        assert_eq!(t32(0xf821, 0x0d02), ls(false, 2, 0, 1, Imm(2), false, true, true));
        let signed = |d: LoadStore| (d.load, d.bytes, d.signed, d.add);
        assert_eq!(signed(t32(0xf991, 0x0001)), (true, 1, true, true)); // ldrsb.w r0, [r1, #1]
        assert_eq!(signed(t32(0xf9b1, 0x0002)), (true, 2, true, true)); // ldrsh.w r0, [r1, #2]
        assert_eq!(signed(t32(0xf911, 0x0c01)), (true, 1, true, false)); // ldrsb r0, [r1, #-1]
                                                                         // ldrsh.w r0, [r1, r2, lsl #1]
        assert_eq!(t32(0xf931, 0x0012).offset, reg(2, LSL0, 1));
        // ldr.w r0, [pc, #8]: a literal (refused by the emulation as PC-based).
        assert_eq!(t32(0xf8df, 0x0008).rn, 15);
    }

    #[test]
    fn t32_dual_forms() {
        // ldrd r0, r1, [r2]
        let d = t32(0xe9d2, 0x0100);
        assert_eq!(
            d,
            LoadStore {
                rt2: Some(1),
                ..ls(true, 8, 0, 2, Offset::Imm(0), true, true, false)
            }
        );
        // ldrd r0, r3, [r2, #8]!: T32 pairs are any two registers.
        let d = t32(0xe9f2, 0x0302);
        assert_eq!(
            (d.rt, d.rt2, d.offset, d.wback),
            (0, Some(3), Offset::Imm(8), true)
        );
        // strd r4, r5, [r6], #-16
        let d = t32(0xe866, 0x4504);
        assert_eq!(
            (d.load, d.rt, d.rt2, d.add, d.index, d.wback),
            (false, 4, Some(5), false, false, true)
        );
        // ldrd r0, r1, [r2, #-1020]
        assert_eq!(t32(0xe952, 0x01ff).offset, Offset::Imm(1020));
    }

    #[test]
    fn t32_forms_that_are_not_emulated_say_what_they_are() {
        let cases = [
            (0xe851, 0x0f00, NotDecoded::Exclusive),    // ldrex r0, [r1]
            (0xe842, 0x1000, NotDecoded::Exclusive),    // strex r0, r1, [r2]
            (0xe8d0, 0xf001, NotDecoded::Other),        // tbb [r0, r1]
            (0xf851, 0x0e04, NotDecoded::Unprivileged), // ldrt r0, [r1, #4]
            (0xf801, 0x0e00, NotDecoded::Unprivileged), // strbt r0, [r1]
            (0xe890, 0x0006, NotDecoded::Multiple),     // ldmia.w r0, {r1, r2}
            (0xe920, 0x0006, NotDecoded::Multiple),     // stmdb r0!, {r1, r2}
            (0xed91, 0x0a00, NotDecoded::Coprocessor),  // vldr s0, [r1]
            (0xf890, 0xf000, NotDecoded::Other),        // pld [r0]
        ];
        for (hw1, hw2, why) in cases {
            assert_eq!(decode_t32(hw1, hw2), Err(why), "{hw1:#06x} {hw2:#06x}");
        }
    }

    #[test]
    fn t32_unpredictable_encodings_are_refused() {
        let cases = [
            (0xf851, 0x1f04), // ldr r1, [r1, #4]!  (write-back to Rt)
            (0xf851, 0x000d), // ldr.w r0, [r1, sp]
            (0xf851, 0x000f), // ldr.w r0, [r1, pc]
            (0xf891, 0xd004), // ldrb.w sp, [r1, #4]
            (0xf8c1, 0xf004), // str.w pc, [r1, #4]
            (0xe9f2, 0x2302), // ldrd r2, r3, [r2, #8]!  (write-back to Rt)
            (0xe9d2, 0x0000), // ldrd r0, r0, [r2]
            (0xe9d2, 0xd100), // ldrd sp, r1, [r2]
            (0xe9d2, 0x0f00), // ldrd r0, pc, [r2]
            (0xe9cf, 0x0100), // strd r0, r1, [pc]
        ];
        for (hw1, hw2) in cases {
            assert_eq!(
                decode_t32(hw1, hw2),
                Err(NotDecoded::Unpredictable),
                "{hw1:#06x} {hw2:#06x}"
            );
        }
    }

    #[test]
    fn addresses_and_write_back_follow_the_indexing() {
        let base = 0xF000_0400;
        // ldr r0, [r1, #4]!: access at base + 4, base becomes base + 4.
        assert_eq!(
            a32(0xe5b1_0004).address(base, 0, false),
            (base + 4, Some(base + 4))
        );
        // ldr r0, [r1], #-8: access at base, base becomes base - 8.
        assert_eq!(a32(0xe411_0008).address(base, 0, false), (base, Some(base - 8)));
        // str r2, [r3, -r4]: no write-back.
        assert_eq!(a32(0xe703_2004).address(base, 0x10, false), (base - 0x10, None));
        // ldr r2, [r3, r4, lsl #2]
        assert_eq!(a32(0xe793_2104).address(base, 3, false).0, base + 12);
        // ldr r2, [r3, r4, lsr #1]!
        assert_eq!(
            a32(0xe7b3_20a4).address(base, 8, false),
            (base + 4, Some(base + 4))
        );
        // ldr r2, [r3, r4, asr #32]: -1 (all ones) whatever the shift.
        assert_eq!(a32(0xe793_2044).address(base, 0x8000_0000, false).0, base - 1);
        // ldr r2, [r3], r4, ror #3
        assert_eq!(
            a32(0xe693_21e4).address(base, 0x40, false),
            (base, Some(base + 8))
        );
        // ldr r2, [r3, r4, rrx]: the carry comes in at the top.
        assert_eq!(a32(0xe793_2064).address(0, 8, true).0, 0x8000_0004);
        assert_eq!(a32(0xe793_2064).address(0, 8, false).0, 4);
        // T32 ldr.w r0, [r1, r2, lsl #3]
        assert_eq!(t32(0xf851, 0x0032).address(base, 2, false).0, base + 16);
        // T32 strd r4, r5, [r6], #-16
        assert_eq!(
            t32(0xe866, 0x4504).address(base, 0, false),
            (base, Some(base - 16))
        );
        // Wrapping arithmetic, never a panic.
        assert_eq!(a32(0xe511_0004).address(0, 0, false).0, 0xFFFF_FFFC);
    }
}

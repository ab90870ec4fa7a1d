#![cfg(target_arch = "arm")]
//! The whole FP/SIMD state a partition sees (d0-d31, FPSCR, FPEXC), read
//! and written as a block, for the lazy FP switching test (`fpheavy`,
//! `fpclean`, `fpreborn`, `tools/runner/tests/qemu_lazyfp.rs`).
//!
//! Every access here is an FP access: the first one after a switch is the
//! one the hypervisor traps (`HCPTR.TCP10/TCP11`) to bring this
//! partition's registers in.

/// `FPEXC.EN`: the FP unit is on (the value a partition starts with).
pub const FPEXC_EN: u32 = 1 << 30;

/// The FPSCR bits a partition can set and read back on the Cortex-R52:
/// NZCV, QC, AHP, DN, FZ, RMode, IDC and the cumulative exception flags.
pub const FPSCR_MASK: u32 = 0xFFC0_009F;

/// d0-d31, FPSCR and FPEXC.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FpRegs {
    /// d0-d31.
    pub d: [u64; 32],
    /// FPSCR.
    pub fpscr: u32,
    /// FPEXC.
    pub fpexc: u32,
}

impl FpRegs {
    /// What a partition must see before it ever wrote an FP register: all
    /// zero, the unit enabled.
    pub const ZERO: FpRegs = FpRegs {
        d: [0; 32],
        fpscr: 0,
        fpexc: FPEXC_EN,
    };

    /// A pattern no other seed gives: every register distinct, none zero,
    /// and the FPSCR bits from `seed` (never all clear).
    pub fn pattern(seed: u32) -> FpRegs {
        let mut d = [0u64; 32];
        for (i, r) in d.iter_mut().enumerate() {
            let hi = seed.wrapping_mul(0x9E37_79B9) ^ (i as u32).wrapping_mul(0x85EB_CA6B);
            let lo = seed.rotate_left(i as u32) ^ 0xA5A5_0000 ^ i as u32;
            *r = (u64::from(hi) << 32) | u64::from(lo | 1);
        }
        FpRegs {
            d,
            fpscr: (seed.wrapping_mul(0x2545_F491) & FPSCR_MASK) | (1 << 22),
            fpexc: FPEXC_EN,
        }
    }

    /// How many of d0-d31, FPSCR (masked) and FPEXC differ from `want`.
    pub fn mismatches(&self, want: &FpRegs) -> u32 {
        let d = self.d.iter().zip(want.d.iter()).filter(|(a, b)| a != b).count() as u32;
        d + u32::from(self.fpscr & FPSCR_MASK != want.fpscr & FPSCR_MASK)
            + u32::from(self.fpexc != want.fpexc)
    }

    /// Whether any of d0-d31 equals a register of `other` that is not
    /// zero: a value another partition wrote.
    pub fn shares_with(&self, other: &FpRegs) -> bool {
        self.d.iter().any(|v| *v != 0 && other.d.contains(v))
    }
}

/// Reads d0-d31, FPSCR and FPEXC.
pub fn read() -> FpRegs {
    let mut r = FpRegs::ZERO;
    // SAFETY: stores 32 doublewords and two words into `r`, which is
    // large enough (`repr(C)`: d, then fpscr, then fpexc); reads only this
    // partition's own FP registers.
    unsafe {
        core::arch::asm!(
            ".fpu neon-fp-armv8",
            "vmrs {t}, fpexc",
            "vstmia {p}!, {{d0-d15}}",
            "vstmia {p}!, {{d16-d31}}",
            "str {t}, [{p}, #4]",
            "vmrs {t}, fpscr",
            "str {t}, [{p}]",
            p = inout(reg) r.d.as_mut_ptr() => _,
            t = out(reg) _,
            options(nostack),
        );
    }
    r
}

/// Writes d0-d31 and FPSCR (FPEXC is left as it is).
pub fn write(v: &FpRegs) {
    // SAFETY: loads from `v` only; the FP registers it writes are this
    // partition's own, and d0-d15 are declared clobbered (d16-d31 are
    // outside what the compiler uses on this target, as in `ctx`).
    unsafe {
        core::arch::asm!(
            ".fpu neon-fp-armv8",
            "vldmia {p}!, {{d0-d15}}",
            "vldmia {p}!, {{d16-d31}}",
            "ldr {t}, [{p}]",
            "vmsr fpscr, {t}",
            p = inout(reg) v.d.as_ptr() => _,
            t = out(reg) _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _,
            out("d4") _, out("d5") _, out("d6") _, out("d7") _,
            out("d8") _, out("d9") _, out("d10") _, out("d11") _,
            out("d12") _, out("d13") _, out("d14") _, out("d15") _,
            options(nostack, readonly),
        );
    }
}

/// Reads FPEXC alone (allowed whatever FPEXC.EN is).
pub fn fpexc() -> u32 {
    let v: u32;
    // SAFETY: reads this partition's own FPEXC.
    unsafe { core::arch::asm!(".fpu neon-fp-armv8", "vmrs {}, fpexc", out(reg) v, options(nomem, nostack)) };
    v
}

/// Writes FPEXC (`0` turns this partition's FP unit off, [`FPEXC_EN`] on).
pub fn set_fpexc(v: u32) {
    // SAFETY: changes only this partition's own FPEXC; no FP instruction
    // of the compiler's runs while it may be off (it uses none here).
    unsafe { core::arch::asm!(".fpu neon-fp-armv8", "vmsr fpexc, {}", in(reg) v, options(nomem, nostack)) };
}

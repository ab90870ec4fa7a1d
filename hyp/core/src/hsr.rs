//! Decoding of the Hyp Syndrome Register (`HSR`), portable so the trap
//! logic above it is testable on the host.

use hypcfg::packed::Text;
/// The exception classes the hypervisor distinguishes (`HSR.EC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionClass {
    /// Unknown reason (e.g. an undefined instruction).
    Unknown,
    /// A trapped `WFI` or `WFE`.
    WfiWfe,
    /// A trapped `MCR`/`MRC` to CP15.
    Cp15Access,
    /// A trapped `MCRR`/`MRRC` to CP15.
    Cp15Access64,
    /// A trapped `MCR`/`MRC` to CP14 (debug, trace).
    Cp14Access,
    /// A trapped `LDC`/`STC` to CP14 (the debug transfer registers).
    Cp14LdcStc,
    /// A trapped `MRRC` to CP14 (the 64-bit debug ROM addresses).
    Cp14Access64,
    /// Access to the FPU/SIMD trapped by `HCPTR`.
    FpuAccess,
    /// `SVC` executed in Hyp mode.
    Svc,
    /// `HVC` (a hypercall).
    Hvc,
    /// `SMC`.
    Smc,
    /// Prefetch abort from a lower exception level (EL1/EL0).
    PrefetchAbortLower,
    /// Prefetch abort taken in Hyp mode.
    PrefetchAbortHyp,
    /// PC alignment fault.
    PcAlignment,
    /// Data abort from a lower exception level (EL1/EL0).
    DataAbortLower,
    /// Data abort taken in Hyp mode.
    DataAbortHyp,
    /// Any other class, with its raw value.
    Other(u8),
}

impl ExceptionClass {
    /// A short human name for reports.
    #[inline]
    pub const fn name(self) -> Text {
        match self {
            ExceptionClass::Unknown => hypcfg::text!("unknown/undefined instruction"),
            ExceptionClass::WfiWfe => hypcfg::text!("trapped WFI/WFE"),
            ExceptionClass::Cp15Access => hypcfg::text!("trapped CP15 MCR/MRC"),
            ExceptionClass::Cp15Access64 => hypcfg::text!("trapped CP15 MCRR/MRRC"),
            ExceptionClass::Cp14Access => hypcfg::text!("trapped CP14 MCR/MRC"),
            ExceptionClass::Cp14LdcStc => hypcfg::text!("trapped CP14 LDC/STC"),
            ExceptionClass::Cp14Access64 => hypcfg::text!("trapped CP14 MRRC"),
            ExceptionClass::FpuAccess => hypcfg::text!("trapped FPU access"),
            ExceptionClass::Svc => hypcfg::text!("SVC in Hyp mode"),
            ExceptionClass::Hvc => hypcfg::text!("HVC"),
            ExceptionClass::Smc => hypcfg::text!("SMC"),
            ExceptionClass::PrefetchAbortLower => hypcfg::text!("prefetch abort from EL1"),
            ExceptionClass::PrefetchAbortHyp => hypcfg::text!("prefetch abort in Hyp mode"),
            ExceptionClass::PcAlignment => hypcfg::text!("PC alignment fault"),
            ExceptionClass::DataAbortLower => hypcfg::text!("data abort from EL1"),
            ExceptionClass::DataAbortHyp => hypcfg::text!("data abort in Hyp mode"),
            ExceptionClass::Other(_) => hypcfg::text!("other"),
        }
    }
}

/// A raw `HSR` value with accessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hsr(pub u32);

impl Hsr {
    /// The exception class.
    #[inline]
    pub const fn class(self) -> ExceptionClass {
        match (self.0 >> 26) as u8 {
            0x00 => ExceptionClass::Unknown,
            0x01 => ExceptionClass::WfiWfe,
            0x03 => ExceptionClass::Cp15Access,
            0x04 => ExceptionClass::Cp15Access64,
            0x05 => ExceptionClass::Cp14Access,
            0x06 => ExceptionClass::Cp14LdcStc,
            0x0C => ExceptionClass::Cp14Access64,
            0x07 => ExceptionClass::FpuAccess,
            0x11 => ExceptionClass::Svc,
            0x12 => ExceptionClass::Hvc,
            0x13 => ExceptionClass::Smc,
            0x20 => ExceptionClass::PrefetchAbortLower,
            0x21 => ExceptionClass::PrefetchAbortHyp,
            0x22 => ExceptionClass::PcAlignment,
            0x24 => ExceptionClass::DataAbortLower,
            0x25 => ExceptionClass::DataAbortHyp,
            other => ExceptionClass::Other(other),
        }
    }

    /// The raw exception class number.
    #[inline]
    pub const fn ec(self) -> u8 {
        (self.0 >> 26) as u8
    }

    /// Instruction length bit: `true` for a 32-bit instruction.
    #[inline]
    pub const fn il32(self) -> bool {
        self.0 & (1 << 25) != 0
    }

    /// The instruction-specific syndrome.
    #[inline]
    pub const fn iss(self) -> u32 {
        self.0 & 0x01FF_FFFF
    }

    /// For aborts: the fault status code (`DFSC`/`IFSC`).
    #[inline]
    pub const fn fault_status(self) -> u8 {
        (self.0 & 0x3F) as u8
    }

    /// For data aborts: whether the access was a write (`WnR`).
    #[inline]
    pub const fn is_write(self) -> bool {
        self.0 & (1 << 6) != 0
    }

    /// For aborts: a short name of the fault status code.
    #[inline]
    pub const fn fault_name(self) -> Text {
        match self.fault_status() {
            0b000000..=0b000011 => hypcfg::text!("address size fault"),
            0b000100..=0b000111 => hypcfg::text!("translation fault"),
            0b001100..=0b001111 => hypcfg::text!("permission fault"),
            0b010000 => hypcfg::text!("synchronous external abort"),
            0b100001 => hypcfg::text!("alignment fault"),
            0b110100 => hypcfg::text!("lockdown abort"),
            _ => hypcfg::text!("other fault"),
        }
    }
}

impl Hsr {
    /// For a trapped conditional instruction (EC 0x01-0x0C, `SMC`): whether
    /// its condition passes against the `NZCV` flags in `spsr`. An
    /// instruction whose condition fails may still be trapped (the Arm ARM
    /// leaves it to the implementation); it then does nothing, and the
    /// hypervisor must only step over it. With `CV` 0 (a T32 instruction
    /// whose condition the syndrome does not give) it counts as passed.
    pub const fn condition_passed(self, spsr: u32) -> bool {
        let iss = self.iss();
        if iss & (1 << 24) == 0 {
            return true;
        }
        let (n, z, c, v) = (
            spsr & (1 << 31) != 0,
            spsr & (1 << 30) != 0,
            spsr & (1 << 29) != 0,
            spsr & (1 << 28) != 0,
        );
        let cond = (iss >> 20) & 0xF;
        let base = match cond >> 1 {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c && !z,
            5 => n == v,
            6 => n == v && !z,
            _ => true,
        };
        // Odd conditions invert, except 0b1111 (always, like 0b1110).
        if cond & 1 == 1 && cond != 0xF {
            !base
        } else {
            base
        }
    }
}

/// `spsr` with its T32 `IT` state advanced past one instruction, as the
/// processor would have done had the instruction completed (the Arm ARM's
/// `ITAdvance`): the hypervisor steps over a trapped instruction by
/// moving the return address, and an instruction inside an `IT` block
/// must also move the block on, or the next ones run under the wrong
/// condition. `IT[7:0]` is `SPSR[15:10]:SPSR[26:25]`.
pub const fn it_advance(spsr: u32) -> u32 {
    let it = ((spsr >> 8) & 0xFC) | ((spsr >> 25) & 0x3);
    let next = if it & 0x7 == 0 {
        0
    } else {
        (it & 0xE0) | ((it << 1) & 0x1F)
    };
    (spsr & !((0x3F << 10) | (0x3 << 25))) | ((next & 0xFC) << 8) | ((next & 0x3) << 25)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_data_abort_from_hyp_with_permission_fault() {
        // EC=0x25, IL=1, WnR=1, DFSC=0b001101 (permission fault, level 1).
        let hsr = Hsr((0x25 << 26) | (1 << 25) | (1 << 6) | 0b001101);
        assert_eq!(hsr.class(), ExceptionClass::DataAbortHyp);
        assert!(hsr.il32());
        assert!(hsr.is_write());
        assert_eq!(hsr.fault_name(), hypcfg::text!("permission fault"));
    }

    #[test]
    fn decodes_hvc_and_unknown_classes() {
        assert_eq!(Hsr(0x12 << 26).class(), ExceptionClass::Hvc);
        assert_eq!(Hsr(0).class(), ExceptionClass::Unknown);
        assert_eq!(Hsr(0x3F << 26).class(), ExceptionClass::Other(0x3F));
    }

    /// A trapped `MRC` (EC 0x05) with condition `cond`.
    fn mrc_with(cond: u32) -> Hsr {
        Hsr((0x05 << 26) | (1 << 25) | (1 << 24) | (cond << 20) | 1)
    }

    #[test]
    fn conditions_follow_the_flags() {
        let (n, z, c, v) = (1u32 << 31, 1u32 << 30, 1u32 << 29, 1u32 << 28);
        assert!(mrc_with(0x0).condition_passed(z)); // EQ
        assert!(!mrc_with(0x0).condition_passed(0));
        assert!(mrc_with(0x1).condition_passed(0)); // NE
        assert!(mrc_with(0x2).condition_passed(c)); // CS
        assert!(!mrc_with(0x3).condition_passed(c)); // CC
        assert!(mrc_with(0x4).condition_passed(n)); // MI
        assert!(mrc_with(0x6).condition_passed(v)); // VS
        assert!(mrc_with(0x8).condition_passed(c)); // HI
        assert!(!mrc_with(0x8).condition_passed(c | z));
        assert!(mrc_with(0xA).condition_passed(n | v)); // GE
        assert!(!mrc_with(0xA).condition_passed(n));
        assert!(mrc_with(0xB).condition_passed(n)); // LT
        assert!(mrc_with(0xC).condition_passed(0)); // GT
        assert!(!mrc_with(0xC).condition_passed(z));
        assert!(mrc_with(0xD).condition_passed(z)); // LE
        assert!(mrc_with(0xE).condition_passed(0)); // AL
        assert!(mrc_with(0xF).condition_passed(0));
        // CV = 0: no condition given, treated as passed.
        assert!(Hsr((0x05 << 26) | 1).condition_passed(0));
    }

    /// The SPSR with `IT[7:0] = it`.
    fn spsr_with_it(it: u32) -> u32 {
        ((it & 0xFC) << 8) | ((it & 0x3) << 25) | 0x1F0 // T, mode bits kept
    }

    #[test]
    fn it_state_advances_and_ends() {
        // ITTE EQ: firstcond 0000, mask 0110 -> IT = 0b0000_0110.
        let s = spsr_with_it(0b0000_0110);
        let s1 = it_advance(s);
        assert_eq!(s1, spsr_with_it(0b0000_1100));
        let s2 = it_advance(s1);
        assert_eq!(s2, spsr_with_it(0b0001_1000));
        // Last instruction of the block (IT[2:0] == 0b000 after the mask's
        // trailing one reaches bit 3): the block ends.
        let s3 = it_advance(s2);
        assert_eq!(s3, spsr_with_it(0));
        // Outside an IT block nothing changes.
        assert_eq!(it_advance(0x6000_01D3), 0x6000_01D3);
    }
}

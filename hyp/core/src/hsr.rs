//! Decoding of the Hyp Syndrome Register (`HSR`), portable so the trap
//! logic above it is testable on the host.

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
    pub const fn name(self) -> &'static str {
        match self {
            ExceptionClass::Unknown => "unknown/undefined instruction",
            ExceptionClass::WfiWfe => "trapped WFI/WFE",
            ExceptionClass::Cp15Access => "trapped CP15 MCR/MRC",
            ExceptionClass::Cp15Access64 => "trapped CP15 MCRR/MRRC",
            ExceptionClass::FpuAccess => "trapped FPU access",
            ExceptionClass::Svc => "SVC in Hyp mode",
            ExceptionClass::Hvc => "HVC",
            ExceptionClass::Smc => "SMC",
            ExceptionClass::PrefetchAbortLower => "prefetch abort from EL1",
            ExceptionClass::PrefetchAbortHyp => "prefetch abort in Hyp mode",
            ExceptionClass::PcAlignment => "PC alignment fault",
            ExceptionClass::DataAbortLower => "data abort from EL1",
            ExceptionClass::DataAbortHyp => "data abort in Hyp mode",
            ExceptionClass::Other(_) => "other",
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
    pub const fn fault_name(self) -> &'static str {
        match self.fault_status() {
            0b000000..=0b000011 => "address size fault",
            0b000100..=0b000111 => "translation fault",
            0b001100..=0b001111 => "permission fault",
            0b010000 => "synchronous external abort",
            0b100001 => "alignment fault",
            0b110100 => "lockdown abort",
            _ => "other fault",
        }
    }
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
        assert_eq!(hsr.fault_name(), "permission fault");
    }

    #[test]
    fn decodes_hvc_and_unknown_classes() {
        assert_eq!(Hsr(0x12 << 26).class(), ExceptionClass::Hvc);
        assert_eq!(Hsr(0).class(), ExceptionClass::Unknown);
        assert_eq!(Hsr(0x3F << 26).class(), ExceptionClass::Other(0x3F));
    }
}

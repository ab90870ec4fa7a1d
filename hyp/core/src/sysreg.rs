//! Trapped coprocessor accesses: the `HSR` syndrome of an `MCR`/`MRC`,
//! `MCRR`/`MRRC` or `LDC`/`STC` a partition executed, decoded (Armv8-R
//! AArch32: EC 0x03, 0x04, 0x05, 0x06, 0x0C) and the register it named,
//! so the health monitor can refuse it and say exactly what was refused.
//!
//! The hypervisor emulates none of these registers: a partition reaches
//! them only when `HDCR` (debug, OS lock, debug ROM, PMU) or `HCR`
//! (implementation-defined CP15, `ACTLR`) traps the access, and every such
//! access is refused (see `docs/security.md`). The exceptions are the GIC
//! CPU interface's: the SGI registers ([`SgiRegister`], decoded by
//! [`SgiRequest::decode`]) that `HCR.IMO`/`FMO` trap, and the `ICC_*`
//! accesses `ICH_HCR.TALL1` traps while a level interrupt's line is
//! re-sampled.

use core::fmt;

use hypcfg::packed::Text;
use hypcfg::put;
use hypcfg::text::{self, Out, Show};

use crate::hsr::{ExceptionClass, Hsr};

/// Which instruction form trapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `MCR`/`MRC`: one 32-bit register, `CRn`, `opc1`, `CRm`, `opc2`.
    Single {
        /// `CRn`.
        crn: u8,
        /// `opc1`.
        opc1: u8,
        /// `CRm`.
        crm: u8,
        /// `opc2`.
        opc2: u8,
        /// `Rt` (15 on a read means `APSR_nzcv`).
        rt: u8,
    },
    /// `MCRR`/`MRRC`: a 64-bit register, `opc1`, `CRm`.
    Double {
        /// `opc1`.
        opc1: u8,
        /// `CRm`.
        crm: u8,
        /// `Rt` (the low word).
        rt: u8,
        /// `Rt2` (the high word).
        rt2: u8,
    },
    /// `LDC`/`STC` to CP14: only `DBGDTRTXint` (`LDC`) and `DBGDTRRXint`
    /// (`STC`) can be named this way; the syndrome has no `CRd`.
    Memory {
        /// The base register `Rn`.
        rn: u8,
    },
}

/// One trapped access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// 14 or 15.
    pub cp: u8,
    /// The instruction form and its operands.
    pub form: Form,
    /// Whether it reads the register (`MRC`, `MRRC`, `STC`).
    pub read: bool,
}

/// The group a register belongs to, which is also the `HDCR`/`HCR` bit
/// that traps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Self-hosted debug registers (`HDCR.TDA`).
    Debug,
    /// The OS lock and power-down registers (`HDCR.TDOSA`).
    DebugOs,
    /// The debug ROM address registers (`HDCR.TDRA`).
    DebugRom,
    /// Performance Monitors (`HDCR.TPM`, `HDCR.TPMCR`).
    Pmu,
    /// Any other CP14 register (trace, Jazelle).
    OtherCp14,
    /// Any other CP15 register (`HCR.TIDCP` implementation-defined, `HCR.TAC`).
    OtherCp15,
}

impl Group {
    /// How a report names the group.
    pub const fn name(self) -> Text {
        match self {
            Group::Debug => hypcfg::text!("debug register"),
            Group::DebugOs => hypcfg::text!("debug OS register"),
            Group::DebugRom => hypcfg::text!("debug ROM register"),
            Group::Pmu => hypcfg::text!("PMU register"),
            Group::OtherCp14 => hypcfg::text!("CP14 register"),
            Group::OtherCp15 => hypcfg::text!("CP15 register"),
        }
    }
}

/// A register name: a fixed name, optionally with the index of a numbered
/// register (`DBGWCR` 0 is `DBGWCR0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    /// The name without its index (empty for an unnamed register).
    pub base: Text,
    /// The index of a numbered register.
    pub index: Option<u8>,
}

impl Name {
    const fn fixed(base: Text) -> Option<Name> {
        Some(Name { base, index: None })
    }

    const fn numbered(base: Text, index: u8) -> Option<Name> {
        Some(Name {
            base,
            index: Some(index),
        })
    }
}

impl Access {
    /// Decodes the syndrome of a trapped coprocessor access (EC 0x03,
    /// 0x04, 0x05, 0x06, 0x0C); `None` for any other class.
    pub const fn from_hsr(hsr: Hsr) -> Option<Access> {
        let iss = hsr.iss();
        let read = iss & 1 == 1;
        let rt = ((iss >> 5) & 0xF) as u8;
        let single = Form::Single {
            opc2: ((iss >> 17) & 0x7) as u8,
            opc1: ((iss >> 14) & 0x7) as u8,
            crn: ((iss >> 10) & 0xF) as u8,
            crm: ((iss >> 1) & 0xF) as u8,
            rt,
        };
        let double = Form::Double {
            opc1: ((iss >> 16) & 0xF) as u8,
            rt2: ((iss >> 10) & 0xF) as u8,
            crm: ((iss >> 1) & 0xF) as u8,
            rt,
        };
        let (cp, form) = match hsr.class() {
            ExceptionClass::Cp15Access => (15, single),
            ExceptionClass::Cp15Access64 => (15, double),
            ExceptionClass::Cp14Access => (14, single),
            ExceptionClass::Cp14Access64 => (14, double),
            ExceptionClass::Cp14LdcStc => (14, Form::Memory { rn: rt }),
            _ => return None,
        };
        Some(Access { cp, form, read })
    }

    /// The register's group and, where the architecture names it, its
    /// name.
    pub fn register(&self) -> (Group, Option<Name>) {
        match (self.cp, self.form) {
            (
                14,
                Form::Single {
                    crn,
                    opc1: 0,
                    crm,
                    opc2,
                    ..
                },
            ) => cp14(crn, crm, opc2, self.read),
            (14, Form::Single { .. }) => (Group::OtherCp14, None),
            (14, Form::Double { opc1: 0, crm: 1, .. }) => {
                (Group::DebugRom, Name::fixed(hypcfg::text!("DBGDRAR")))
            }
            (14, Form::Double { opc1: 0, crm: 2, .. }) => {
                (Group::DebugRom, Name::fixed(hypcfg::text!("DBGDSAR")))
            }
            (14, Form::Double { .. }) => (Group::OtherCp14, None),
            (14, Form::Memory { .. }) if self.read => {
                (Group::Debug, Name::fixed(hypcfg::text!("DBGDTRRXint")))
            }
            (14, Form::Memory { .. }) => (Group::Debug, Name::fixed(hypcfg::text!("DBGDTRTXint"))),
            (
                _,
                Form::Single {
                    crn,
                    opc1: 0,
                    crm,
                    opc2,
                    ..
                },
            ) => cp15(crn, crm, opc2),
            (_, Form::Double { opc1: 0, crm: 9, .. }) => (Group::Pmu, Name::fixed(hypcfg::text!("PMCCNTR"))),
            _ => (Group::OtherCp15, None),
        }
    }

    /// The SGI register a trapped `MCRR p15, <opc1>, Rt, Rt2, c12` write
    /// names, if it is one.
    pub const fn sgi_register(&self) -> Option<SgiRegister> {
        match (self.cp, self.form, self.read) {
            (15, Form::Double { opc1: 0, crm: 12, .. }, false) => Some(SgiRegister::Sgi1r),
            (15, Form::Double { opc1: 1, crm: 12, .. }, false) => Some(SgiRegister::Asgi1r),
            (15, Form::Double { opc1: 2, crm: 12, .. }, false) => Some(SgiRegister::Sgi0r),
            _ => None,
        }
    }

    /// Whether this is an access to a GIC CPU interface register
    /// (`ICC_*`, CP15 `CRn` c12 with `opc1` 0: the ones `ICH_HCR.TALL1`
    /// traps are among them).
    pub const fn is_gic_cpu_interface(&self) -> bool {
        matches!((self.cp, self.form), (15, Form::Single { crn: 12, opc1: 0, .. }))
    }

    /// The general-purpose registers a read writes (`Rt`, and `Rt2` for
    /// `MRRC`); none for a write or an `STC` (which writes memory, left
    /// untouched when refused). `Some(15)` for an `MRC` means the
    /// `APSR.NZCV` flags. An `MRRC` naming R15 is UNPREDICTABLE: that
    /// register is left alone.
    pub const fn destinations(&self) -> [Option<u8>; 2] {
        match self.form {
            Form::Single { rt, .. } if self.read => [Some(rt), None],
            Form::Double { rt, rt2, .. } if self.read => [
                if rt < 15 { Some(rt) } else { None },
                if rt2 < 15 { Some(rt2) } else { None },
            ],
            _ => [None, None],
        }
    }
}

/// The GICv3 registers that generate SGIs, written with
/// `MCRR p15, <opc1>, Rt, Rt2, c12`. With `HCR.IMO`/`FMO` set an EL1
/// write traps to EL2 (EC 0x04): the virtual CPU interface has no SGI
/// registers, so the hypervisor decides what the write does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SgiRegister {
    /// `ICC_SGI1R` (opc1 0): group 1 SGIs of the current security state.
    Sgi1r,
    /// `ICC_ASGI1R` (opc1 1): group 1 SGIs of the other security state.
    Asgi1r,
    /// `ICC_SGI0R` (opc1 2): group 0 SGIs.
    Sgi0r,
}

impl SgiRegister {
    /// The register's name.
    pub const fn name(self) -> Text {
        match self {
            SgiRegister::Sgi1r => hypcfg::text!("ICC_SGI1R"),
            SgiRegister::Asgi1r => hypcfg::text!("ICC_ASGI1R"),
            SgiRegister::Sgi0r => hypcfg::text!("ICC_SGI0R"),
        }
    }
}

/// Which PEs an SGI register write targets, seen from the PE that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SgiTargets {
    /// None (`IRM` 0 and an empty target list): the write does nothing.
    Nobody,
    /// Exactly the writing PE.
    OwnCore,
    /// At least one PE other than the writer (`IRM` 1, every PE but the
    /// writer; or a target list naming another affinity).
    Others,
}

/// A decoded SGI register value (GICv3 `ICC_SGI1R` layout, shared by
/// `ICC_ASGI1R` and `ICC_SGI0R`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SgiRequest {
    /// The SGI, `INTID` [27:24].
    pub intid: u32,
    /// Whom it targets.
    pub targets: SgiTargets,
}

impl SgiRequest {
    /// Decodes `value` written by the PE whose `MPIDR` is `mpidr`:
    /// `TargetList` [15:0], `Aff1` [23:16], `INTID` [27:24], `Aff2`
    /// [39:32], `IRM` [40], `RS` [47:44], `Aff3` [55:48]. Bit `n` of
    /// `TargetList` names the PE with `Aff0 = RS * 16 + n` in the cluster
    /// `Aff3.Aff2.Aff1`. AArch32 `MPIDR` has no `Aff3`: the writer's is 0.
    pub const fn decode(value: u64, mpidr: u32) -> SgiRequest {
        let intid = ((value >> 24) & 0xF) as u32;
        let list = (value & 0xFFFF) as u32;
        let irm = (value >> 40) & 1 == 1;
        let rs = ((value >> 44) & 0xF) as u32;
        let cluster = (((value >> 48) & 0xFF) << 16) | (((value >> 32) & 0xFF) << 8) | ((value >> 16) & 0xFF);
        let own_cluster = ((mpidr >> 8) & 0xFFFF) as u64;
        let own_aff0 = mpidr & 0xFF;
        let targets = if irm {
            SgiTargets::Others
        } else if list == 0 {
            SgiTargets::Nobody
        } else if cluster == own_cluster && own_aff0 / 16 == rs && list == 1 << (own_aff0 % 16) {
            SgiTargets::OwnCore
        } else {
            SgiTargets::Others
        };
        SgiRequest { intid, targets }
    }
}

/// A register of a fixed encoding: `(CRn, opc2, CRm)`, its group and
/// name. A table (12 bytes a register) is ~0.7 KB smaller than the same
/// `match`, which loads each name's address and length in code.
type Fixed = (u8, u8, u8, Group, Text);

/// The CP14 registers of a fixed encoding, `opc1` 0 (Armv8-R AArch32
/// debug register encodings). `(0, 0, 5)` is in [`cp14`]: reading and
/// writing it name different registers.
const CP14: &[Fixed] = &[
    (0, 0, 0, Group::Debug, hypcfg::text!("DBGDIDR")),
    (0, 0, 1, Group::Debug, hypcfg::text!("DBGDSCRint")),
    (0, 0, 2, Group::Debug, hypcfg::text!("DBGDCCINT")),
    (0, 0, 6, Group::Debug, hypcfg::text!("DBGWFAR")),
    (0, 0, 7, Group::Debug, hypcfg::text!("DBGVCR")),
    (0, 2, 0, Group::Debug, hypcfg::text!("DBGDTRRXext")),
    (0, 2, 2, Group::Debug, hypcfg::text!("DBGDSCRext")),
    (0, 2, 3, Group::Debug, hypcfg::text!("DBGDTRTXext")),
    (0, 2, 6, Group::Debug, hypcfg::text!("DBGOSECCR")),
    (1, 0, 0, Group::DebugRom, hypcfg::text!("DBGDRAR")),
    (2, 0, 0, Group::DebugRom, hypcfg::text!("DBGDSAR")),
    (1, 4, 0, Group::DebugOs, hypcfg::text!("DBGOSLAR")),
    (1, 4, 1, Group::DebugOs, hypcfg::text!("DBGOSLSR")),
    (1, 4, 3, Group::DebugOs, hypcfg::text!("DBGOSDLR")),
    (1, 4, 4, Group::DebugOs, hypcfg::text!("DBGPRCR")),
    (7, 6, 8, Group::Debug, hypcfg::text!("DBGCLAIMSET")),
    (7, 6, 9, Group::Debug, hypcfg::text!("DBGCLAIMCLR")),
    (7, 6, 14, Group::Debug, hypcfg::text!("DBGAUTHSTATUS")),
    (7, 7, 0, Group::Debug, hypcfg::text!("DBGDEVID2")),
    (7, 7, 1, Group::Debug, hypcfg::text!("DBGDEVID1")),
    (7, 7, 2, Group::Debug, hypcfg::text!("DBGDEVID")),
];

/// The CP15 Performance Monitors registers of a fixed encoding, `opc1` 0
/// (`(CRn, opc2, CRm)` like [`CP14`]).
const CP15: &[Fixed] = &[
    (9, 0, 12, Group::Pmu, hypcfg::text!("PMCR")),
    (9, 1, 12, Group::Pmu, hypcfg::text!("PMCNTENSET")),
    (9, 2, 12, Group::Pmu, hypcfg::text!("PMCNTENCLR")),
    (9, 3, 12, Group::Pmu, hypcfg::text!("PMOVSR")),
    (9, 4, 12, Group::Pmu, hypcfg::text!("PMSWINC")),
    (9, 5, 12, Group::Pmu, hypcfg::text!("PMSELR")),
    (9, 6, 12, Group::Pmu, hypcfg::text!("PMCEID0")),
    (9, 7, 12, Group::Pmu, hypcfg::text!("PMCEID1")),
    (9, 0, 13, Group::Pmu, hypcfg::text!("PMCCNTR")),
    (9, 1, 13, Group::Pmu, hypcfg::text!("PMXEVTYPER")),
    (9, 2, 13, Group::Pmu, hypcfg::text!("PMXEVCNTR")),
    (9, 0, 14, Group::Pmu, hypcfg::text!("PMUSERENR")),
    (9, 1, 14, Group::Pmu, hypcfg::text!("PMINTENSET")),
    (9, 2, 14, Group::Pmu, hypcfg::text!("PMINTENCLR")),
    (9, 3, 14, Group::Pmu, hypcfg::text!("PMOVSSET")),
    (9, 4, 14, Group::Pmu, hypcfg::text!("PMCEID2")),
    (9, 5, 14, Group::Pmu, hypcfg::text!("PMCEID3")),
    (14, 7, 15, Group::Pmu, hypcfg::text!("PMCCFILTR")),
];

/// The entry of `table` for `(crn, opc2, crm)`, as a name.
fn fixed(table: &[Fixed], crn: u8, opc2: u8, crm: u8) -> Option<(Group, Option<Name>)> {
    table
        .iter()
        .find(|r| (r.0, r.1, r.2) == (crn, opc2, crm))
        .map(|r| (r.3, Name::fixed(r.4)))
}

/// CP14 with `opc1` 0: the debug registers (Armv8-R AArch32 debug
/// register encodings).
fn cp14(crn: u8, crm: u8, opc2: u8, read: bool) -> (Group, Option<Name>) {
    if let Some(r) = fixed(CP14, crn, opc2, crm) {
        return r;
    }
    let name = match (crn, opc2, crm) {
        // The same encoding reads the receive and writes the transmit register.
        (0, 0, 5) if read => Name::fixed(hypcfg::text!("DBGDTRRXint")),
        (0, 0, 5) => Name::fixed(hypcfg::text!("DBGDTRTXint")),
        (0, 4, n) => Name::numbered(hypcfg::text!("DBGBVR"), n),
        (0, 5, n) => Name::numbered(hypcfg::text!("DBGBCR"), n),
        (0, 6, n) => Name::numbered(hypcfg::text!("DBGWVR"), n),
        (0, 7, n) => Name::numbered(hypcfg::text!("DBGWCR"), n),
        (1, 1, n) => Name::numbered(hypcfg::text!("DBGBXVR"), n),
        _ => None,
    };
    (Group::Debug, name)
}

/// CP15 with `opc1` 0: the Performance Monitors (`c9`, `c12`-`c14`, and
/// the event registers in `c14`, `c8`-`c15`); everything else is another
/// CP15 register.
fn cp15(crn: u8, crm: u8, opc2: u8) -> (Group, Option<Name>) {
    if let Some(r) = fixed(CP15, crn, opc2, crm) {
        return r;
    }
    let name = match (crn, crm, opc2) {
        (9, 12..=14, _) => None,
        (14, 8..=11, n) => Name::numbered(hypcfg::text!("PMEVCNTR"), ((crm & 3) << 3) | n),
        (14, 12..=15, n) => Name::numbered(hypcfg::text!("PMEVTYPER"), ((crm & 3) << 3) | n),
        _ => return (Group::OtherCp15, None),
    };
    (Group::Pmu, name)
}

/// "debug register DBGWCR0 write refused", "PMU register PMCCNTR (64-bit)
/// read refused", "CP15 register (CRn c9, opc1 1, CRm c0, opc2 0) read
/// refused": what the FAULT line says.
impl Show for Access {
    fn show(&self, o: &mut dyn Out) {
        let (group, name) = self.register();
        group.name().write(o);
        match (name, self.form) {
            (Some(n), _) => {
                put!(o, " {}", n.base);
                if let Some(i) = n.index {
                    text::dec(o, u32::from(i));
                }
                match self.form {
                    Form::Double { .. } => hypcfg::text!(" (64-bit)").write(o),
                    Form::Memory { .. } => o.str(if self.read { " (STC)" } else { " (LDC)" }),
                    Form::Single { .. } => {}
                }
            }
            (
                None,
                Form::Single {
                    crn, opc1, crm, opc2, ..
                },
            ) => put!(o, " (CRn c{}, opc1 {}, CRm c{}, opc2 {})", crn, opc1, crm, opc2),
            (None, Form::Double { opc1, crm, .. }) => put!(o, " (64-bit, opc1 {}, CRm c{})", opc1, crm),
            (None, Form::Memory { .. }) => {}
        }
        o.str(if self.read {
            " read refused"
        } else {
            " write refused"
        })
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `match` the tables replaced, kept as the reference they are
    /// checked against.
    mod reference {
        use super::super::{Group, Name};

        /// CP14 with `opc1` 0: the debug registers (Armv8-R AArch32 debug
        /// register encodings).
        pub(super) const fn cp14(crn: u8, crm: u8, opc2: u8, read: bool) -> (Group, Option<Name>) {
            let name = match (crn, opc2, crm) {
                (0, 0, 0) => Name::fixed(hypcfg::text!("DBGDIDR")),
                (0, 0, 1) => Name::fixed(hypcfg::text!("DBGDSCRint")),
                (0, 0, 2) => Name::fixed(hypcfg::text!("DBGDCCINT")),
                // The same encoding reads the receive and writes the transmit register.
                (0, 0, 5) if read => Name::fixed(hypcfg::text!("DBGDTRRXint")),
                (0, 0, 5) => Name::fixed(hypcfg::text!("DBGDTRTXint")),
                (0, 0, 6) => Name::fixed(hypcfg::text!("DBGWFAR")),
                (0, 0, 7) => Name::fixed(hypcfg::text!("DBGVCR")),
                (0, 2, 0) => Name::fixed(hypcfg::text!("DBGDTRRXext")),
                (0, 2, 2) => Name::fixed(hypcfg::text!("DBGDSCRext")),
                (0, 2, 3) => Name::fixed(hypcfg::text!("DBGDTRTXext")),
                (0, 2, 6) => Name::fixed(hypcfg::text!("DBGOSECCR")),
                (0, 4, n) => Name::numbered(hypcfg::text!("DBGBVR"), n),
                (0, 5, n) => Name::numbered(hypcfg::text!("DBGBCR"), n),
                (0, 6, n) => Name::numbered(hypcfg::text!("DBGWVR"), n),
                (0, 7, n) => Name::numbered(hypcfg::text!("DBGWCR"), n),
                (1, 1, n) => Name::numbered(hypcfg::text!("DBGBXVR"), n),
                (1, 0, 0) => return (Group::DebugRom, Name::fixed(hypcfg::text!("DBGDRAR"))),
                (2, 0, 0) => return (Group::DebugRom, Name::fixed(hypcfg::text!("DBGDSAR"))),
                (1, 4, 0) => return (Group::DebugOs, Name::fixed(hypcfg::text!("DBGOSLAR"))),
                (1, 4, 1) => return (Group::DebugOs, Name::fixed(hypcfg::text!("DBGOSLSR"))),
                (1, 4, 3) => return (Group::DebugOs, Name::fixed(hypcfg::text!("DBGOSDLR"))),
                (1, 4, 4) => return (Group::DebugOs, Name::fixed(hypcfg::text!("DBGPRCR"))),
                (7, 6, 8) => Name::fixed(hypcfg::text!("DBGCLAIMSET")),
                (7, 6, 9) => Name::fixed(hypcfg::text!("DBGCLAIMCLR")),
                (7, 6, 14) => Name::fixed(hypcfg::text!("DBGAUTHSTATUS")),
                (7, 7, 0) => Name::fixed(hypcfg::text!("DBGDEVID2")),
                (7, 7, 1) => Name::fixed(hypcfg::text!("DBGDEVID1")),
                (7, 7, 2) => Name::fixed(hypcfg::text!("DBGDEVID")),
                _ => None,
            };
            (Group::Debug, name)
        }

        /// CP15 with `opc1` 0: the Performance Monitors (`c9`, `c12`-`c14`, and
        /// the event registers in `c14`, `c8`-`c15`); everything else is another
        /// CP15 register.
        pub(super) const fn cp15(crn: u8, crm: u8, opc2: u8) -> (Group, Option<Name>) {
            let name = match (crn, crm, opc2) {
                (9, 12, 0) => Name::fixed(hypcfg::text!("PMCR")),
                (9, 12, 1) => Name::fixed(hypcfg::text!("PMCNTENSET")),
                (9, 12, 2) => Name::fixed(hypcfg::text!("PMCNTENCLR")),
                (9, 12, 3) => Name::fixed(hypcfg::text!("PMOVSR")),
                (9, 12, 4) => Name::fixed(hypcfg::text!("PMSWINC")),
                (9, 12, 5) => Name::fixed(hypcfg::text!("PMSELR")),
                (9, 12, 6) => Name::fixed(hypcfg::text!("PMCEID0")),
                (9, 12, 7) => Name::fixed(hypcfg::text!("PMCEID1")),
                (9, 13, 0) => Name::fixed(hypcfg::text!("PMCCNTR")),
                (9, 13, 1) => Name::fixed(hypcfg::text!("PMXEVTYPER")),
                (9, 13, 2) => Name::fixed(hypcfg::text!("PMXEVCNTR")),
                (9, 14, 0) => Name::fixed(hypcfg::text!("PMUSERENR")),
                (9, 14, 1) => Name::fixed(hypcfg::text!("PMINTENSET")),
                (9, 14, 2) => Name::fixed(hypcfg::text!("PMINTENCLR")),
                (9, 14, 3) => Name::fixed(hypcfg::text!("PMOVSSET")),
                (9, 14, 4) => Name::fixed(hypcfg::text!("PMCEID2")),
                (9, 14, 5) => Name::fixed(hypcfg::text!("PMCEID3")),
                (9, 12..=14, _) => None,
                (14, 15, 7) => Name::fixed(hypcfg::text!("PMCCFILTR")),
                (14, 8..=11, n) => Name::numbered(hypcfg::text!("PMEVCNTR"), ((crm & 3) << 3) | n),
                (14, 12..=15, n) => Name::numbered(hypcfg::text!("PMEVTYPER"), ((crm & 3) << 3) | n),
                _ => return (Group::OtherCp15, None),
            };
            (Group::Pmu, name)
        }
    }

    #[test]
    fn the_tables_name_every_encoding_as_the_match_did() {
        for crn in 0..16u8 {
            for crm in 0..16u8 {
                for opc2 in 0..8u8 {
                    assert_eq!(cp15(crn, crm, opc2), reference::cp15(crn, crm, opc2));
                    for read in [false, true] {
                        assert_eq!(
                            cp14(crn, crm, opc2, read),
                            reference::cp14(crn, crm, opc2, read),
                            "{crn} {crm} {opc2} {read}"
                        );
                    }
                }
            }
        }
    }

    /// An `MCRR p15, opc1, Rt, Rt2, c12` write syndrome.
    fn mcrr(opc1: u32, rt: u32, rt2: u32) -> Hsr {
        Hsr((0x04 << 26) | (1 << 25) | (opc1 << 16) | (rt2 << 10) | (rt << 5) | (12 << 1))
    }

    #[test]
    fn sgi_registers_are_named_by_opc1_writes_only() {
        let a = Access::from_hsr(mcrr(0, 2, 3)).unwrap();
        assert_eq!(a.sgi_register(), Some(SgiRegister::Sgi1r));
        assert_eq!(
            a.form,
            Form::Double {
                opc1: 0,
                crm: 12,
                rt: 2,
                rt2: 3
            }
        );
        assert_eq!(
            Access::from_hsr(mcrr(1, 0, 1)).unwrap().sgi_register(),
            Some(SgiRegister::Asgi1r)
        );
        assert_eq!(
            Access::from_hsr(mcrr(2, 0, 1)).unwrap().sgi_register(),
            Some(SgiRegister::Sgi0r)
        );
        assert_eq!(Access::from_hsr(mcrr(3, 0, 1)).unwrap().sgi_register(), None);
        let read = Hsr(mcrr(0, 0, 1).0 | 1);
        assert_eq!(Access::from_hsr(read).unwrap().sgi_register(), None);
        assert_eq!(SgiRegister::Asgi1r.name(), hypcfg::text!("ICC_ASGI1R"));
    }

    #[test]
    fn sgi_targets_decode_per_the_gicv3_layout() {
        let own = |v| SgiRequest::decode(v, 0x8000_0000); // core 0 (MPIDR bit 31 RES1)
        let one = |v| SgiRequest::decode(v, 0x8000_0001); // core 1
                                                          // INTID 5 to core 0 (TargetList bit 0).
        assert_eq!(
            own(5 << 24 | 1),
            SgiRequest {
                intid: 5,
                targets: SgiTargets::OwnCore
            }
        );
        assert_eq!(one(5 << 24 | 1).targets, SgiTargets::Others);
        assert_eq!(
            one(15 << 24 | 2),
            SgiRequest {
                intid: 15,
                targets: SgiTargets::OwnCore
            }
        );
        // Self and another core.
        assert_eq!(own(3 << 24 | 0b11).targets, SgiTargets::Others);
        // IRM = 1: every PE but the writer, whatever the list says.
        assert_eq!(own(1 << 40 | 1).targets, SgiTargets::Others);
        // An empty list: nobody, the write does nothing.
        assert_eq!(own(7 << 24).targets, SgiTargets::Nobody);
        assert_eq!(
            own(7 << 24 | 0xFF << 16 | 0xFF << 32 | 0xFF << 48).targets,
            SgiTargets::Nobody
        );
        // Another cluster (Aff1, Aff2, Aff3) or range (RS).
        assert_eq!(own(1 << 16 | 1).targets, SgiTargets::Others);
        assert_eq!(own(1 << 32 | 1).targets, SgiTargets::Others);
        assert_eq!(own(1 << 48 | 1).targets, SgiTargets::Others);
        assert_eq!(own(1 << 44 | 1).targets, SgiTargets::Others);
        // A writer in cluster 2.1 at Aff0 17 (RS 1, bit 1).
        let far = SgiRequest::decode(2 << 24 | 1 << 44 | 2 << 32 | 1 << 16 | 0b10, 0x8002_0111);
        assert_eq!(far.targets, SgiTargets::OwnCore);
        // Only INTID [27:24] counts.
        assert_eq!(own(0xFF << 24 | 1).intid, 15);
    }

    #[test]
    fn gic_cpu_interface_accesses_are_recognised() {
        // MRC p15, 0, r0, c12, c12, 0 (ICC_IAR1).
        let iar = Hsr((0x03 << 26) | (1 << 25) | (12 << 10) | (12 << 1) | 1);
        assert!(Access::from_hsr(iar).unwrap().is_gic_cpu_interface());
        // MRC p15, 0, r0, c9, c12, 0 (PMCR).
        let pmcr = Hsr((0x03 << 26) | (1 << 25) | (9 << 10) | (12 << 1) | 1);
        assert!(!Access::from_hsr(pmcr).unwrap().is_gic_cpu_interface());
    }

    /// The syndrome of an `MCR`/`MRC` (`cp` 14 or 15) as the Arm ARM
    /// lays it out: CV=1, COND=AL, opc2, opc1, CRn, Rt, CRm, direction.
    fn single(cp: u32, opc1: u32, rt: u32, crn: u32, crm: u32, opc2: u32, read: bool) -> Hsr {
        let ec = if cp == 14 { 0x05 } else { 0x03 };
        Hsr((ec << 26)
            | (1 << 25)
            | (1 << 24)
            | (0xE << 20)
            | (opc2 << 17)
            | (opc1 << 14)
            | (crn << 10)
            | (rt << 5)
            | (crm << 1)
            | read as u32)
    }

    fn double(cp: u32, opc1: u32, rt: u32, rt2: u32, crm: u32, read: bool) -> Hsr {
        let ec = if cp == 14 { 0x0C } else { 0x04 };
        Hsr((ec << 26)
            | (1 << 25)
            | (1 << 24)
            | (0xE << 20)
            | (opc1 << 16)
            | (rt2 << 10)
            | (rt << 5)
            | (crm << 1)
            | read as u32)
    }

    fn text(hsr: Hsr) -> String {
        Access::from_hsr(hsr).map(|a| a.to_string()).unwrap_or_default()
    }

    #[test]
    fn names_the_watchpoint_breakpoint_and_os_lock_registers() {
        // MCR p14, 0, r2, c0, c0, 7 (DBGWCR0).
        assert_eq!(
            text(single(14, 0, 2, 0, 0, 7, false)),
            "debug register DBGWCR0 write refused"
        );
        // MCR p14, 0, r0, c0, c3, 6 (DBGWVR3).
        assert_eq!(
            text(single(14, 0, 0, 0, 3, 6, false)),
            "debug register DBGWVR3 write refused"
        );
        assert_eq!(
            text(single(14, 0, 0, 0, 15, 4, false)),
            "debug register DBGBVR15 write refused"
        );
        assert_eq!(
            text(single(14, 0, 1, 0, 5, 5, true)),
            "debug register DBGBCR5 read refused"
        );
        assert_eq!(
            text(single(14, 0, 0, 1, 0, 4, false)),
            "debug OS register DBGOSLAR write refused"
        );
        assert_eq!(
            text(single(14, 0, 0, 1, 1, 4, true)),
            "debug OS register DBGOSLSR read refused"
        );
        assert_eq!(
            text(single(14, 0, 0, 1, 4, 4, false)),
            "debug OS register DBGPRCR write refused"
        );
        assert_eq!(
            text(single(14, 0, 0, 0, 2, 2, false)),
            "debug register DBGDSCRext write refused"
        );
        assert_eq!(
            text(single(14, 0, 15, 0, 1, 0, true)),
            "debug register DBGDSCRint read refused"
        );
        assert_eq!(
            text(single(14, 0, 0, 0, 7, 0, false)),
            "debug register DBGVCR write refused"
        );
    }

    #[test]
    fn names_the_debug_rom_registers_in_both_widths() {
        assert_eq!(
            text(single(14, 0, 3, 1, 0, 0, true)),
            "debug ROM register DBGDRAR read refused"
        );
        assert_eq!(
            text(single(14, 0, 3, 2, 0, 0, true)),
            "debug ROM register DBGDSAR read refused"
        );
        assert_eq!(
            text(double(14, 0, 0, 1, 1, true)),
            "debug ROM register DBGDRAR (64-bit) read refused"
        );
        assert_eq!(
            text(double(14, 0, 0, 1, 2, true)),
            "debug ROM register DBGDSAR (64-bit) read refused"
        );
    }

    #[test]
    fn names_ldc_and_stc_to_the_debug_transfer_registers() {
        // LDC p14, c5, [r3] / STC p14, c5, [r3]: EC 0x06, Rn in [8:5].
        let ldc = Hsr((0x06 << 26) | (1 << 25) | (1 << 24) | (0xE << 20) | (3 << 5) | (0b010 << 1));
        let a = Access::from_hsr(ldc).expect("decoded");
        assert_eq!(a.form, Form::Memory { rn: 3 });
        assert_eq!(a.to_string(), "debug register DBGDTRTXint (LDC) write refused");
        assert_eq!(a.destinations(), [None, None]);
        let stc = Access::from_hsr(Hsr(ldc.0 | 1)).expect("decoded");
        assert_eq!(stc.to_string(), "debug register DBGDTRRXint (STC) read refused");
        // A refused STC writes no memory and no register.
        assert_eq!(stc.destinations(), [None, None]);
    }

    #[test]
    fn names_the_pmu_registers() {
        for (crm, opc2, name) in [
            (12, 0, "PMCR"),
            (12, 1, "PMCNTENSET"),
            (12, 5, "PMSELR"),
            (13, 0, "PMCCNTR"),
            (13, 1, "PMXEVTYPER"),
            (13, 2, "PMXEVCNTR"),
            (14, 0, "PMUSERENR"),
            (14, 3, "PMOVSSET"),
        ] {
            assert_eq!(
                text(single(15, 0, 0, 9, crm, opc2, false)),
                format!("PMU register {name} write refused")
            );
        }
        assert_eq!(
            text(single(15, 0, 0, 14, 9, 3, true)),
            "PMU register PMEVCNTR11 read refused"
        );
        assert_eq!(
            text(single(15, 0, 0, 14, 13, 0, true)),
            "PMU register PMEVTYPER8 read refused"
        );
        assert_eq!(
            text(single(15, 0, 0, 14, 15, 7, true)),
            "PMU register PMCCFILTR read refused"
        );
        assert_eq!(
            text(double(15, 0, 0, 1, 9, true)),
            "PMU register PMCCNTR (64-bit) read refused"
        );
    }

    #[test]
    fn other_registers_are_named_by_their_encoding() {
        // An implementation-defined CP15 register (HCR.TIDCP): c9, opc1 1.
        assert_eq!(
            text(single(15, 1, 0, 9, 0, 0, true)),
            "CP15 register (CRn c9, opc1 1, CRm c0, opc2 0) read refused"
        );
        // ACTLR (HCR.TAC).
        assert_eq!(
            text(single(15, 0, 0, 1, 0, 1, false)),
            "CP15 register (CRn c1, opc1 0, CRm c0, opc2 1) write refused"
        );
        // The timers in c14 c0-c3 are not PMU registers.
        assert_eq!(
            text(single(15, 0, 0, 14, 2, 1, true)),
            "CP15 register (CRn c14, opc1 0, CRm c2, opc2 1) read refused"
        );
        assert_eq!(
            text(double(15, 1, 0, 1, 15, true)),
            "CP15 register (64-bit, opc1 1, CRm c15) read refused"
        );
        // A trace register (CP14, opc1 1).
        assert_eq!(
            text(single(14, 1, 0, 0, 0, 0, true)),
            "CP14 register (CRn c0, opc1 1, CRm c0, opc2 0) read refused"
        );
        assert_eq!(Access::from_hsr(Hsr(0x13 << 26)), None);
    }

    #[test]
    fn destinations_of_reads() {
        let mrc = Access::from_hsr(single(14, 0, 7, 0, 0, 7, true)).expect("decoded");
        assert_eq!(mrc.destinations(), [Some(7), None]);
        let mcr = Access::from_hsr(single(14, 0, 7, 0, 0, 7, false)).expect("decoded");
        assert_eq!(mcr.destinations(), [None, None]);
        // MRC to APSR_nzcv.
        let flags = Access::from_hsr(single(14, 0, 15, 0, 1, 0, true)).expect("decoded");
        assert_eq!(flags.destinations(), [Some(15), None]);
        let mrrc = Access::from_hsr(double(15, 0, 13, 14, 9, true)).expect("decoded");
        assert_eq!(mrrc.destinations(), [Some(13), Some(14)]);
        // MRRC naming R15 is UNPREDICTABLE: that half is not written.
        let bad = Access::from_hsr(double(15, 0, 15, 2, 9, true)).expect("decoded");
        assert_eq!(bad.destinations(), [None, Some(2)]);
    }
}

//! The health monitor's decisions: what a partition fault is called and
//! what the partition's policy makes of it. Portable and unit-tested; the
//! target code applies the decision.

use hypcfg::system::FaultPolicy;

use crate::hsr::{ExceptionClass, Hsr};

/// A fault the hypervisor saw or a guest reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Stage-2 data abort: an access outside what the partition owns.
    DataAbort {
        /// Faulting address.
        addr: u32,
        /// Whether it was a write.
        write: bool,
        /// Fault status name.
        status: &'static str,
    },
    /// Stage-2 prefetch abort: execution outside its executable memory.
    PrefetchAbort {
        /// Faulting address.
        addr: u32,
        /// Fault status name.
        status: &'static str,
    },
    /// An `SMC` (no secure monitor is offered to partitions).
    Smc,
    /// An instruction trapped to EL2 that partitions may not use.
    Trapped {
        /// The `HSR.EC` value.
        ec: u8,
    },
    /// A GIC register write the emulation refused (`crate::vgic_mmio`): it
    /// would change an interrupt the partition does not own, or route one
    /// away from its core. Nothing was written.
    GicRefused {
        /// The GIC register written (distributor or redistributor address).
        addr: u32,
        /// The first interrupt concerned.
        intid: u32,
        /// What was refused.
        why: &'static str,
    },
    /// A fault the guest took at EL1 and reported (`REPORT_FAULT`).
    Reported {
        /// One of `hypcfg::abi::fault`.
        kind: u32,
        /// The address the guest saw.
        addr: u32,
    },
}

impl Fault {
    /// Classifies a trap from EL1 that is not a hypercall or WFI/WFE.
    pub fn from_trap(hsr: Hsr, hdfar: u32, hifar: u32) -> Fault {
        match hsr.class() {
            ExceptionClass::DataAbortLower => Fault::DataAbort {
                addr: hdfar,
                write: hsr.is_write(),
                status: hsr.fault_name(),
            },
            ExceptionClass::PrefetchAbortLower => Fault::PrefetchAbort {
                addr: hifar,
                status: hsr.fault_name(),
            },
            ExceptionClass::Smc => Fault::Smc,
            _ => Fault::Trapped { ec: hsr.ec() },
        }
    }

    /// Short description for the report.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::DataAbort { write: true, .. } => "data abort (write)",
            Fault::DataAbort { write: false, .. } => "data abort (read)",
            Fault::PrefetchAbort { .. } => "prefetch abort",
            Fault::Smc => "SMC",
            Fault::Trapped { .. } => "trapped instruction",
            Fault::GicRefused { .. } => "GIC write refused",
            Fault::Reported { kind, .. } => match *kind {
                hypcfg::abi::fault::UNDEFINED => "undefined instruction (EL1)",
                hypcfg::abi::fault::PREFETCH_ABORT => "prefetch abort (EL1 MPU)",
                hypcfg::abi::fault::DATA_ABORT => "data abort (EL1 MPU)",
                hypcfg::abi::fault::PANIC => "panic",
                _ => "reported fault",
            },
        }
    }

    /// The faulting address, where there is one.
    pub fn addr(&self) -> Option<u32> {
        match *self {
            Fault::DataAbort { addr, .. }
            | Fault::PrefetchAbort { addr, .. }
            | Fault::GicRefused { addr, .. }
            | Fault::Reported { addr, .. } => Some(addr),
            Fault::Smc | Fault::Trapped { .. } => None,
        }
    }

    /// Fault status detail, where there is one.
    pub fn status(&self) -> &'static str {
        match *self {
            Fault::DataAbort { status, .. } | Fault::PrefetchAbort { status, .. } => status,
            Fault::GicRefused { why, .. } => why,
            _ => "",
        }
    }
}

/// What happens to the partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Restart from the pristine image; this is restart number `attempt`
    /// of `budget`.
    Restart {
        /// 1-based restart number.
        attempt: u32,
        /// Restarts allowed.
        budget: u32,
    },
    /// Stop for good; `budget_exhausted` tells why.
    Halt {
        /// Whether the partition ran out of restarts (else its policy is halt).
        budget_exhausted: bool,
    },
    /// Report and continue after the faulting instruction.
    Log,
}

/// Applies `policy` to a partition that has been restarted `restarts`
/// times already.
pub fn decide(policy: FaultPolicy, restarts: u32) -> Decision {
    match policy {
        FaultPolicy::Restart { budget } if restarts < budget as u32 => Decision::Restart {
            attempt: restarts + 1,
            budget: budget as u32,
        },
        FaultPolicy::Restart { .. } => Decision::Halt {
            budget_exhausted: true,
        },
        FaultPolicy::Halt => Decision::Halt {
            budget_exhausted: false,
        },
        FaultPolicy::Log => Decision::Log,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_within_budget_then_halt() {
        let p = FaultPolicy::Restart { budget: 2 };
        assert_eq!(
            decide(p, 0),
            Decision::Restart {
                attempt: 1,
                budget: 2
            }
        );
        assert_eq!(
            decide(p, 1),
            Decision::Restart {
                attempt: 2,
                budget: 2
            }
        );
        assert_eq!(
            decide(p, 2),
            Decision::Halt {
                budget_exhausted: true
            }
        );
    }

    #[test]
    fn zero_budget_halts_at_first_fault() {
        assert_eq!(
            decide(FaultPolicy::Restart { budget: 0 }, 0),
            Decision::Halt {
                budget_exhausted: true
            }
        );
    }

    #[test]
    fn halt_and_log_policies() {
        assert_eq!(
            decide(FaultPolicy::Halt, 0),
            Decision::Halt {
                budget_exhausted: false
            }
        );
        assert_eq!(decide(FaultPolicy::Log, 9), Decision::Log);
    }

    #[test]
    fn classifies_stage2_aborts_and_smc() {
        let dabt = Hsr((0x24 << 26) | (1 << 25) | (1 << 6) | 0b001101);
        assert_eq!(
            Fault::from_trap(dabt, 0x1000_0000, 0),
            Fault::DataAbort {
                addr: 0x1000_0000,
                write: true,
                status: "permission fault"
            }
        );
        let pabt = Hsr((0x20 << 26) | (1 << 25) | 0b000101);
        assert_eq!(
            Fault::from_trap(pabt, 0, 0x2000_0000),
            Fault::PrefetchAbort {
                addr: 0x2000_0000,
                status: "translation fault"
            }
        );
        assert_eq!(Fault::from_trap(Hsr(0x13 << 26), 0, 0), Fault::Smc);
        assert_eq!(Fault::from_trap(Hsr(0x03 << 26), 0, 0), Fault::Trapped { ec: 3 });
    }
}

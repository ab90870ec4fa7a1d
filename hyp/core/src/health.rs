//! The health monitor's decisions: what a partition fault is called, what
//! the partition's policy makes of it, when a fault repeated under `log`
//! is escalated ([`Monitor::decide`]) and which FAULT lines are printed
//! ([`Monitor::admit`]). Portable and unit-tested; the target code keeps a
//! [`Monitor`] per partition and applies the decision.

use core::fmt;

use hypcfg::packed::Text;
use hypcfg::put;
use hypcfg::system::FaultPolicy;
use hypcfg::text::{self, Arg, Out, Show};

use crate::gic_access::Refusal;
use crate::hsr::{ExceptionClass, Hsr};
use crate::sysreg::{Access, Form, SgiRegister};

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
        status: Text,
    },
    /// Stage-2 prefetch abort: execution outside its executable memory.
    PrefetchAbort {
        /// Faulting address.
        addr: u32,
        /// Fault status name.
        status: Text,
    },
    /// An `SMC` (no secure monitor is offered to partitions).
    Smc,
    /// A trapped coprocessor register access (debug, OS lock, debug ROM,
    /// PMU, implementation-defined CP15): refused, none is emulated.
    Register(Access),
    /// Any other instruction trapped to EL2 that partitions may not use.
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
        why: Text,
    },
    /// An SGI register write the hypervisor refused (an SGI for another
    /// core, or group 0): nothing was sent.
    SgiRefused {
        /// The register written.
        reg: SgiRegister,
        /// What was refused.
        why: Text,
    },
    /// A GIC access the emulation does not make (`crate::gic_access`):
    /// a size the register does not take, or an instruction it does not
    /// decode. Nothing was written.
    GicAccess {
        /// The GIC address accessed.
        addr: u32,
        /// Why.
        why: Refusal,
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
            _ => match Access::from_hsr(hsr) {
                Some(a) => Fault::Register(a),
                None => Fault::Trapped { ec: hsr.ec() },
            },
        }
    }

    /// Short description for the report.
    pub fn kind(&self) -> Text {
        match self {
            Fault::DataAbort { write: true, .. } => hypcfg::text!("data abort (write)"),
            Fault::DataAbort { write: false, .. } => hypcfg::text!("data abort (read)"),
            Fault::PrefetchAbort { .. } => hypcfg::text!("prefetch abort"),
            Fault::Smc => hypcfg::text!("SMC"),
            Fault::Register(_) => hypcfg::text!("refused register access"),
            Fault::Trapped { .. } => hypcfg::text!("trapped instruction"),
            Fault::GicRefused { .. } => hypcfg::text!("GIC write refused"),
            Fault::SgiRefused { .. } => hypcfg::text!("SGI refused"),
            Fault::GicAccess { .. } => hypcfg::text!("GIC access refused"),
            Fault::Reported { kind, .. } => match *kind {
                hypcfg::abi::fault::UNDEFINED => hypcfg::text!("undefined instruction (EL1)"),
                hypcfg::abi::fault::PREFETCH_ABORT => hypcfg::text!("prefetch abort (EL1 MPU)"),
                hypcfg::abi::fault::DATA_ABORT => hypcfg::text!("data abort (EL1 MPU)"),
                hypcfg::abi::fault::PANIC => hypcfg::text!("panic"),
                _ => hypcfg::text!("reported fault"),
            },
        }
    }

    /// The faulting address, where there is one.
    pub fn addr(&self) -> Option<u32> {
        match *self {
            Fault::DataAbort { addr, .. }
            | Fault::PrefetchAbort { addr, .. }
            | Fault::GicRefused { addr, .. }
            | Fault::GicAccess { addr, .. }
            | Fault::Reported { addr, .. } => Some(addr),
            Fault::Smc | Fault::Register(_) | Fault::Trapped { .. } | Fault::SgiRefused { .. } => None,
        }
    }

    /// Fault status detail, where there is one.
    pub fn status(&self) -> Text {
        match *self {
            Fault::DataAbort { status, .. } | Fault::PrefetchAbort { status, .. } => status,
            Fault::GicRefused { why, .. } => why,
            _ => hypcfg::text!(""),
        }
    }
}

/// A fault as the repeat count of [`Monitor::decide`] compares it: equal
/// keys exactly when the faults are equal (`==`), every field packed into
/// three words and the one string a fault has. Comparing keys is a few
/// instructions; the derived comparison of two faults, a match over
/// every pair of variants and their nested fields, was about 0.5 KB of
/// the fault path. [`Fault::key`] is checked against `==` in the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key(u32, u32, u32, Text);

impl Fault {
    /// The fault's [`Key`]: its variant in the low byte of the first word,
    /// its small fields in the other bytes, the 32-bit fields in the next
    /// two words, its string (status, reason, register name) last.
    fn key(&self) -> Key {
        match *self {
            Fault::DataAbort { addr, write, status } => Key(u32::from(write) << 8, addr, 0, status),
            Fault::PrefetchAbort { addr, status } => Key(1, addr, 0, status),
            Fault::Smc => Key(2, 0, 0, hypcfg::text!("")),
            Fault::Register(Access { cp, form, read }) => {
                let head = 3 | u32::from(cp) << 8 | u32::from(read) << 16;
                let bytes = |a: u8, b: u8, c: u8, d: u8| u32::from_le_bytes([a, b, c, d]);
                match form {
                    Form::Single {
                        crn,
                        opc1,
                        crm,
                        opc2,
                        rt,
                    } => Key(
                        head,
                        bytes(crn, opc1, crm, opc2),
                        u32::from(rt),
                        hypcfg::text!(""),
                    ),
                    Form::Double { opc1, crm, rt, rt2 } => {
                        Key(head | 1 << 24, bytes(opc1, crm, rt, rt2), 0, hypcfg::text!(""))
                    }
                    Form::Memory { rn } => Key(head | 2 << 24, u32::from(rn), 0, hypcfg::text!("")),
                }
            }
            Fault::Trapped { ec } => Key(4 | u32::from(ec) << 8, 0, 0, hypcfg::text!("")),
            Fault::GicRefused { addr, intid, why } => Key(5, addr, intid, why),
            Fault::SgiRefused { reg, why } => Key(6 | (reg as u32) << 8, 0, 0, why),
            Fault::GicAccess { addr, why } => {
                let (variant, bytes, reg) = match why {
                    Refusal::Size { bytes, reg } => (0, bytes, reg),
                    Refusal::Misaligned { bytes, reg } => (1, bytes, reg),
                    Refusal::Insn(n) => (2 | (n as u32) << 8, 0, hypcfg::text!("")),
                    Refusal::Register => (3, 0, hypcfg::text!("")),
                    Refusal::Fetch => (4, 0, hypcfg::text!("")),
                    Refusal::Mismatch => (5, 0, hypcfg::text!("")),
                    Refusal::BigEndian => (6, 0, hypcfg::text!("")),
                };
                Key(7 | u32::from(bytes) << 8 | variant << 16, addr, 0, reg)
            }
            Fault::Reported { kind, addr } => Key(8, kind, addr, hypcfg::text!("")),
        }
    }
}

/// What a FAULT line says before ` at <addr>`: the kind and status
/// (`data abort (read), permission fault`), or for a register access the
/// register and direction (`debug register DBGWCR0 write refused`).
impl Show for Fault {
    fn show(&self, o: &mut dyn Out) {
        let (template, a, b): (Text, Arg<'_>, Arg<'_>) = match self {
            Fault::Register(a) => return a.show(o),
            Fault::Trapped { ec } => (
                hypcfg::text!("{} (EC {})"),
                Arg::Text(self.kind()),
                text::hex2(u32::from(*ec)),
            ),
            Fault::SgiRefused { reg, why } => (
                hypcfg::text!("{} write refused: {}"),
                Arg::Text(reg.name()),
                Arg::Text(*why),
            ),
            Fault::GicAccess { why, .. } => (hypcfg::text!("{}, {}"), Arg::Text(self.kind()), why.into()),
            _ if self.status().is_empty() => (
                hypcfg::text!("{}"),
                Arg::Text(self.kind()),
                Arg::Text(hypcfg::text!("")),
            ),
            _ => (
                hypcfg::text!("{}, {}"),
                Arg::Text(self.kind()),
                Arg::Text(self.status()),
            ),
        };
        text::write(o, template, &[a, b]);
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
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
    /// Stop for good: under `log`, the same fault (kind, address, PC)
    /// came `count` ([`REPEAT_LIMIT`]) times in a row, so continuing
    /// would only repeat it.
    Repeated {
        /// Identical faults in a row.
        count: u32,
    },
}

/// What the FAULT line says is done: `restart 1/2`, `halt` (also for a
/// repeated fault), `log and continue`.
impl Show for Decision {
    fn show(&self, o: &mut dyn Out) {
        match *self {
            Decision::Restart { attempt, budget } => put!(o, "restart {}/{}", attempt, budget),
            Decision::Halt { .. } | Decision::Repeated { .. } => hypcfg::text!("halt").write(o),
            Decision::Log => hypcfg::text!("log and continue").write(o),
        }
    }
}

/// Identical faults in a row (same kind, address and PC, no other fault
/// between them) after which a `log` partition is halted: a partition
/// that meets the same fault this often is stuck, not progressing (a
/// loop on a refused access, a watchpoint it cannot leave), and `log`
/// would keep the core busy with it for good. `restart` and `halt` need
/// no such rule: each fault already restarts (within the budget) or halts.
pub const REPEAT_LIMIT: u32 = 64;

/// FAULT lines a partition may print in a burst.
pub const LINE_BURST: u32 = 32;

/// After its burst, a partition earns one more FAULT line per this many
/// milliseconds (up to [`LINE_BURST`] saved).
pub const LINE_INTERVAL_MS: u32 = 100;

/// Whether a FAULT line is printed ([`Monitor::admit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// Print it, after a `... N FAULT lines suppressed` line if
    /// `suppressed` is not 0.
    Print {
        /// FAULT lines left out since the last printed one.
        suppressed: u32,
    },
    /// Leave it out (it is counted).
    Suppress,
}

/// The health monitor's memory of one partition: the last fault and how
/// often it came in a row, and its FAULT-line budget (a token bucket).
/// Kept in the partition's control block and reset when it (re)starts;
/// the fault counters of the end-of-run summary are kept apart and never
/// limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Monitor {
    /// The last fault ([`Fault::key`]) and its PC.
    last: Option<(Key, u32)>,
    repeats: u32,
    tokens: u32,
    refilled_at: u64,
    suppressed: u32,
}

impl Monitor {
    /// A partition that has not faulted.
    pub const NEW: Monitor = Monitor {
        last: None,
        repeats: 0,
        tokens: LINE_BURST,
        refilled_at: 0,
        suppressed: 0,
    };

    /// Records `fault` at guest `pc` and decides what happens: the
    /// partition's `policy` (with `restarts` restarts so far, see
    /// [`decide`]), except that a `log` partition meeting the same fault at
    /// the same PC [`REPEAT_LIMIT`] times in a row is halted
    /// ([`Decision::Repeated`]).
    pub fn decide(&mut self, policy: FaultPolicy, restarts: u32, fault: Fault, pc: u32) -> Decision {
        let now = Some((fault.key(), pc));
        self.repeats = if self.last == now {
            self.repeats.saturating_add(1)
        } else {
            1
        };
        self.last = now;
        match decide(policy, restarts) {
            Decision::Log if self.repeats >= REPEAT_LIMIT => Decision::Repeated { count: self.repeats },
            d => d,
        }
    }

    /// Whether the FAULT line of a fault with `decision` is printed, at
    /// counter time `now` with `ticks_per_line` counter ticks per earned
    /// line. A partition prints [`LINE_BURST`] lines at once, then one per
    /// [`LINE_INTERVAL_MS`]; the others are counted and announced before
    /// the next printed line. A line whose decision stops or restarts the
    /// partition is always printed (there are at most `budget + 1`).
    pub fn admit(&mut self, decision: Decision, now: u64, ticks_per_line: u64) -> Line {
        if self.tokens >= LINE_BURST {
            self.refilled_at = now;
        } else {
            let earned = hypcfg::div::div(now.saturating_sub(self.refilled_at), ticks_per_line);
            if earned > 0 {
                let tokens = u64::from(self.tokens)
                    .saturating_add(earned)
                    .min(u64::from(LINE_BURST));
                self.tokens = tokens as u32;
                self.refilled_at = now;
            }
        }
        let must = !matches!(decision, Decision::Log);
        if self.tokens == 0 && !must {
            self.suppressed = self.suppressed.saturating_add(1);
            return Line::Suppress;
        }
        self.tokens = self.tokens.saturating_sub(1);
        Line::Print {
            suppressed: self.take_suppressed(),
        }
    }

    /// FAULT lines left out and not yet announced (now 0): for the
    /// announcement when the partition stops.
    pub fn take_suppressed(&mut self) -> u32 {
        core::mem::take(&mut self.suppressed)
    }
}

/// Applies `policy` to a partition that has been restarted `restarts`
/// times already.
pub fn decide(policy: FaultPolicy, restarts: u32) -> Decision {
    match policy {
        FaultPolicy::Restart { budget } if restarts < budget as u32 => Decision::Restart {
            attempt: restarts.wrapping_add(1), // < budget
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

    const DABT: Fault = Fault::DataAbort {
        addr: 0x2021_0000,
        write: false,
        status: hypcfg::text!("permission fault"),
    };

    #[test]
    fn identical_faults_under_log_escalate_at_the_limit() {
        let mut m = Monitor::NEW;
        for _ in 1..REPEAT_LIMIT {
            assert_eq!(m.decide(FaultPolicy::Log, 0, DABT, 0x100), Decision::Log);
        }
        assert_eq!(
            m.decide(FaultPolicy::Log, 0, DABT, 0x100),
            Decision::Repeated { count: REPEAT_LIMIT }
        );
    }

    /// Faults of every variant, each differing from another of its
    /// variant in one field (and some equal ones, built apart).
    fn key_samples() -> std::vec::Vec<Fault> {
        use crate::insn::NotDecoded;
        // Equal strings at different addresses: keys compare contents.
        let packed = hypcfg::text!("permission fault").packed().to_vec().leak();
        let status = Text::from_packed(packed);
        let single = |crn, opc1, crm, opc2, rt| Form::Single {
            crn,
            opc1,
            crm,
            opc2,
            rt,
        };
        let double = |opc1, crm, rt, rt2| Form::Double { opc1, crm, rt, rt2 };
        let mut v = vec![
            DABT,
            Fault::DataAbort {
                addr: 0x2021_0000,
                write: false,
                status,
            },
            Fault::DataAbort {
                addr: 0x2021_0000,
                write: true,
                status: hypcfg::text!("permission fault"),
            },
            Fault::DataAbort {
                addr: 0x2021_0004,
                write: false,
                status: hypcfg::text!("permission fault"),
            },
            Fault::DataAbort {
                addr: 0x2021_0000,
                write: false,
                status: hypcfg::text!("translation fault"),
            },
            Fault::PrefetchAbort {
                addr: 0x2021_0000,
                status: hypcfg::text!("permission fault"),
            },
            Fault::PrefetchAbort { addr: 0, status },
            Fault::Smc,
            Fault::Trapped { ec: 0 },
            Fault::Trapped { ec: 0x3F },
            Fault::GicRefused {
                addr: 0xF000_0100,
                intid: 40,
                why: hypcfg::text!("not its own"),
            },
            Fault::GicRefused {
                addr: 0xF000_0104,
                intid: 40,
                why: hypcfg::text!("not its own"),
            },
            Fault::GicRefused {
                addr: 0xF000_0100,
                intid: 41,
                why: hypcfg::text!("not its own"),
            },
            Fault::GicRefused {
                addr: 0xF000_0100,
                intid: 40,
                why: hypcfg::text!("routing"),
            },
            Fault::Reported { kind: 1, addr: 2 },
            Fault::Reported { kind: 2, addr: 1 },
            Fault::Reported { kind: 1, addr: 3 },
        ];
        for reg in [SgiRegister::Sgi1r, SgiRegister::Asgi1r, SgiRegister::Sgi0r] {
            for why in [hypcfg::text!("an SGI to another core"), hypcfg::text!("group 0")] {
                v.push(Fault::SgiRefused { reg, why });
            }
        }
        let refusals = [
            Refusal::Size {
                bytes: 1,
                reg: hypcfg::text!("CTLR"),
            },
            Refusal::Size {
                bytes: 2,
                reg: hypcfg::text!("CTLR"),
            },
            Refusal::Size {
                bytes: 1,
                reg: hypcfg::text!("TYPER"),
            },
            Refusal::Misaligned {
                bytes: 1,
                reg: hypcfg::text!("CTLR"),
            },
            Refusal::Insn(NotDecoded::Multiple),
            Refusal::Insn(NotDecoded::Other),
            Refusal::Register,
            Refusal::Fetch,
            Refusal::Mismatch,
            Refusal::BigEndian,
        ];
        for why in refusals {
            for addr in [0xF000_0000, 0xF000_0004] {
                v.push(Fault::GicAccess { addr, why });
            }
        }
        let forms = [
            single(0, 0, 0, 0, 0),
            single(1, 0, 0, 0, 0),
            single(0, 1, 0, 0, 0),
            single(0, 0, 1, 0, 0),
            single(0, 0, 0, 1, 0),
            single(0, 0, 0, 0, 1),
            double(0, 0, 0, 0),
            double(1, 0, 0, 0),
            double(0, 1, 0, 0),
            double(0, 0, 1, 0),
            double(0, 0, 0, 1),
            Form::Memory { rn: 0 },
            Form::Memory { rn: 1 },
        ];
        for form in forms {
            for (cp, read) in [(14, false), (15, false), (14, true)] {
                v.push(Fault::Register(Access { cp, form, read }));
            }
        }
        v
    }

    #[test]
    fn fault_keys_are_equal_exactly_when_the_faults_are() {
        let faults = key_samples();
        for a in &faults {
            for b in &faults {
                assert_eq!(a.key() == b.key(), a == b, "{a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn a_different_fault_pc_or_address_starts_the_count_again() {
        let mut m = Monitor::NEW;
        let other = Fault::DataAbort {
            addr: 0x2021_0004,
            write: false,
            status: hypcfg::text!("permission fault"),
        };
        for i in 0..10 * REPEAT_LIMIT {
            // Alternating addresses: never twice in a row.
            let f = if i % 2 == 0 { DABT } else { other };
            assert_eq!(m.decide(FaultPolicy::Log, 0, f, 0x100), Decision::Log);
        }
        for _ in 1..REPEAT_LIMIT {
            assert_eq!(m.decide(FaultPolicy::Log, 0, DABT, 0x100), Decision::Log);
        }
        // Same fault, another PC: a new run.
        assert_eq!(m.decide(FaultPolicy::Log, 0, DABT, 0x104), Decision::Log);
        assert_eq!(m.decide(FaultPolicy::Log, 0, Fault::Smc, 0x104), Decision::Log);
    }

    #[test]
    fn restart_and_halt_policies_are_not_changed_by_repeats() {
        let mut m = Monitor::NEW;
        for _ in 0..2 * REPEAT_LIMIT {
            assert_eq!(
                m.decide(FaultPolicy::Halt, 0, DABT, 0),
                decide(FaultPolicy::Halt, 0)
            );
        }
        let p = FaultPolicy::Restart { budget: 3 };
        assert_eq!(
            m.decide(p, 3, DABT, 0),
            Decision::Halt {
                budget_exhausted: true
            }
        );
        assert_eq!(
            m.decide(p, 0, DABT, 0),
            Decision::Restart {
                attempt: 1,
                budget: 3
            }
        );
    }

    #[test]
    fn fault_lines_burst_then_trickle_and_count_the_rest() {
        let mut m = Monitor::NEW;
        let tpl = 1000;
        let mut t = 5_000_000;
        for _ in 0..LINE_BURST {
            assert_eq!(m.admit(Decision::Log, t, tpl), Line::Print { suppressed: 0 });
        }
        for _ in 0..100 {
            assert_eq!(m.admit(Decision::Log, t, tpl), Line::Suppress);
            t += 9;
        }
        // 900 ticks later: not a whole line earned yet.
        assert_eq!(m.admit(Decision::Log, t, tpl), Line::Suppress);
        t += 100;
        assert_eq!(m.admit(Decision::Log, t, tpl), Line::Print { suppressed: 101 });
        assert_eq!(m.admit(Decision::Log, t, tpl), Line::Suppress);
        // A halt is always printed, with the count before it.
        assert_eq!(
            m.admit(
                Decision::Halt {
                    budget_exhausted: false
                },
                t,
                tpl
            ),
            Line::Print { suppressed: 1 }
        );
        assert_eq!(m.take_suppressed(), 0);
        // A long quiet time earns the burst back, not more.
        t += 1_000 * tpl;
        for _ in 0..LINE_BURST {
            assert!(matches!(m.admit(Decision::Log, t, tpl), Line::Print { .. }));
        }
        assert_eq!(m.admit(Decision::Log, t, tpl), Line::Suppress);
        assert_eq!(m.take_suppressed(), 1);
    }

    #[test]
    fn a_stopped_counter_or_zero_interval_never_panics() {
        let mut m = Monitor::NEW;
        for i in 0..3 * LINE_BURST {
            let _ = m.admit(Decision::Log, 0, 0);
            let _ = m.admit(Decision::Log, u64::MAX - u64::from(i), 0);
        }
        assert!(m.take_suppressed() > 0);
    }

    #[test]
    fn the_fault_line_says_what_is_done() {
        let said = |d: Decision| {
            let mut s: heapless::String<24> = heapless::String::new();
            d.show(&mut s);
            s
        };
        assert_eq!(
            said(Decision::Restart {
                attempt: 1,
                budget: 2
            }),
            "restart 1/2"
        );
        assert_eq!(
            said(Decision::Restart {
                attempt: 10,
                budget: 255
            }),
            "restart 10/255"
        );
        assert_eq!(
            said(Decision::Halt {
                budget_exhausted: true
            }),
            "halt"
        );
        assert_eq!(said(Decision::Repeated { count: 64 }), "halt");
        assert_eq!(said(Decision::Log), "log and continue");
    }

    #[test]
    fn reports_say_what_was_refused() {
        let wcr = Hsr((0x05 << 26) | (1 << 25) | (1 << 24) | (0xE << 20) | (7 << 17) | (2 << 5));
        let f = Fault::from_trap(wcr, 0, 0);
        assert!(matches!(f, Fault::Register(_)));
        assert_eq!(f.to_string(), "debug register DBGWCR0 write refused");
        assert_eq!(f.addr(), None);
        assert_eq!(DABT.to_string(), "data abort (read), permission fault");
        assert_eq!(Fault::Smc.to_string(), "SMC");
        let sgi = Fault::SgiRefused {
            reg: SgiRegister::Sgi1r,
            why: hypcfg::text!("an SGI to another core"),
        };
        assert_eq!(sgi.to_string(), "ICC_SGI1R write refused: an SGI to another core");
        assert_eq!(sgi.addr(), None);
        let gic = Fault::GicAccess {
            addr: 0xF000_0000,
            why: Refusal::Size {
                bytes: 1,
                reg: hypcfg::text!("GICD_CTLR"),
            },
        };
        assert_eq!(
            gic.to_string(),
            "GIC access refused, 8-bit access to GICD_CTLR is not permitted"
        );
        assert_eq!(gic.addr(), Some(0xF000_0000));
        assert_eq!(
            Fault::from_trap(Hsr(0x07 << 26), 0, 0).to_string(),
            "trapped instruction (EC 0x07)"
        );
    }

    #[test]
    fn classifies_stage2_aborts_and_smc() {
        let dabt = Hsr((0x24 << 26) | (1 << 25) | (1 << 6) | 0b001101);
        assert_eq!(
            Fault::from_trap(dabt, 0x1000_0000, 0),
            Fault::DataAbort {
                addr: 0x1000_0000,
                write: true,
                status: hypcfg::text!("permission fault")
            }
        );
        let pabt = Hsr((0x20 << 26) | (1 << 25) | 0b000101);
        assert_eq!(
            Fault::from_trap(pabt, 0, 0x2000_0000),
            Fault::PrefetchAbort {
                addr: 0x2000_0000,
                status: hypcfg::text!("translation fault")
            }
        );
        assert_eq!(Fault::from_trap(Hsr(0x13 << 26), 0, 0), Fault::Smc);
        assert!(matches!(
            Fault::from_trap(Hsr(0x03 << 26), 0, 0),
            Fault::Register(_)
        ));
        assert_eq!(Fault::from_trap(Hsr(0x07 << 26), 0, 0), Fault::Trapped { ec: 7 });
    }
}

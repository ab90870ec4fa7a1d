//! The debug and Performance Monitors boundary (`HDCR`): partitions may
//! use neither, because both are per core, not per partition. A
//! watchpoint or breakpoint one partition set would fire in the next one
//! on the core, and a counter it programmed would be read (or count
//! events) in the next. `HDCR` traps every EL1 and EL0 access to them to
//! EL2, where the health monitor refuses it (`partition::trap`); nothing
//! is switched per partition. See `docs/security.md`.

/// `HDCR.TPMCR`: trap `PMCR` accesses.
const TPMCR: u32 = 1 << 5;
/// `HDCR.TPM`: trap every other Performance Monitors access.
const TPM: u32 = 1 << 6;
/// `HDCR.TDA`: trap the debug registers not trapped by TDOSA or TDRA
/// (breakpoints, watchpoints, `DBGDSCR`, `DBGVCR`, the DCC, `DBGDIDR`...).
const TDA: u32 = 1 << 9;
/// `HDCR.TDOSA`: trap the OS lock and power-down registers (`DBGOSLAR`,
/// `DBGOSLSR`, `DBGOSDLR`, `DBGPRCR`).
const TDOSA: u32 = 1 << 10;
/// `HDCR.TDRA`: trap the debug ROM address registers (`DBGDRAR`, `DBGDSAR`).
const TDRA: u32 = 1 << 11;

/// The trap bits of `HDCR` while partitions run. Left clear on purpose:
/// `TDE` (it would route the debug exceptions a partition takes itself,
/// such as its own `BKPT`, to EL2; with the registers trapped no
/// partition can raise one in another, so they stay the partition's own
/// business at EL1) and `HPME` (no counter is reserved for EL2: the
/// hypervisor counts nothing).
pub const HDCR_TRAPS: u32 = TDRA | TDOSA | TDA | TPM | TPMCR;

/// `DBGDSCRext.MDBGen`: breakpoint, watchpoint and vector catch exceptions.
const MDBGEN: u32 = 1 << 15;

/// `HDCR` for a core whose PMU has `n` event counters (`PMCR.N`): the
/// traps, and `HPMN = N`, its reset value: every counter stays in the
/// EL1 range (HPMN = 0 is UNPREDICTABLE without FEAT_HPMN0, a value
/// above N is UNPREDICTABLE too). With `TPM` set the split only decides
/// which enable bit a counter obeys, and both stay off.
pub const fn hdcr(n: u32) -> u32 {
    HDCR_TRAPS | (n & 0x1F)
}

/// Sets this core up before its first partition runs: the Performance
/// Monitors stopped and quiet (whatever a boot loader left: counters and
/// their interrupts disabled, overflows cleared, no EL0 access), monitor
/// debug exceptions off (the breakpoint and watchpoint registers reset to
/// UNKNOWN values), then `HDCR` trapping both to EL2. Never changed
/// afterwards: the traps are the same for every partition.
pub fn init_this_core() {
    let pmcr: u32;
    let dscr: u32;
    // Each access below is sound for one reason: EL2 owns the PMU and the
    // debug registers (no partition runs on this core yet); these writes
    // only stop counting and self-hosted debug events, which the
    // hypervisor does not use.
    // SAFETY: as above (PMCR read).
    unsafe { core::arch::asm!("mrc p15, 0, {}, c9, c12, 0", out(reg) pmcr, options(nomem, nostack)) };
    // PMCR.E = 0 (and no reset of the counters: nothing reads them).
    // SAFETY: as above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c9, c12, 0", in(reg) pmcr & !1, options(nostack)) };
    // SAFETY: as above (PMCNTENCLR).
    unsafe { core::arch::asm!("mcr p15, 0, {}, c9, c12, 2", in(reg) u32::MAX, options(nostack)) };
    // SAFETY: as above (PMINTENCLR).
    unsafe { core::arch::asm!("mcr p15, 0, {}, c9, c14, 2", in(reg) u32::MAX, options(nostack)) };
    // SAFETY: as above (PMOVSR).
    unsafe { core::arch::asm!("mcr p15, 0, {}, c9, c12, 3", in(reg) u32::MAX, options(nostack)) };
    // SAFETY: as above (PMUSERENR).
    unsafe { core::arch::asm!("mcr p15, 0, {}, c9, c14, 0", in(reg) 0u32, options(nostack)) };
    // SAFETY: as above (DBGDSCRext read).
    unsafe { core::arch::asm!("mrc p14, 0, {}, c0, c2, 2", out(reg) dscr, options(nomem, nostack)) };
    // SAFETY: as above (DBGDSCRext.MDBGen off).
    unsafe { core::arch::asm!("mcr p14, 0, {}, c0, c2, 2", in(reg) dscr & !MDBGEN, options(nostack)) };
    // SAFETY: as above (HDCR, then the ISB that makes it apply).
    unsafe {
        core::arch::asm!(
            "mcr p15, 4, {}, c1, c1, 1", // HDCR
            "isb",
            in(reg) hdcr((pmcr >> 11) & 0x1F),
            options(nostack)
        )
    };
}

//! The generic timer as partitions see it: the counter is readable at EL1,
//! the EL1 physical timer and the virtual timer are the running
//! partition's (saved and restored on a switch), and each
//! partition's virtual timer runs with `CNTVOFF = 0`, so a partition's
//! virtual time is the system count.

/// `CNTHCTL.PL1PCTEN`: EL1 may read the physical counter.
const PL1PCTEN: u32 = 1 << 0;
/// `CNTHCTL.PL1PCEN`: EL1 may use the EL1 physical timer.
const PL1PCEN: u32 = 1 << 1;

/// Lets EL1 read the counter and use its physical timer (a partition's
/// `CNTP_*` is part of its context), and sets the virtual offset to zero.
/// Called on each core before partitions run.
pub fn allow_guest_counter() {
    // SAFETY: CNTHCTL only affects EL1/EL0 timer access.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c14, c1, 0", in(reg) PL1PCTEN | PL1PCEN, options(nostack)) };
    // SAFETY: CNTVOFF only affects EL1/EL0 virtual time.
    unsafe { core::arch::asm!("mcrr p15, 4, {z}, {z}, c14", z = in(reg) 0u32, options(nostack)) };
    aarch32_cpu::asm::isb();
}

/// The physical count (`CNTPCT`).
pub fn counter() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading CNTPCT has no side effects.
    unsafe {
        core::arch::asm!("isb", "mrrc p15, 0, {}, {}, c14", out(reg) lo, out(reg) hi, options(nostack))
    };
    (hi as u64) << 32 | lo as u64
}

/// The counter frequency in Hz (`CNTFRQ`).
pub fn frequency() -> u32 {
    let f: u32;
    // SAFETY: reading CNTFRQ has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c14, c0, 0", out(reg) f, options(nomem, nostack)) };
    f
}

/// Programs the EL2 physical timer (`CNTHP`) to fire at counter value
/// `deadline`, unmasked.
pub fn set_hyp_deadline(deadline: u64) {
    // SAFETY: CNTHP is the hypervisor's own timer.
    unsafe {
        core::arch::asm!("mcrr p15, 6, {}, {}, c14", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32,
            options(nostack))
    };
    // SAFETY: as above.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c14, c2, 1", "isb", in(reg) 1u32, options(nostack)) };
}

/// Whether the EL2 physical timer is armed and its deadline has passed
/// (`CNTHP_CTL.ISTATUS` with `ENABLE`): long work done for one partition
/// polls this to yield the core at a window boundary.
pub fn hyp_deadline_passed() -> bool {
    let ctl: u32;
    // SAFETY: reading CNTHP_CTL has no side effects.
    unsafe {
        core::arch::asm!("mrc p15, 4, {}, c14, c2, 1", out(reg) ctl, options(nomem, nostack, preserves_flags))
    };
    ctl & 0b101 == 0b101
}

/// Stops the EL2 physical timer.
pub fn stop_hyp_timer() {
    // SAFETY: CNTHP is the hypervisor's own timer.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c14, c2, 1", "isb", in(reg) 0u32, options(nostack)) };
}

/// Stops the running partition's EL1 virtual and physical timers
/// (`CNTV_CTL`, `CNTP_CTL` = 0), so neither keeps its interrupt asserted
/// after the partition stops.
pub fn stop_guest_timers() {
    // SAFETY: the EL1 timers of a partition that no longer runs; the next
    // partition's context restore writes its own.
    unsafe {
        core::arch::asm!("mcr p15, 0, {z}, c14, c3, 1", "mcr p15, 0, {z}, c14, c2, 1", "isb",
            z = in(reg) 0u32, options(nostack));
    }
}

/// Whether the running partition's EL1 timer whose interrupt is `intid`
/// ([`crate::arch::gic::INTID_VTIMER`] or
/// [`crate::arch::gic::INTID_PTIMER`]) asserts its line now: enabled,
/// not masked, condition met (`CNTx_CTL` = `ENABLE`, not `IMASK`,
/// `ISTATUS`). `false` for any other INTID.
pub fn guest_line_high(intid: u32) -> bool {
    let ctl: u32;
    match intid {
        crate::arch::gic::INTID_VTIMER => {
            // SAFETY: reading CNTV_CTL has no side effects.
            unsafe {
                core::arch::asm!("isb", "mrc p15, 0, {}, c14, c3, 1", out(reg) ctl, options(nomem, nostack))
            }
        }
        crate::arch::gic::INTID_PTIMER => {
            // SAFETY: reading CNTP_CTL has no side effects.
            unsafe {
                core::arch::asm!("isb", "mrc p15, 0, {}, c14, c2, 1", out(reg) ctl, options(nomem, nostack))
            }
        }
        _ => return false,
    }
    ctl & 0b111 == 0b101
}

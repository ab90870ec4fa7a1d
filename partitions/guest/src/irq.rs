//! Interrupts in a partition: the GIC CPU interface through its system
//! registers (under the hypervisor these reach the virtual interface), the
//! EL1 virtual timer, and one handler function.

use core::sync::atomic::{AtomicUsize, Ordering};

/// INTID of the EL1 virtual timer.
pub const VTIMER: u32 = 27;

static HANDLER: AtomicUsize = AtomicUsize::new(0);

/// Installs `f` as the handler of every interrupt (it gets the INTID).
pub fn set_handler(f: fn(u32)) {
    HANDLER.store(f as usize, Ordering::Release);
}

/// Turns on this partition's GIC CPU interface: system-register access,
/// every priority unmasked, group 1 enabled.
pub fn enable_cpu_interface() {
    #[cfg(target_arch = "arm")]
    // SAFETY: GIC CPU interface registers of this partition's (virtual) CPU.
    unsafe {
        core::arch::asm!("mcr p15, 0, {}, c12, c12, 5", "isb", in(reg) 1u32) // ICC_SRE
    };
    #[cfg(target_arch = "arm")]
    // SAFETY: as above.
    unsafe {
        core::arch::asm!("mcr p15, 0, {}, c4, c6, 0", in(reg) 0xFFu32) // ICC_PMR
    };
    #[cfg(target_arch = "arm")]
    // SAFETY: as above.
    unsafe {
        core::arch::asm!("mcr p15, 0, {}, c12, c12, 7", "isb", in(reg) 1u32) // ICC_IGRPEN1
    };
}

/// Unmasks IRQs at the CPU.
pub fn enable() {
    #[cfg(target_arch = "arm")]
    // SAFETY: the vector table and IRQ stack are set up by the entry code.
    unsafe {
        core::arch::asm!("cpsie i")
    };
}

/// Masks IRQs at the CPU.
pub fn disable() {
    #[cfg(target_arch = "arm")]
    // SAFETY: masking interrupts is always sound.
    unsafe {
        core::arch::asm!("cpsid i")
    };
}

#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn guest_irq_dispatch() {
    let intid: u32;
    // SAFETY: ICC_IAR1 acknowledges the pending interrupt we were sent for.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c12, 0", out(reg) intid) };
    let intid = intid & 0xFF_FFFF;
    if intid >= 1020 {
        return;
    }
    let h = HANDLER.load(Ordering::Acquire);
    if h == 0 {
        crate::hvc::report_fault(0, intid, 0);
    } else {
        // SAFETY: only `set_handler` stores here, always a `fn(u32)`.
        let f: fn(u32) = unsafe { core::mem::transmute::<usize, fn(u32)>(h) };
        f(intid);
    }
    // SAFETY: ICC_EOIR1 ends the interrupt acknowledged above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 1", in(reg) intid) };
}

/// The EL1 virtual timer (`CNTV_*`).
pub mod vtimer {
    /// The virtual count.
    pub fn now() -> u64 {
        #[cfg(target_arch = "arm")]
        {
            let (lo, hi): (u32, u32);
            // SAFETY: reading CNTVCT has no side effects.
            unsafe { core::arch::asm!("isb", "mrrc p15, 1, {}, {}, c14", out(reg) lo, out(reg) hi) };
            (hi as u64) << 32 | lo as u64
        }
        #[cfg(not(target_arch = "arm"))]
        0
    }

    /// Fires when the virtual count reaches `deadline` (enabled, unmasked).
    pub fn set_deadline(deadline: u64) {
        #[cfg(target_arch = "arm")]
        // SAFETY: the partition's own virtual timer.
        unsafe {
            core::arch::asm!("mcrr p15, 3, {}, {}, c14", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32)
        };
        #[cfg(target_arch = "arm")]
        // SAFETY: as above.
        unsafe {
            core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 1u32)
        };
        #[cfg(not(target_arch = "arm"))]
        let _ = deadline;
    }

    /// Stops the timer.
    pub fn stop() {
        #[cfg(target_arch = "arm")]
        // SAFETY: the partition's own virtual timer.
        unsafe {
            core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 0u32)
        };
    }

    /// The counter frequency in Hz.
    pub fn frequency() -> u32 {
        #[cfg(target_arch = "arm")]
        {
            let f: u32;
            // SAFETY: reading CNTFRQ has no side effects.
            unsafe { core::arch::asm!("mrc p15, 0, {}, c14, c0, 0", out(reg) f) };
            f
        }
        #[cfg(not(target_arch = "arm"))]
        62_500_000
    }
}

/// Waits for an interrupt (the hypervisor gives the core away meanwhile).
pub fn wait() {
    #[cfg(target_arch = "arm")]
    // SAFETY: WFI only waits.
    unsafe {
        core::arch::asm!("wfi")
    };
}

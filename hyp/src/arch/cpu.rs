//! Small CPU queries and the per-core halt.

/// CPSR mode field value of Hyp mode.
pub const MODE_HYP: u32 = 0x1A;

/// This core's number (`MPIDR.Aff0`).
pub fn core_id() -> u32 {
    aarch32_cpu::register::Mpidr::read().0 & 0xFF
}

/// The current CPSR mode field.
pub fn current_mode() -> u32 {
    let cpsr: u32;
    // SAFETY: reading CPSR has no side effects.
    unsafe { core::arch::asm!("mrs {}, cpsr", out(reg) cpsr, options(nomem, nostack)) };
    cpsr & 0x1F
}

/// Stops this core for good: interrupts masked, asleep in `WFI`.
pub fn halt() -> ! {
    aarch32_cpu::interrupt::disable();
    loop {
        aarch32_cpu::asm::wfi();
    }
}

/// Waits on behalf of an idle partition, with interrupts masked: for an
/// event (`WFE`, the partition executed WFE) or an interrupt (`WFI`); a
/// pending interrupt ends the wait and is taken once the partition runs.
pub fn wait(for_event: bool) {
    if for_event {
        aarch32_cpu::asm::wfe();
    } else {
        aarch32_cpu::asm::wfi();
    }
}

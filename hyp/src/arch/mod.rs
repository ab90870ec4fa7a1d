//! Everything that touches the Cortex-R52: the reset entry, the Hyp vector
//! table, the EL2 MPU registers and (self-test images only) semihosting.
//! Target builds only.

pub mod context;
pub mod cpu;
pub mod gic;
pub mod mem;
pub mod mpu;
#[cfg(feature = "selftest")]
pub mod semihosting;
pub mod start;
pub mod timer;
pub mod vectors;

/// Writes the whole `HCR` (never read-modify-write: bit 31 reads as 1 on
/// QEMU 10 though it is RES0 on Armv8-R).
pub fn set_hcr(value: u32) {
    // SAFETY: HCR only controls how EL1/EL0 are trapped and translated;
    // the hypervisor itself is unaffected.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c1, c1, 0", "isb", in(reg) value, options(nostack)) };
}

/// `HSR` of the exception being handled.
pub fn read_hsr() -> u32 {
    aarch32_cpu::register::Hsr::read().raw_value()
}

/// (`HDFAR`, `HIFAR`) of the exception being handled.
pub fn read_fault_addresses() -> (u32, u32) {
    (
        aarch32_cpu::register::Hdfar::read().0,
        aarch32_cpu::register::Hifar::read().0,
    )
}

/// The link register of the EL1 mode `spsr` names (the mode the
/// partition was in when it trapped); `lr_usr` is the trap frame's LR,
/// which User and System mode use.
pub fn guest_lr(spsr: u32, lr_usr: u32) -> u32 {
    let lr: u32;
    // SAFETY: reading a banked register has no side effects.
    unsafe {
        match spsr & 0x1F {
            0x13 => core::arch::asm!("mrs {}, lr_svc", out(reg) lr, options(nomem, nostack)),
            0x17 => core::arch::asm!("mrs {}, lr_abt", out(reg) lr, options(nomem, nostack)),
            0x1B => core::arch::asm!("mrs {}, lr_und", out(reg) lr, options(nomem, nostack)),
            0x12 => core::arch::asm!("mrs {}, lr_irq", out(reg) lr, options(nomem, nostack)),
            0x11 => core::arch::asm!("mrs {}, lr_fiq", out(reg) lr, options(nomem, nostack)),
            _ => lr = lr_usr,
        }
    }
    lr
}

/// Sets the Hyp stack the trap entry switches to (kept in `HTPIDR`): while
/// a partition runs, `SP_hyp` points at the end of its frame instead.
pub fn set_trap_stack(top: u32) {
    // SAFETY: HTPIDR is a scratch register only the trap entry reads.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c13, c0, 2", in(reg) top, options(nostack)) };
}

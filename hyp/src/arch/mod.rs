//! Everything that touches the Cortex-R52: the reset entry, the Hyp vector
//! table, the EL2 MPU registers and (self-test images only) semihosting.
//! Target builds only.

pub mod context;
pub mod cpu;
pub mod debug;
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
    // Reading a banked register has no side effects.
    match spsr & 0x1F {
        // SAFETY: see above.
        0x13 => unsafe { core::arch::asm!("mrs {}, lr_svc", out(reg) lr, options(nomem, nostack)) },
        // SAFETY: see above.
        0x17 => unsafe { core::arch::asm!("mrs {}, lr_abt", out(reg) lr, options(nomem, nostack)) },
        // SAFETY: see above.
        0x1B => unsafe { core::arch::asm!("mrs {}, lr_und", out(reg) lr, options(nomem, nostack)) },
        // SAFETY: see above.
        0x12 => unsafe { core::arch::asm!("mrs {}, lr_irq", out(reg) lr, options(nomem, nostack)) },
        // SAFETY: see above.
        0x11 => unsafe { core::arch::asm!("mrs {}, lr_fiq", out(reg) lr, options(nomem, nostack)) },
        _ => lr = lr_usr,
    }
    lr
}

/// Writes `value` to general-purpose register `reg` (8-14) of the EL1
/// mode `spsr` names, where that mode banks it: SP and LR of every mode
/// but User/System (whose LR is the trap frame's), and r8-r12 of FIQ mode.
/// Returns `false`, writing nothing, when the register is not banked for
/// that mode (the caller writes the trap frame's copy instead), and for
/// a mode a partition cannot be in (Hyp, Monitor, or reserved).
pub fn set_guest_banked(spsr: u32, reg: u8, value: u32) -> bool {
    macro_rules! msr {
        ($r:literal) => {
            // SAFETY: writing a banked register of an EL1/EL0 mode changes
            // only the partition's own state, which the trap frame does
            // not hold; the hypervisor never uses those registers.
            unsafe { core::arch::asm!(concat!("msr ", $r, ", {}"), in(reg) value, options(nomem, nostack)) }
        };
    }
    match (spsr & 0x1F, reg) {
        (0x10 | 0x1F, 13) => msr!("sp_usr"),
        (0x13, 13) => msr!("sp_svc"),
        (0x13, 14) => msr!("lr_svc"),
        (0x17, 13) => msr!("sp_abt"),
        (0x17, 14) => msr!("lr_abt"),
        (0x1B, 13) => msr!("sp_und"),
        (0x1B, 14) => msr!("lr_und"),
        (0x12, 13) => msr!("sp_irq"),
        (0x12, 14) => msr!("lr_irq"),
        (0x11, 8) => msr!("r8_fiq"),
        (0x11, 9) => msr!("r9_fiq"),
        (0x11, 10) => msr!("r10_fiq"),
        (0x11, 11) => msr!("r11_fiq"),
        (0x11, 12) => msr!("r12_fiq"),
        (0x11, 13) => msr!("sp_fiq"),
        (0x11, 14) => msr!("lr_fiq"),
        _ => return false,
    }
    true
}

/// Sets the Hyp stack the trap entry switches to (kept in `HTPIDR`): while
/// a partition runs, `SP_hyp` points at the end of its frame instead.
pub fn set_trap_stack(top: u32) {
    // SAFETY: HTPIDR is a scratch register only the trap entry reads.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c13, c0, 2", in(reg) top, options(nostack)) };
}

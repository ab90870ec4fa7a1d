//! The EL1 state of a partition that is not in the trap frame: every banked
//! mode's SP/LR/SPSR, the EL1 system registers a guest can change, its
//! EL1 MPU (16 regions), its virtual timer, FPSCR and d16-d31. (r0-r12,
//! LR_usr, PC, CPSR, FPEXC and d0-d15 are in the trap frame, saved by the
//! vector on every entry.) Saved and restored as a whole on a partition
//! switch by two assembly routines.

/// Saved EL1 state. The layout is fixed: the assembly below indexes it.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct El1State {
    /// SP_usr, SP_svc, LR_svc, SPSR_svc, SP_abt, LR_abt, SPSR_abt, SP_und,
    /// LR_und, SPSR_und, SP_irq, LR_irq, SPSR_irq, R8-R12_fiq, SP_fiq,
    /// LR_fiq, SPSR_fiq (LR_usr is the trap frame's `lr`).
    pub banked: [u32; 21],
    /// SCTLR, CPACR, VBAR, TPIDRURW, TPIDRURO, TPIDRPRW, CONTEXTIDR, DFSR,
    /// IFSR, DFAR, IFAR, MAIR0, MAIR1, PRSELR, CNTKCTL, CNTV_CTL, FPSCR.
    pub sys: [u32; 17],
    /// CNTV_CVAL (low, high).
    pub cntv_cval: [u32; 2],
    /// EL1 MPU: PRBAR0, PRLAR0, ... PRBAR15, PRLAR15.
    pub mpu: [u32; 32],
    /// d16-d31, where the FPU has them.
    pub vfp_high: [u64; 16],
}

/// Index of SCTLR in [`El1State::sys`].
pub const SYS_SCTLR: usize = 0;
/// Index of CPACR in [`El1State::sys`].
pub const SYS_CPACR: usize = 1;
/// Index of CNTV_CTL in [`El1State::sys`].
pub const SYS_CNTV_CTL: usize = 15;

impl El1State {
    /// All zero.
    pub const ZERO: El1State = El1State {
        banked: [0; 21],
        sys: [0; 17],
        cntv_cval: [0; 2],
        mpu: [0; 32],
        vfp_high: [0; 16],
    };
}

extern "C" {
    fn hyp_el1_save(state: *mut El1State, d32: u32);
    fn hyp_el1_restore(state: *const El1State, d32: u32);
}

/// Whether the FPU has 32 double registers (`MVFR0.SIMDReg == 2`).
pub fn fpu_has_d32() -> bool {
    let mvfr0: u32;
    // SAFETY: reading MVFR0 has no side effects; the FPU is enabled at reset.
    unsafe { core::arch::asm!("vmrs {}, mvfr0", out(reg) mvfr0, options(nomem, nostack)) };
    mvfr0 & 0xF == 2
}

/// Saves this core's EL1 state into `state`.
pub fn save(state: &mut El1State) {
    // SAFETY: the routine only reads EL1 registers and writes `state`,
    // whose layout matches; d16-d31 are touched only if the FPU has them.
    unsafe { hyp_el1_save(state, fpu_has_d32() as u32) }
}

/// Loads `state` into this core's EL1 registers.
pub fn restore(state: &El1State) {
    // SAFETY: EL1 registers only affect EL1/EL0 execution, which has not
    // resumed yet; the layout matches the assembly.
    unsafe { hyp_el1_restore(state, fpu_has_d32() as u32) }
}

/// The EL1 state a partition starts with: the reset values read from this
/// core before any partition ran (EL1 MPU regions disabled, MMU/caches
/// off), banked registers and FP registers zero, the FPU usable at EL1.
pub fn reset_state() -> El1State {
    let mut s = El1State::ZERO;
    save(&mut s);
    s.banked = [0; 21];
    s.mpu = [0; 32];
    s.vfp_high = [0; 16];
    s.cntv_cval = [0; 2];
    s.sys[SYS_CNTV_CTL] = 0;
    s.sys[SYS_CPACR] |= 0xF << 20;
    s
}

core::arch::global_asm!(
    r#"
    .section .text.hyp_el1_ctx, "ax"
    .arm
    .fpu neon-fp-armv8
    .align 2
    .global hyp_el1_save
    .type hyp_el1_save, %function
hyp_el1_save:
    mrs     r2, sp_usr
    str     r2, [r0, #{banked} + 0]
    mrs     r2, sp_svc
    str     r2, [r0, #{banked} + 4]
    mrs     r2, lr_svc
    str     r2, [r0, #{banked} + 8]
    mrs     r2, spsr_svc
    str     r2, [r0, #{banked} + 12]
    mrs     r2, sp_abt
    str     r2, [r0, #{banked} + 16]
    mrs     r2, lr_abt
    str     r2, [r0, #{banked} + 20]
    mrs     r2, spsr_abt
    str     r2, [r0, #{banked} + 24]
    mrs     r2, sp_und
    str     r2, [r0, #{banked} + 28]
    mrs     r2, lr_und
    str     r2, [r0, #{banked} + 32]
    mrs     r2, spsr_und
    str     r2, [r0, #{banked} + 36]
    mrs     r2, sp_irq
    str     r2, [r0, #{banked} + 40]
    mrs     r2, lr_irq
    str     r2, [r0, #{banked} + 44]
    mrs     r2, spsr_irq
    str     r2, [r0, #{banked} + 48]
    mrs     r2, r8_fiq
    str     r2, [r0, #{banked} + 52]
    mrs     r2, r9_fiq
    str     r2, [r0, #{banked} + 56]
    mrs     r2, r10_fiq
    str     r2, [r0, #{banked} + 60]
    mrs     r2, r11_fiq
    str     r2, [r0, #{banked} + 64]
    mrs     r2, r12_fiq
    str     r2, [r0, #{banked} + 68]
    mrs     r2, sp_fiq
    str     r2, [r0, #{banked} + 72]
    mrs     r2, lr_fiq
    str     r2, [r0, #{banked} + 76]
    mrs     r2, spsr_fiq
    str     r2, [r0, #{banked} + 80]
    mrc     p15, 0, r2, c1, c0, 0      @ SCTLR
    str     r2, [r0, #{sys} + 0]
    mrc     p15, 0, r2, c1, c0, 2      @ CPACR
    str     r2, [r0, #{sys} + 4]
    mrc     p15, 0, r2, c12, c0, 0      @ VBAR
    str     r2, [r0, #{sys} + 8]
    mrc     p15, 0, r2, c13, c0, 2      @ TPIDRURW
    str     r2, [r0, #{sys} + 12]
    mrc     p15, 0, r2, c13, c0, 3      @ TPIDRURO
    str     r2, [r0, #{sys} + 16]
    mrc     p15, 0, r2, c13, c0, 4      @ TPIDRPRW
    str     r2, [r0, #{sys} + 20]
    mrc     p15, 0, r2, c13, c0, 1      @ CONTEXTIDR
    str     r2, [r0, #{sys} + 24]
    mrc     p15, 0, r2, c5, c0, 0      @ DFSR
    str     r2, [r0, #{sys} + 28]
    mrc     p15, 0, r2, c5, c0, 1      @ IFSR
    str     r2, [r0, #{sys} + 32]
    mrc     p15, 0, r2, c6, c0, 0      @ DFAR
    str     r2, [r0, #{sys} + 36]
    mrc     p15, 0, r2, c6, c0, 2      @ IFAR
    str     r2, [r0, #{sys} + 40]
    mrc     p15, 0, r2, c10, c2, 0      @ MAIR0
    str     r2, [r0, #{sys} + 44]
    mrc     p15, 0, r2, c10, c2, 1      @ MAIR1
    str     r2, [r0, #{sys} + 48]
    mrc     p15, 0, r2, c6, c2, 1      @ PRSELR
    str     r2, [r0, #{sys} + 52]
    mrc     p15, 0, r2, c14, c1, 0      @ CNTKCTL
    str     r2, [r0, #{sys} + 56]
    mrc     p15, 0, r2, c14, c3, 1      @ CNTV_CTL
    str     r2, [r0, #{sys} + 60]
    vmrs    r2, fpscr
    str     r2, [r0, #{sys} + 64]
    mrrc    p15, 3, r2, r3, c14         @ CNTV_CVAL
    str     r2, [r0, #{cval}]
    str     r3, [r0, #{cval} + 4]
    mrc     p15, 0, r2, c6, c8, 0      @ PRBAR0
    str     r2, [r0, #{mpu} + 0]
    mrc     p15, 0, r2, c6, c8, 1      @ PRLAR0
    str     r2, [r0, #{mpu} + 4]
    mrc     p15, 0, r2, c6, c8, 4      @ PRBAR1
    str     r2, [r0, #{mpu} + 8]
    mrc     p15, 0, r2, c6, c8, 5      @ PRLAR1
    str     r2, [r0, #{mpu} + 12]
    mrc     p15, 0, r2, c6, c9, 0      @ PRBAR2
    str     r2, [r0, #{mpu} + 16]
    mrc     p15, 0, r2, c6, c9, 1      @ PRLAR2
    str     r2, [r0, #{mpu} + 20]
    mrc     p15, 0, r2, c6, c9, 4      @ PRBAR3
    str     r2, [r0, #{mpu} + 24]
    mrc     p15, 0, r2, c6, c9, 5      @ PRLAR3
    str     r2, [r0, #{mpu} + 28]
    mrc     p15, 0, r2, c6, c10, 0      @ PRBAR4
    str     r2, [r0, #{mpu} + 32]
    mrc     p15, 0, r2, c6, c10, 1      @ PRLAR4
    str     r2, [r0, #{mpu} + 36]
    mrc     p15, 0, r2, c6, c10, 4      @ PRBAR5
    str     r2, [r0, #{mpu} + 40]
    mrc     p15, 0, r2, c6, c10, 5      @ PRLAR5
    str     r2, [r0, #{mpu} + 44]
    mrc     p15, 0, r2, c6, c11, 0      @ PRBAR6
    str     r2, [r0, #{mpu} + 48]
    mrc     p15, 0, r2, c6, c11, 1      @ PRLAR6
    str     r2, [r0, #{mpu} + 52]
    mrc     p15, 0, r2, c6, c11, 4      @ PRBAR7
    str     r2, [r0, #{mpu} + 56]
    mrc     p15, 0, r2, c6, c11, 5      @ PRLAR7
    str     r2, [r0, #{mpu} + 60]
    mrc     p15, 0, r2, c6, c12, 0      @ PRBAR8
    str     r2, [r0, #{mpu} + 64]
    mrc     p15, 0, r2, c6, c12, 1      @ PRLAR8
    str     r2, [r0, #{mpu} + 68]
    mrc     p15, 0, r2, c6, c12, 4      @ PRBAR9
    str     r2, [r0, #{mpu} + 72]
    mrc     p15, 0, r2, c6, c12, 5      @ PRLAR9
    str     r2, [r0, #{mpu} + 76]
    mrc     p15, 0, r2, c6, c13, 0      @ PRBAR10
    str     r2, [r0, #{mpu} + 80]
    mrc     p15, 0, r2, c6, c13, 1      @ PRLAR10
    str     r2, [r0, #{mpu} + 84]
    mrc     p15, 0, r2, c6, c13, 4      @ PRBAR11
    str     r2, [r0, #{mpu} + 88]
    mrc     p15, 0, r2, c6, c13, 5      @ PRLAR11
    str     r2, [r0, #{mpu} + 92]
    mrc     p15, 0, r2, c6, c14, 0      @ PRBAR12
    str     r2, [r0, #{mpu} + 96]
    mrc     p15, 0, r2, c6, c14, 1      @ PRLAR12
    str     r2, [r0, #{mpu} + 100]
    mrc     p15, 0, r2, c6, c14, 4      @ PRBAR13
    str     r2, [r0, #{mpu} + 104]
    mrc     p15, 0, r2, c6, c14, 5      @ PRLAR13
    str     r2, [r0, #{mpu} + 108]
    mrc     p15, 0, r2, c6, c15, 0      @ PRBAR14
    str     r2, [r0, #{mpu} + 112]
    mrc     p15, 0, r2, c6, c15, 1      @ PRLAR14
    str     r2, [r0, #{mpu} + 116]
    mrc     p15, 0, r2, c6, c15, 4      @ PRBAR15
    str     r2, [r0, #{mpu} + 120]
    mrc     p15, 0, r2, c6, c15, 5      @ PRLAR15
    str     r2, [r0, #{mpu} + 124]
    cmp     r1, #0
    addne   r2, r0, #{vfp}
    vstmiane r2, {{d16-d31}}
    bx      lr
    .global hyp_el1_restore
    .type hyp_el1_restore, %function
hyp_el1_restore:
    ldr     r2, [r0, #{banked} + 0]
    msr     sp_usr, r2
    ldr     r2, [r0, #{banked} + 4]
    msr     sp_svc, r2
    ldr     r2, [r0, #{banked} + 8]
    msr     lr_svc, r2
    ldr     r2, [r0, #{banked} + 12]
    msr     spsr_svc, r2
    ldr     r2, [r0, #{banked} + 16]
    msr     sp_abt, r2
    ldr     r2, [r0, #{banked} + 20]
    msr     lr_abt, r2
    ldr     r2, [r0, #{banked} + 24]
    msr     spsr_abt, r2
    ldr     r2, [r0, #{banked} + 28]
    msr     sp_und, r2
    ldr     r2, [r0, #{banked} + 32]
    msr     lr_und, r2
    ldr     r2, [r0, #{banked} + 36]
    msr     spsr_und, r2
    ldr     r2, [r0, #{banked} + 40]
    msr     sp_irq, r2
    ldr     r2, [r0, #{banked} + 44]
    msr     lr_irq, r2
    ldr     r2, [r0, #{banked} + 48]
    msr     spsr_irq, r2
    ldr     r2, [r0, #{banked} + 52]
    msr     r8_fiq, r2
    ldr     r2, [r0, #{banked} + 56]
    msr     r9_fiq, r2
    ldr     r2, [r0, #{banked} + 60]
    msr     r10_fiq, r2
    ldr     r2, [r0, #{banked} + 64]
    msr     r11_fiq, r2
    ldr     r2, [r0, #{banked} + 68]
    msr     r12_fiq, r2
    ldr     r2, [r0, #{banked} + 72]
    msr     sp_fiq, r2
    ldr     r2, [r0, #{banked} + 76]
    msr     lr_fiq, r2
    ldr     r2, [r0, #{banked} + 80]
    msr     spsr_fiq, r2
    ldr     r2, [r0, #{sys} + 0]
    mcr     p15, 0, r2, c1, c0, 0      @ SCTLR
    ldr     r2, [r0, #{sys} + 4]
    mcr     p15, 0, r2, c1, c0, 2      @ CPACR
    ldr     r2, [r0, #{sys} + 8]
    mcr     p15, 0, r2, c12, c0, 0      @ VBAR
    ldr     r2, [r0, #{sys} + 12]
    mcr     p15, 0, r2, c13, c0, 2      @ TPIDRURW
    ldr     r2, [r0, #{sys} + 16]
    mcr     p15, 0, r2, c13, c0, 3      @ TPIDRURO
    ldr     r2, [r0, #{sys} + 20]
    mcr     p15, 0, r2, c13, c0, 4      @ TPIDRPRW
    ldr     r2, [r0, #{sys} + 24]
    mcr     p15, 0, r2, c13, c0, 1      @ CONTEXTIDR
    ldr     r2, [r0, #{sys} + 28]
    mcr     p15, 0, r2, c5, c0, 0      @ DFSR
    ldr     r2, [r0, #{sys} + 32]
    mcr     p15, 0, r2, c5, c0, 1      @ IFSR
    ldr     r2, [r0, #{sys} + 36]
    mcr     p15, 0, r2, c6, c0, 0      @ DFAR
    ldr     r2, [r0, #{sys} + 40]
    mcr     p15, 0, r2, c6, c0, 2      @ IFAR
    ldr     r2, [r0, #{sys} + 44]
    mcr     p15, 0, r2, c10, c2, 0      @ MAIR0
    ldr     r2, [r0, #{sys} + 48]
    mcr     p15, 0, r2, c10, c2, 1      @ MAIR1
    ldr     r2, [r0, #{sys} + 52]
    mcr     p15, 0, r2, c6, c2, 1      @ PRSELR
    ldr     r2, [r0, #{sys} + 56]
    mcr     p15, 0, r2, c14, c1, 0      @ CNTKCTL
    ldr     r2, [r0, #{sys} + 60]
    mcr     p15, 0, r2, c14, c3, 1      @ CNTV_CTL
    ldr     r2, [r0, #{sys} + 64]
    vmsr    fpscr, r2
    ldr     r2, [r0, #{cval}]
    ldr     r3, [r0, #{cval} + 4]
    mcrr    p15, 3, r2, r3, c14         @ CNTV_CVAL
    ldr     r2, [r0, #{mpu} + 0]
    mcr     p15, 0, r2, c6, c8, 0      @ PRBAR0
    ldr     r2, [r0, #{mpu} + 4]
    mcr     p15, 0, r2, c6, c8, 1      @ PRLAR0
    ldr     r2, [r0, #{mpu} + 8]
    mcr     p15, 0, r2, c6, c8, 4      @ PRBAR1
    ldr     r2, [r0, #{mpu} + 12]
    mcr     p15, 0, r2, c6, c8, 5      @ PRLAR1
    ldr     r2, [r0, #{mpu} + 16]
    mcr     p15, 0, r2, c6, c9, 0      @ PRBAR2
    ldr     r2, [r0, #{mpu} + 20]
    mcr     p15, 0, r2, c6, c9, 1      @ PRLAR2
    ldr     r2, [r0, #{mpu} + 24]
    mcr     p15, 0, r2, c6, c9, 4      @ PRBAR3
    ldr     r2, [r0, #{mpu} + 28]
    mcr     p15, 0, r2, c6, c9, 5      @ PRLAR3
    ldr     r2, [r0, #{mpu} + 32]
    mcr     p15, 0, r2, c6, c10, 0      @ PRBAR4
    ldr     r2, [r0, #{mpu} + 36]
    mcr     p15, 0, r2, c6, c10, 1      @ PRLAR4
    ldr     r2, [r0, #{mpu} + 40]
    mcr     p15, 0, r2, c6, c10, 4      @ PRBAR5
    ldr     r2, [r0, #{mpu} + 44]
    mcr     p15, 0, r2, c6, c10, 5      @ PRLAR5
    ldr     r2, [r0, #{mpu} + 48]
    mcr     p15, 0, r2, c6, c11, 0      @ PRBAR6
    ldr     r2, [r0, #{mpu} + 52]
    mcr     p15, 0, r2, c6, c11, 1      @ PRLAR6
    ldr     r2, [r0, #{mpu} + 56]
    mcr     p15, 0, r2, c6, c11, 4      @ PRBAR7
    ldr     r2, [r0, #{mpu} + 60]
    mcr     p15, 0, r2, c6, c11, 5      @ PRLAR7
    ldr     r2, [r0, #{mpu} + 64]
    mcr     p15, 0, r2, c6, c12, 0      @ PRBAR8
    ldr     r2, [r0, #{mpu} + 68]
    mcr     p15, 0, r2, c6, c12, 1      @ PRLAR8
    ldr     r2, [r0, #{mpu} + 72]
    mcr     p15, 0, r2, c6, c12, 4      @ PRBAR9
    ldr     r2, [r0, #{mpu} + 76]
    mcr     p15, 0, r2, c6, c12, 5      @ PRLAR9
    ldr     r2, [r0, #{mpu} + 80]
    mcr     p15, 0, r2, c6, c13, 0      @ PRBAR10
    ldr     r2, [r0, #{mpu} + 84]
    mcr     p15, 0, r2, c6, c13, 1      @ PRLAR10
    ldr     r2, [r0, #{mpu} + 88]
    mcr     p15, 0, r2, c6, c13, 4      @ PRBAR11
    ldr     r2, [r0, #{mpu} + 92]
    mcr     p15, 0, r2, c6, c13, 5      @ PRLAR11
    ldr     r2, [r0, #{mpu} + 96]
    mcr     p15, 0, r2, c6, c14, 0      @ PRBAR12
    ldr     r2, [r0, #{mpu} + 100]
    mcr     p15, 0, r2, c6, c14, 1      @ PRLAR12
    ldr     r2, [r0, #{mpu} + 104]
    mcr     p15, 0, r2, c6, c14, 4      @ PRBAR13
    ldr     r2, [r0, #{mpu} + 108]
    mcr     p15, 0, r2, c6, c14, 5      @ PRLAR13
    ldr     r2, [r0, #{mpu} + 112]
    mcr     p15, 0, r2, c6, c15, 0      @ PRBAR14
    ldr     r2, [r0, #{mpu} + 116]
    mcr     p15, 0, r2, c6, c15, 1      @ PRLAR14
    ldr     r2, [r0, #{mpu} + 120]
    mcr     p15, 0, r2, c6, c15, 4      @ PRBAR15
    ldr     r2, [r0, #{mpu} + 124]
    mcr     p15, 0, r2, c6, c15, 5      @ PRLAR15
    cmp     r1, #0
    addne   r2, r0, #{vfp}
    vldmiane r2, {{d16-d31}}
    isb
    bx      lr
"#,
    banked = const core::mem::offset_of!(El1State, banked),
    sys = const core::mem::offset_of!(El1State, sys),
    cval = const core::mem::offset_of!(El1State, cntv_cval),
    mpu = const core::mem::offset_of!(El1State, mpu),
    vfp = const core::mem::offset_of!(El1State, vfp_high),
);

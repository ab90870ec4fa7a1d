//! The EL1 state of a partition that is not in the trap frame: every banked
//! mode's SP/LR/SPSR, the EL1 system registers a guest can change, its
//! EL1 MPU (16 regions), its virtual and physical timers, FPSCR and d16-d31. (r0-r12,
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
    /// The EL1 physical timer: CNTP_CTL, CNTP_CVAL (low, high), and a word
    /// that keeps `mpu` after it in step with the assembly's batches.
    pub cntp: [u32; 4],
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
    /// Turns both saved EL1 timers off (`CNTV_CTL`, `CNTP_CTL` = 0): a
    /// stopped partition's timers must not raise their interrupts again.
    pub fn stop_timers(&mut self) {
        self.sys[SYS_CNTV_CTL] = 0;
        self.cntp[0] = 0;
    }

    /// All zero.
    pub const ZERO: El1State = El1State {
        banked: [0; 21],
        sys: [0; 17],
        cntv_cval: [0; 2],
        cntp: [0; 4],
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

/// Reads FIQ mode's banked `r<n>` (8 to 12; 0 for any other `n`): live
/// in the hardware while a trap from the partition runs (the hypervisor
/// never uses the FIQ bank, and a switch saves it with the EL1 state).
pub fn read_fiq_reg(n: usize) -> u32 {
    let v: u32;
    // Each arm: a banked-register read from Hyp mode has no side effects.
    match n {
        // SAFETY: as above.
        8 => unsafe { core::arch::asm!("mrs {}, r8_fiq", out(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        9 => unsafe { core::arch::asm!("mrs {}, r9_fiq", out(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        10 => unsafe { core::arch::asm!("mrs {}, r10_fiq", out(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        11 => unsafe { core::arch::asm!("mrs {}, r11_fiq", out(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        12 => unsafe { core::arch::asm!("mrs {}, r12_fiq", out(reg) v, options(nomem, nostack)) },
        _ => v = 0,
    }
    v
}

/// Writes FIQ mode's banked `r<n>` (8 to 12; ignored for any other `n`).
pub fn write_fiq_reg(n: usize, v: u32) {
    // Each arm: only the running partition's FIQ-mode register changes.
    match n {
        // SAFETY: as above.
        8 => unsafe { core::arch::asm!("msr r8_fiq, {}", in(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        9 => unsafe { core::arch::asm!("msr r9_fiq, {}", in(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        10 => unsafe { core::arch::asm!("msr r10_fiq, {}", in(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        11 => unsafe { core::arch::asm!("msr r11_fiq, {}", in(reg) v, options(nomem, nostack)) },
        // SAFETY: as above.
        12 => unsafe { core::arch::asm!("msr r12_fiq, {}", in(reg) v, options(nomem, nostack)) },
        _ => {}
    }
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
    s.cntp = [0; 4];
    s.sys[SYS_CNTV_CTL] = 0;
    s.sys[SYS_CPACR] |= 0xF << 20;
    s
}

// The assembly below stores the 76 words before `vfp_high` in field order.
const _: () = assert!(core::mem::offset_of!(El1State, vfp_high) == 76 * 4);
const _: () = assert!(core::mem::offset_of!(El1State, mpu) == 44 * 4);

core::arch::global_asm!(
    r#"
    .section .text.hyp_el1_ctx, "ax"
    .arm
    .fpu neon-fp-armv8
    .align 2
    @ Both routines walk El1State in field order, six words per ldm/stm;
    @ after the 76 words r0 points at vfp_high.
    .global hyp_el1_save
    .type hyp_el1_save, %function
hyp_el1_save:
    push    {{r4-r7}}
    mrs     r2, sp_usr
    mrs     r3, sp_svc
    mrs     r4, lr_svc
    mrs     r5, spsr_svc
    mrs     r6, sp_abt
    mrs     r7, lr_abt
    stmia   r0!, {{r2-r7}}
    mrs     r2, spsr_abt
    mrs     r3, sp_und
    mrs     r4, lr_und
    mrs     r5, spsr_und
    mrs     r6, sp_irq
    mrs     r7, lr_irq
    stmia   r0!, {{r2-r7}}
    mrs     r2, spsr_irq
    mrs     r3, r8_fiq
    mrs     r4, r9_fiq
    mrs     r5, r10_fiq
    mrs     r6, r11_fiq
    mrs     r7, r12_fiq
    stmia   r0!, {{r2-r7}}
    mrs     r2, sp_fiq
    mrs     r3, lr_fiq
    mrs     r4, spsr_fiq
    mrc     p15, 0, r5, c1, c0, 0      @ SCTLR
    mrc     p15, 0, r6, c1, c0, 2      @ CPACR
    mrc     p15, 0, r7, c12, c0, 0      @ VBAR
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c13, c0, 2      @ TPIDRURW
    mrc     p15, 0, r3, c13, c0, 3      @ TPIDRURO
    mrc     p15, 0, r4, c13, c0, 4      @ TPIDRPRW
    mrc     p15, 0, r5, c13, c0, 1      @ CONTEXTIDR
    mrc     p15, 0, r6, c5, c0, 0      @ DFSR
    mrc     p15, 0, r7, c5, c0, 1      @ IFSR
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c0, 0      @ DFAR
    mrc     p15, 0, r3, c6, c0, 2      @ IFAR
    mrc     p15, 0, r4, c10, c2, 0      @ MAIR0
    mrc     p15, 0, r5, c10, c2, 1      @ MAIR1
    mrc     p15, 0, r6, c6, c2, 1      @ PRSELR
    mrc     p15, 0, r7, c14, c1, 0      @ CNTKCTL
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c14, c3, 1      @ CNTV_CTL
    vmrs    r3, fpscr
    mrrc    p15, 3, r4, r5, c14         @ CNTV_CVAL
    mrc     p15, 0, r6, c14, c2, 1      @ CNTP_CTL
    stmia   r0!, {{r2-r6}}
    mrrc    p15, 2, r2, r3, c14         @ CNTP_CVAL
    mov     r4, #0                  @ (padding word)
    mrc     p15, 0, r5, c6, c8, 0      @ PRBAR0
    mrc     p15, 0, r6, c6, c8, 1      @ PRLAR0
    mrc     p15, 0, r7, c6, c8, 4      @ PRBAR1
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c8, 5      @ PRLAR1
    mrc     p15, 0, r3, c6, c9, 0      @ PRBAR2
    mrc     p15, 0, r4, c6, c9, 1      @ PRLAR2
    mrc     p15, 0, r5, c6, c9, 4      @ PRBAR3
    mrc     p15, 0, r6, c6, c9, 5      @ PRLAR3
    mrc     p15, 0, r7, c6, c10, 0      @ PRBAR4
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c10, 1      @ PRLAR4
    mrc     p15, 0, r3, c6, c10, 4      @ PRBAR5
    mrc     p15, 0, r4, c6, c10, 5      @ PRLAR5
    mrc     p15, 0, r5, c6, c11, 0      @ PRBAR6
    mrc     p15, 0, r6, c6, c11, 1      @ PRLAR6
    mrc     p15, 0, r7, c6, c11, 4      @ PRBAR7
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c11, 5      @ PRLAR7
    mrc     p15, 0, r3, c6, c12, 0      @ PRBAR8
    mrc     p15, 0, r4, c6, c12, 1      @ PRLAR8
    mrc     p15, 0, r5, c6, c12, 4      @ PRBAR9
    mrc     p15, 0, r6, c6, c12, 5      @ PRLAR9
    mrc     p15, 0, r7, c6, c13, 0      @ PRBAR10
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c13, 1      @ PRLAR10
    mrc     p15, 0, r3, c6, c13, 4      @ PRBAR11
    mrc     p15, 0, r4, c6, c13, 5      @ PRLAR11
    mrc     p15, 0, r5, c6, c14, 0      @ PRBAR12
    mrc     p15, 0, r6, c6, c14, 1      @ PRLAR12
    mrc     p15, 0, r7, c6, c14, 4      @ PRBAR13
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c14, 5      @ PRLAR13
    mrc     p15, 0, r3, c6, c15, 0      @ PRBAR14
    mrc     p15, 0, r4, c6, c15, 1      @ PRLAR14
    mrc     p15, 0, r5, c6, c15, 4      @ PRBAR15
    mrc     p15, 0, r6, c6, c15, 5      @ PRLAR15
    stmia   r0!, {{r2-r6}}
    pop     {{r4-r7}}
    cmp     r1, #0
    vstmiane r0, {{d16-d31}}
    bx      lr
    .global hyp_el1_restore
    .type hyp_el1_restore, %function
hyp_el1_restore:
    push    {{r4-r7}}
    ldmia   r0!, {{r2-r7}}
    msr     sp_usr, r2
    msr     sp_svc, r3
    msr     lr_svc, r4
    msr     spsr_svc, r5
    msr     sp_abt, r6
    msr     lr_abt, r7
    ldmia   r0!, {{r2-r7}}
    msr     spsr_abt, r2
    msr     sp_und, r3
    msr     lr_und, r4
    msr     spsr_und, r5
    msr     sp_irq, r6
    msr     lr_irq, r7
    ldmia   r0!, {{r2-r7}}
    msr     spsr_irq, r2
    msr     r8_fiq, r3
    msr     r9_fiq, r4
    msr     r10_fiq, r5
    msr     r11_fiq, r6
    msr     r12_fiq, r7
    ldmia   r0!, {{r2-r7}}
    msr     sp_fiq, r2
    msr     lr_fiq, r3
    msr     spsr_fiq, r4
    mcr     p15, 0, r5, c1, c0, 0      @ SCTLR
    mcr     p15, 0, r6, c1, c0, 2      @ CPACR
    mcr     p15, 0, r7, c12, c0, 0      @ VBAR
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c13, c0, 2      @ TPIDRURW
    mcr     p15, 0, r3, c13, c0, 3      @ TPIDRURO
    mcr     p15, 0, r4, c13, c0, 4      @ TPIDRPRW
    mcr     p15, 0, r5, c13, c0, 1      @ CONTEXTIDR
    mcr     p15, 0, r6, c5, c0, 0      @ DFSR
    mcr     p15, 0, r7, c5, c0, 1      @ IFSR
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c0, 0      @ DFAR
    mcr     p15, 0, r3, c6, c0, 2      @ IFAR
    mcr     p15, 0, r4, c10, c2, 0      @ MAIR0
    mcr     p15, 0, r5, c10, c2, 1      @ MAIR1
    mcr     p15, 0, r6, c6, c2, 1      @ PRSELR
    mcr     p15, 0, r7, c14, c1, 0      @ CNTKCTL
    ldmia   r0!, {{r2-r6}}
    mcr     p15, 0, r2, c14, c3, 1      @ CNTV_CTL
    vmsr    fpscr, r3
    mcrr    p15, 3, r4, r5, c14         @ CNTV_CVAL
    mcr     p15, 0, r6, c14, c2, 1      @ CNTP_CTL
    ldmia   r0!, {{r2-r7}}
    mcrr    p15, 2, r2, r3, c14         @ CNTP_CVAL
    mcr     p15, 0, r5, c6, c8, 0      @ PRBAR0
    mcr     p15, 0, r6, c6, c8, 1      @ PRLAR0
    mcr     p15, 0, r7, c6, c8, 4      @ PRBAR1
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c8, 5      @ PRLAR1
    mcr     p15, 0, r3, c6, c9, 0      @ PRBAR2
    mcr     p15, 0, r4, c6, c9, 1      @ PRLAR2
    mcr     p15, 0, r5, c6, c9, 4      @ PRBAR3
    mcr     p15, 0, r6, c6, c9, 5      @ PRLAR3
    mcr     p15, 0, r7, c6, c10, 0      @ PRBAR4
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c10, 1      @ PRLAR4
    mcr     p15, 0, r3, c6, c10, 4      @ PRBAR5
    mcr     p15, 0, r4, c6, c10, 5      @ PRLAR5
    mcr     p15, 0, r5, c6, c11, 0      @ PRBAR6
    mcr     p15, 0, r6, c6, c11, 1      @ PRLAR6
    mcr     p15, 0, r7, c6, c11, 4      @ PRBAR7
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c11, 5      @ PRLAR7
    mcr     p15, 0, r3, c6, c12, 0      @ PRBAR8
    mcr     p15, 0, r4, c6, c12, 1      @ PRLAR8
    mcr     p15, 0, r5, c6, c12, 4      @ PRBAR9
    mcr     p15, 0, r6, c6, c12, 5      @ PRLAR9
    mcr     p15, 0, r7, c6, c13, 0      @ PRBAR10
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c13, 1      @ PRLAR10
    mcr     p15, 0, r3, c6, c13, 4      @ PRBAR11
    mcr     p15, 0, r4, c6, c13, 5      @ PRLAR11
    mcr     p15, 0, r5, c6, c14, 0      @ PRBAR12
    mcr     p15, 0, r6, c6, c14, 1      @ PRLAR12
    mcr     p15, 0, r7, c6, c14, 4      @ PRBAR13
    ldmia   r0!, {{r2-r6}}
    mcr     p15, 0, r2, c6, c14, 5      @ PRLAR13
    mcr     p15, 0, r3, c6, c15, 0      @ PRBAR14
    mcr     p15, 0, r4, c6, c15, 1      @ PRLAR14
    mcr     p15, 0, r5, c6, c15, 4      @ PRBAR15
    mcr     p15, 0, r6, c6, c15, 5      @ PRLAR15
    pop     {{r4-r7}}
    cmp     r1, #0
    vldmiane r0, {{d16-d31}}
    isb
    bx      lr
"#
);

//! The EL1 state of a partition that is not in the trap frame: every banked
//! mode's SP/LR/SPSR, the EL1 system registers a guest can change, its
//! EL1 MPU (16 regions), its virtual and physical timers (r0-r12, LR_usr,
//! PC and CPSR are in the trap frame, saved by the vector on every entry),
//! saved and restored as a whole on a partition switch by two assembly
//! routines; and its FP/SIMD state (d0-d31, FPSCR, FPEXC), which is
//! switched lazily.
//!
//! # Lazy FP
//!
//! The FP registers of a core hold one partition's FP state at a time, its
//! *FP owner* (`CoreBlock::fp_owner`; [`FpState::live`] is set in the
//! owner's block while its values are in the registers and its saved copy
//! is stale). A switch does not move FP registers: [`restore`] leaves the
//! FP unit open (`HCPTR.TCP10/TCP11` clear) only for the owner, and traps
//! every CP10/CP11 access (FP and Advanced SIMD instructions, and `VMRS`/
//! `VMSR` of FPSCR, FPEXC, FPSID and MVFRx) of any other partition to
//! Hyp mode (`HSR.EC` 0x07). The trap (`CoreBlock::claim_fp`) saves the
//! owner's registers into its block with [`fp_save`], loads the trapping
//! partition's with [`fp_load`] and resumes it at the same instruction,
//! now the owner. A partition that never uses FP costs one `HCPTR` read
//! per switch; one that is switched back in while it still owns the
//! registers does not trap at all.
//!
//! `FPEXC.EN` is checked *before* the `HCPTR` trap (Arm ARM,
//! `AArch32.CheckAdvSIMDOrFPEnabled`): if the owner left its FP unit off,
//! another partition's FP instruction would be undefined at EL1 instead of
//! trapping. So [`save`] keeps the leaving owner's FPEXC in its block and
//! [`restore`] puts `FPEXC` = EN in the registers whenever it closes the
//! FP unit; the owner gets its own FPEXC back when it resumes.
//!
//! The hypervisor itself never touches the FP unit but through the
//! routines below (`hyp_fp_*`), and only while it is open: with
//! `HCPTR.TCP10` set, an FP instruction in Hyp mode is undefined too.
//! `tools/runner/tests/qemu_lazyfp.rs` checks the hypervisor's code for
//! any other FP or Advanced SIMD instruction.

/// Saved EL1 state. The layout is fixed: the assembly below indexes it.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct El1State {
    /// SP_usr, SP_svc, LR_svc, SPSR_svc, SP_abt, LR_abt, SPSR_abt, SP_und,
    /// LR_und, SPSR_und, SP_irq, LR_irq, SPSR_irq, R8-R12_fiq, SP_fiq,
    /// LR_fiq, SPSR_fiq (LR_usr is the trap frame's `lr`).
    pub banked: [u32; 21],
    /// SCTLR, CPACR, VBAR, TPIDRURW, TPIDRURO, TPIDRPRW, CONTEXTIDR, DFSR,
    /// IFSR, DFAR, IFAR, MAIR0, MAIR1, PRSELR, CNTKCTL, CNTV_CTL.
    pub sys: [u32; 16],
    /// CNTV_CVAL (low, high).
    pub cntv_cval: [u32; 2],
    /// The EL1 physical timer: CNTP_CTL, CNTP_CVAL (low, high).
    pub cntp: [u32; 3],
    /// EL1 MPU: PRBAR0, PRLAR0, ... PRBAR15, PRLAR15.
    pub mpu: [u32; 32],
    /// The FP/SIMD state, switched lazily (not by the routines that
    /// save and restore the rest). Part of the EL1 state so that resetting
    /// a partition's EL1 state (a restart) also gives it zeroed FP state
    /// and drops its claim on the FP registers.
    pub fp: FpState,
}

/// A partition's FP/SIMD registers, while they are not in the FP unit.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct FpState {
    /// d0-d31 (d16-d31 only where the FPU has them).
    pub d: [u64; 32],
    /// FPSCR.
    pub fpscr: u32,
    /// FPEXC (saved when the partition leaves the core as FP owner).
    pub fpexc: u32,
    /// The partition owns its core's FP registers: `d` and `fpscr` are
    /// stale, the registers hold its values.
    pub live: bool,
}

/// `FPEXC.EN`: the FP unit enabled, what a partition starts with.
pub const FPEXC_EN: u32 = 1 << 30;

impl FpState {
    /// All zero bits, so that the blocks holding it stay in `.bss` (a
    /// non-zero constant would put every core's block in `.data`: 18 KiB
    /// of image to store and copy at boot). Not a state a partition
    /// starts with: that is [`FpState::START`].
    pub const ZERO: FpState = FpState {
        d: [0; 32],
        fpscr: 0,
        fpexc: 0,
        live: false,
    };
    /// A partition's FP state when it (re)starts: registers and FPSCR
    /// zero, the FP unit enabled, nothing in the FP registers.
    pub const START: FpState = FpState {
        fpexc: FPEXC_EN,
        ..FpState::ZERO
    };
}

/// Index of SCTLR in [`El1State::sys`].
pub const SYS_SCTLR: usize = 0;
/// Index of CPACR in [`El1State::sys`].
pub const SYS_CPACR: usize = 1;
/// Index of CNTV_CTL in [`El1State::sys`].
pub const SYS_CNTV_CTL: usize = 15;

impl El1State {
    /// Makes `self` a copy of `from` with block moves: it is the bulk of a
    /// (re)start's last step, which a window boundary may wait for, and
    /// `memcpy` moves about one word per five instructions.
    pub fn set_to(&mut self, from: &El1State) {
        // SAFETY: two valid, aligned `El1State`s (one borrowed mutably, so
        // they are disjoint), of plain words with no invalid bit patterns:
        // a byte copy of the whole struct is a copy of the value.
        unsafe {
            crate::arch::mem::copy(
                (self as *mut El1State).cast(),
                (from as *const El1State).cast(),
                core::mem::size_of::<El1State>(),
            )
        };
    }

    /// Turns both saved EL1 timers off (`CNTV_CTL`, `CNTP_CTL` = 0): a
    /// stopped partition's timers must not raise their interrupts again.
    pub fn stop_timers(&mut self) {
        self.sys[SYS_CNTV_CTL] = 0;
        self.cntp[0] = 0;
    }

    /// All zero (FP state [`FpState::ZERO`]).
    pub const ZERO: El1State = El1State {
        banked: [0; 21],
        sys: [0; 16],
        cntv_cval: [0; 2],
        cntp: [0; 3],
        mpu: [0; 32],
        fp: FpState::ZERO,
    };
}

extern "C" {
    fn hyp_el1_save(state: *mut El1State);
    fn hyp_el1_restore(state: *const El1State);
    fn hyp_fp_save(fp: *mut FpState);
    fn hyp_fp_load(fp: *const FpState);
    fn hyp_fpexc_read() -> u32;
    fn hyp_fpexc_write(v: u32);
}

/// `HCPTR.TCP10 | HCPTR.TCP11`: CP10/CP11 (FP and Advanced SIMD) accesses
/// from EL1 and EL0 trap to Hyp mode (and are undefined in Hyp mode).
const HCPTR_TCP: u32 = (1 << 10) | (1 << 11);

#[inline(always)]
fn read_hcptr() -> u32 {
    let v: u32;
    // SAFETY: reading HCPTR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 4, {}, c1, c1, 2", out(reg) v, options(nomem, nostack)) };
    v
}

/// Writes `HCPTR`. No `ISB`: the `ERET` to the partition synchronises it
/// (callers that use the FP unit themselves use [`fp_open`]).
#[inline(always)]
fn write_hcptr(v: u32) {
    // SAFETY: HCPTR only controls which EL1/EL0 (and Hyp) accesses to
    // coprocessors trap; the hypervisor makes FP accesses only through the
    // `hyp_fp*` routines, each run with the FP unit open.
    unsafe { core::arch::asm!("mcr p15, 4, {}, c1, c1, 2", in(reg) v, options(nomem, nostack)) };
}

/// Opens the FP unit (`HCPTR.TCP10/TCP11` clear) for the instructions
/// that follow, the hypervisor's own included.
pub fn fp_open() {
    let h = read_hcptr();
    if h & HCPTR_TCP != 0 {
        write_hcptr(h & !HCPTR_TCP);
        aarch32_cpu::asm::isb();
    }
}

/// Saves the FP owner's d0-d31 and FPSCR into `fp` (its FPEXC was saved
/// when it left the core, see [`save`]) and marks it no longer live.
/// Call with the FP unit open ([`fp_open`]).
pub fn fp_save(fp: &mut FpState) {
    // SAFETY: the routine writes only `fp` (d, then fpscr, `repr(C)`),
    // d16-d31 only where MVFR0 says they exist; the FP unit is open.
    unsafe { hyp_fp_save(fp) };
    fp.live = false;
}

/// Loads `fp` into the FP registers (d0-d31, FPSCR, FPEXC) and marks it
/// live. Call with the FP unit open ([`fp_open`]).
pub fn fp_load(fp: &mut FpState) {
    // SAFETY: the routine reads only `fp` and writes the FP registers,
    // which belong to the partition about to run; the FP unit is open.
    unsafe { hyp_fp_load(fp) };
    fp.live = true;
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

/// Saves this core's EL1 state into `state` (the partition leaving the
/// core). Its FP registers stay where they are; if it is the FP owner
/// (then the FP unit is open: it ran as the owner), its FPEXC is kept in
/// `state`, for [`restore`] to close the unit with `FPEXC` = EN.
#[inline(always)]
pub fn save(state: &mut El1State) {
    // SAFETY: the routine only reads EL1 registers and writes `state`,
    // whose layout matches.
    unsafe { hyp_el1_save(state) }
    if state.fp.live {
        // SAFETY: reads FPEXC; the FP unit is open while its owner runs.
        state.fp.fpexc = unsafe { hyp_fpexc_read() };
    }
}

/// Loads `state` into this core's EL1 registers (the partition about to
/// run). The FP unit is opened, with its FPEXC, if it owns the FP
/// registers, else closed so that its first FP access traps.
#[inline(always)]
pub fn restore(state: &El1State) {
    // SAFETY: EL1 registers only affect EL1/EL0 execution, which has not
    // resumed yet; the layout matches the assembly.
    unsafe { hyp_el1_restore(state) }
    let h = read_hcptr();
    if state.fp.live {
        if h & HCPTR_TCP != 0 {
            write_hcptr(h & !HCPTR_TCP);
            aarch32_cpu::asm::isb();
        }
        // SAFETY: the FP unit is open (above); FPEXC is the partition's.
        unsafe { hyp_fpexc_write(state.fp.fpexc) };
    } else if h & HCPTR_TCP == 0 {
        // The unit was open for the last owner, whose FPEXC may have EN
        // clear: checked before the trap, it would make this partition's
        // FP instructions undefined instead of trapping.
        // SAFETY: the FP unit is still open; the owner's FPEXC was saved
        // by `save`, or belongs to a partition stopped or restarted.
        unsafe { hyp_fpexc_write(FPEXC_EN) };
        write_hcptr(h | HCPTR_TCP);
    }
}

/// The EL1 state a partition starts with: the reset values read from this
/// core before any partition ran (EL1 MPU regions disabled, MMU/caches
/// off), banked registers zero, the FPU usable at EL1, FP state zero and
/// not in the FP registers.
pub fn reset_state() -> El1State {
    let mut s = El1State::ZERO;
    save(&mut s);
    s.banked = [0; 21];
    s.mpu = [0; 32];
    s.cntv_cval = [0; 2];
    s.cntp = [0; 3];
    s.sys[SYS_CNTV_CTL] = 0;
    s.sys[SYS_CPACR] |= 0xF << 20;
    // [`FpState::START`], written as the zero state and its one non-zero
    // field: a memset and a store, where the constant itself would be
    // 272 bytes of `.rodata` copied in.
    s.fp = FpState::ZERO;
    s.fp.fpexc = FpState::START.fpexc;
    s
}

// The assembly below stores the 74 words before `fp` in field order, and
// `hyp_fp_*` index `FpState`.
const _: () = assert!(core::mem::offset_of!(El1State, mpu) == 42 * 4);
const _: () = assert!(core::mem::offset_of!(El1State, fp) == 74 * 4);
const _: () = assert!(core::mem::offset_of!(FpState, fpscr) == 32 * 8);
const _: () = assert!(core::mem::offset_of!(FpState, fpexc) == 32 * 8 + 4);

core::arch::global_asm!(
    r#"
    .section .text.hyp_el1_ctx, "ax"
    .arm
    .fpu neon-fp-armv8
    .align 2
    @ Both routines walk El1State in field order, six words per ldm/stm.
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
    mrc     p15, 0, r5, c1, c0, 0       @ SCTLR
    mrc     p15, 0, r6, c1, c0, 2       @ CPACR
    mrc     p15, 0, r7, c12, c0, 0      @ VBAR
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c13, c0, 2      @ TPIDRURW
    mrc     p15, 0, r3, c13, c0, 3      @ TPIDRURO
    mrc     p15, 0, r4, c13, c0, 4      @ TPIDRPRW
    mrc     p15, 0, r5, c13, c0, 1      @ CONTEXTIDR
    mrc     p15, 0, r6, c5, c0, 0       @ DFSR
    mrc     p15, 0, r7, c5, c0, 1       @ IFSR
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c0, 0       @ DFAR
    mrc     p15, 0, r3, c6, c0, 2       @ IFAR
    mrc     p15, 0, r4, c10, c2, 0      @ MAIR0
    mrc     p15, 0, r5, c10, c2, 1      @ MAIR1
    mrc     p15, 0, r6, c6, c2, 1       @ PRSELR
    mrc     p15, 0, r7, c14, c1, 0      @ CNTKCTL
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c14, c3, 1      @ CNTV_CTL
    mrrc    p15, 3, r3, r4, c14         @ CNTV_CVAL
    mrc     p15, 0, r5, c14, c2, 1      @ CNTP_CTL
    mrrc    p15, 2, r6, r7, c14         @ CNTP_CVAL
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c8, 0       @ PRBAR0
    mrc     p15, 0, r3, c6, c8, 1       @ PRLAR0
    mrc     p15, 0, r4, c6, c8, 4       @ PRBAR1
    mrc     p15, 0, r5, c6, c8, 5       @ PRLAR1
    mrc     p15, 0, r6, c6, c9, 0       @ PRBAR2
    mrc     p15, 0, r7, c6, c9, 1       @ PRLAR2
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c9, 4       @ PRBAR3
    mrc     p15, 0, r3, c6, c9, 5       @ PRLAR3
    mrc     p15, 0, r4, c6, c10, 0      @ PRBAR4
    mrc     p15, 0, r5, c6, c10, 1      @ PRLAR4
    mrc     p15, 0, r6, c6, c10, 4      @ PRBAR5
    mrc     p15, 0, r7, c6, c10, 5      @ PRLAR5
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c11, 0      @ PRBAR6
    mrc     p15, 0, r3, c6, c11, 1      @ PRLAR6
    mrc     p15, 0, r4, c6, c11, 4      @ PRBAR7
    mrc     p15, 0, r5, c6, c11, 5      @ PRLAR7
    mrc     p15, 0, r6, c6, c12, 0      @ PRBAR8
    mrc     p15, 0, r7, c6, c12, 1      @ PRLAR8
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c12, 4      @ PRBAR9
    mrc     p15, 0, r3, c6, c12, 5      @ PRLAR9
    mrc     p15, 0, r4, c6, c13, 0      @ PRBAR10
    mrc     p15, 0, r5, c6, c13, 1      @ PRLAR10
    mrc     p15, 0, r6, c6, c13, 4      @ PRBAR11
    mrc     p15, 0, r7, c6, c13, 5      @ PRLAR11
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c14, 0      @ PRBAR12
    mrc     p15, 0, r3, c6, c14, 1      @ PRLAR12
    mrc     p15, 0, r4, c6, c14, 4      @ PRBAR13
    mrc     p15, 0, r5, c6, c14, 5      @ PRLAR13
    mrc     p15, 0, r6, c6, c15, 0      @ PRBAR14
    mrc     p15, 0, r7, c6, c15, 1      @ PRLAR14
    stmia   r0!, {{r2-r7}}
    mrc     p15, 0, r2, c6, c15, 4      @ PRBAR15
    mrc     p15, 0, r3, c6, c15, 5      @ PRLAR15
    stmia   r0!, {{r2-r3}}
    pop     {{r4-r7}}
    bx      lr
    .size hyp_el1_save, . - hyp_el1_save

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
    mcr     p15, 0, r5, c1, c0, 0       @ SCTLR
    mcr     p15, 0, r6, c1, c0, 2       @ CPACR
    mcr     p15, 0, r7, c12, c0, 0      @ VBAR
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c13, c0, 2      @ TPIDRURW
    mcr     p15, 0, r3, c13, c0, 3      @ TPIDRURO
    mcr     p15, 0, r4, c13, c0, 4      @ TPIDRPRW
    mcr     p15, 0, r5, c13, c0, 1      @ CONTEXTIDR
    mcr     p15, 0, r6, c5, c0, 0       @ DFSR
    mcr     p15, 0, r7, c5, c0, 1       @ IFSR
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c0, 0       @ DFAR
    mcr     p15, 0, r3, c6, c0, 2       @ IFAR
    mcr     p15, 0, r4, c10, c2, 0      @ MAIR0
    mcr     p15, 0, r5, c10, c2, 1      @ MAIR1
    mcr     p15, 0, r6, c6, c2, 1       @ PRSELR
    mcr     p15, 0, r7, c14, c1, 0      @ CNTKCTL
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c14, c3, 1      @ CNTV_CTL
    mcrr    p15, 3, r3, r4, c14         @ CNTV_CVAL
    mcr     p15, 0, r5, c14, c2, 1      @ CNTP_CTL
    mcrr    p15, 2, r6, r7, c14         @ CNTP_CVAL
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c8, 0       @ PRBAR0
    mcr     p15, 0, r3, c6, c8, 1       @ PRLAR0
    mcr     p15, 0, r4, c6, c8, 4       @ PRBAR1
    mcr     p15, 0, r5, c6, c8, 5       @ PRLAR1
    mcr     p15, 0, r6, c6, c9, 0       @ PRBAR2
    mcr     p15, 0, r7, c6, c9, 1       @ PRLAR2
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c9, 4       @ PRBAR3
    mcr     p15, 0, r3, c6, c9, 5       @ PRLAR3
    mcr     p15, 0, r4, c6, c10, 0      @ PRBAR4
    mcr     p15, 0, r5, c6, c10, 1      @ PRLAR4
    mcr     p15, 0, r6, c6, c10, 4      @ PRBAR5
    mcr     p15, 0, r7, c6, c10, 5      @ PRLAR5
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c11, 0      @ PRBAR6
    mcr     p15, 0, r3, c6, c11, 1      @ PRLAR6
    mcr     p15, 0, r4, c6, c11, 4      @ PRBAR7
    mcr     p15, 0, r5, c6, c11, 5      @ PRLAR7
    mcr     p15, 0, r6, c6, c12, 0      @ PRBAR8
    mcr     p15, 0, r7, c6, c12, 1      @ PRLAR8
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c12, 4      @ PRBAR9
    mcr     p15, 0, r3, c6, c12, 5      @ PRLAR9
    mcr     p15, 0, r4, c6, c13, 0      @ PRBAR10
    mcr     p15, 0, r5, c6, c13, 1      @ PRLAR10
    mcr     p15, 0, r6, c6, c13, 4      @ PRBAR11
    mcr     p15, 0, r7, c6, c13, 5      @ PRLAR11
    ldmia   r0!, {{r2-r7}}
    mcr     p15, 0, r2, c6, c14, 0      @ PRBAR12
    mcr     p15, 0, r3, c6, c14, 1      @ PRLAR12
    mcr     p15, 0, r4, c6, c14, 4      @ PRBAR13
    mcr     p15, 0, r5, c6, c14, 5      @ PRLAR13
    mcr     p15, 0, r6, c6, c15, 0      @ PRBAR14
    mcr     p15, 0, r7, c6, c15, 1      @ PRLAR14
    ldmia   r0!, {{r2-r3}}
    mcr     p15, 0, r2, c6, c15, 4      @ PRBAR15
    mcr     p15, 0, r3, c6, c15, 5      @ PRLAR15
    pop     {{r4-r7}}
    isb
    bx      lr
    .size hyp_el1_restore, . - hyp_el1_restore

    @ The only FP instructions of the hypervisor after boot (checked by
    @ tools/runner/tests/qemu_lazyfp.rs), each run with HCPTR.TCP10/11
    @ clear. r0: the FpState (d0-d31, FPSCR, FPEXC).
    .global hyp_fp_save
    .type hyp_fp_save, %function
hyp_fp_save:
    vmrs    r1, mvfr0
    vstmia  r0!, {{d0-d15}}
    and     r1, r1, #0xf
    cmp     r1, #2                      @ MVFR0.SIMDReg: 32 registers
    vstmiaeq r0, {{d16-d31}}
    add     r0, r0, #128
    vmrs    r1, fpscr
    str     r1, [r0]
    bx      lr
    .size hyp_fp_save, . - hyp_fp_save

    .global hyp_fp_load
    .type hyp_fp_load, %function
hyp_fp_load:
    vmrs    r1, mvfr0
    vldmia  r0!, {{d0-d15}}
    and     r1, r1, #0xf
    cmp     r1, #2
    vldmiaeq r0, {{d16-d31}}
    add     r0, r0, #128
    ldmia   r0, {{r1, r2}}
    vmsr    fpscr, r1
    vmsr    fpexc, r2
    bx      lr
    .size hyp_fp_load, . - hyp_fp_load

    .global hyp_fpexc_read
    .type hyp_fpexc_read, %function
hyp_fpexc_read:
    vmrs    r0, fpexc
    bx      lr
    .size hyp_fpexc_read, . - hyp_fpexc_read

    .global hyp_fpexc_write
    .type hyp_fpexc_write, %function
hyp_fpexc_write:
    vmsr    fpexc, r0
    bx      lr
    .size hyp_fpexc_write, . - hyp_fpexc_write
"#
);

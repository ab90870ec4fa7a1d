//! Reset entry in Hyp mode and the drop to EL1.
//!
//! QEMU (`-kernel` an ELF, `-smp 2`) starts both cores at `_start` in Hyp
//! mode, CPSR 0x1DA. Core 1 (`MPIDR.Aff0 != 0`) parks in `WFI` for good.
//! Core 0:
//! 1. takes the stack at `__stack_top`;
//! 2. enables the FPU before any Rust code runs (the hard-float target uses
//!    VFP registers for plain copies): `CPACR` cp10/cp11 full access,
//!    `HCPTR.TCP10/TCP11` clear, `FPEXC.EN`;
//! 3. sets `CNTHCTL.PL1PCTEN|PL1PCEN` so EL1 may read the physical counter
//!    and timer (the virtual counter the workload reads is always
//!    readable at EL1);
//! 4. writes `HCR = 0` (no stage 2, nothing trapped to EL2), sets
//!    `SPSR_hyp = 0x1D3` (SVC, A/I/F masked) and `ELR_hyp` to the EL1 entry,
//!    and `ERET`s.
//!
//! It also sets `CNTVOFF = 0` (the virtual count is the system count, as
//! under the hypervisor) and `ICC_HSRE.SRE|Enable` (EL1 may use the GIC
//! CPU interface's system registers).
//!
//! At EL1 it points `VBAR` at vectors that end the run on any exception
//! but IRQ (the timer benchmark's, see [`crate::irq`]), takes the IRQ and
//! SVC stacks, zeroes `.bss` and calls `native_main`.

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .global _start
    .type _start, %function
    .arm
_start:
    mrc     p15, 0, r0, c0, c0, 5       @ MPIDR
    ands    r0, r0, #0xff               @ Aff0: this core's number
    bne     9f                          @ not core 0: park
    ldr     sp, =__stack_top

    @ FPU: CPACR grants cp10/cp11, HCPTR stops trapping them, FPEXC.EN.
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #(0xF << 20)
    mcr     p15, 0, r0, c1, c0, 2
    mrc     p15, 4, r0, c1, c1, 2
    bic     r0, r0, #(3 << 10)          @ TCP10, TCP11
    mcr     p15, 4, r0, c1, c1, 2
    isb
    mov     r0, #(1 << 30)
    vmsr    fpexc, r0

    @ CNTHCTL: PL1PCTEN | PL1PCEN; CNTVOFF = 0 (virtual count = physical,
    @ as under the hypervisor).
    mrc     p15, 4, r0, c14, c1, 0
    orr     r0, r0, #3
    mcr     p15, 4, r0, c14, c1, 0
    mov     r0, #0
    mcrr    p15, 4, r0, r0, c14

    @ ICC_HSRE: SRE | Enable, so EL1 may use the GIC's system registers.
    mov     r0, #0x9
    mcr     p15, 4, r0, c12, c9, 5
    isb

    @ HCR = 0 (written whole: it reads 0x80000000 at reset on QEMU 10).
    mov     r0, #0
    mcr     p15, 4, r0, c1, c1, 0
    isb

    @ Down to EL1: SVC mode with A, I and F masked.
    mov     r0, #0x1D3
    msr     spsr_hyp, r0
    ldr     r0, =native_el1
    msr     elr_hyp, r0
    eret

native_el1:
    ldr     r0, =native_vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
    isb
    @ IRQ mode stack below the top, SVC stack below that.
    ldr     r0, =__stack_top
    cps     #0x12
    mov     sp, r0
    sub     r0, r0, #0x800
    cps     #0x13
    mov     sp, r0
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b
    bl      native_main

9:  wfi
    b       9b
    .ltorg

    @ EL1 vectors: every exception reports its vector number and ends the run.
    .align 5
native_vectors:
    b       10f                         @ reset
    b       11f                         @ undefined instruction
    b       12f                         @ SVC (other than semihosting)
    b       13f                         @ prefetch abort
    b       14f                         @ data abort
    b       15f                         @ hyp trap (not taken at EL1)
    b       native_irq                  @ IRQ: the timer benchmark
    b       17f                         @ FIQ
10: mov     r0, #0
    b       8f
11: mov     r0, #1
    b       8f
12: mov     r0, #2
    b       8f
13: mov     r0, #3
    b       8f
14: mov     r0, #4
    b       8f
15: mov     r0, #5
    b       8f

    @ IRQ: the same entry as a partition's (partitions/guest rt.rs):
    @ save the caller-saved registers, acknowledge + handle + end in Rust.
native_irq:
    push    {{r0-r3, r12, lr}}
    bl      native_irq_dispatch
    pop     {{r0-r3, r12, lr}}
    subs    pc, lr, #4
17: mov     r0, #7
8:  mov     r1, lr
    ldr     sp, =__stack_top
    bl      native_unexpected
    b       9b
    .ltorg
"#
);

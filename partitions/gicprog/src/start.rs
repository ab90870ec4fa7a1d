//! Entry of `gicprog`, in whatever mode it is started, as an ordinary
//! bare-board program for the Cortex-R52 has it. Core 0 only: any other
//! core parks in `WFI` (QEMU starts every core at the ELF entry). In Hyp
//! mode (the bare board's reset) it turns the FPU on for EL1, lets EL1
//! use the counter and timers (`CNTHCTL`, `CNTVOFF` = 0) and the GIC's
//! system registers (`ICC_HSRE.{SRE,Enable}`), clears `HCR` so IRQs go
//! to EL1, and drops to SVC mode with `ERET`; at EL1 (as a partition) it
//! goes straight on. Then: FPU on, vectors, IRQ and SVC stacks, `.data`
//! copied, `.bss` zeroed, `gicprog_main`.
//!
//! The IRQ vector saves what the AAPCS lets a Rust function clobber (r0-r3,
//! r12, lr, d0-d7 and FPSCR) around `gicprog_irq`; every other vector
//! reports which it was through `gicprog_unexpected`.

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .global _start
    .type _start, %function
    .arm
_start:
    mrc     p15, 0, r0, c0, c0, 5       @ MPIDR
    ands    r0, r0, #0xff
    bne     9f                          @ not core 0: park
    mrs     r0, cpsr
    and     r0, r0, #0x1f
    cmp     r0, #0x1a                   @ Hyp mode?
    bne     1f
    mrc     p15, 4, r0, c1, c1, 2       @ HCPTR: cp10/cp11 not trapped
    bic     r0, r0, #(3 << 10)
    mcr     p15, 4, r0, c1, c1, 2
    mrc     p15, 4, r0, c14, c1, 0      @ CNTHCTL: EL1PCTEN | EL1PCEN
    orr     r0, r0, #3
    mcr     p15, 4, r0, c14, c1, 0
    mov     r0, #0
    mcrr    p15, 4, r0, r0, c14         @ CNTVOFF = 0
    mov     r0, #0x9
    mcr     p15, 4, r0, c12, c9, 5      @ ICC_HSRE: SRE | Enable
    mov     r0, #0
    mcr     p15, 4, r0, c1, c1, 0       @ HCR = 0: IRQs taken at EL1
    isb
    mov     r0, #0x1D3                  @ SVC mode, A/I/F masked
    msr     spsr_hyp, r0
    ldr     r0, =1f
    msr     elr_hyp, r0
    eret

    @ EL1, SVC mode.
1:  mrc     p15, 0, r0, c1, c0, 2       @ CPACR: cp10/cp11 full access
    orr     r0, r0, #(0xF << 20)
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #(1 << 30)              @ FPEXC.EN
    vmsr    fpexc, r0
    ldr     r0, =gicprog_vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
    isb
    ldr     r0, =__stack_top
    cps     #0x12                       @ IRQ stack at the top
    mov     sp, r0
    sub     r0, r0, #0x800
    cps     #0x13                       @ SVC stack below it
    mov     sp, r0
    ldr     r0, =__data_load
    ldr     r1, =__data_start
    ldr     r2, =__data_end
2:  cmp     r1, r2
    ldrlo   r3, [r0], #4
    strlo   r3, [r1], #4
    blo     2b
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
3:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     3b
    bl      gicprog_main
9:  wfi
    b       9b
    .ltorg

    .align 5
gicprog_vectors:
    b       10f
    b       11f
    b       12f
    b       13f
    b       14f
    b       15f
    b       gicprog_irq_entry
    b       17f
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
17: mov     r0, #7
8:  mov     r1, lr
    ldr     sp, =__stack_top
    sub     sp, sp, #0x1000
    bl      gicprog_unexpected
    b       9b

gicprog_irq_entry:
    push    {{r0-r3, r12, lr}}
    vmrs    r0, fpscr
    push    {{r0, r1}}                  @ FPSCR, and r1 to keep 8-byte alignment
    vpush   {{d0-d7}}
    bl      gicprog_irq
    vpop    {{d0-d7}}
    pop     {{r0, r1}}
    vmsr    fpscr, r0
    pop     {{r0-r3, r12, lr}}
    subs    pc, lr, #4
    .ltorg
"#
);

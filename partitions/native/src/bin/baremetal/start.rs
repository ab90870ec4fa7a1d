//! Entry of `baremetal`, in whatever mode it is started: in Hyp mode (the
//! bare board's reset) it parks the other cores, turns the FPU on, lets EL1
//! use the counters, the virtual offset and the GIC's system registers, and
//! drops to SVC mode; at EL1 (as a partition) it goes straight on. Then it
//! sets the vectors and stacks, copies `.data`, zeroes `.bss` and calls
//! `baremetal_main`.

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
    mrc     p15, 4, r0, c1, c1, 2       @ HCPTR: FPU not trapped
    bic     r0, r0, #(3 << 10)
    mcr     p15, 4, r0, c1, c1, 2
    mrc     p15, 4, r0, c14, c1, 0      @ CNTHCTL: EL1 counter and timer
    orr     r0, r0, #3
    mcr     p15, 4, r0, c14, c1, 0
    mov     r0, #0
    mcrr    p15, 4, r0, r0, c14         @ CNTVOFF = 0
    mov     r0, #0x9
    mcr     p15, 4, r0, c12, c9, 5      @ ICC_HSRE: SRE | Enable
    mov     r0, #0
    mcr     p15, 4, r0, c1, c1, 0       @ HCR = 0
    isb
    mov     r0, #0x1D3
    msr     spsr_hyp, r0
    ldr     r0, =1f
    msr     elr_hyp, r0
    eret

    @ EL1, SVC mode.
1:  mrc     p15, 0, r0, c1, c0, 2       @ CPACR: cp10/cp11
    orr     r0, r0, #(0xF << 20)
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #(1 << 30)
    vmsr    fpexc, r0
    ldr     r0, =baremetal_vectors
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
    bl      baremetal_main
9:  wfi
    b       9b
    .ltorg

    .align 5
baremetal_vectors:
    b       10f
    b       11f
    b       12f
    b       13f
    b       14f
    b       15f
    b       baremetal_irq_entry
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
    bl      baremetal_unexpected
    b       9b

baremetal_irq_entry:
    push    {{r0-r3, r12, lr}}
    bl      baremetal_irq
    pop     {{r0-r3, r12, lr}}
    subs    pc, lr, #4
    .ltorg
"#
);

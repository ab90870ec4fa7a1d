//! Reset entry: both cores start here in Hyp mode (CPSR 0x1DA).
//!
//! Each core takes its own stack (`__stacks_end - core * HYP_STACK_SIZE`),
//! enables the FPU before any Rust code runs (the hard-float target uses VFP
//! registers for plain copies), and then core 0 zeroes `.bss` and enters
//! `boot::primary_main`, while the other cores sleep in `WFE` until core 0
//! publishes [`crate::boot::RELEASE_MAGIC`] in `BOOT_RELEASE`.

core::arch::global_asm!(
    r#"
    .section .text.boot, "ax"
    .global _start
    .type _start, %function
    .arm
_start:
    mrc     p15, 0, r4, c0, c0, 5       @ MPIDR
    and     r4, r4, #0xff               @ Aff0: this core's number
    ldr     r0, =HYP_MAX_CORES
    cmp     r4, r0
    bhs     9f                          @ a core the image has no stack for
    ldr     r0, =__stacks_end
    ldr     r1, =HYP_STACK_SIZE
    mul     r2, r4, r1
    sub     sp, r0, r2

    @ FPU: CPACR grants cp10/cp11 to all levels, HCPTR stops trapping them.
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #(0xF << 20)
    mcr     p15, 0, r0, c1, c0, 2
    mrc     p15, 4, r0, c1, c1, 2
    bic     r0, r0, #(3 << 10)          @ TCP10, TCP11
    bic     r0, r0, #(1 << 15)          @ TASE
    mcr     p15, 4, r0, c1, c1, 2
    isb
    mov     r0, #(1 << 30)              @ FPEXC.EN
    vmsr    fpexc, r0

    cmp     r4, #0
    bne     2f

    @ Core 0: put a canary at the bottom of every core's stack (checked
    @ at the end of the run: boot::stack_overflowed), zero .bss, then boot.
    ldr     r0, =__stacks_start
    ldr     r1, =HYP_STACK_SIZE
    ldr     r2, =HYP_MAX_CORES
    ldr     r3, =0x5AC55AC5
4:  mov     r5, #64                     @ words of canary per stack
    mov     r6, r0
5:  str     r3, [r6], #4
    subs    r5, r5, #1
    bne     5b
    add     r0, r0, r1
    subs    r2, r2, #1
    bne     4b
    @ .bss: 32 bytes per store while they fit, then word by word.
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
    mov     r3, #0
    mov     r5, #0
    mov     r6, #0
    mov     r7, #0
    mov     r8, #0
    mov     r9, #0
    mov     r10, #0
    sub     r11, r1, #32
6:  cmp     r0, r11
    stmls   r0!, {{r2, r3, r5, r6, r7, r8, r9, r10}}
    bls     6b
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b
    mov     r0, r4
    bl      hyp_primary_main
    b       9f

    @ Other cores: sleep until core 0 releases them.
2:  ldr     r0, =BOOT_RELEASE
    ldr     r1, =0x52454C53             @ boot::RELEASE_MAGIC ("RELS")
3:  wfe
    ldr     r2, [r0]
    cmp     r2, r1
    bne     3b
    dmb
    mov     r0, r4
    bl      hyp_secondary_main

9:  wfi
    b       9b
    .ltorg
"#
);

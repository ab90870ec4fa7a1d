/*
 * Entry of the C sensor. The hypervisor starts a partition at its ELF
 * entry in SVC mode, IRQ/FIQ/asynchronous aborts masked, every register
 * zero, EL1 MPU and caches off (docs/guest.md). This sets the stack to the
 * top of the partition's data region (`__stack_top`, from the generated
 * fragment), copies .data from its load address in the code region,
 * clears .bss, runs main() and ends the partition with main's return value
 * as the exit code (SHUTDOWN does not return).
 */
    .syntax unified
    .arm
    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__stack_top
    ldr     r0, =__data_load
    ldr     r1, =__data_start
    ldr     r2, =__data_end
1:  cmp     r1, r2
    ldrlo   r3, [r0], #4
    strlo   r3, [r1], #4
    blo     1b
    ldr     r1, =__bss_start
    ldr     r2, =__bss_end
    mov     r3, #0
2:  cmp     r1, r2
    strlo   r3, [r1], #4
    blo     2b
    bl      main
    mov     r1, r0                      @ exit code
    mov     r0, #0x08                   @ SHUTDOWN
    hvc     #0
3:  b       3b
    .ltorg

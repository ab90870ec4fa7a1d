//! Entry and exception vectors of a partition.
//!
//! The hypervisor starts a partition in SVC mode at `_start` with all
//! registers zero. The entry code sets the stack, copies `.data`, zeroes
//! `.bss`, points VBAR at vectors that report faults to the health
//! monitor, and calls `guest_main`; its return value is the exit code.

use hypcfg::abi::fault;

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .global _start
    .arm
_start:
    @ r11 = the OR of every general-purpose register at entry (all zero
    @ per the entry contract; kept for `entry_registers_were_zero`).
    orr     r11, r11, r0
    orr     r11, r11, r1
    orr     r11, r11, r2
    orr     r11, r11, r3
    orr     r11, r11, r4
    orr     r11, r11, r5
    orr     r11, r11, r6
    orr     r11, r11, r7
    orr     r11, r11, r8
    orr     r11, r11, r9
    orr     r11, r11, r10
    orr     r11, r11, r12
    orr     r11, r11, lr
    @ Stacks: UND at the top of DATA, ABT, IRQ below it, SVC below that.
    ldr     r0, =__stack_top
    cps     #0x1B                       @ UND
    mov     sp, r0
    sub     r0, r0, #0x200
    cps     #0x17                       @ ABT
    mov     sp, r0
    sub     r0, r0, #0x200
    cps     #0x12                       @ IRQ
    mov     sp, r0
    sub     r0, r0, #0x400
    cps     #0x13                       @ back to SVC
    mov     sp, r0
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
    ldr     r1, =GUEST_ENTRY_REGS
    str     r11, [r1]
    ldr     r0, =guest_vectors
    mcr     p15, 0, r0, c12, c0, 0      @ VBAR
    isb
    bl      guest_main
    bl      guest_exit
3:  b       3b
    .ltorg

    .section .text.vectors, "ax"
    .align 5
guest_vectors:
    b       guest_other                 @ reset: not used
    b       guest_undef
    b       guest_other                 @ SVC: not used by these partitions
    b       guest_pabt
    b       guest_dabt
    b       guest_other
    b       guest_irq
    b       guest_other                 @ FIQ

    @ Each handler reports the fault to the health monitor; if the policy
    @ lets the partition go on (log), undefined instructions and data
    @ aborts return past the faulting instruction.
guest_undef:
    push    {{r0-r3, r12, lr}}
    mov     r0, #1
    sub     r1, lr, #4
    mov     r2, r1
    bl      guest_report
    pop     {{r0-r3, r12, lr}}
    movs    pc, lr
guest_pabt:                             @ nothing to skip: report, then stop
    mov     r0, #2
    mrc     p15, 0, r1, c6, c0, 2       @ IFAR
    sub     r2, lr, #4
    bl      guest_report
    ldr     r0, =0xFA17
    bl      guest_exit
guest_dabt:
    push    {{r0-r3, r12, lr}}
    mov     r0, #3
    mrc     p15, 0, r1, c6, c0, 0       @ DFAR
    sub     r2, lr, #8
    bl      guest_report
    pop     {{r0-r3, r12, lr}}
    subs    pc, lr, #4
    @ IRQ: acknowledge, run the handler (guest::irq), end of interrupt.
guest_irq:
    push    {{r0-r3, r12, lr}}
    bl      guest_irq_dispatch
    pop     {{r0-r3, r12, lr}}
    subs    pc, lr, #4
guest_other:
    mov     r0, #0
    mov     r1, #0
    sub     r2, lr, #4
    bl      guest_report
    ldr     r0, =0xFA17
    bl      guest_exit
4:  b       4b
    .ltorg
"#
);

/// The OR of r0-r12 and LR as the partition's entry found them (`_start`
/// stores it after zeroing `.bss`).
#[no_mangle]
static mut GUEST_ENTRY_REGS: u32 = 0;

/// Whether r0-r12 and LR were all zero when the hypervisor started (or
/// restarted) this partition, as the entry contract says.
pub fn entry_registers_were_zero() -> bool {
    let regs = &raw const GUEST_ENTRY_REGS;
    // SAFETY: written once by `_start` before any Rust code runs.
    unsafe { core::ptr::read_volatile(regs) == 0 }
}

/// Reports a fault from the vectors; returns only if the policy is `log`.
#[no_mangle]
extern "C" fn guest_report(kind: u32, addr: u32, pc: u32) {
    crate::hvc::report_fault(kind, addr, pc);
}

#[no_mangle]
extern "C" fn guest_exit(code: u32) -> ! {
    crate::hvc::shutdown(code)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    crate::println!("panic: {}", info);
    crate::hvc::report_fault(fault::PANIC, 0, 0);
    crate::hvc::shutdown(0xDEAD)
}

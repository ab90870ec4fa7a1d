//! The Hyp vector table (`HVBAR`) and the report for exceptions the
//! hypervisor does not expect.
//!
//! Every entry saves r0-r12, lr, `ELR_hyp` and `SPSR_hyp` into an
//! [`ExceptionFrame`] on the Hyp stack and calls `crate::exception::hyp_exception` with the
//! vector number; if that returns, the (possibly edited) frame is restored
//! and the core returns with `ERET`.

use hypcfg::system::EntryPoint;

use crate::hsr::Hsr;

/// The saved state of an exception taken to Hyp mode.
#[repr(C)]
#[derive(Debug)]
pub struct ExceptionFrame {
    /// `ELR_hyp`: where `ERET` returns to.
    pub elr: u32,
    /// `SPSR_hyp`: the interrupted CPSR.
    pub spsr: u32,
    /// r0-r12 of the interrupted code.
    pub r: [u32; 13],
    /// lr of the interrupted code (Hyp mode's lr is not banked).
    pub lr: u32,
}

/// The state of a partition as its trap entry saved it: everything the
/// hypervisor's own code may clobber (r0-r12, LR_usr) plus the return
/// state (`ELR_hyp`, `SPSR_hyp`). Restoring it and `ERET` resumes the
/// partition; writing another partition's frame here and returning
/// switches to that partition. The FP registers are not in it: the
/// hypervisor never uses them, and they are switched lazily
/// (`arch::context`).
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct GuestFrame {
    /// PC to return to.
    pub elr: u32,
    /// CPSR to return with.
    pub spsr: u32,
    /// r0-r12.
    pub r: [u32; 13],
    /// LR_usr (Hyp mode shares LR with User/System mode).
    pub lr: u32,
}

/// `CPSR` of a partition's first instruction: SVC mode, IRQ, FIQ and
/// asynchronous aborts masked, A32, IT state clear.
const ENTRY_CPSR: u32 = 0x1D3;
/// `CPSR.T`: the partition executes T32 (Thumb) instructions.
const CPSR_T: u32 = 1 << 5;

impl GuestFrame {
    /// A partition about to run its first instruction at `entry`: SVC
    /// mode, IRQ/FIQ/asynchronous aborts masked, all registers zero.
    /// `entry` is decoded as an ELF's `e_entry` and `BX` do
    /// ([`EntryPoint`]): with bit 0 set the partition starts in T32 at
    /// `entry & !1`, else in A32 at `entry`.
    pub const fn at_entry(entry: u32) -> GuestFrame {
        let at = EntryPoint::of(entry);
        GuestFrame {
            elr: at.pc,
            spsr: if at.thumb { ENTRY_CPSR | CPSR_T } else { ENTRY_CPSR },
            r: [0; 13],
            lr: 0,
        }
    }
}

/// Vector offsets divided by four, as passed to [`hyp_exception`].
pub const VECTOR_NAMES: [hypcfg::packed::Text; 8] = [
    hypcfg::text!("reset"),
    hypcfg::text!("undefined instruction"),
    hypcfg::text!("hypervisor call (SVC in Hyp mode)"),
    hypcfg::text!("prefetch abort"),
    hypcfg::text!("data abort"),
    hypcfg::text!("hyp trap"),
    hypcfg::text!("IRQ"),
    hypcfg::text!("FIQ"),
];

core::arch::global_asm!(
    r#"
    .section .text.vectors, "ax"
    .arm

    .macro GUEST_ENTRY handler
    push    {{r0-r12, lr}}
    mrs     r2, elr_hyp
    mrs     r3, spsr
    push    {{r2, r3}}
    mov     r0, sp
    mrc     p15, 4, sp, c13, c0, 2
    bl      \handler
    .endm

    .align 5
    .global hyp_vector_table
    .type hyp_vector_table, %function
hyp_vector_table:
    b       hyp_vec_0
    b       hyp_vec_1
    b       hyp_vec_2
    b       hyp_vec_3
    b       hyp_vec_4
    b       hyp_vec_5
    b       hyp_vec_6
    b       hyp_vec_7

    @ Traps from a partition (HVC, stage-2 aborts, WFI, SMC...). While a
    @ partition runs, SP_hyp points at the end of its own GuestFrame, so the
    @ pushes below save its registers straight into it. Then: switch to this
    @ core's Hyp stack (HTPIDR) and call hyp_guest_trap(frame), which
    @ returns the frame to resume (another partition's after a switch).
    @ No FP register is saved: the hypervisor uses none (they are switched
    @ lazily, see arch/context.rs).
    @ IRQs: the hypervisor runs with IRQs masked, so an IRQ always
    @ interrupts a partition: same entry, handled by hyp_guest_irq.
hyp_vec_6:
    GUEST_ENTRY hyp_guest_irq
    b       hyp_enter_guest

hyp_vec_5:
    GUEST_ENTRY hyp_guest_trap
    @ hyp_enter_guest(frame) joins here: resume the partition in `frame`.
    .global hyp_enter_guest
    .type hyp_enter_guest, %function
hyp_enter_guest:
    mov     sp, r0
    pop     {{r2, r3}}
    msr     elr_hyp, r2
    msr     spsr_hyp, r3
    pop     {{r0-r12, lr}}
    eret

    .irp n, 0,1,2,3,4,7
hyp_vec_\n:
    push    {{r0-r12, lr}}
    mov     r0, #\n
    b       hyp_vec_common
    .endr

hyp_vec_common:
    mrs     r2, elr_hyp
    mrs     r3, spsr
    push    {{r2, r3}}
    mov     r1, sp
    bl      hyp_exception
    pop     {{r2, r3}}
    msr     elr_hyp, r2
    msr     spsr_hyp, r3
    pop     {{r0-r12, lr}}
    eret
"#
);

extern "C" {
    fn hyp_enter_guest(frame: *mut GuestFrame) -> !;
}

/// Leaves the hypervisor into the partition whose saved registers are
/// `frame`; nothing on the current Hyp stack is needed any more (the next
/// trap starts from the top of it again, see `set_trap_stack`).
///
/// # Safety
/// `frame` must be a partition's static frame (never on the stack), whose
/// EL1 state, `HCR` and MPU band the caller has set up on this core.
pub unsafe fn enter_guest(frame: *mut GuestFrame) -> ! {
    // SAFETY: forwarded to the caller.
    unsafe { hyp_enter_guest(frame) }
}

/// Points `HVBAR` at the vector table.
pub fn install() {
    extern "C" {
        static hyp_vector_table: u8;
    }
    // SAFETY: the table is 32-byte aligned code in our text region, and
    // every entry saves and restores what it clobbers.
    unsafe {
        aarch32_cpu::register::Hvbar::write(aarch32_cpu::register::Hvbar(
            core::ptr::addr_of!(hyp_vector_table) as u32,
        ));
    }
    aarch32_cpu::asm::isb();
}

/// The fault registers read at the moment of an exception.
#[derive(Clone, Copy, Debug)]
pub struct FaultInfo {
    /// The vector number (offset / 4).
    pub vector: u32,
    /// `HSR`.
    pub hsr: Hsr,
    /// `HDFAR`: the faulting data address.
    pub hdfar: u32,
    /// `HIFAR`: the faulting instruction address.
    pub hifar: u32,
    /// The core that took it.
    pub core: u32,
}

//! Test (hostile): tries to reach the host through semihosting, as a
//! program at EL1 can when QEMU runs with semihosting on: it runs a host
//! command (`SYS_SYSTEM`, `touch` a file), creates and writes a host file
//! (`SYS_OPEN` + `SYS_WRITE`), reads a host file into its own read-only
//! code (`SYS_READ`: semihosting writes guest memory past the MPU), and
//! ends the whole run (`SYS_EXIT`) in all four forms: A32 `SVC #0x123456`,
//! T32 `SVC #0xAB`, A32 `HLT #0xF000`, T32 `HLT #0x3C`. Host paths are
//! relative: QEMU's working directory, the test's temporary directory.
//!
//! Without semihosting the architecture gives it an SVC exception to its
//! own vector and an undefined instruction for `HLT`: its own vectors
//! (installed for the attempts) count them and return, and it prints what
//! it saw; a `SYS_EXIT` that worked would end the run before it prints on.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::println;

guest::entry!(main);

/// SVC exceptions taken by `semi_vectors`.
#[no_mangle]
static SEMI_SVC: AtomicU32 = AtomicU32::new(0);
/// Undefined-instruction exceptions taken by `semi_vectors`.
#[no_mangle]
static SEMI_UNDEF: AtomicU32 = AtomicU32::new(0);

core::arch::global_asm!(
    r#"
    .section .text.semi_vectors, "ax"
    .arm
    .align 5
    .global semi_vectors
semi_vectors:
    b       .                           @ reset
    b       semi_undef
    b       semi_svc
    b       .                           @ prefetch abort
    b       .                           @ data abort
    b       .
    b       .                           @ IRQ (masked)
    b       .                           @ FIQ (masked)
    @ Count and return past the instruction (LR is its successor for an
    @ SVC, and for an undefined 32-bit A32 or 16-bit T32 instruction).
semi_undef:
    push    {{r0, r1}}
    ldr     r0, =SEMI_UNDEF
    b       1f
semi_svc:
    push    {{r0, r1}}
    ldr     r0, =SEMI_SVC
1:  ldr     r1, [r0]
    add     r1, r1, #1
    str     r1, [r0]
    pop     {{r0, r1}}
    movs    pc, lr
    .ltorg

    @ The T32 forms: r0 = operation, r1 = parameter; returns r0. LR is
    @ saved because an SVC taken in SVC mode overwrites it.
    .section .text.semi_t32, "ax"
    .thumb
    .align 2
    .global semi_t32_svc
    .type semi_t32_svc, %function
    .thumb_func
semi_t32_svc:
    push    {{r4, lr}}
    svc     #0xab
    pop     {{r4, pc}}
    .global semi_t32_hlt
    .type semi_t32_hlt, %function
    .thumb_func
semi_t32_hlt:
    push    {{r4, lr}}
    hlt     #0x3c
    pop     {{r4, pc}}
    .arm
"#
);

extern "C" {
    fn semi_t32_svc(op: u32, arg: u32) -> u32;
    fn semi_t32_hlt(op: u32, arg: u32) -> u32;
    static semi_vectors: u8;
}

const SYS_OPEN: u32 = 0x01;
const SYS_WRITE: u32 = 0x05;
const SYS_READ: u32 = 0x06;
const SYS_SYSTEM: u32 = 0x12;
const SYS_EXIT: u32 = 0x18;
/// `ADP_Stopped_ApplicationExit`: a clean exit, status 0.
const APPLICATION_EXIT: u32 = 0x20026;

/// Read-only data the `SYS_READ` aims at (in its `r-x` code region).
static READ_ONLY: [u8; 16] = *b"read-only bytes!";

#[derive(Clone, Copy)]
enum Form {
    A32Svc,
    T32Svc,
    A32Hlt,
    T32Hlt,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::A32Svc => "A32 SVC #0x123456",
            Form::T32Svc => "T32 SVC #0xAB",
            Form::A32Hlt => "A32 HLT #0xF000",
            Form::T32Hlt => "T32 HLT #0x3C",
        }
    }
}

/// Issues semihosting operation `op` with parameter `arg` in `form`;
/// returns r0 afterwards.
fn call(form: Form, op: u32, arg: u32) -> u32 {
    match form {
        Form::A32Svc => {
            let mut r0 = op;
            // SAFETY: an SVC taken to this partition's own vector, which
            // counts it and returns with every register but LR intact.
            unsafe {
                core::arch::asm!("svc #0x123456", inout("r0") r0, in("r1") arg, out("lr") _, options(nostack))
            };
            r0
        }
        Form::A32Hlt => {
            let mut r0 = op;
            // SAFETY: an undefined instruction without semihosting, taken
            // to this partition's own vector, which returns past it.
            unsafe { core::arch::asm!("hlt #0xf000", inout("r0") r0, in("r1") arg, options(nostack)) };
            r0
        }
        // SAFETY: as above, in T32 (the functions save LR themselves).
        Form::T32Svc => unsafe { semi_t32_svc(op, arg) },
        // SAFETY: as above.
        Form::T32Hlt => unsafe { semi_t32_hlt(op, arg) },
    }
}

/// Makes one attempt and prints what the partition saw.
fn attempt(what: &str, form: Form, op: u32, arg: u32) -> u32 {
    let (svc, undef) = (SEMI_SVC.load(Ordering::SeqCst), SEMI_UNDEF.load(Ordering::SeqCst));
    let r0 = call(form, op, arg);
    let seen = if SEMI_SVC.load(Ordering::SeqCst) != svc {
        "an SVC exception to my own vector"
    } else if SEMI_UNDEF.load(Ordering::SeqCst) != undef {
        "an undefined instruction"
    } else {
        "NO EXCEPTION: the host served it"
    };
    println!("{} via {}: {}, r0 = {:#x}", what, form.name(), seen, r0);
    r0
}

fn vbar() -> u32 {
    let v: u32;
    // SAFETY: reading VBAR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c0, 0", out(reg) v, options(nomem, nostack)) };
    v
}

fn set_vbar(v: u32) {
    // SAFETY: points this partition's own EL1 exceptions at a table in
    // its own code.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c0, 0", "isb", in(reg) v, options(nostack)) };
}

fn main() -> u32 {
    println!("semihost up: trying to reach the host");
    let saved = vbar();
    set_vbar(&raw const semi_vectors as u32);

    let cmd = b"touch pwned-by-system\0";
    let block = [cmd.as_ptr() as u32, cmd.len() as u32 - 1];
    attempt(
        "SYS_SYSTEM touch",
        Form::A32Svc,
        SYS_SYSTEM,
        block.as_ptr() as u32,
    );

    let name = b"pwned-by-open\0";
    // Mode 4: "w" (create or truncate).
    let block = [name.as_ptr() as u32, 4, name.len() as u32 - 1];
    let handle = attempt(
        "SYS_OPEN for writing",
        Form::A32Svc,
        SYS_OPEN,
        block.as_ptr() as u32,
    );
    let text = b"written from a partition\n";
    let block = [handle, text.as_ptr() as u32, text.len() as u32];
    attempt("SYS_WRITE", Form::A32Svc, SYS_WRITE, block.as_ptr() as u32);

    for form in [Form::A32Svc, Form::T32Svc, Form::A32Hlt, Form::T32Hlt] {
        attempt("SYS_EXIT", form, SYS_EXIT, APPLICATION_EXIT);
    }
    let name = b"/etc/hostname\0";
    let block = [name.as_ptr() as u32, 0, name.len() as u32 - 1];
    let handle = attempt(
        "SYS_OPEN for reading",
        Form::A32Svc,
        SYS_OPEN,
        block.as_ptr() as u32,
    );
    let target = READ_ONLY.as_ptr() as u32;
    let block = [handle, target, READ_ONLY.len() as u32];
    attempt(
        "SYS_READ into read-only memory",
        Form::A32Svc,
        SYS_READ,
        block.as_ptr() as u32,
    );
    // SAFETY: reading its own constant through a volatile pointer, so the
    // check sees memory, not the compiler's copy.
    let intact = (0..READ_ONLY.len())
        .all(|i| unsafe { (target as *const u8).wrapping_add(i).read_volatile() } == b"read-only bytes!"[i]);
    println!(
        "read-only memory {}",
        if intact { "intact" } else { "OVERWRITTEN" }
    );

    set_vbar(saved);
    println!("semihost done: still running after every attempt");
    0
}

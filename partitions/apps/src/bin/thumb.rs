//! Test: a partition whose ELF entry point is T32 (Thumb), as a foreign
//! guest's may be. `_start_t32` is a Thumb function (the ELF entry has bit
//! 0 set, `build.rs` links this binary with `--entry=_start_t32`): it
//! records the PC as it reads it, its own address + 4 in T32 (+ 8 in
//! A32), in TPIDRPRW, switches to A32 and joins the usual entry code at
//! `_start` with every register zero again. `main` checks the record and
//! calls T32 code from A32.
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

core::arch::global_asm!(
    r#"
    .section .text.thumb_start, "ax"
    .global _start_t32
    .type _start_t32, %function
    .thumb
    .thumb_func
_start_t32:
    mov     r0, pc                      @ T32: this instruction + 4
    mcr     p15, 0, r0, c13, c0, 4      @ TPIDRPRW, for main
    adr     r0, 1f
    bx      r0                          @ to A32
    .arm
    .balign 4
1:  mov     r0, #0
    b       _start
"#
);

extern "C" {
    fn _start_t32();
}

/// Some T32 code, called from A32 (interworking through `BLX`).
#[instruction_set(arm::t32)]
#[inline(never)]
fn checksum_in_t32(words: &[u32]) -> u32 {
    words
        .iter()
        .fold(0x811C_9DC5, |h, &w| (h ^ w).wrapping_mul(0x0100_0193))
}

fn main() -> u32 {
    let entry = _start_t32 as *const () as usize as u32;
    let recorded: u32;
    // SAFETY: reads TPIDRPRW, a PL1 register with no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c13, c0, 4", out(reg) recorded) };
    let pc = entry & !1;
    if entry & 1 != 1 || recorded != pc.wrapping_add(4) {
        println!(
            "entry {:#010x}: the stub read PC {:#010x}, not T32",
            entry, recorded
        );
        return 1;
    }
    println!("entered in T32 at {:#010x}: the stub read PC +4", pc);
    println!(
        "registers zero at _start: {}",
        guest::rt::entry_registers_were_zero()
    );
    let sum = checksum_in_t32(&[1, 2, 3, 4]);
    println!("T32 checksum {:#010x}", sum);
    0
}

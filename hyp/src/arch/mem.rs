//! Bulk memory operations for the hypervisor's large copies (partition
//! images) and clears (partition memory at start and restart): eight words
//! per instruction with `ldm`/`stm`, where the generic byte-safe routines
//! take one store per word.

core::arch::global_asm!(
    r#"
    .section .text.hyp_mem, "ax"
    .arm
    .align 2
    @ hyp_zero_blocks(dst, blocks): zeroes `blocks` 32-byte blocks at dst.
    .global hyp_zero_blocks
    .type hyp_zero_blocks, %function
hyp_zero_blocks:
    push    {{r4-r9}}
    mov     r2, #0
    mov     r3, #0
    mov     r4, #0
    mov     r5, #0
    mov     r6, #0
    mov     r7, #0
    mov     r8, #0
    mov     r9, #0
1:  subs    r1, r1, #1
    stmiahs r0!, {{r2-r9}}
    bhi     1b
    pop     {{r4-r9}}
    bx      lr

    @ hyp_copy_blocks(dst, src, blocks): copies `blocks` 32-byte blocks.
    .global hyp_copy_blocks
    .type hyp_copy_blocks, %function
hyp_copy_blocks:
    push    {{r4-r11}}
1:  subs    r2, r2, #1
    ldmiahs r1!, {{r4-r11}}
    stmiahs r0!, {{r4-r11}}
    bhi     1b
    pop     {{r4-r11}}
    bx      lr
"#
);

extern "C" {
    fn hyp_zero_blocks(dst: *mut u8, blocks: usize);
    fn hyp_copy_blocks(dst: *mut u8, src: *const u8, blocks: usize);
}

/// Zeroes `len` bytes at `dst` (block-wise when `dst` is word aligned).
///
/// # Safety
/// `dst..dst+len` must be writable memory the caller owns.
pub unsafe fn zero(dst: *mut u8, len: usize) {
    let blocks = if (dst as usize).is_multiple_of(4) {
        len / 32
    } else {
        0
    };
    let done = blocks.wrapping_mul(32); // <= len, so neither wraps
                                        // SAFETY: the caller's contract; the routine writes `done` bytes.
    unsafe { hyp_zero_blocks(dst, blocks) };
    // SAFETY: `done <= len`: still inside the caller's range.
    let rest = unsafe { dst.add(done) };
    // SAFETY: the caller's contract for the remaining `len - done` bytes.
    unsafe { core::ptr::write_bytes(rest, 0, len.wrapping_sub(done)) };
}

/// Copies `len` bytes from `src` to `dst` (block-wise when both are word
/// aligned).
///
/// # Safety
/// Both ranges must be valid for `len` bytes and disjoint.
pub unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) {
    let aligned = (dst as usize | src as usize).is_multiple_of(4);
    let blocks = if aligned { len / 32 } else { 0 };
    let done = blocks.wrapping_mul(32); // <= len, so neither wraps
                                        // SAFETY: the caller's contract; the routine moves `done` bytes.
    unsafe { hyp_copy_blocks(dst, src, blocks) };
    // SAFETY: `done <= len`: still inside the caller's source range.
    let src_rest = unsafe { src.add(done) };
    // SAFETY: `done <= len`: still inside the caller's destination range.
    let dst_rest = unsafe { dst.add(done) };
    // SAFETY: the caller's contract for the remaining `len - done` bytes.
    unsafe { core::ptr::copy_nonoverlapping(src_rest, dst_rest, len.wrapping_sub(done)) };
}

//! What the link (`linker.ld`) decided: where the image's parts, the Hyp
//! stacks and the blob area are. Only the addresses of linker symbols are
//! taken here, never their bytes (except the stack canaries, which lie in
//! the hypervisor's own data).

use crate::board::{CONSOLE_BASE, CONSOLE_SIZE, CORES};
use crate::layout::ImageLayout;

/// The image layout from the linker symbols.
pub fn image_layout() -> ImageLayout {
    extern "C" {
        static __text_start: u8;
        static __text_end: u8;
        static __rodata_start: u8;
        static __rodata_end: u8;
        static __data_start: u8;
        static __data_end: u8;
    }
    let a = |s: *const u8| s as u32;
    // Only the addresses of the linker symbols are taken, never their bytes.
    ImageLayout {
        text: (a(&raw const __text_start), a(&raw const __text_end)),
        rodata: (a(&raw const __rodata_start), a(&raw const __rodata_end)),
        data: (a(&raw const __data_start), a(&raw const __data_end)),
        console: (CONSOLE_BASE, CONSOLE_BASE + CONSOLE_SIZE),
    }
}

/// Where the config tool's blob is loaded (`linker.ld`: BLOB).
pub fn config_blob_area() -> (u32, u32) {
    extern "C" {
        static __config_blob_start: u8;
        static __config_blob_size: u8;
    }
    (
        &raw const __config_blob_start as u32,
        &raw const __config_blob_size as u32,
    )
}

/// The boot-flags area (`linker.ld` `.boot_flags`: two words, see
/// [`hypcfg::boot_flags`]); only its address is taken here.
pub fn boot_flags_area() -> *mut u32 {
    extern "C" {
        static mut __boot_flags: u32;
    }
    &raw mut __boot_flags
}

/// Top of core `core`'s Hyp stack (stacks grow down from `__stacks_end`).
pub fn stack_top(core: usize) -> u32 {
    extern "C" {
        static __stacks_end: u8;
        static HYP_STACK_SIZE: u8;
    }
    let end = &raw const __stacks_end as u32;
    let size = &raw const HYP_STACK_SIZE as u32;
    // `core` < CORES, whose stacks the linker placed below `__stacks_end`.
    end.wrapping_sub(size.wrapping_mul(core as u32))
}

/// The canary `_start` writes at the bottom of each core's stack.
const STACK_CANARY: u32 = 0x5AC5_5AC5;
/// Words of canary per stack.
const STACK_CANARY_WORDS: usize = 64;

/// The first core whose stack canary is damaged (its stack overflowed into
/// whatever lies below it), if any.
pub fn stack_overflowed() -> Option<usize> {
    extern "C" {
        static __stacks_start: u8;
        static HYP_STACK_SIZE: u8;
    }
    let start = &raw const __stacks_start as usize;
    let size = &raw const HYP_STACK_SIZE as usize;
    // Core n's stack is the n-th from the top, so core CORES-1's is lowest.
    (0..CORES).find(|&core| {
        // core < CORES: the stack area the linker placed, no wrap.
        let bottom = start.wrapping_add((CORES - 1).wrapping_sub(core).wrapping_mul(size));
        // SAFETY: the canary words lie inside the stacks area, which the
        // static band maps read/write for the hypervisor.
        (0..STACK_CANARY_WORDS)
            .any(|i| unsafe { core::ptr::read_volatile(bottom.wrapping_add(i.wrapping_mul(4)) as *const u32) } != STACK_CANARY)
    })
}

//! The one semihosting call the hypervisor makes: reading the command line
//! of a self-test image (feature `selftest`), which names the test to run.
//! The product image has no semihosting at all, and system runs start
//! QEMU without it (`docs/security.md`, "Host"): a run ends with the
//! status line of `crate::run`, and the runner's other inputs come as the
//! boot flags.

/// `SYS_GET_CMDLINE`.
const SYS_GET_CMDLINE: u32 = 0x15;

/// Issues semihosting operation `op` with parameter block `arg`.
///
/// # Safety
/// `arg` must point at the parameter block `op` expects, and QEMU must run
/// with semihosting enabled (otherwise the SVC is taken by the
/// hypervisor's own vector as an unexpected exception).
// A32 even in the T32 hypervisor: `SVC #0x123456` is the A32 semihosting
// call (T32 would be `SVC #0xAB`).
#[instruction_set(arm::a32)]
unsafe fn call(op: u32, arg: *mut u32) -> u32 {
    let ret: u32;
    // SAFETY: the caller upholds the parameter contract; the SVC with this
    // immediate is intercepted by QEMU and returns to the next instruction.
    unsafe {
        core::arch::asm!("svc #0x123456", inout("r0") op => ret, in("r1") arg, options(nostack));
    }
    ret
}

/// Copies the command line (QEMU `-semihosting-config arg=...`) into
/// `buf`; returns its length.
pub fn cmdline(buf: &mut [u8]) -> Option<usize> {
    let mut block = [buf.as_mut_ptr() as u32, buf.len() as u32];
    // SAFETY: a valid block naming a buffer we own; QEMU writes at most
    // `len` bytes and the new length back into the block. Only self-test
    // images call this, and the runner starts them with semihosting.
    let rc = unsafe { call(SYS_GET_CMDLINE, block.as_mut_ptr()) };
    (rc == 0).then_some(block[1] as usize)
}

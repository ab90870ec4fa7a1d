//! The two semihosting calls the QEMU builds use: the command line (to pick
//! a self test or keep running) and exit with a status code.

/// `SYS_GET_CMDLINE`.
const SYS_GET_CMDLINE: u32 = 0x15;
/// `SYS_EXIT_EXTENDED`: exit with a reason and a status code.
const SYS_EXIT_EXTENDED: u32 = 0x20;
/// `ADP_Stopped_ApplicationExit`.
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;

/// Issues semihosting operation `op` with parameter block `arg`.
///
/// # Safety
/// `arg` must point at the parameter block `op` expects, and QEMU must run
/// with semihosting enabled (on a board the trap would be undefined).
unsafe fn call(op: u32, arg: *mut u32) -> u32 {
    let ret: u32;
    // SAFETY: the caller upholds the parameter contract; the SVC with this
    // immediate is intercepted by QEMU and returns to the next instruction.
    unsafe {
        core::arch::asm!("svc #0x123456", inout("r0") op => ret, in("r1") arg, options(nostack));
    }
    ret
}

/// Ends the QEMU run with `code` as its exit status.
pub fn exit(code: u32) -> ! {
    let mut block = [ADP_STOPPED_APPLICATION_EXIT, code];
    // SAFETY: a valid two-word block for SYS_EXIT_EXTENDED.
    unsafe { call(SYS_EXIT_EXTENDED, block.as_mut_ptr()) };
    super::cpu::halt()
}

/// Copies the command line (QEMU `-append`) into `buf`; returns its length.
pub fn cmdline(buf: &mut [u8]) -> Option<usize> {
    let mut block = [buf.as_mut_ptr() as u32, buf.len() as u32];
    // SAFETY: a valid block naming a buffer we own; QEMU writes at most
    // `len` bytes and the new length back into the block.
    let rc = unsafe { call(SYS_GET_CMDLINE, block.as_mut_ptr()) };
    (rc == 0).then_some(block[1] as usize)
}

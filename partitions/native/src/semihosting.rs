//! The two semihosting calls the baseline needs: print a line
//! (`SYS_WRITE0`) and end the QEMU run with a status (`SYS_EXIT_EXTENDED`).
//! QEMU intercepts `SVC #0x123456` at EL1 when run with `-semihosting`.

use core::fmt::{self, Write};

/// `SYS_WRITE0`: print a NUL-terminated string.
const SYS_WRITE0: u32 = 0x04;
/// `SYS_EXIT_EXTENDED`: exit with a reason and a status code.
const SYS_EXIT_EXTENDED: u32 = 0x20;
/// `ADP_Stopped_ApplicationExit`.
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;

/// Issues semihosting operation `op` with parameter `arg`.
///
/// # Safety
/// `arg` must be what `op` expects (a NUL-terminated string for
/// `SYS_WRITE0`, a two-word block for `SYS_EXIT_EXTENDED`), and QEMU must
/// run with semihosting enabled.
unsafe fn call(op: u32, arg: *const u8) -> u32 {
    let ret: u32;
    // SAFETY: the caller upholds the parameter contract; QEMU intercepts
    // this SVC and returns to the next instruction. LR is declared
    // clobbered because a real SVC taken in SVC mode would overwrite it.
    unsafe {
        core::arch::asm!(
            "svc #0x123456",
            inout("r0") op => ret, in("r1") arg, out("lr") _,
            options(nostack)
        );
    }
    ret
}

/// A line buffer with room for the terminating NUL; longer output is cut.
struct Line {
    buf: [u8; 256],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - 1 - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Prints formatted text on QEMU's semihosting console.
pub fn print(args: fmt::Arguments) {
    let mut line = Line {
        buf: [0; 256],
        len: 0,
    };
    let _ = line.write_fmt(args);
    line.buf[line.len] = 0;
    // SAFETY: `line.buf` is NUL-terminated (one byte is always kept free).
    unsafe { call(SYS_WRITE0, line.buf.as_ptr()) };
}

/// Ends the QEMU run with `code` as its exit status.
pub fn exit(code: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code];
    // SAFETY: a valid two-word block for SYS_EXIT_EXTENDED.
    unsafe { call(SYS_EXIT_EXTENDED, block.as_ptr().cast()) };
    loop {
        // SAFETY: WFI only waits; reached only if semihosting is off.
        unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
    }
}

/// Called by the EL1 vectors: an exception the baseline never expects
/// ends the run with exit code `0x100 + vector` instead of hanging.
#[no_mangle]
extern "C" fn native_unexpected(vector: u32, lr: u32) -> ! {
    print(format_args!(
        "[native] unexpected exception: vector {vector}, lr {lr:#010x}\n"
    ));
    exit(0x100 + vector)
}

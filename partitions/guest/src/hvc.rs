//! Hypercall wrappers (ABI in `hypcfg::abi`, `docs/hypercalls.md`).

use hypcfg::abi::{call, PartitionInfo, Status};

/// Raw hypercall: `HVC #0` with r0-r3; returns r0-r3.
#[inline(always)]
pub fn raw(r0: u32, r1: u32, r2: u32, r3: u32) -> [u32; 4] {
    #[cfg(target_arch = "arm")]
    {
        let (mut a, mut b, mut c, mut d) = (r0, r1, r2, r3);
        // SAFETY: HVC traps to the hypervisor, which only changes r0-r3.
        unsafe {
            core::arch::asm!("hvc #0", inout("r0") a, inout("r1") b, inout("r2") c, inout("r3") d,
                options(nostack));
        }
        [a, b, c, d]
    }
    #[cfg(not(target_arch = "arm"))]
    {
        let _ = (r0, r1, r2, r3);
        [Status::UnknownCall.to_reg(), 0, 0, 0]
    }
}

/// Turns r0 into a `Result`: one compare on success, the error decoded
/// out of line (an r0 that is no status is `InvalidArgument`).
#[inline]
pub fn check(r0: u32) -> Result<(), Status> {
    if r0 == Status::Ok.to_reg() {
        Ok(())
    } else {
        Err(error_of(r0))
    }
}

/// The error status r0 (not `Ok`) names.
#[cold]
#[inline(never)]
fn error_of(r0: u32) -> Status {
    match Status::from_reg(r0) {
        Some(Status::Ok) | None => Status::InvalidArgument,
        Some(e) => e,
    }
}

/// The ABI version the hypervisor speaks.
pub fn version() -> u32 {
    raw(call::VERSION, 0, 0, 0)[1]
}

/// The null hypercall.
#[inline(always)]
pub fn nop() {
    raw(call::NOP, 0, 0, 0);
}

/// (partition id, core).
pub fn id() -> (u32, u32) {
    let r = raw(call::PARTITION_ID, 0, 0, 0);
    (r[1], r[2])
}

/// Copies the partition's name into `buf`; returns its length.
pub fn name(buf: &mut [u8]) -> Result<usize, Status> {
    let r = raw(call::PARTITION_NAME, buf.as_mut_ptr() as u32, buf.len() as u32, 0);
    check(r[0]).map(|()| r[1] as usize)
}

/// Writes bytes to the console (the hypervisor prefixes each line).
pub fn console_write(bytes: &[u8]) -> Result<usize, Status> {
    let r = raw(call::CONSOLE_WRITE, bytes.as_ptr() as u32, bytes.len() as u32, 0);
    check(r[0]).map(|()| r[1] as usize)
}

/// Gives the core to the next partition on it.
pub fn yield_now() {
    raw(call::YIELD, 0, 0, 0);
}

/// (counter ticks, frequency in Hz).
pub fn time() -> (u64, u32) {
    let r = raw(call::TIME, 0, 0, 0);
    ((r[2] as u64) << 32 | r[1] as u64, r[3])
}

/// Restarts this partition from its pristine image.
pub fn restart() -> ! {
    raw(call::RESTART, 0, 0, 0);
    // Not reached: the hypervisor restarts the partition instead.
    loop {
        core::hint::spin_loop()
    }
}

/// Stops this partition for good with `code`.
pub fn shutdown(code: u32) -> ! {
    raw(call::SHUTDOWN, code, 0, 0);
    // Not reached: the hypervisor never runs the partition again.
    loop {
        core::hint::spin_loop()
    }
}

/// Id, core, restart count and ABI version.
pub fn info() -> Result<PartitionInfo, Status> {
    let mut info = PartitionInfo::default();
    let r = raw(call::PARTITION_INFO, &mut info as *mut PartitionInfo as u32, 0, 0);
    check(r[0]).map(|()| info)
}

/// Reports a fault this partition took at EL1 to the health monitor.
pub fn report_fault(kind: u32, addr: u32, pc: u32) {
    raw(call::REPORT_FAULT, kind, addr, pc);
}

/// Queues `msg` on channel `ch`.
#[inline]
pub fn send(ch: u32, msg: &[u8]) -> Result<(), Status> {
    check(raw(call::CHANNEL_SEND, ch, msg.as_ptr() as u32, msg.len() as u32)[0])
}

/// Takes the oldest message of channel `ch` into `buf`; returns its length.
#[inline]
pub fn recv(ch: u32, buf: &mut [u8]) -> Result<usize, Status> {
    let r = raw(call::CHANNEL_RECV, ch, buf.as_mut_ptr() as u32, buf.len() as u32);
    check(r[0]).map(|()| r[1] as usize)
}

/// Bitmap of this partition's receive channels with messages waiting.
pub fn poll() -> u32 {
    raw(call::CHANNEL_POLL, 0, 0, 0)[1]
}

//! The hypercall ABI (version 1), shared by the hypervisor and the guest
//! support library. Documented for people in `docs/hypercalls.md`.
//!
//! A guest issues `HVC #0` with the function number in r0 and arguments in
//! r1-r3; the hypervisor returns a status in r0 ([`Status`], 0 = success,
//! negative = error) and results in r1-r3.

/// ABI version: major in the high 16 bits, minor in the low 16 bits.
pub const VERSION: u32 = 1 << 16;

/// Hypercall function numbers (r0).
pub mod call {
    /// r1 <- [`super::VERSION`].
    pub const VERSION: u32 = 0x00;
    /// Does nothing and succeeds (the null hypercall).
    pub const NOP: u32 = 0x01;
    /// r1 <- partition id, r2 <- core.
    pub const PARTITION_ID: u32 = 0x02;
    /// (r1 = buffer, r2 = capacity) -> copies the partition's name, r1 <- length.
    pub const PARTITION_NAME: u32 = 0x03;
    /// (r1 = buffer, r2 = length) -> console output, r1 <- bytes taken.
    pub const CONSOLE_WRITE: u32 = 0x04;
    /// Gives the core to the next partition on it.
    pub const YIELD: u32 = 0x05;
    /// r1:r2 <- counter (low, high), r3 <- counter frequency in Hz.
    pub const TIME: u32 = 0x06;
    /// Restarts the calling partition from its pristine image.
    pub const RESTART: u32 = 0x07;
    /// Stops the calling partition for good; r1 = exit code (reported).
    pub const SHUTDOWN: u32 = 0x08;
    /// (r1 = pointer to a 4-aligned [`super::PartitionInfo`]) -> fills it.
    pub const PARTITION_INFO: u32 = 0x09;
    /// (r1 = kind, r2 = address, r3 = pc): the guest's own exception vector
    /// reports a fault it took at EL1; the health monitor applies the policy.
    pub const REPORT_FAULT: u32 = 0x0A;
    /// (r1 = channel, r2 = buffer, r3 = length): queue one message.
    pub const CHANNEL_SEND: u32 = 0x10;
    /// (r1 = channel, r2 = buffer, r3 = capacity) -> r1 <- message length.
    pub const CHANNEL_RECV: u32 = 0x11;
    /// r1 <- bitmap of the caller's receive channels with messages waiting.
    pub const CHANNEL_POLL: u32 = 0x12;
}

/// Hypercall status codes (r0), as `i32`; 0 is success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// Unknown function number.
    UnknownCall = -1,
    /// A buffer is not inside the caller's own memory.
    BadPointer = -2,
    /// `pointer + length` wraps around the address space.
    Wraparound = -3,
    /// A pointer is not aligned as the call requires.
    Misaligned = -4,
    /// The caller may not write (or read) that buffer.
    Permission = -5,
    /// A length is larger than the call allows.
    TooLong = -6,
    /// No such channel.
    NoChannel = -7,
    /// The caller is not that end of the channel.
    NotOwner = -8,
    /// The channel's queue is full.
    QueueFull = -9,
    /// The channel's queue is empty.
    QueueEmpty = -10,
    /// The message is larger than the channel's message size.
    MessageTooLarge = -11,
    /// The receive buffer is smaller than the waiting message.
    BufferTooSmall = -12,
    /// An argument is out of range.
    InvalidArgument = -13,
    /// The hypervisor could not reach memory it needed for the call (a
    /// transient mapping failed); nothing was changed, and the failure is
    /// reported on the console.
    Internal = -14,
}

impl Status {
    /// The value placed in r0.
    pub const fn to_reg(self) -> u32 {
        self as i32 as u32
    }

    /// Decodes r0; unknown values give `None`.
    pub const fn from_reg(r0: u32) -> Option<Status> {
        Some(match r0 as i32 {
            0 => Status::Ok,
            -1 => Status::UnknownCall,
            -2 => Status::BadPointer,
            -3 => Status::Wraparound,
            -4 => Status::Misaligned,
            -5 => Status::Permission,
            -6 => Status::TooLong,
            -7 => Status::NoChannel,
            -8 => Status::NotOwner,
            -9 => Status::QueueFull,
            -10 => Status::QueueEmpty,
            -11 => Status::MessageTooLarge,
            -12 => Status::BufferTooSmall,
            -13 => Status::InvalidArgument,
            -14 => Status::Internal,
            _ => return None,
        })
    }
}

/// Written by [`call::PARTITION_INFO`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct PartitionInfo {
    /// The partition id.
    pub id: u32,
    /// The core it runs on.
    pub core: u32,
    /// How many times it has been restarted.
    pub restarts: u32,
    /// [`VERSION`].
    pub abi: u32,
}

/// Fault kinds a guest reports with [`call::REPORT_FAULT`].
pub mod fault {
    /// Undefined instruction at EL1.
    pub const UNDEFINED: u32 = 1;
    /// Prefetch abort at EL1 (its own MPU).
    pub const PREFETCH_ABORT: u32 = 2;
    /// Data abort at EL1 (its own MPU).
    pub const DATA_ABORT: u32 = 3;
    /// A Rust panic in the guest.
    pub const PANIC: u32 = 4;
}

/// Virtual INTID of a channel notification: pending for a partition when
/// a message has been queued on one of its receive channels since it last
/// ran (`CHANNEL_POLL` tells which channels).
pub const NOTIFY_INTID: u32 = 8;

/// Longest console write the hypervisor takes in one call.
pub const CONSOLE_MAX: u32 = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_r0() {
        for s in [
            Status::Ok,
            Status::UnknownCall,
            Status::Wraparound,
            Status::InvalidArgument,
            Status::Internal,
        ] {
            assert_eq!(Status::from_reg(s.to_reg()), Some(s));
        }
        assert_eq!(Status::from_reg(0x7FFF_0000), None);
    }
}

//! Hypercall dispatch: decodes r0-r3 of an `HVC #0`, checks every guest
//! pointer against the caller's own memory, and does the call through the
//! narrow [`Env`] seam, so the whole ABI is unit-tested on the host.
//! The ABI itself is in `hypcfg::abi` and `docs/hypercalls.md`.

use hypcfg::abi::{self, call, PartitionInfo, Status};
use hypcfg::ids::{CoreId, PartitionId};

use crate::guest_mem::{self, BufferMap, GuestRead, GuestWrite};

/// What the scheduler must do after the call has returned its registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Return to the caller.
    Resume,
    /// Give the core to the next partition on it.
    Yield,
    /// Restart the caller from its pristine image.
    Restart,
    /// Stop the caller for good, with its exit code.
    Shutdown(u32),
    /// The caller reported a fault it took at EL1 (kind, address, pc).
    Fault {
        /// One of `hypcfg::abi::fault`.
        kind: u32,
        /// Faulting address the guest saw.
        addr: u32,
        /// Guest PC of the fault.
        pc: u32,
    },
}

/// Registers r0-r3 of the caller after the call.
pub type Regs = [u32; 4];

/// What the dispatcher needs from the partition that called.
pub trait Env {
    /// The caller's partition id.
    fn id(&self) -> PartitionId;
    /// The core it runs on.
    fn core(&self) -> CoreId;
    /// Its name.
    fn name(&self) -> &str;
    /// How many times it has been restarted.
    fn restarts(&self) -> u32;
    /// Where its buffers may lie (its band's memory regions).
    fn buffers(&self) -> &BufferMap;
    /// Copies the first `buf.len()` bytes of the checked buffer `src`
    /// into `buf` (never more than `src.len()`).
    fn read_guest(&mut self, src: &GuestRead, buf: &mut [u8]);
    /// Copies `data` to the start of the checked buffer `dst` (never more
    /// than `dst.len()` bytes).
    fn write_guest(&mut self, dst: &GuestWrite, data: &[u8]);
    /// Takes console output from the caller.
    fn console(&mut self, bytes: &[u8]);
    /// The counter value and its frequency.
    fn counter(&self) -> (u64, u32);
    /// Sends the checked buffer `msg` on channel `ch`.
    fn channel_send(&mut self, ch: u32, msg: &GuestRead) -> Result<(), Status>;
    /// Receives into the checked buffer `dst`; returns the length.
    fn channel_recv(&mut self, ch: u32, dst: &GuestWrite) -> Result<u32, Status>;
    /// Bitmap of the caller's receive channels with messages waiting.
    fn channel_poll(&mut self) -> u32;
}

/// Writes a result: status in r0, values in r1-r3.
#[inline(always)]
fn ret(r: &mut Regs, s: Status, r1: u32, r2: u32, r3: u32) -> Effect {
    *r = [s.to_reg(), r1, r2, r3];
    Effect::Resume
}

#[inline(always)]
fn ok(r: &mut Regs, r1: u32, r2: u32, r3: u32) -> Effect {
    ret(r, Status::Ok, r1, r2, r3)
}

#[inline(always)]
fn err(r: &mut Regs, s: Status) -> Effect {
    ret(r, s, 0, 0, 0)
}

/// Runs hypercall `r[0]` with arguments `r[1..4]` for the caller in `env`,
/// writing the results into `r` (the caller's r0-r3) in place.
pub fn dispatch(r: &mut Regs, env: &mut impl Env) -> Effect {
    let [func, a1, a2, a3] = *r;
    match func {
        call::NOP => ok(r, 0, 0, 0),
        call::VERSION => ok(r, abi::VERSION, 0, 0),
        call::PARTITION_ID => ok(r, env.id().0 as u32, env.core().0 as u32, 0),
        call::PARTITION_NAME => partition_name(r, a1, a2, env),
        call::CONSOLE_WRITE => console_write(r, a1, a2, env),
        call::YIELD => {
            ok(r, 0, 0, 0);
            Effect::Yield
        }
        call::TIME => {
            let (count, freq) = env.counter();
            ok(r, count as u32, (count >> 32) as u32, freq)
        }
        call::RESTART => {
            ok(r, 0, 0, 0);
            Effect::Restart
        }
        call::SHUTDOWN => {
            ok(r, 0, 0, 0);
            Effect::Shutdown(a1)
        }
        call::PARTITION_INFO => partition_info(r, a1, env),
        call::REPORT_FAULT => {
            ok(r, 0, 0, 0);
            Effect::Fault {
                kind: a1,
                addr: a2,
                pc: a3,
            }
        }
        call::CHANNEL_SEND => match guest_mem::check_read(env.buffers(), a2, a3, 1) {
            Err(e) => err(r, e),
            Ok(msg) => match env.channel_send(a1, &msg) {
                Ok(()) => ok(r, 0, 0, 0),
                Err(e) => err(r, e),
            },
        },
        call::CHANNEL_RECV => match guest_mem::check_write(env.buffers(), a2, a3, 1) {
            Err(e) => err(r, e),
            Ok(dst) => match env.channel_recv(a1, &dst) {
                Ok(n) => ok(r, n, 0, 0),
                Err(e) => err(r, e),
            },
        },
        call::CHANNEL_POLL => {
            let bits = env.channel_poll();
            ok(r, bits, 0, 0)
        }
        _ => err(r, Status::UnknownCall),
    }
}

fn partition_name(r: &mut Regs, ptr: u32, cap: u32, env: &mut impl Env) -> Effect {
    let dst = match guest_mem::check_write(env.buffers(), ptr, cap, 1) {
        Ok(dst) => dst,
        Err(e) => return err(r, e),
    };
    let mut buf = [0u8; hypcfg::system::MAX_NAME];
    let name = env.name().as_bytes();
    let n = name.len().min(buf.len());
    // Byte by byte: `copy_from_slice`'s length check (which the compiler
    // cannot see through here) would pull `core::fmt` into the image.
    for (to, from) in buf.iter_mut().zip(name) {
        *to = *from;
    }
    if (cap as usize) < n {
        return err(r, Status::TooLong);
    }
    env.write_guest(&dst, buf.get(..n).unwrap_or_default());
    ok(r, n as u32, 0, 0)
}

fn console_write(r: &mut Regs, ptr: u32, len: u32, env: &mut impl Env) -> Effect {
    if len > abi::CONSOLE_MAX {
        return err(r, Status::TooLong);
    }
    let src = match guest_mem::check_read(env.buffers(), ptr, len, 1) {
        Ok(src) => src,
        Err(e) => return err(r, e),
    };
    // Copy once into hypervisor memory: the bytes printed are the bytes
    // checked, whatever another core does to shared memory meanwhile.
    let mut buf = [0u8; abi::CONSOLE_MAX as usize];
    let Some(bytes) = buf.get_mut(..len as usize) else {
        return err(r, Status::TooLong);
    };
    env.read_guest(&src, bytes);
    env.console(bytes);
    ok(r, len, 0, 0)
}

fn partition_info(r: &mut Regs, ptr: u32, env: &mut impl Env) -> Effect {
    let size = core::mem::size_of::<PartitionInfo>() as u32;
    let dst = match guest_mem::check_write(env.buffers(), ptr, size, 4) {
        Ok(dst) => dst,
        Err(e) => return err(r, e),
    };
    // The four words little-endian in one `u128`: no slice copy whose
    // length check would pull `core::fmt` into the image.
    let words = u128::from(env.id().0)
        | u128::from(env.core().0) << 32
        | u128::from(env.restarts()) << 64
        | u128::from(abi::VERSION) << 96;
    env.write_guest(&dst, &words.to_le_bytes());
    ok(r, 0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
    use hypcfg::system::{PartitionRegion, RegionKind};

    const RAM: u32 = 0x2001_0000;

    struct Fake {
        buffers: BufferMap,
        ram: Vec<u8>,
        console: Vec<u8>,
        sent: Vec<(u32, Vec<u8>)>,
    }

    impl Fake {
        fn new() -> Self {
            let words = |base: u32, access| {
                RegionWords::encode(
                    base,
                    base + 0xFFFF,
                    Attrs {
                        access,
                        xn: true,
                        mem: MemType::Normal,
                    },
                )
                .unwrap()
            };
            Fake {
                buffers: BufferMap::of(&[
                    PartitionRegion {
                        name: "code".try_into().unwrap(),
                        kind: RegionKind::Memory,
                        words: words(0x2000_0000, Access::GuestRo),
                    },
                    PartitionRegion {
                        name: "data".try_into().unwrap(),
                        kind: RegionKind::Memory,
                        words: words(RAM, Access::GuestRw),
                    },
                ]),
                ram: vec![0; 0x1_0000],
                console: Vec::new(),
                sent: Vec::new(),
            }
        }
    }

    impl Env for Fake {
        fn id(&self) -> PartitionId {
            PartitionId(2)
        }
        fn core(&self) -> CoreId {
            CoreId(1)
        }
        fn name(&self) -> &str {
            "sensor"
        }
        fn restarts(&self) -> u32 {
            3
        }
        fn buffers(&self) -> &BufferMap {
            &self.buffers
        }
        fn read_guest(&mut self, src: &GuestRead, buf: &mut [u8]) {
            let off = (src.addr() - RAM) as usize;
            let n = buf.len().min(src.len() as usize);
            buf[..n].copy_from_slice(&self.ram[off..off + n]);
        }
        fn write_guest(&mut self, dst: &GuestWrite, data: &[u8]) {
            let off = (dst.addr() - RAM) as usize;
            let n = data.len().min(dst.len() as usize);
            self.ram[off..off + n].copy_from_slice(&data[..n]);
        }
        fn console(&mut self, bytes: &[u8]) {
            self.console.extend_from_slice(bytes);
        }
        fn counter(&self) -> (u64, u32) {
            (0x1_2345_6789, 62_500_000)
        }
        fn channel_send(&mut self, ch: u32, msg: &GuestRead) -> Result<(), Status> {
            let mut b = vec![0; msg.len() as usize];
            self.read_guest(msg, &mut b);
            self.sent.push((ch, b));
            Ok(())
        }
        fn channel_recv(&mut self, _ch: u32, _dst: &GuestWrite) -> Result<u32, Status> {
            Err(Status::QueueEmpty)
        }
        fn channel_poll(&mut self) -> u32 {
            0b10
        }
    }

    /// Runs a call and returns (r0-r3, effect), as the tests read it.
    fn dispatch(mut r: Regs, env: &mut Fake) -> (Regs, Effect) {
        let e = super::dispatch(&mut r, env);
        (r, e)
    }

    fn ok(r1: u32, r2: u32, r3: u32) -> (Regs, Effect) {
        ([0, r1, r2, r3], Effect::Resume)
    }

    fn st(r0: u32) -> Status {
        Status::from_reg(r0).unwrap()
    }

    #[test]
    fn version_and_null_call_succeed() {
        let mut f = Fake::new();
        assert_eq!(dispatch([call::VERSION, 0, 0, 0], &mut f), ok(abi::VERSION, 0, 0));
        assert_eq!(dispatch([call::NOP, 9, 9, 9], &mut f), ok(0, 0, 0));
    }

    #[test]
    fn unknown_call_returns_error_and_resumes() {
        let mut f = Fake::new();
        let (r, e) = dispatch([0xDEAD, 0, 0, 0], &mut f);
        assert_eq!(st(r[0]), Status::UnknownCall);
        assert_eq!(e, Effect::Resume);
    }

    #[test]
    fn id_name_and_time() {
        let mut f = Fake::new();
        assert_eq!(dispatch([call::PARTITION_ID, 0, 0, 0], &mut f), ok(2, 1, 0));
        let (r, _) = dispatch([call::PARTITION_NAME, RAM + 8, 24, 0], &mut f);
        assert_eq!((st(r[0]), r[1]), (Status::Ok, 6));
        assert_eq!(&f.ram[8..14], b"sensor");
        assert_eq!(
            dispatch([call::TIME, 0, 0, 0], &mut f),
            ok(0x2345_6789, 1, 62_500_000)
        );
    }

    #[test]
    fn name_into_too_small_buffer_is_too_long() {
        let mut f = Fake::new();
        let (r, _) = dispatch([call::PARTITION_NAME, RAM, 3, 0], &mut f);
        assert_eq!(st(r[0]), Status::TooLong);
        assert_eq!(&f.ram[..3], &[0, 0, 0]);
    }

    #[test]
    fn console_write_copies_checked_bytes() {
        let mut f = Fake::new();
        f.ram[..6].copy_from_slice(b"hello\n");
        assert_eq!(dispatch([call::CONSOLE_WRITE, RAM, 6, 0], &mut f), ok(6, 0, 0));
        assert_eq!(f.console, b"hello\n");
    }

    #[test]
    fn console_write_with_bad_pointer_wraparound_or_length_is_refused() {
        let mut f = Fake::new();
        let (r, _) = dispatch([call::CONSOLE_WRITE, 0x1000_0000, 4, 0], &mut f);
        assert_eq!(st(r[0]), Status::BadPointer);
        let (r, _) = dispatch([call::CONSOLE_WRITE, 0xFFFF_FFF0, 0x20, 0], &mut f);
        assert_eq!(st(r[0]), Status::Wraparound);
        let (r, _) = dispatch([call::CONSOLE_WRITE, RAM, abi::CONSOLE_MAX + 1, 0], &mut f);
        assert_eq!(st(r[0]), Status::TooLong);
        assert!(f.console.is_empty());
    }

    #[test]
    fn partition_info_needs_aligned_writable_buffer() {
        let mut f = Fake::new();
        let (r, _) = dispatch([call::PARTITION_INFO, RAM + 2, 0, 0], &mut f);
        assert_eq!(st(r[0]), Status::Misaligned);
        let (r, _) = dispatch([call::PARTITION_INFO, 0x2000_0000, 0, 0], &mut f);
        assert_eq!(st(r[0]), Status::Permission);
        assert_eq!(
            dispatch([call::PARTITION_INFO, RAM + 16, 0, 0], &mut f),
            ok(0, 0, 0)
        );
        assert_eq!(&f.ram[16..20], &2u32.to_le_bytes());
        assert_eq!(&f.ram[24..28], &3u32.to_le_bytes());
    }

    #[test]
    fn scheduling_calls_produce_effects() {
        let mut f = Fake::new();
        assert_eq!(dispatch([call::YIELD, 0, 0, 0], &mut f).1, Effect::Yield);
        assert_eq!(dispatch([call::RESTART, 0, 0, 0], &mut f).1, Effect::Restart);
        assert_eq!(dispatch([call::SHUTDOWN, 7, 0, 0], &mut f).1, Effect::Shutdown(7));
        assert_eq!(
            dispatch([call::REPORT_FAULT, 1, 2, 3], &mut f).1,
            Effect::Fault {
                kind: 1,
                addr: 2,
                pc: 3
            }
        );
    }

    #[test]
    fn channel_calls_check_buffers_first() {
        let mut f = Fake::new();
        let (r, _) = dispatch([call::CHANNEL_SEND, 0, 0x2010_0000, 8], &mut f);
        assert_eq!(st(r[0]), Status::BadPointer);
        assert!(f.sent.is_empty());
        f.ram[..3].copy_from_slice(b"abc");
        assert_eq!(dispatch([call::CHANNEL_SEND, 1, RAM, 3], &mut f), ok(0, 0, 0));
        assert_eq!(f.sent, vec![(1, b"abc".to_vec())]);
        let (r, _) = dispatch([call::CHANNEL_RECV, 0, 0x2000_0000, 8], &mut f);
        assert_eq!(st(r[0]), Status::Permission);
        let (r, _) = dispatch([call::CHANNEL_RECV, 0, RAM, 8], &mut f);
        assert_eq!(st(r[0]), Status::QueueEmpty);
        assert_eq!(dispatch([call::CHANNEL_POLL, 0, 0, 0], &mut f), ok(0b10, 0, 0));
    }
}

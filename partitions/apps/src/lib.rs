//! Shared pieces of the demo and test partitions: the reading message
//! format, the benchmark workload, and `partition!` (the generated
//! constants of the partition a program runs as).
#![no_std]

pub mod benchkit;
pub mod ctx;
pub mod irqbench;
pub mod racer;
pub mod workload;

/// Reads a CP15 register at EL1 with `MRC p15, 0, <Rt>, <crn>, <crm>,
/// <opc2>`, starting from a marker value (`0xDEAD_BEEF`) so a destination
/// the hypervisor leaves alone shows. For the hostile PMU tests: the
/// hypervisor traps these (HDCR.TPM) and refuses them, writing 0; under a
/// `log` policy the partition resumes after the instruction.
#[macro_export]
macro_rules! mrc15 {
    ($crn:literal, $crm:literal, $opc2:literal) => {{
        let mut v: u32 = 0xDEAD_BEEF;
        // SAFETY: a PMU register read the hypervisor traps and refuses
        // (writing 0); it touches no memory.
        unsafe {
            core::arch::asm!(
                concat!("mrc p15, 0, {0}, ", $crn, ", ", $crm, ", ", $opc2),
                inout(reg) v, options(nostack)
            )
        };
        v
    }};
}

/// Declares `mod hv`, the constants of the partition this program runs
/// as, generated from the system file (its channel ids `CHAN_TX_<name>` /
/// `CHAN_RX_<name>`, regions, id...: `docs/config.md`, "Generated
/// constants"). `partitions/apps/build.rs` writes them per binary: the
/// system's in a system build, else those of the first tree system that
/// runs the binary. A system naming a channel differently fails to compile
/// the program, instead of it using another channel's id.
#[macro_export]
macro_rules! partition {
    () => {
        /// This partition's constants, generated from the system file.
        #[allow(dead_code)]
        mod hv {
            include!(concat!(env!("OUT_DIR"), "/", env!("CARGO_BIN_NAME"), ".rs"));
        }
    };
}

/// Number of readings the sensor produces before it shuts down.
pub const READING_COUNT: u32 = 8;

/// One wheel-speed reading as it travels over the `readings` channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Sequence number.
    pub seq: u32,
    /// Wheel speed in rpm.
    pub rpm: u32,
}

impl Reading {
    /// Wire size.
    pub const SIZE: usize = 8;

    /// Encodes to the wire format (little-endian).
    pub fn to_bytes(self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[..4].copy_from_slice(&self.seq.to_le_bytes());
        b[4..].copy_from_slice(&self.rpm.to_le_bytes());
        b
    }

    /// Decodes the wire format.
    pub fn from_bytes(b: &[u8]) -> Option<Reading> {
        let seq = u32::from_le_bytes(b.get(..4)?.try_into().ok()?);
        let rpm = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?);
        Some(Reading { seq, rpm })
    }
}

/// Yield round trips the `bench` partition measures against `benchpeer`.
pub const BENCH_SWITCH_ROUNDS: u32 = 5_000;

/// Message sizes of the IPC benchmark.
pub const BENCH_IPC_SIZES: [usize; 4] = [8, 64, 256, 1024];
/// Messages sent per batch (the channel's depth).
pub const BENCH_IPC_BATCH: u32 = 16;
/// Batches per message size.
pub const BENCH_IPC_ROUNDS: u32 = 40;

/// Single operations timed one by one for a worst case (`*_max`): null
/// hypercalls, timer interrupts and 64-byte sends / receives. A multiple
/// of 16 (whole sweeps of the padding) and of [`BENCH_IPC_BATCH`].
pub const BENCH_SAMPLES: u32 = 10_000;
/// Yields each of `bench` and `benchpeer` times alone: twice this many
/// partition switches.
pub const BENCH_SWITCH_SAMPLES: u32 = 5_000;

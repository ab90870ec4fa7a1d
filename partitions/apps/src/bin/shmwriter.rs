//! Test: fills the shared block `telemetry` (read/write for it) with a
//! pattern and tells the reader over a channel.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

/// The `telemetry` block (tools/runner/tests/systems/shm.toml).
const SHARED: u32 = 0x2030_0000;
const WORDS: u32 = 256;
/// Channel `ready`: shmwriter -> shmreader.
const READY: u32 = hv::CHAN_TX_READY;

fn main() -> u32 {
    for i in 0..WORDS {
        // SAFETY: the shared block is mapped read/write for this partition.
        unsafe { core::ptr::write_volatile((SHARED + 4 * i) as *mut u32, 0xFEED_0000 | i) };
    }
    println!("wrote {} words to shared memory", WORDS);
    if hvc::send(READY, b"ready").is_err() {
        return 1;
    }
    0
}

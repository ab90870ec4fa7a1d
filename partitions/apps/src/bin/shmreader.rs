//! Test: reads what the writer put in the shared block (mapped read-only
//! here), then tries to write it, which the hypervisor stops (log policy).
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

const SHARED: u32 = 0x2030_0000;
const WORDS: u32 = 256;
const READY: u32 = hv::CHAN_RX_READY;

fn main() -> u32 {
    let mut buf = [0u8; 8];
    loop {
        match hvc::recv(READY, &mut buf) {
            Ok(_) => break,
            Err(Status::QueueEmpty) => hvc::yield_now(),
            Err(_) => return 1,
        }
    }
    // SAFETY: the shared block is mapped read-only for this partition.
    let good = (0..WORDS)
        .all(|i| unsafe { core::ptr::read_volatile((SHARED + 4 * i) as *const u32) } == 0xFEED_0000 | i);
    println!(
        "shared memory {}",
        if good {
            "holds the writer's data"
        } else {
            "is WRONG"
        }
    );
    println!("trying to write the read-only shared block");
    // SAFETY: deliberately refused: the block is read-only for this partition.
    unsafe { core::ptr::write_volatile(SHARED as *mut u32, 0) };
    println!("write to read-only shared memory was skipped");
    if good {
        0
    } else {
        1
    }
}

//! Test: receives, on the same core as its sender (`pinger`), the
//! `local` channel's messages and checks their order.
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

/// Channel `local`: pinger -> samecore (both on core 0).
const LOCAL: u32 = hv::CHAN_RX_LOCAL;
/// Messages pinger sends on `local`.
const COUNT: u32 = 100;

fn main() -> u32 {
    let mut next = 0u32;
    let mut buf = [0u8; 8];
    while next < COUNT {
        match hvc::recv(LOCAL, &mut buf) {
            Ok(4) if u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) == next => next += 1,
            Ok(n) => {
                println!("same-core message #{} wrong ({} bytes)", next, n);
                return 1;
            }
            Err(Status::QueueEmpty) => hvc::yield_now(),
            Err(e) => {
                println!("recv failed: {:?}", e);
                return 1;
            }
        }
    }
    println!("same-core: {} messages in order", next);
    0
}

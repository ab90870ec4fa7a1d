//! Demo: the controller consumes wheel-speed readings and computes a
//! traction-control torque command for each.
#![no_std]
#![no_main]

use apps::{Reading, READING_COUNT};
use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

fn main() -> u32 {
    println!("traction controller up, waiting for readings");
    let mut expected = 0;
    let mut buf = [0u8; 64];
    while expected < READING_COUNT {
        match hvc::recv(hv::CHAN_RX_READINGS, &mut buf) {
            Ok(n) => {
                let Some(r) = Reading::from_bytes(&buf[..n]) else {
                    println!("malformed reading ({} bytes)", n);
                    return 1;
                };
                if r.seq != expected {
                    println!("reading #{} out of order (expected #{})", r.seq, expected);
                    return 1;
                }
                let torque = 100 - (r.rpm.saturating_sub(1200) / 8).min(100);
                println!("reading #{}: {} rpm -> torque {}%", r.seq, r.rpm, torque);
                expected += 1;
            }
            Err(Status::QueueEmpty) => hvc::yield_now(),
            Err(e) => {
                println!("recv failed: {:?}", e);
                return 1;
            }
        }
    }
    println!("all {} readings processed, shutting down", READING_COUNT);
    0
}

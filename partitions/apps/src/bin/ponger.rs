//! Test: receives the pinger's flood on the other core and checks that no
//! message is lost, duplicated, reordered or damaged; then replies.
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

const FLOOD: u32 = hv::CHAN_RX_FLOOD;
const REPLY: u32 = hv::CHAN_TX_REPLY;
const COUNT: u32 = 10_000;

fn word(m: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([m[i * 4], m[i * 4 + 1], m[i * 4 + 2], m[i * 4 + 3]])
}

fn main() -> u32 {
    let mut small_checked = false;
    let mut next = 0u32;
    let mut buf = [0u8; 32];
    while next < COUNT {
        if !small_checked {
            match hvc::recv(FLOOD, &mut buf[..4]) {
                Err(Status::BufferTooSmall) => {
                    println!("recv into a 4-byte buffer: BufferTooSmall (as expected)");
                    small_checked = true;
                }
                Err(Status::QueueEmpty) => hvc::yield_now(),
                other => {
                    println!("recv into a 4-byte buffer: {:?} (WRONG)", other.err());
                    return 1;
                }
            }
            continue;
        }
        match hvc::recv(FLOOD, &mut buf) {
            Ok(n) => {
                let m = &buf[..n];
                let sum = (0..4).fold(0u32, |a, i| a.wrapping_add(word(m, i)));
                if n != 20 || word(m, 0) != next || word(m, 4) != sum {
                    println!(
                        "message #{} damaged or out of order (got seq {}, {} bytes)",
                        next,
                        word(m, 0),
                        n
                    );
                    return 1;
                }
                next += 1;
            }
            Err(Status::QueueEmpty) => hvc::yield_now(),
            Err(e) => {
                println!("recv failed: {:?}", e);
                return 1;
            }
        }
    }
    println!("received {} messages in order, checksums good", next);
    let _ = hvc::send(REPLY, &next.to_le_bytes());
    0
}

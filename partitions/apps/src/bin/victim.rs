//! Test: keeps a canary pattern in its memory and counts heartbeats until
//! the attacker says it is done; then checks the canary and reports.
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);

const DONE: u32 = 0;
static mut CANARY: [u32; 16] = [0; 16];

fn main() -> u32 {
    // SAFETY: single-threaded partition; no other code touches CANARY.
    let canary = unsafe { &mut *(&raw mut CANARY) };
    for (i, w) in canary.iter_mut().enumerate() {
        *w = 0xC0DE_0000 | i as u32;
    }
    println!("victim up, canary set");
    let mut beats = 0u32;
    let mut buf = [0u8; 16];
    loop {
        match hvc::recv(DONE, &mut buf) {
            Ok(_) => break,
            Err(Status::QueueEmpty) => {
                beats += 1;
                if beats % 2000 == 0 {
                    println!("heartbeat {}", beats / 2000);
                }
                hvc::yield_now();
            }
            Err(e) => {
                println!("recv failed: {:?}", e);
                return 1;
            }
        }
    }
    let intact = canary
        .iter()
        .enumerate()
        .all(|(i, &w)| w == 0xC0DE_0000 | i as u32);
    println!(
        "attacker finished; canary {}",
        if intact { "intact" } else { "CORRUPTED" }
    );
    if intact {
        0
    } else {
        1
    }
}

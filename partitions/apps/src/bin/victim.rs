//! Test: keeps a canary pattern in its memory and counts heartbeats until
//! the attacker says it is done; then checks the canary and reports.
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

const DONE: u32 = hv::CHAN_RX_DONE;
static mut CANARY: [u32; 16] = [0; 16];

fn main() -> u32 {
    let canary = (&raw mut CANARY).cast::<u32>();
    for i in 0..16 {
        // SAFETY: in bounds of CANARY; single-threaded partition, volatile so
        // the check below reads memory, not a register.
        unsafe { canary.wrapping_add(i).write_volatile(0xC0DE_0000 | i as u32) };
    }
    println!("victim up, canary set");
    let mut beats = 0u32;
    let mut buf = [0u8; 16];
    loop {
        match hvc::recv(DONE, &mut buf) {
            Ok(_) => break,
            Err(Status::QueueEmpty) => {
                beats += 1;
                if beats.is_multiple_of(2000) {
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
    // SAFETY: as above.
    let intact = (0..16).all(|i| unsafe { canary.wrapping_add(i).read_volatile() } == 0xC0DE_0000 | i as u32);
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

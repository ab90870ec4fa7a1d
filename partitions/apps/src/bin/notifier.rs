//! Test: sends 20 messages to `waiter` on the other core, a little apart
//! in time, so the waiter is asleep when most of them arrive.
#![no_std]
#![no_main]

use guest::irq::vtimer;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

const TO_WAITER: u32 = hv::CHAN_TX_TO_WAITER;

fn main() -> u32 {
    let gap = vtimer::frequency() as u64 / 5000; // 0.2 ms
    for seq in 0..20u32 {
        let until = vtimer::now() + gap;
        while vtimer::now() < until {}
        if let Err(e) = hvc::send(TO_WAITER, &seq.to_le_bytes()) {
            println!("send #{} failed: {:?}", seq, e);
            return 1;
        }
    }
    println!("sent 20 messages");
    0
}

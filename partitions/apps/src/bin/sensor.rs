//! Demo: the sensor partition samples a (simulated) wheel-speed sensor and
//! publishes each reading to the controller over the `readings` channel.
#![no_std]
#![no_main]

use apps::{Reading, READING_COUNT};
use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

fn main() -> u32 {
    println!("wheel-speed sensor up, publishing {} readings", READING_COUNT);
    for seq in 0..READING_COUNT {
        let rpm = 1200 + (seq * 137) % 400;
        let msg = Reading { seq, rpm }.to_bytes();
        loop {
            match hvc::send(hv::CHAN_TX_READINGS, &msg) {
                Ok(()) => break,
                Err(Status::QueueFull) => hvc::yield_now(),
                Err(e) => {
                    println!("send failed: {:?}", e);
                    return 1;
                }
            }
        }
        println!("reading #{}: {} rpm sent", seq, rpm);
        hvc::yield_now();
    }
    println!("all readings sent, shutting down");
    0
}

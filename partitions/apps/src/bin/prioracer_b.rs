//! Test: the priority race on core 1 (see `apps::racer`; one binary per
//! partition, each linked for its own memory).
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

fn main() -> u32 {
    match apps::racer::run() {
        Some(lost) => {
            println!(
                "{} priority writes to a shared word, {} lost",
                apps::racer::WRITES,
                lost
            );
            (lost != 0) as u32
        }
        None => {
            println!("owns none of INTIDs 40..43");
            1
        }
    }
}

//! Test: the priority race on core 0 (see `apps::racer`).
#![no_std]
#![no_main]

guest::entry!(main);

fn main() -> u32 {
    apps::racer::run()
}

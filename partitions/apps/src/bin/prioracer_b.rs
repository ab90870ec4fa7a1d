//! Test: the priority race on core 1 (see `apps::racer`; one binary per
//! partition, each linked for its own memory).
#![no_std]
#![no_main]

guest::entry!(main);

fn main() -> u32 {
    apps::racer::run()
}

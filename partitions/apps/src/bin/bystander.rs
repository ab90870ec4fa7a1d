//! Test: the victim of the hostile-partition tests. It computes the same
//! eight checksums every run, printing one line each, then its run time
//! in counter time (the only line that differs between runs) and shuts
//! down with 0: its output is what a hostile neighbour must not change.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);

/// Steps of the workload; each prints one line.
const STEPS: u32 = 8;
/// Iterations of the checksum per step.
const ROUNDS: u32 = 1_500_000;

fn main() -> u32 {
    println!("bystander up");
    let (t0, hz) = hvc::time();
    let mut x: u32 = 1;
    for step in 0..STEPS {
        for _ in 0..ROUNDS {
            x = core::hint::black_box(x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223));
        }
        println!("step {}: checksum {:08x}", step, x);
    }
    let (t1, _) = hvc::time();
    println!("bystander done");
    println!("took {} us", (t1 - t0) * 1_000_000 / u64::from(hz.max(1)));
    0
}

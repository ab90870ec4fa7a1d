//! Test victim: a fixed computation in ten steps, each printed with its
//! result, then `done`. It shares a core with a hostile partition: the
//! test checks that every step arrives with the value it has when the
//! partition runs alone (`tools/runner/tests/qemu_irq.rs` computes it).
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

/// Steps and iterations per step (enough to span several windows).
const STEPS: u32 = 10;
const ROUNDS: u32 = 50_000;

fn main() -> u32 {
    let mut x: u32 = 0;
    for step in 1..=STEPS {
        for i in 0..ROUNDS {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223) ^ i;
        }
        // Keep the loop from being folded at compile time.
        x = core::hint::black_box(x);
        println!("step {}: {:#010x}", step, x);
    }
    println!("done: {} steps", STEPS);
    0
}

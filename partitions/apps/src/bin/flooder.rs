//! Test (hostile): prints in a tight loop to drown the console. Named
//! `flooder` it prints `FLOOD` lines; named anything else (`quiet`, the
//! baseline the victim's timing is compared with) it does the same work,
//! formatting each line and making a console hypercall, but hands the
//! hypervisor an empty buffer, so nothing is printed. Then it waits a
//! while and prints a last line, before which the hypervisor reports how
//! many of its lines it dropped.
#![no_std]
#![no_main]

use core::fmt::Write;

use guest::console::Console;
use guest::{hvc, println};

guest::entry!(main);

/// Lines it tries to print.
const FLOOD: u32 = 3_000;

fn main() -> u32 {
    let mut name = [0u8; 16];
    let n = hvc::name(&mut name).unwrap_or(0);
    let loud = &name[..n] == b"flooder";
    for i in 0..FLOOD {
        if loud {
            println!("flood line {}", i);
        } else {
            let mut c = Console::new();
            let _ = writeln!(c, "flood line {}", i);
            let _ = hvc::console_write(&[]);
        }
    }
    // Long enough for the budget to allow one more line (50 per second).
    let (t0, hz) = hvc::time();
    while hvc::time().0 - t0 < u64::from(hz) / 20 {
        hvc::yield_now();
    }
    println!("flood over: tried {} lines", if loud { FLOOD } else { 0 });
    0
}

//! Test: the partition after `pmuwriter` on its core (policy `log`). Once
//! the writer is done it reads every PMU register the writer set: each
//! read must be refused, reported and give 0, so nothing of the writer
//! (its counts, its marks, its enables) reaches it.
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

/// Channel `done`: pmuwriter -> pmureader.
const DONE: u32 = hv::CHAN_RX_DONE;

fn main() -> u32 {
    let mut buf = [0u8; 8];
    loop {
        match hvc::recv(DONE, &mut buf) {
            Ok(_) => break,
            Err(Status::QueueEmpty) => hvc::yield_now(),
            Err(e) => {
                println!("recv failed: {:?}", e);
                return 1;
            }
        }
    }
    println!("writer done; reading the PMU");
    let reads: [(&str, &dyn Fn() -> u32); 8] = [
        ("PMCR", &|| apps::mrc15!("c9", "c12", "0")),
        ("PMCNTENSET", &|| apps::mrc15!("c9", "c12", "1")),
        ("PMSELR", &|| apps::mrc15!("c9", "c12", "5")),
        ("PMXEVCNTR", &|| apps::mrc15!("c9", "c13", "2")),
        ("PMCCNTR", &|| apps::mrc15!("c9", "c13", "0")),
        ("PMUSERENR", &|| apps::mrc15!("c9", "c14", "0")),
        ("PMINTENSET", &|| apps::mrc15!("c9", "c14", "1")),
        ("PMCCNTR (64-bit)", &|| {
            let (mut lo, mut hi) = (0xDEAD_BEEFu32, 0xDEAD_BEEFu32);
            // SAFETY: as for `mrc15!`: both destinations are written with 0.
            unsafe {
                core::arch::asm!("mrrc p15, 0, {}, {}, c9", inout(reg) lo, inout(reg) hi, options(nostack))
            };
            if lo == 0xDEAD_BEEF && hi == 0xDEAD_BEEF {
                0xDEAD_BEEF
            } else {
                lo | hi
            }
        }),
    ];
    let mut seen = 0;
    for (reg, r) in reads.iter() {
        let v = r();
        if v == 0xDEAD_BEEF {
            // Its destination was never written: the instruction did not
            // execute (an undefined encoding on this core), so it read
            // nothing either.
            println!("read {}: not executed", reg);
            continue;
        }
        println!("read {} = {:#010x}", reg, v);
        seen |= v;
    }
    if seen == 0 {
        println!("saw nothing of the writer");
        0
    } else {
        println!("saw PMU state: WRONG");
        1
    }
}

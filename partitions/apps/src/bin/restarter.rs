//! Test: a hostile partition that storms the hypervisor from a core it
//! shares with a victim: in every life it makes a burst of hypercalls,
//! faults once (its `log` policy resumes it), and asks to be restarted,
//! which reloads its image and clears all its memory (32 MiB in
//! `windows_attack.toml`). The victim's windows must start on time
//! anyway: the reload is charged to this partition's own windows.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);

/// Lives before it stops by itself (so the run ends).
const LIVES: u32 = 12;
/// Null hypercalls per life.
const CALLS: u32 = 2_000;
/// The hypervisor's data (BRAM): reading it is a stage-2 fault.
const HYP_DATA: u32 = 0x1000_8000;

fn main() -> u32 {
    let life = hvc::info().map(|i| i.restarts).unwrap_or(0);
    if life >= LIVES {
        println!("{} lives, stopping", LIVES);
        return 0;
    }
    if life.is_multiple_of(4) {
        println!("life {}: hypercalls, a fault, then a restart", life + 1);
    }
    for _ in 0..CALLS {
        hvc::nop();
    }
    // SAFETY: deliberately invalid: the stage-2 MPU stops this read and
    // the `log` policy resumes after it.
    unsafe { core::ptr::read_volatile(HYP_DATA as *const u32) };
    hvc::restart()
}

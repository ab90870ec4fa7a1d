//! Test: lazy FP switching, the heavy FP user (`qemu_lazyfp`). Each round
//! fills d0-d31 and FPSCR with a pattern of its own, gives up the core
//! (a `YIELD`, or spinning into a window boundary), and checks that every
//! value came back. On odd rounds it turns its FP unit off (FPEXC.EN = 0)
//! before it leaves: the other partitions' FP must work regardless, and
//! it must find its FPEXC as it left it. It ends with its pattern still
//! in the FP registers, for `fpclean` to not see.
//!
//! It also times its first FP access after each switch against a second
//! one: under `-icount`, a switch after which it traps (another partition
//! used FP meanwhile) shows the trap's cost in instructions.
#![no_std]
#![no_main]

use apps::fpregs::{self, FpRegs, FPEXC_EN};
use apps::workload::ticks;
use guest::{hvc, println};

guest::entry!(main);

/// Rounds of fill, switch, check.
const ROUNDS: u32 = 300;

fn main() -> u32 {
    let mut bad = 0u32;
    // Sums of the first and second FP access times (ticks) over the
    // switches after which the first one trapped.
    let (mut first, mut second, mut trapped) = (0u64, 0u64, 0u64);
    for round in 0..ROUNDS {
        let mut want = FpRegs::pattern(0xF00D_0000 + round);
        fpregs::write(&want);
        // What the FPU keeps of the FPSCR pattern is what must come back.
        want.fpscr = fpregs::read().fpscr;
        let off = !round.is_multiple_of(2);
        if off {
            fpregs::set_fpexc(0);
        }
        if round % 8 == 7 {
            // No yield: let a window boundary switch it out (or not).
            for _ in 0..20_000 {
                core::hint::spin_loop();
            }
        } else {
            hvc::yield_now();
        }
        let t0 = ticks();
        let e = fpregs::fpexc();
        let t1 = ticks();
        let _ = fpregs::fpexc();
        let t2 = ticks();
        let (d1, d2) = (t1.wrapping_sub(t0), t2.wrapping_sub(t1));
        if d1 > d2 + 3 {
            first += d1;
            second += d2;
            trapped += 1;
        }
        if e != if off { 0 } else { FPEXC_EN } {
            println!("round {}: FPEXC {:#x}, not its own", round, e);
            bad += 1;
        }
        if off {
            fpregs::set_fpexc(FPEXC_EN);
        }
        let got = fpregs::read();
        let n = got.mismatches(&want);
        if n > 0 && bad < 8 {
            println!("round {}: {} FP registers changed", round, n);
        }
        bad += n;
    }
    if let Some(mean) = ((first - second) * 16).checked_div(trapped) {
        println!(
            "FP trap on first use: {} instructions (mean of {}, -icount)",
            mean, trapped
        );
    }
    // Leave with its last pattern live in the FP registers.
    fpregs::write(&FpRegs::pattern(0xF00D_FFFF));
    if bad == 0 {
        println!("FP state intact over {} rounds", ROUNDS);
        0
    } else {
        println!("FP state CORRUPTED: {} mismatches", bad);
        1
    }
}

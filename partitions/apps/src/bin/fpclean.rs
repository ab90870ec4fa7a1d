//! Test: lazy FP switching, the partition that (almost) never uses FP
//! (`qemu_lazyfp`). For its first `QUIET` rounds it only yields, and every
//! fifth round reads d0-d31, FPSCR and FPEXC: they must be its own, i.e.
//! zero with the FP unit on, never what `fpheavy` or `fpreborn` wrote,
//! even after `fpheavy` turned its FP unit off or stopped with its values
//! live. Then it writes a pattern of its own and checks it across every
//! switch.
#![no_std]
#![no_main]

use apps::fpregs::{self, FpRegs};
use guest::{hvc, println};

guest::entry!(main);

/// Rounds that only read.
const QUIET: u32 = 400;
/// All rounds.
const ROUNDS: u32 = 600;

/// Counts (and reports the first few of) the registers of `got` that are
/// not `mine`.
fn compare(round: u32, got: &FpRegs, mine: &FpRegs, bad: &mut u32) {
    let n = got.mismatches(mine);
    if n > 0 {
        if *bad < 8 {
            println!(
                "round {}: {} FP registers not its own (d0 {:#x}, FPSCR {:#x}, FPEXC {:#x})",
                round, n, got.d[0], got.fpscr, got.fpexc
            );
        }
        *bad += n;
    }
}

/// The rounds that write: out of line, so that the register saves the
/// compiler puts around `fpregs::write` (d8-d15 are callee-saved) are
/// here, not in `main`, whose only FP accesses are the reads.
#[inline(never)]
fn writing_rounds(bad: &mut u32) {
    for round in QUIET..ROUNDS {
        let mut mine = FpRegs::pattern(0xBEEF_0000 + round);
        fpregs::write(&mine);
        mine.fpscr = fpregs::read().fpscr;
        hvc::yield_now();
        compare(round, &fpregs::read(), &mine, bad);
    }
}

fn main() -> u32 {
    let mut bad = 0u32;
    for round in 0..QUIET {
        hvc::yield_now();
        if round % 5 == 4 {
            compare(round, &fpregs::read(), &FpRegs::ZERO, &mut bad);
        }
    }
    writing_rounds(&mut bad);
    if bad == 0 {
        println!(
            "only its own FP state over {} rounds ({} reading zero)",
            ROUNDS,
            QUIET / 5
        );
        0
    } else {
        println!("FP state LEAKED: {} mismatches", bad);
        1
    }
}

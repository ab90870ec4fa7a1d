//! Test: lazy FP switching across restarts (`qemu_lazyfp`). Each life
//! first reads its FP state, which must be zero with the FP unit on, then
//! fills it with a pattern of its own and restarts itself: in even lives
//! at once, its values live in the FP registers and its FP unit turned
//! off; in odd lives after two switches, the last one without touching FP
//! again (another partition may own the registers by then).
#![no_std]
#![no_main]

use apps::fpregs::{self, FpRegs};
use guest::{hvc, println};

guest::entry!(main);

/// Lives (the restart budget in `lazyfp.toml` allows LIVES - 1 restarts).
const LIVES: u32 = 4;

fn main() -> u32 {
    let life = hvc::info().map(|i| i.restarts).unwrap_or(u32::MAX);
    let got = fpregs::read();
    if got != FpRegs::ZERO {
        println!(
            "life {}: FP state NOT zero (d0 {:#x}, FPSCR {:#x}, FPEXC {:#x})",
            life + 1,
            got.d[0],
            got.fpscr,
            got.fpexc
        );
        return 1;
    }
    println!("life {}: FP state zero", life + 1);
    if life + 1 >= LIVES {
        println!("lived {} lives, each starting with zero FP state", LIVES);
        return 0;
    }
    let mut mine = FpRegs::pattern(0xC0DE_0000 + life);
    fpregs::write(&mine);
    if life.is_multiple_of(2) {
        fpregs::set_fpexc(0);
        hvc::restart()
    }
    mine.fpscr = fpregs::read().fpscr;
    hvc::yield_now();
    let n = fpregs::read().mismatches(&mine);
    if n > 0 {
        println!("life {}: {} FP registers changed over a switch", life + 1, n);
        return 1;
    }
    hvc::yield_now();
    hvc::restart()
}

//! Benchmark partition (run under QEMU `-icount shift=0`, where one
//! instruction is one nanosecond and one 62.5 MHz counter tick is 16
//! instructions). Prints `BENCH <name> <instructions per operation>`.
//! Shares core 0 with `benchpeer`, which yields straight back; core 1 has
//! no partition and sleeps in WFI, so only measured code advances time.
#![no_std]
#![no_main]

use guest::abi::call;
use guest::{hvc, println};

guest::entry!(main);

const N: u32 = 20_000;
/// Yield round trips measured; `benchpeer` yields one more time than this.
const SWITCH_ROUNDS: u32 = apps::BENCH_SWITCH_ROUNDS;
/// Instructions per counter tick under `-icount shift=0` at 62.5 MHz.
const INSTR_PER_TICK: u64 = 16;

fn ticks() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading CNTVCT has no side effects.
    unsafe { core::arch::asm!("isb", "mrrc p15, 1, {}, {}, c14", out(reg) lo, out(reg) hi) };
    (hi as u64) << 32 | lo as u64
}

/// `n` null hypercalls in a tight loop.
fn hvc_loop(n: u32) {
    // SAFETY: NOP hypercalls change only r0-r3 (declared clobbered).
    unsafe {
        core::arch::asm!(
            "1:", "mov r0, #{nop}", "hvc #0", "subs {n}, {n}, #1", "bne 1b",
            nop = const call::NOP, n = inout(reg) n => _,
            out("r0") _, out("r1") _, out("r2") _, out("r3") _,
        );
    }
}

/// The same loop with a `nop` in place of the hypercall.
fn nop_loop(n: u32) {
    // SAFETY: plain register arithmetic.
    unsafe {
        core::arch::asm!(
            "1:", "mov r0, #{nop}", "nop", "subs {n}, {n}, #1", "bne 1b",
            nop = const call::NOP, n = inout(reg) n => _, out("r0") _,
        );
    }
}

fn per_op(ticks: u64, ops: u64) -> u64 {
    (ticks * INSTR_PER_TICK + ops / 2) / ops
}

fn main() -> u32 {
    let t0 = ticks();
    hvc_loop(N);
    let t1 = ticks();
    nop_loop(N);
    let t2 = ticks();
    let null_hvc = per_op((t1 - t0).saturating_sub(t2 - t1), N as u64);
    println!("BENCH null_hvc {}", null_hvc);

    // Each yield switches to benchpeer, which yields straight back: two
    // partition switches (each one YIELD hypercall) per iteration. The
    // first yield starts benchpeer (image load) and is not measured.
    hvc::yield_now();
    let t0 = ticks();
    for _ in 0..SWITCH_ROUNDS {
        hvc::yield_now();
    }
    let t1 = ticks();
    println!("BENCH partition_switch {}", per_op(t1 - t0, (SWITCH_ROUNDS * 2) as u64));
    0
}

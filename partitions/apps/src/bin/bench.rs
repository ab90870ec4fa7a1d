//! Benchmark partition (run under QEMU `-icount shift=0`, where one
//! instruction is one nanosecond and one 62.5 MHz counter tick is 16
//! instructions). Prints `BENCH <name> <instructions per operation>`.
//! Shares core 0 with `benchpeer`; core 1 has no partition and sleeps in
//! WFI, so only measured code advances time.
#![no_std]
#![no_main]

use apps::benchkit::{pad, timing_overhead, Samples};
use apps::workload::{compute, per_op, ticks, COMPUTE_ITERATIONS};
use apps::{BENCH_IPC_BATCH, BENCH_IPC_ROUNDS, BENCH_IPC_SIZES, BENCH_SAMPLES, BENCH_SWITCH_ROUNDS};

use guest::abi::call;
use guest::{hvc, println};

guest::entry!(main);

const N: u32 = 20_000;
/// Channel 0: bench -> benchpeer.
const TO_PEER: u32 = 0;

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

fn main() -> u32 {
    // Boot: the counter started with QEMU; this is the partition's first
    // act after its entry code (stack, .data, .bss, vectors).
    let boot = ticks();
    println!(
        "BENCH boot_to_first_partition {}",
        boot * apps::workload::INSTR_PER_TICK
    );

    let t0 = ticks();
    hvc_loop(N);
    let t1 = ticks();
    nop_loop(N);
    let t2 = ticks();
    println!(
        "BENCH null_hvc {}",
        per_op((t1 - t0).saturating_sub(t2 - t1), N as u64)
    );

    let t0 = ticks();
    let sum = compute(COMPUTE_ITERATIONS);
    let t1 = ticks();
    println!(
        "BENCH compute_hyp {} (checksum {:#010x})",
        (t1 - t0) * apps::workload::INSTR_PER_TICK,
        sum
    );

    // Each yield switches to benchpeer, which yields straight back: two
    // partition switches (each one YIELD hypercall) per iteration. The
    // first yield starts benchpeer (image load) and is not part of the
    // mean (`partition_switch_cold` in `bench_switch.toml` times it).
    hvc::yield_now();
    let t0 = ticks();
    for _ in 0..BENCH_SWITCH_ROUNDS {
        hvc::yield_now();
    }
    let t1 = ticks();
    println!(
        "BENCH partition_switch {}",
        per_op(t1 - t0, (BENCH_SWITCH_ROUNDS * 2) as u64)
    );

    let overhead = timing_overhead(BENCH_SAMPLES);

    // IPC: per size, rounds of a batch of sends timed here, then a yield
    // so benchpeer receives (and times) the batch.
    let msg = [0x5Au8; 1024];
    // Worst case of a 64-byte send: every send timed alone, in rounds of
    // a full channel that benchpeer empties (timing each receive).
    let mut sends = Samples::NEW;
    for _ in 0..BENCH_SAMPLES / BENCH_IPC_BATCH {
        for k in 0..BENCH_IPC_BATCH {
            pad(k);
            let t0 = ticks();
            let r = hvc::send(TO_PEER, &msg[..64]);
            let t1 = ticks();
            if r.is_err() {
                println!("send of 64 bytes failed");
                return 1;
            }
            sends.record_ticks(t1 - t0);
        }
        hvc::yield_now();
    }
    apps::print_worst!("ipc_send_64", sends.worst_minus(overhead), sends.runs);

    for &size in BENCH_IPC_SIZES.iter() {
        let mut spent = 0;
        for _ in 0..BENCH_IPC_ROUNDS {
            let t0 = ticks();
            for _ in 0..BENCH_IPC_BATCH {
                if hvc::send(TO_PEER, &msg[..size]).is_err() {
                    println!("send of {} bytes failed", size);
                    return 1;
                }
            }
            spent += ticks() - t0;
            hvc::yield_now();
        }
        println!(
            "BENCH ipc_send_{} {}",
            size,
            per_op(spent, (BENCH_IPC_ROUNDS * BENCH_IPC_BATCH) as u64)
        );
    }
    // The harness checks that everything above ran inside bench's first
    // window (no window boundary in any sample).
    println!(
        "BENCH bench_system_end {}",
        ticks() * apps::workload::INSTR_PER_TICK
    );
    0
}

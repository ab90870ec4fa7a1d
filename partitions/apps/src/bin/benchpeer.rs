//! Benchmark peer: when `bench` first yields to it, measures the timer
//! interrupt latency (`irq_to_guest`, mean and worst case) and the worst
//! null hypercall; then gives the core straight back to `bench` during
//! the switch benchmark, and receives and times the IPC batches (and each
//! 64-byte receive alone for its worst case). These samples live here
//! rather than in `bench` so that `bench`'s image, whose copy is part of
//! `boot_to_first_partition`, stays the size it was.
#![no_std]
#![no_main]

use apps::benchkit::{pad, timing_overhead, Samples};
use apps::workload::{per_op, ticks};
use apps::{BENCH_IPC_BATCH, BENCH_IPC_ROUNDS, BENCH_IPC_SIZES, BENCH_SAMPLES, BENCH_SWITCH_ROUNDS};
use guest::abi::call;
use guest::{hvc, irq, println};

guest::entry!(main);

/// One null hypercall (`hvc`) or its `nop` twin, timed alone,
/// `BENCH_SAMPLES` times (the difference of the two is what `null_hvc`,
/// measured by `bench`, counts).
fn hvc_samples(hvc: bool) -> Samples {
    let mut s = Samples::NEW;
    for k in 0..BENCH_SAMPLES {
        pad(k);
        let t0 = ticks();
        if hvc {
            // SAFETY: a NOP hypercall changes only r0-r3 (declared clobbered).
            unsafe {
                core::arch::asm!(
                    "mov r0, #{nop}", "hvc #0", nop = const call::NOP,
                    out("r0") _, out("r1") _, out("r2") _, out("r3") _,
                );
            }
        } else {
            // SAFETY: plain register moves.
            unsafe { core::arch::asm!("mov r0, #{nop}", "nop", nop = const call::NOP, out("r0") _) };
        }
        let t1 = ticks();
        s.record_ticks(t1 - t0);
    }
    s
}

/// A receive buffer on a 64-byte boundary.
#[repr(C, align(64))]
struct Aligned([u8; 1024]);

/// The handler: the shared measured body (`apps::irqbench`).
fn on_timer(_intid: u32) {
    apps::irqbench::handler_body();
}

/// Channel 0: bench -> benchpeer.
const FROM_BENCH: u32 = 0;

fn main() -> u32 {
    // Before the first yield (`bench` has just started this partition
    // and waits): none of bench's timed loops sees this.
    let overhead = timing_overhead(BENCH_SAMPLES);
    // `irq_to_guest`: the virtual timer's deadline to the first
    // instruction of the handler body, every interrupt one sample.
    irq::set_handler(on_timer);
    irq::enable_cpu_interface();
    irq::enable();
    let latency = apps::irqbench::measure_samples(BENCH_SAMPLES / 16);
    irq::disable();
    println!("BENCH irq_to_guest {}", latency.mean());
    apps::print_worst!("irq_to_guest", latency.max, latency.runs);
    let (calls, empty) = (hvc_samples(true), hvc_samples(false));
    apps::print_worst!("null_hvc", calls.worst_minus(empty.mean()), calls.runs);
    for _ in 0..BENCH_SWITCH_ROUNDS + 1 {
        hvc::yield_now();
    }

    // Aligned, so the copy's speed does not depend on where the stack
    // happens to put it.
    let mut buf = Aligned([0u8; 1024]);
    let buf = &mut buf.0;
    let mut recvs = Samples::NEW;
    for _ in 0..BENCH_SAMPLES / BENCH_IPC_BATCH {
        for k in 0..BENCH_IPC_BATCH {
            pad(k);
            let t0 = ticks();
            let r = hvc::recv(FROM_BENCH, buf);
            let t1 = ticks();
            if r != Ok(64) {
                println!("recv of 64 bytes: {:?}", r);
                return 1;
            }
            recvs.record_ticks(t1 - t0);
        }
        hvc::yield_now();
    }
    apps::print_worst!("ipc_recv_64", recvs.worst_minus(overhead), recvs.runs);

    for &size in BENCH_IPC_SIZES.iter() {
        let mut spent = 0;
        for _ in 0..BENCH_IPC_ROUNDS {
            let t0 = ticks();
            for _ in 0..BENCH_IPC_BATCH {
                match hvc::recv(FROM_BENCH, buf) {
                    Ok(n) if n == size => {}
                    other => {
                        println!("recv of {} bytes: {:?}", size, other);
                        return 1;
                    }
                }
            }
            spent += ticks() - t0;
            hvc::yield_now();
        }
        println!(
            "BENCH ipc_recv_{} {}",
            size,
            per_op(spent, (BENCH_IPC_ROUNDS * BENCH_IPC_BATCH) as u64)
        );
    }
    0
}

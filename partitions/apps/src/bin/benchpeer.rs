//! Benchmark peer: gives the core straight back to `bench` during the
//! switch benchmark, then receives and times the IPC batches.
#![no_std]
#![no_main]

use apps::workload::{per_op, ticks};
use apps::{BENCH_IPC_BATCH, BENCH_IPC_ROUNDS, BENCH_IPC_SIZES, BENCH_SWITCH_ROUNDS};
use guest::{hvc, println};

guest::entry!(main);

/// Channel 0: bench -> benchpeer.
const FROM_BENCH: u32 = 0;

fn main() -> u32 {
    for _ in 0..BENCH_SWITCH_ROUNDS + 1 {
        hvc::yield_now();
    }
    let mut buf = [0u8; 1024];
    for &size in BENCH_IPC_SIZES.iter() {
        let mut spent = 0;
        for _ in 0..BENCH_IPC_ROUNDS {
            let t0 = ticks();
            for _ in 0..BENCH_IPC_BATCH {
                match hvc::recv(FROM_BENCH, &mut buf) {
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

//! Restart curve (`target/bench/restart_<KiB>.toml`, written by
//! `hvrun bench`): restarts itself `RESTART_CURVE_RUNS` times and times
//! each restart from the `RESTART` hypercall to the first statement of
//! `main` in the new life: the hypervisor's reload (image copy with its
//! CRC, every writable memory region cleared) plus the entry code. The
//! stamp, the sum and the maximum live in the shared block
//! (`apps::benchkit::STAMPS`), which a restart does not clear.
#![no_std]
#![no_main]

use apps::benchkit::{stamp_load, stamp_store, ticks32, RESTART_CURVE_RUNS};
use apps::workload::INSTR_PER_TICK;
use guest::{hvc, println};

guest::entry!(main);

/// Words of the shared block.
const STAMP: usize = 0;
const SUM: usize = 1;
const MAX: usize = 2;

fn main() -> u32 {
    let now = ticks32();
    let life = match hvc::info() {
        Ok(i) => i.restarts,
        Err(e) => {
            println!("PARTITION_INFO failed: {:?}", e);
            return 1;
        }
    };
    if life == 0 {
        stamp_store(SUM, 0);
        stamp_store(MAX, 0);
    } else {
        let d = now.wrapping_sub(stamp_load(STAMP));
        stamp_store(SUM, stamp_load(SUM).wrapping_add(d));
        stamp_store(MAX, stamp_load(MAX).max(d));
    }
    if life < RESTART_CURVE_RUNS {
        stamp_store(STAMP, ticks32());
        hvc::restart();
    }
    let per_tick = INSTR_PER_TICK as u32;
    println!(
        "BENCH restart {}",
        stamp_load(SUM) * per_tick / RESTART_CURVE_RUNS
    );
    println!("BENCH restart_max {}", stamp_load(MAX) * per_tick);
    println!("BENCH restart_runs {}", RESTART_CURVE_RUNS);
    0
}

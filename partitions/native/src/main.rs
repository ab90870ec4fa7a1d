//! Native baseline of the benchmark suite: the `bench` partition's compute
//! workload ([`apps::workload::compute`]) alone at EL1 on QEMU
//! `mps3-an536`, with no hypervisor underneath, so `hvrun bench` can state
//! the hypervisor's overhead as the ratio `compute_hyp / compute_native`.
//!
//! QEMU starts every core at `_start` in Hyp mode (CPSR 0x1DA). Core 0
//! takes the stack, turns the FPU on, lets EL1 read the counters and drops
//! to SVC mode at EL1 with `HCR = 0` (no stage 2, no traps); core 1 parks
//! in `WFI` so that, under `-icount`, only the measured code advances the
//! virtual clock. At EL1 the program times the workload with the virtual
//! counter exactly as the `bench` partition does and prints
//! `BENCH compute_native <instructions>` over semihosting; then it runs
//! the timer-interrupt loop ([`irq`]: virtual timer deadline to the first
//! instruction of the handler, the native twin of `irq_to_guest`), prints
//! `BENCH irq_native <instructions>` and ends the run with exit code 0.
//!
//! On the host this builds as an ordinary program that only says it is a
//! target program, so `cargo build --workspace` keeps working.
#![cfg_attr(target_arch = "arm", no_std, no_main)]

#[cfg(target_arch = "arm")]
mod irq;
#[cfg(target_arch = "arm")]
mod semihosting;
#[cfg(target_arch = "arm")]
mod start;

/// EL1 entry (from `start`, with the stack set and `.bss` zeroed): the
/// measurement, the report, the exit.
#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn native_main() -> ! {
    use apps::workload::{compute, ticks, COMPUTE_ITERATIONS, INSTR_PER_TICK};

    // The same three statements as `compute_hyp` in the bench partition.
    let t0 = ticks();
    let sum = compute(COMPUTE_ITERATIONS);
    let t1 = ticks();
    semihosting::print(format_args!(
        "BENCH compute_native {} (checksum {:#010x})\n",
        (t1 - t0) * INSTR_PER_TICK,
        sum
    ));
    match irq::irq_latency() {
        Ok(n) => semihosting::print(format_args!("BENCH irq_native {n}\n")),
        Err(why) => {
            semihosting::print(format_args!("[native] timer interrupt loop: {why}\n"));
            semihosting::exit(1)
        }
    }
    semihosting::exit(0)
}

/// A panic is reported and ends the run with exit code 101.
#[cfg(target_arch = "arm")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    semihosting::print(format_args!("[native] panic: {info}\n"));
    semihosting::exit(101)
}

/// Host build: there is nothing to run here.
#[cfg(not(target_arch = "arm"))]
fn main() {
    eprintln!("`native` is a program for armv8r-none-eabihf; run it with `make bench`");
    std::process::exit(2);
}

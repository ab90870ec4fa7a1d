//! Window-switch worst case (`bench_windows.toml`): spins with interrupts
//! masked, never yielding, for `SPIN_WINDOWS_MS`; shares core 0 with
//! `benchspin2` in 10 µs windows, so the hypervisor times over 10,000
//! window starts.
#![no_std]
#![no_main]

guest::entry!(main);

fn main() -> u32 {
    use guest::irq::{self, vtimer};
    irq::disable();
    let end = vtimer::now() + u64::from(vtimer::frequency()) * apps::benchkit::SPIN_WINDOWS_MS / 1000;
    while vtimer::now() < end {}
    0
}

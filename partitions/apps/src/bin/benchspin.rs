//! Window-switch worst case (`bench_windows.toml`): spins with interrupts
//! masked, never yielding, for `SPIN_WINDOWS_MS`; shares core 0 with
//! `benchspin2` in 10 µs windows, so the hypervisor times over 10,000
//! window starts.
#![no_std]
#![no_main]

guest::entry!(main);

fn main() -> u32 {
    apps::benchkit::spin_ms(apps::benchkit::SPIN_WINDOWS_MS)
}

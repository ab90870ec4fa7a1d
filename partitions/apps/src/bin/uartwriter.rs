//! Test: a partition that owns UART3 (a CMSDK APB UART) and writes a
//! line to it directly, as a bare-board program would; the runner routes
//! that UART to a file (`hvrun run --uart uart3=<file>`).
#![no_std]
#![no_main]

use guest::println;

guest::entry!(main);

/// UART3 (`config/platforms/mps3-an536.toml`).
const UART3: usize = 0xE020_6000;
/// CMSDK UART registers: data, state (bit 0: TX full), control (bit 0:
/// TX enable), baud divider.
const DATA: usize = 0x0;
const STATE: usize = 0x4;
const CTRL: usize = 0x8;
const BAUDDIV: usize = 0x10;

fn reg(off: usize) -> *mut u32 {
    (UART3 + off) as *mut u32
}

fn main() -> u32 {
    // SAFETY: UART3 is this partition's device (its band maps it).
    unsafe { reg(BAUDDIV).write_volatile(16) };
    // SAFETY: as above.
    unsafe { reg(CTRL).write_volatile(1) };
    for &b in b"hello from uart3\n" {
        // SAFETY: as above.
        while unsafe { reg(STATE).read_volatile() } & 1 != 0 {}
        // SAFETY: as above.
        unsafe { reg(DATA).write_volatile(b as u32) };
    }
    println!("wrote a line to UART3");
    0
}

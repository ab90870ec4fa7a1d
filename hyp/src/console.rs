//! The hypervisor console: a CMSDK APB UART driver (the MPS3 boards' UARTs
//! are not PL011s and no crate drives them) behind one spin lock, so lines
//! from both cores never interleave mid-line.

use core::fmt::{self, Write};
use core::ptr::{read_volatile, write_volatile};

/// `DATA` register offset.
const DATA: usize = 0x0;
/// `STATE` register offset; bit 0 = TX buffer full.
const STATE: usize = 0x4;
/// `CTRL` register offset; bit 0 = TX enable.
const CTRL: usize = 0x8;
/// `BAUDDIV` register offset.
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_ENABLE: u32 = 1 << 0;

/// One CMSDK APB UART, transmit side.
pub struct CmsdkUart {
    base: usize,
}

impl CmsdkUart {
    /// A driver for the UART at `base`.
    ///
    /// # Safety
    /// `base` must be the MMIO address of a CMSDK UART that is mapped for
    /// the hypervisor, and no one else may drive it.
    pub const unsafe fn new(base: usize) -> Self {
        CmsdkUart { base }
    }

    fn reg(&self, offset: usize) -> *mut u32 {
        self.base.wrapping_add(offset) as *mut u32 // a register of the UART window
    }

    /// Enables the transmitter (the baud divisor only matters on silicon).
    pub fn enable(&mut self) {
        // SAFETY: `new`'s contract: the window is mapped device memory we own.
        unsafe { write_volatile(self.reg(BAUDDIV), 16) };
        // SAFETY: as above.
        unsafe { write_volatile(self.reg(CTRL), CTRL_TX_ENABLE) };
    }

    /// Sends one byte, waiting while the transmit buffer is full.
    pub fn write_byte(&mut self, byte: u8) {
        // SAFETY: `new`'s contract: the window is mapped device memory we own.
        while unsafe { read_volatile(self.reg(STATE)) } & STATE_TX_FULL != 0 {}
        // SAFETY: as above.
        unsafe { write_volatile(self.reg(DATA), byte as u32) };
    }
}

impl Write for CmsdkUart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(b);
        }
        Ok(())
    }
}

/// The console, once [`init`] has run.
static CONSOLE: spin::Mutex<Option<CmsdkUart>> = spin::Mutex::new(None);

/// Installs the console UART at `base` and enables it.
///
/// # Safety
/// As for [`CmsdkUart::new`].
pub unsafe fn init(base: usize) {
    // SAFETY: forwarded to the caller.
    let mut uart = unsafe { CmsdkUart::new(base) };
    uart.enable();
    *CONSOLE.lock() = Some(uart);
}

/// Writes formatted text under the console lock; a no-op before [`init`].
pub fn write_fmt(args: fmt::Arguments) {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        let _ = uart.write_fmt(args);
    }
}

/// Writes formatted text for a fatal report: takes the lock if it can, and
/// otherwise (the fault hit while the console was held) writes anyway, since
/// a garbled line is better than a silent hang.
pub fn write_fmt_emergency(args: fmt::Arguments) {
    for _ in 0..100_000 {
        if let Some(mut guard) = CONSOLE.try_lock() {
            if let Some(uart) = guard.as_mut() {
                let _ = uart.write_fmt(args);
            }
            return;
        }
    }
    // SAFETY: only reached when the lock holder is stuck (it faulted); the
    // report is the last thing this core does.
    unsafe { CONSOLE.force_unlock() };
    write_fmt(args);
}

/// Prints to the hypervisor console.
#[macro_export]
macro_rules! hprint {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the hypervisor console (one lock hold per line).
#[macro_export]
macro_rules! hprintln {
    () => { $crate::console::write_fmt(format_args!("\n")) };
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::console::write_fmt(format_args!(concat!($fmt, "\n") $(, $arg)*))
    };
}

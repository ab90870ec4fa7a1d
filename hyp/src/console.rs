//! The hypervisor console: a CMSDK APB UART driver (the MPS3 boards' UARTs
//! are not PL011s and no crate drives them) behind one spin lock, so lines
//! from both cores never interleave mid-line.

use core::ptr::{read_volatile, write_volatile};

use hypcfg::packed::Text;
use hypcfg::text::{self, Arg, Out};

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

/// Sends text, each `\n` as `\r\n`.
impl Out for CmsdkUart {
    fn str(&mut self, s: &str) {
        for b in s.bytes() {
            self.ascii(b);
        }
    }

    fn ascii(&mut self, c: u8) {
        if c == b'\n' {
            self.write_byte(b'\r');
        }
        self.write_byte(c);
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

/// Writes `template` with `args` ([`text::write`]) and a line end under
/// the console lock; a no-op before [`init`].
pub fn print(template: Text, args: &[Arg<'_>]) {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        text::write(uart, template, args);
        uart.str("\n");
    }
}

/// [`print`] for a fatal report: takes the lock if it can within 10 ms,
/// and otherwise (the fault hit while the console was held) writes anyway,
/// since a garbled line is better than a silent hang. The wait is timed
/// by the counter, not counted in tries: another core may hold the lock
/// for a long line, and under QEMU its thread may not even be running.
pub fn print_emergency(template: Text, args: &[Arg<'_>]) {
    let start = crate::arch::timer::counter();
    let patience = u64::from(crate::arch::timer::frequency() / 100);
    while crate::arch::timer::counter().wrapping_sub(start) < patience {
        if let Some(mut guard) = CONSOLE.try_lock() {
            if let Some(uart) = guard.as_mut() {
                text::write(uart, template, args);
                uart.str("\n");
            }
            return;
        }
    }
    // SAFETY: only reached when the lock holder is stuck (it faulted); the
    // report is the last thing this core does.
    unsafe { CONSOLE.force_unlock() };
    print(template, args);
}

/// Prints a line to the hypervisor console (one lock hold per call):
/// `hprintln!("[hyp] FAULT {} at {}", name, hex8(addr))`. The template is
/// a string literal with `{}` where each argument goes, and an argument
/// is anything [`Arg::from`] takes a reference to: a string, an unsigned
/// number (decimal), a form of [`hypcfg::text`] (`hex8`, `hex2`, `hex`,
/// `left`, `right`), or a type's [`Show`](hypcfg::text::Show). The number
/// of arguments is checked against the template at compile time.
///
/// `hprintln!(emergency; ...)` is the same for a fatal report
/// ([`print_emergency`]).
#[macro_export]
macro_rules! hprintln {
    () => {
        $crate::console::print($crate::text!(""), &[])
    };
    (emergency; $template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::text::placeholders($template) == 0 $(+ { let _ = stringify!($arg); 1 })*,
            "the number of arguments is not the number of {{}} in the template"
        );
        $crate::console::print_emergency($crate::text!($template), &[$($crate::text::Arg::from(&$arg)),*])
    }};
    ($template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::text::placeholders($template) == 0 $(+ { let _ = stringify!($arg); 1 })*,
            "the number of arguments is not the number of {{}} in the template"
        );
        $crate::console::print($crate::text!($template), &[$($crate::text::Arg::from(&$arg)),*])
    }};
}

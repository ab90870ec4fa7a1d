//! Support library for partitions (EL1 programs under the hypervisor):
//! the entry code, hypercall wrappers, a `println!` over the console
//! hypercall, and exception vectors that report faults to the health
//! monitor.
//!
//! A partition is a `#![no_std] #![no_main]` binary that calls
//! [`entry!`] with its main function and links with `link.x`.
#![no_std]
#![deny(missing_docs)]

pub mod console;
pub mod hvc;
pub mod irq;
#[cfg(target_arch = "arm")]
pub mod rt;

pub use hypcfg::abi;

/// Declares the partition's main function: `guest::entry!(main);` where
/// `fn main() -> u32` returns the exit code passed to `shutdown`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        extern "C" fn guest_main() -> u32 {
            let f: fn() -> u32 = $main;
            f()
        }
    };
}

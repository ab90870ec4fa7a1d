//! The hypervisor's EL2 kernel.
//!
//! Everything that does not touch a coprocessor register, a vector or MMIO
//! is portable and unit-tested on the host with `cargo test`; the code that
//! does lives in [`arch`] and is only built for `armv8r-none-eabihf`.
//!
//! Walk-through from reset: `arch::start` (assembly entry, stacks, FPU) →
//! [`boot`] (vectors, EL2 MPU from [`layout`], console, secondary release).
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

pub mod channel;
pub mod console;
pub mod guest_mem;
pub mod health;
pub mod hsr;
pub mod hypercall;
pub mod image;
pub mod layout;
pub mod mpu;
pub mod sched;
pub mod vgic_mmio;

#[cfg(target_arch = "arm")]
pub mod arch;
#[cfg(target_arch = "arm")]
pub mod boot;
#[cfg(target_arch = "arm")]
pub mod partition;
#[cfg(all(target_arch = "arm", feature = "selftest"))]
pub mod selftest;

/// The hypervisor's version, printed in the banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

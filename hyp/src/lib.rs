//! The hypervisor's EL2 kernel.
//!
//! Everything that does not touch a coprocessor register, a vector or MMIO
//! is in the portable crate `hyp_core` (no `unsafe`, unit-tested on the
//! host with `cargo test`); this crate holds the code that does, and is
//! only built for the Cortex-R52 (`thumbv8r-none-eabihf`, T32 code, by
//! `make`; `armv8r-none-eabihf` works too): the reset code and vectors
//! ([`arch`]), boot, the console, and the adapters that implement the
//! core's seams.
//!
//! Walk-through from reset: `arch::start` (assembly entry, stacks, FPU) →
//! [`boot`] (vectors, EL2 MPU from [`layout`], console, secondary release).
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
// No panics in kernel code (tests may): every index, slice, unwrap and
// arithmetic operation that could panic is written so it cannot.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::arithmetic_side_effects
    )
)]

pub use hyp_core::{
    board, channel, gicv3, guest_console, guest_mem, health, hsr, hypercall, layout, sched, vgic_mmio, virq,
};
pub use hypcfg::text;

#[cfg(target_arch = "arm")]
pub mod arch;
#[cfg(target_arch = "arm")]
pub mod boot;
#[cfg(target_arch = "arm")]
pub mod console;
#[cfg(target_arch = "arm")]
pub mod cores;
#[cfg(target_arch = "arm")]
pub mod exception;
#[cfg(target_arch = "arm")]
pub mod image;
#[cfg(target_arch = "arm")]
pub mod linker;
#[cfg(target_arch = "arm")]
pub mod mpu;
#[cfg(target_arch = "arm")]
pub mod partition;
#[cfg(target_arch = "arm")]
pub mod run;
#[cfg(all(target_arch = "arm", feature = "selftest"))]
pub mod selftest;

/// The hypervisor's version, printed in the banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

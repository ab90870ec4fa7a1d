//! The portable core of the hypervisor's EL2 kernel: every rule that does
//! not touch a coprocessor register, a vector or MMIO. It has no `unsafe`
//! (forbidden below), reaches the hardware only through narrow seams
//! ([`mpu::MpuHw`], [`channel::SlotMemory`], [`hypercall::Env`],
//! [`vgic_mmio::GicRegs`]), and is unit-tested on the host with
//! `cargo test`. The target crate (`hyp`) implements those seams with the
//! Cortex-R52's registers and holds the reset code, vectors and boot.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
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

pub mod board;
pub mod channel;
pub mod gic_access;
pub mod gicv3;
pub mod guest_console;
pub mod guest_mem;
pub mod health;
pub mod hsr;
pub mod hypercall;
pub mod image;
pub mod insn;
pub mod layout;
pub mod mpu;
pub mod sched;
pub mod sysreg;
pub mod vgic_mmio;
pub mod virq;

//! The system description shared by the host tool and the hypervisor.
//!
//! One crate owns each fact: the PMSAv8 region encoding lives in [`mpu`], and
//! both the config tool (with `std`) and the hypervisor (`no_std`, no
//! allocator) use it, so the hypervisor never re-derives what the tool
//! computed, it only checks it: [`blob::decode`] re-validates every
//! invariant with [`system::System::check`].
//!
//! With the `std` feature, [`front`] adds the host side: the TOML front end,
//! validation with diagnostics, placement, and the writers used by `hvcfg`.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(missing_docs)]

pub mod abi;
pub mod blob;
pub mod body;
pub mod boot_flags;
pub mod check;
pub mod crc32;
pub mod div;
pub mod flash;
pub mod ids;
pub mod limits;
pub mod mpu;
pub mod packed;
pub mod system;
pub mod text;

#[cfg(feature = "std")]
pub mod front;

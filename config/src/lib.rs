//! The system description shared by the host tool and the hypervisor.
//!
//! One crate owns each fact: the PMSAv8 region encoding lives in [`mpu`], and
//! both the config tool (with `std`) and the hypervisor (`no_std`, no
//! allocator) use it, so the hypervisor never re-derives what the tool
//! computed, it only checks it.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(missing_docs)]

pub mod abi;
pub mod mpu;
pub mod system;

//! Host side of the QEMU workflow: build the hypervisor image for
//! `armv8r-none-eabihf` (picking the shipped `core` or `-Zbuild-std` by
//! itself), run it in QEMU `mps3-an536` with a timeout, capture the console
//! and take the exit code from the hypervisor's status line. Used by
//! `make`, the tests and the benchmarks.
#![deny(missing_docs)]

pub mod bench;
pub mod build;
pub mod qemu;
pub mod size;
pub mod system;

use std::path::PathBuf;

/// The target triple of the hypervisor and the partitions.
pub const TARGET: &str = "armv8r-none-eabihf";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or(here)
}

/// An error a person can act on: what failed and what to do.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Result with a runner [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

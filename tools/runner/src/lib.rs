//! Host side of the QEMU workflow: build the hypervisor image (for
//! `thumbv8r-none-eabihf`, `core` from `rust-src`) and the partitions (for
//! `armv8r-none-eabihf`, picking the shipped `core` or `-Zbuild-std` by
//! itself), run it in QEMU `mps3-an536` with a timeout, capture the console
//! and take the exit code from the hypervisor's status line. Used by
//! `make`, the tests and the benchmarks.
#![deny(missing_docs)]

pub mod bench;
pub mod build;
pub mod expected;
pub mod qemu;
pub mod size;
pub mod system;

use std::path::PathBuf;

/// The target triple of the partitions (A32 code, the target's default).
pub const TARGET: &str = "armv8r-none-eabihf";

/// The target triple of the hypervisor: the same Cortex-R52, code in T32
/// (Thumb-2). The same Rust is about 28 % smaller in T32 (`.text` 69,888 ->
/// 50,304 bytes when this was chosen), and the hypervisor is the trusted
/// code base. Its exception vectors and context switch are hand-written
/// A32 (`.arm`; HSCTLR.TE stays 0, so exceptions are taken in A32) and
/// reach the Rust code through interworking branches. There is no shipped
/// `core` for it: it is always built from `rust-src` (`-Zbuild-std`).
pub const HYP_TARGET: &str = "thumbv8r-none-eabihf";

/// The tree the runner runs from: where it builds (cargo runs there) and
/// writes its outputs (`target/`). Found at run time, so a copy of the
/// tree works on itself and never on the tree it was copied from: the
/// first directory, going up from the running executable (the tree's
/// `target/`, where `cargo run` and the tests put it) and then from the
/// current directory, that holds this workspace ([`is_workspace`]); the
/// tree this crate was compiled in only when neither is in one.
pub fn workspace_root() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    [exe, cwd]
        .into_iter()
        .flatten()
        .find_map(|start| start.ancestors().find(|d| is_workspace(d)).map(PathBuf::from))
        .unwrap_or_else(compiled_root)
}

/// Whether `dir` is the root of this workspace: it holds the runner's
/// manifest and the workspace manifest.
pub fn is_workspace(dir: &std::path::Path) -> bool {
    dir.join("tools/runner/Cargo.toml").is_file() && dir.join("Cargo.toml").is_file()
}

/// The tree this crate was compiled in (two levels above it).
fn compiled_root() -> PathBuf {
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

//! Building target images: toolchain detection and the cargo invocation.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{workspace_root, Error, Result, HYP_TARGET, TARGET};

/// How `core` for the target is obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoreSource {
    /// `rustup target add armv8r-none-eabihf` installed a prebuilt `core`.
    Shipped,
    /// `core` is built from the `rust-src` component with `-Zbuild-std`.
    BuildStd,
}

fn rustc_print(what: &str) -> Option<String> {
    let out = Command::new("rustc")
        .args(["--print", what, "--target", TARGET])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn has_rlib(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
        .unwrap_or(false)
}

/// Finds how to get `core` for the target, or says exactly what to run.
pub fn core_source() -> Result<CoreSource> {
    if let Some(libdir) = rustc_print("target-libdir") {
        if has_rlib(Path::new(&libdir), "libcore-") {
            return Ok(CoreSource::Shipped);
        }
    }
    let sysroot = rustc_print("sysroot").unwrap_or_default();
    let src = Path::new(&sysroot).join("lib/rustlib/src/rust/library/core");
    if src.is_dir() {
        return Ok(CoreSource::BuildStd);
    }
    Err(Error(format!(
        "no `core` for {TARGET}: run `rustup target add {TARGET}` or, where that cannot download, \
         `rustup component add rust-src` (then `make setup` again)"
    )))
}

/// Which hypervisor image to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The product image as `make qemu` runs it.
    Product,
    /// The product plus in-hypervisor self tests (feature `selftest`).
    Selftest,
}

impl Variant {
    fn features(self) -> &'static str {
        match self {
            Variant::Product => "",
            Variant::Selftest => "selftest",
        }
    }

    fn dir_name(self) -> &'static str {
        match self {
            Variant::Product => "product",
            Variant::Selftest => "selftest",
        }
    }
}

/// The cargo target directory of a variant (kept apart so switching
/// variants never rebuilds the other).
pub fn target_dir(variant: Variant) -> PathBuf {
    workspace_root()
        .join("target")
        .join("arm")
        .join(variant.dir_name())
}

/// A `cargo` command set up to build `package` for the target.
pub fn cargo_for_target(package: &str, features: &str, target_dir: &Path) -> Result<Command> {
    cargo_subcommand_for_target("build", package, features, target_dir)
}

/// Like [`cargo_for_target`] with another cargo subcommand (`clippy`).
pub fn cargo_subcommand_for_target(
    sub: &str,
    package: &str,
    features: &str,
    target_dir: &Path,
) -> Result<Command> {
    cargo_command(sub, TARGET, core_source()?, package, features, target_dir)
}

/// `cargo <sub>` for `target`, with `core` from `core`.
fn cargo_command(
    sub: &str,
    target: &str,
    core: CoreSource,
    package: &str,
    features: &str,
    target_dir: &Path,
) -> Result<Command> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace_root())
        .args([sub, "--release", "--target", target, "-p", package])
        .arg("--target-dir")
        .arg(target_dir);
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    if core == CoreSource::BuildStd {
        cmd.env("RUSTC_BOOTSTRAP", "1").args([
            "-Zbuild-std=core,compiler_builtins",
            "-Zbuild-std-features=compiler-builtins-mem",
        ]);
    }
    // Host-test flags must not leak into the target build.
    cmd.env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
    Ok(cmd)
}

/// Checks that `core` can be built from `rust-src`, which the hypervisor's
/// target ([`HYP_TARGET`]) always needs, or says exactly what to run.
fn rust_src() -> Result<()> {
    let sysroot = rustc_print("sysroot").unwrap_or_default();
    if Path::new(&sysroot)
        .join("lib/rustlib/src/rust/library/core")
        .is_dir()
    {
        return Ok(());
    }
    Err(Error(format!(
        "no `core` source for {HYP_TARGET} (the hypervisor): run `rustup component add rust-src` \
         (then `make setup` again)"
    )))
}

/// Code generation flags of the hypervisor image, for code size
/// (docs/benchmarks.md, "Code size"); each changes instruction selection
/// only, not the ABI:
/// - `no-movt`: addresses and large constants come from literal pools
///   (one `LDR`) instead of `MOVW`+`MOVT` pairs: 0.8 KiB less code, and one
///   instruction less per address on every path. It is an LLVM feature
///   rustc does not list, so rustc warns that it passes it on unchecked.
/// - `arm-promote-constant`: small constant arrays (the packed message
///   texts) go into the literal pool of the function that uses them, so
///   no pool entry holds their address: 0.6 KiB less.
const HYP_CODEGEN_FLAGS: &str = "-C target-feature=+no-movt -C llvm-args=-arm-promote-constant \
     -C llvm-args=-arm-promote-constant-max-total=4096";

/// Builds the hypervisor and returns the path of its ELF image.
pub fn build_hyp(variant: Variant) -> Result<PathBuf> {
    let dir = target_dir(variant);
    rust_src()?;
    let mut cmd = cargo_command(
        "build",
        HYP_TARGET,
        CoreSource::BuildStd,
        "hyp",
        variant.features(),
        &dir,
    )?;
    cmd.env(
        format!(
            "CARGO_TARGET_{}_RUSTFLAGS",
            HYP_TARGET.to_uppercase().replace('-', "_")
        ),
        HYP_CODEGEN_FLAGS,
    );
    let status = cmd
        .status()
        .map_err(|e| Error(format!("cannot start cargo: {e}")))?;
    if !status.success() {
        return Err(Error(format!("building the hypervisor ({variant:?}) failed")));
    }
    Ok(dir.join(HYP_TARGET).join("release").join("hyp"))
}

/// Lints the target crates (hypervisor with every feature, guest library,
/// partitions, native baseline, the arm-gic bare-board program) for the
/// target, warnings as errors.
pub fn clippy_target() -> Result<()> {
    let dir = workspace_root().join("target").join("arm").join("clippy");
    for (package, features) in [
        ("hyp", "selftest"),
        ("guest", ""),
        ("apps", ""),
        ("native", ""),
        ("gicprog", ""),
    ] {
        let mut cmd = cargo_subcommand_for_target("clippy", package, features, &dir)?;
        cmd.args(["--", "-D", "warnings"]);
        let status = cmd
            .status()
            .map_err(|e| Error(format!("cannot start cargo: {e}")))?;
        if !status.success() {
            return Err(Error(format!(
                "clippy found problems in `{package}` (target build)"
            )));
        }
    }
    Ok(())
}

//! Links `gicprog` with its own `gicprog.x`, only when building for the
//! target (a host `cargo check` of the workspace must not see the Arm link
//! script).
use std::{env, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let script = manifest.join("gicprog.x");
    println!("cargo:rerun-if-changed={}", script.display());
    if env::var("TARGET").unwrap_or_default().starts_with("armv8r") {
        println!("cargo:rustc-link-arg-bin=gicprog=-T{}", script.display());
    }
}

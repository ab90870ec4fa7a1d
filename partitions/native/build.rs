//! Links the native baseline with its own `link.x` (DDR at 0x2000_0000),
//! only when building for the target (host `cargo check`/`clippy` of the
//! workspace must not see the Arm link script).
use std::{env, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let link_x = manifest.join("link.x");
    println!("cargo:rerun-if-changed={}", link_x.display());
    if env::var("TARGET").unwrap_or_default().starts_with("armv8r") {
        println!("cargo:rustc-link-arg-bin=native=-T{}", link_x.display());
        let baremetal_x = manifest.join("baremetal.x");
        println!("cargo:rerun-if-changed={}", baremetal_x.display());
        println!("cargo:rustc-link-arg-bin=baremetal=-T{}", baremetal_x.display());
    }
}

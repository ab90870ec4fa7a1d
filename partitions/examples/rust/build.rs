//! Links the monitor for its partition: the guest library's link script
//! (`partitions/guest/link.x`, which `INCLUDE`s `layout.ld`) with the
//! partition's linker fragment as that `layout.ld`, and hands the
//! partition's generated constants to `src/main.rs` (`include!`). Both
//! come from the system file, through hvcfg, into `gen/`:
//!
//! ```sh
//! hvcfg constants byo_rust.toml --partition monitor --lang ld   -o gen/monitor.ld
//! hvcfg constants byo_rust.toml --partition monitor --lang rust -o gen/monitor.rs
//! ```
//!
//! (`make gen` runs them; `make` also builds.)
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let gen = manifest.join("gen");
    let link_x = manifest.join("../../guest/link.x");
    for (from, to) in [("monitor.ld", "layout.ld"), ("monitor.rs", "partition.rs")] {
        let src = gen.join(from);
        println!("cargo:rerun-if-changed={}", src.display());
        if let Err(e) = fs::copy(&src, out.join(to)) {
            panic!(
                "cannot read {}: {e}; generate it from the system file first: `make gen` (or `hvcfg constants byo_rust.toml --partition monitor --lang ld|rust -o gen/monitor.ld|rs`)",
                src.display()
            );
        }
    }
    println!("cargo:rerun-if-changed={}", link_x.display());
    println!("cargo:rustc-link-arg-bins=-L{}", out.display());
    println!("cargo:rustc-link-arg-bins=-T{}", link_x.display());
}

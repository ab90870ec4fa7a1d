//! Links every partition binary with `partitions/guest/link.x` and the
//! memory layout of the partition it becomes in the system being built:
//! `$HYP_LAYOUT_DIR/<bin>/layout.ld` (written by the runner from the config
//! tool's linker fragment), or `default-layout/` when building without a
//! system (e.g. `cargo clippy`).
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let link_x = manifest.join("../guest/link.x");
    println!("cargo:rerun-if-env-changed=HYP_LAYOUT_DIR");
    println!("cargo:rerun-if-changed={}", link_x.display());
    if !env::var("TARGET").unwrap_or_default().starts_with("armv8r") {
        return;
    }
    let layouts = env::var_os("HYP_LAYOUT_DIR").map(PathBuf::from);
    let bins = fs::read_dir(manifest.join("src/bin")).expect("src/bin exists");
    for entry in bins.flatten() {
        let path = entry.path();
        let Some(bin) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let dir = match &layouts {
            Some(d) if d.join(bin).join("layout.ld").exists() => d.join(bin),
            _ => manifest.join("default-layout"),
        };
        println!("cargo:rerun-if-changed={}", dir.join("layout.ld").display());
        println!("cargo:rustc-link-arg-bin={bin}=-L{}", dir.display());
        println!("cargo:rustc-link-arg-bin={bin}=-T{}", link_x.display());
    }
    // A guest whose ELF entry is T32 (bit 0 set): its own entry symbol.
    println!("cargo:rustc-link-arg-bin=thumb=--entry=_start_t32");
}

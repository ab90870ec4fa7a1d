//! Links the hypervisor image with the top-level `linker.ld` (target builds
//! only), and hands the Rust code the linker script's `HYP_MAX_CORES`
//! (`$OUT_DIR/linker.rs`), which `boot.rs` asserts is the board's core count.
use std::{env, fs, path::PathBuf, process};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let script = dir.join("..").join("linker.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    let text = fs::read_to_string(&script).unwrap_or_else(|e| {
        eprintln!("error: cannot read {}: {e}", script.display());
        process::exit(1)
    });
    let Some(cores) = symbol(&text, "HYP_MAX_CORES") else {
        eprintln!(
            "error: {} has no `HYP_MAX_CORES = <decimal number>;` line (the cores the image has stacks for)",
            script.display()
        );
        process::exit(1)
    };
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("linker.rs");
    let rust = format!(
        "/// `HYP_MAX_CORES` of `linker.ld`: the cores the image has Hyp stacks for.\nconst LINKER_MAX_CORES: usize = {cores};\n"
    );
    fs::write(&out, rust).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
    let target = env::var("TARGET").unwrap_or_default();
    if target.starts_with("armv8r") || target.starts_with("thumbv8r") {
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    }
}

/// The value of a top-level `NAME = <decimal>;` assignment.
fn symbol(script: &str, name: &str) -> Option<usize> {
    script.lines().find_map(|line| {
        let (lhs, rhs) = line.trim().split_once('=')?;
        if lhs.trim() != name {
            return None;
        }
        rhs.trim().strip_suffix(';')?.trim().parse().ok()
    })
}

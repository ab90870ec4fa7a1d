//! Links every partition binary with `partitions/guest/link.x` and the
//! memory layout of the partition it becomes in the system being built,
//! and gives it that partition's generated constants (channel ids,
//! regions: `apps::partition!()`), so no program hard-codes them.
//!
//! In a system build the runner writes both per binary:
//! `$HYP_LAYOUT_DIR/<bin>/layout.ld` (the config tool's linker fragment)
//! and `$HYP_LAYOUT_DIR/<bin>/partition.rs` (its constants module). When
//! building without a system (e.g. `cargo clippy`), the layout is
//! `default-layout/` and the constants are generated here from the first
//! system of the tree that runs the binary (`config/*.toml`, then
//! `tools/runner/tests/systems/*.toml`), so they are real ones.
use std::path::{Path, PathBuf};
use std::{env, fs};

use hypcfg::front::{self, constants};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let link_x = manifest.join("../guest/link.x");
    println!("cargo:rerun-if-env-changed=HYP_LAYOUT_DIR");
    println!("cargo:rerun-if-changed={}", link_x.display());
    let layouts = env::var_os("HYP_LAYOUT_DIR").map(PathBuf::from);
    let systems = tree_systems(&manifest.join("../.."));
    let bins = fs::read_dir(manifest.join("src/bin")).expect("src/bin exists");
    let arm = env::var("TARGET").unwrap_or_default().starts_with("armv8r");
    for entry in bins.flatten() {
        let path = entry.path();
        let Some(bin) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let given = layouts
            .as_ref()
            .map(|d| d.join(bin))
            .filter(|d| d.join("layout.ld").exists());
        let constants = match &given {
            Some(d) => {
                let file = d.join("partition.rs");
                println!("cargo:rerun-if-changed={}", file.display());
                fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            }
            None => constants_from_tree(bin, &systems),
        };
        write_if_changed(&out.join(format!("{bin}.rs")), &constants);
        if !arm {
            continue;
        }
        let dir = given.unwrap_or_else(|| manifest.join("default-layout"));
        println!("cargo:rerun-if-changed={}", dir.join("layout.ld").display());
        println!("cargo:rustc-link-arg-bin={bin}=-L{}", dir.display());
        println!("cargo:rustc-link-arg-bin={bin}=-T{}", link_x.display());
    }
    // A guest whose ELF entry is T32 (bit 0 set): its own entry symbol.
    if arm {
        println!("cargo:rustc-link-arg-bin=thumb=--entry=_start_t32");
    }
}

/// The system files of the tree at `root`, in the order a binary's
/// constants are looked for.
fn tree_systems(root: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["config", "tools/runner/tests/systems"] {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
        files.sort();
        for f in &files {
            println!("cargo:rerun-if-changed={}", f.display());
        }
        all.extend(files);
    }
    all
}

/// The constants of `bin` as the partition that runs it in the first tree
/// system that does; a module saying so when none does (such a program
/// cannot use any).
fn constants_from_tree(bin: &str, systems: &[PathBuf]) -> String {
    let options = front::Options {
        elves_pending: true,
        ..Default::default()
    };
    for path in systems {
        let checked = front::check_file_with(path, &options);
        let Some(c) = checked.compiled.as_ref().filter(|_| checked.ok()) else {
            continue;
        };
        let Some(pi) = c.partitions.iter().position(|p| p.image.as_deref() == Some(bin)) else {
            continue;
        };
        let source = path.display().to_string();
        return constants::render(c, pi, constants::Lang::Rust, &source, "partitions/apps/build.rs")
            .unwrap_or_else(|e| panic!("{source}: constants of `{bin}`: {e}"));
    }
    format!("// No system of the tree runs `{bin}`: no constants.\n")
}

/// Writes `text` unless the file already holds it (no needless rebuilds).
fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

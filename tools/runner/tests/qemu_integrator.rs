//! The integrator's own system (README "Your own system"): a system file
//! in a directory outside the tree, one partition running an ELF built
//! elsewhere (a path in `image`), the others programs of this tree (a name
//! in `image`), run with `make qemu CONFIG=<that file>` from that
//! directory; and a missing ELF refused at its key before anything builds.

use std::path::{Path, PathBuf};
use std::process::Command;

use runner::build::Variant;

/// A fresh, empty directory outside the tree for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rhyp-integrator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(!dir.starts_with(runner::workspace_root()));
    dir
}

/// The demo's text as an integrator would keep it in `dir`: its own copy
/// of the platform file next to it, and `sensor` running `sensor_image`.
fn integrator_system(dir: &Path, sensor_image: &str) -> PathBuf {
    let root = runner::workspace_root();
    std::fs::create_dir_all(dir.join("platforms")).unwrap();
    std::fs::copy(
        root.join("config/platforms/mps3-an536.toml"),
        dir.join("platforms/mps3-an536.toml"),
    )
    .unwrap();
    let demo = std::fs::read_to_string(root.join("config/demo.toml")).unwrap();
    assert!(demo.contains("image = \"sensor\"\n"));
    let text = demo.replace("image = \"sensor\"\n", &format!("image = \"{sensor_image}\"\n"));
    let path = dir.join("ecu.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `make -f <tree>/Makefile <args>` run from `cwd`: exit code, stdout,
/// stderr.
fn make(cwd: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let makefile = runner::workspace_root().join("Makefile");
    let out = Command::new("make")
        .arg("-s")
        .arg("-f")
        .arg(&makefile)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("start make");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Replaces every `from` in `bytes` with `to` (same length); returns how
/// many.
fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[test]
fn make_qemu_runs_a_system_from_outside_the_tree_with_a_foreign_elf() {
    let root = runner::workspace_root();
    let dir = temp_dir("run");
    // The foreign ELF: the sensor, linked for the demo's `sensor` regions
    // (the integrator links theirs with `layouts/sensor.ld`), with its
    // greeting changed so the console shows which ELF ran.
    let demo = runner::system::build_system_in(
        &root.join("config/demo.toml"),
        Variant::Product,
        &root.join("target/qemu_integrator/demo"),
    )
    .expect("build the demo");
    let fragment = root.join("target/qemu_integrator/demo/layouts/sensor.ld");
    assert!(
        std::fs::read_to_string(&fragment).unwrap().contains("MEMORY"),
        "{}",
        fragment.display()
    );
    let built = demo.flash.parent().unwrap().join("elf/sensor");
    let mut elf = std::fs::read(&built).unwrap();
    assert_eq!(
        patch(&mut elf, b"wheel-speed sensor up", b"FOREIGN-ELF sensor up"),
        1
    );
    std::fs::create_dir_all(dir.join("guest")).unwrap();
    std::fs::write(dir.join("guest/sensor.elf"), &elf).unwrap();
    integrator_system(&dir, "guest/sensor.elf");

    // `make image`: built, not run; the paths printed are the files.
    let out_dir = dir.join("out");
    let (code, stdout, stderr) = make(&dir, &["image", "CONFIG=ecu.toml", "OUT=out"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let img = out_dir.join("system.img");
    assert!(
        stdout.contains(&format!("system.img: {}", img.display())),
        "{stdout}"
    );
    assert!(img.is_file() && out_dir.join("system.elf").is_file(), "{stdout}");
    assert_eq!(
        std::fs::read(out_dir.join("elf/sensor.elf")).unwrap(),
        elf,
        "the foreign ELF is the one packed"
    );

    // `make qemu`: the foreign sensor and the tree's controller and rogue.
    let (code, stdout, stderr) = make(&dir, &["qemu", "CONFIG=ecu.toml", "OUT=out"]);
    let context = format!("exit {code:?}\n{stdout}\n--- stderr ---\n{stderr}");
    assert_eq!(code, Some(0), "{context}");
    assert!(stdout.contains("FOREIGN-ELF sensor up"), "{context}");
    assert!(!stdout.contains("wheel-speed sensor up"), "{context}");
    assert!(stdout.contains("all readings sent, shutting down"), "{context}");
    assert!(stdout.contains("traction controller up"), "{context}");
    assert!(stdout.contains("readings processed, shutting down"), "{context}");
    assert!(stdout.contains("diagnostics partition, life 1"), "{context}");
    assert!(
        stdout.contains("[hyp] all partitions stopped; summary:"),
        "{context}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_elf_is_refused_at_its_key_before_anything_is_built() {
    let dir = temp_dir("missing");
    let system = integrator_system(&dir, "guest/nowhere.elf");
    let text = std::fs::read_to_string(&system).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l == "image = \"guest/nowhere.elf\"")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hvrun"))
        .args(["image", "--config", "ecu.toml", "--out", "out"])
        .current_dir(&dir)
        .output()
        .expect("start hvrun");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[E026]"), "{stderr}");
    assert!(stderr.contains("cannot read `guest/nowhere.elf`"), "{stderr}");
    assert!(stderr.contains(&format!("--> ecu.toml:{line}:9")), "{stderr}");
    assert!(!dir.join("out").exists(), "nothing is built");
    // A relative --config is relative to the current directory.
    let out = Command::new(env!("CARGO_BIN_EXE_hvrun"))
        .args(["image", "--config", "no-such.toml"])
        .current_dir(&dir)
        .output()
        .expect("start hvrun");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no system file `no-such.toml`"), "{stderr}");
    assert!(stderr.contains(&dir.display().to_string()), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

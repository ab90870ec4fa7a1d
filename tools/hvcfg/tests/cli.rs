//! The `hvcfg` binary end to end: exit codes, output streams, files written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn hvcfg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hvcfg"))
        .args(args)
        .output()
        .expect("hvcfg runs")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hvcfg-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_valid_prints_a_summary_and_exits_0() {
    let o = hvcfg(&["check", repo("config/demo.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("ok: "), "{out}");
    assert!(out.contains("3 partition(s) on 2 core(s), 1 channel(s)"), "{out}");
}

#[test]
fn check_invalid_prints_diagnostics_and_exits_1() {
    let o = hvcfg(&[
        "check",
        repo("config/tests/invalid/wrap_around.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("error[E012]"), "{err}");
    assert!(err.contains("wrap_around.toml:23:49"), "{err}");
    assert!(err.contains("= key: partition[1].memory[1].size"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn check_json_is_machine_readable() {
    let o = hvcfg(&[
        "check",
        "--format",
        "json",
        repo("config/tests/invalid/mpu_budget.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    // The MPU budget, and the images `a` and `b`, which the tree builds no
    // program of (hvcfg runs from the tree, so it knows its programs).
    assert_eq!(doc["errors"], 3);
    let diags = doc["diagnostics"].as_array().unwrap();
    let d = diags.iter().find(|d| d["code"] == "E016").unwrap();
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(20), Some(8)));
    assert_eq!(d["path"], "partition[1]");
    let unknown: Vec<_> = diags
        .iter()
        .filter(|d| d["code"] == "E032")
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unknown, ["partition[0].image", "partition[1].image"]);

    let o = hvcfg(&[
        "check",
        "--format",
        "json",
        repo("config/minimal.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["summary"]["partitions"][0], "hello");
}

#[test]
fn build_writes_blob_and_fragments_that_dump_reads_back() {
    let dir = out_dir("build");
    let o = hvcfg(&[
        "build",
        repo("config/demo.toml").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in ["system.blob", "sensor.ld", "controller.ld", "rogue.ld"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    assert!(!dir.join("images.bin").exists());
    let blob = dir.join("system.blob");
    let o = hvcfg(&["dump", blob.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(
        out.contains("partition 0 `sensor`: core 0, entry 0x20000000, fault policy restart (budget 3)"),
        "{out}"
    );
    assert!(out.contains("0x20000016 0x2000ffc1"), "{out}");

    let o = hvcfg(&["dump", "--format", "json", blob.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["partitions"][2]["name"], "rogue");
    assert_eq!(doc["channels"][0]["queue_base"], 0x2040_0000);

    // A corrupted blob is refused.
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    std::fs::write(&blob, &bytes).unwrap();
    let o = hvcfg(&["dump", blob.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("blob body CRC mismatch"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A little-endian 32-bit Arm ELF with one loadable segment.
fn elf(addr: u32, code: &[u8]) -> Vec<u8> {
    let mut out = vec![0x7F, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&40u16.to_le_bytes());
    for v in [1u32, addr, 52, 0, 0x0500_0400] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [52u16, 32, 1, 0, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [1u32, 84, addr, addr, code.len() as u32, code.len() as u32, 5, 4] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(code);
    out
}

#[test]
fn build_with_an_image_writes_the_flash_store() {
    let dir = out_dir("image");
    std::fs::create_dir_all(&dir).unwrap();
    let elf_path = dir.join("hello.elf");
    std::fs::write(&elf_path, elf(0x2000_0000, &[0xFE, 0xFF, 0xFF, 0xEA])).unwrap();
    let spec = format!("hello={}", elf_path.display());
    let o = hvcfg(&[
        "build",
        repo("config/minimal.toml").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
        "--image",
        &spec,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read(dir.join("images.bin")).unwrap(),
        [0xFE, 0xFF, 0xFF, 0xEA]
    );
    let o = hvcfg(&["dump", dir.join("system.blob").to_str().unwrap()]);
    assert!(
        text(&o.stdout).contains("image: 4 bytes stored at 0x08000000, loaded at 0x20000000"),
        "{}",
        text(&o.stdout)
    );

    // An image linked outside the partition is refused.
    std::fs::write(&elf_path, elf(0x2100_0000, &[0; 4])).unwrap();
    let o = hvcfg(&[
        "build",
        repo("config/minimal.toml").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
        "--image",
        &spec,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("error[E026]"), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn show_prints_the_memory_map_and_tables() {
    let o = hvcfg(&["show", repo("config/demo.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(out.starts_with("memory map:\n"), "{out}");
    assert!(
        out.contains("channel-pool     0x20400000..0x20410000    64K"),
        "{out}"
    );
    assert!(
        out.contains("MPU: preload every partition, switch with HPRENR"),
        "{out}"
    );
    let o = hvcfg(&[
        "show",
        "--format",
        "json",
        repo("config/demo.toml").to_str().unwrap(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["memory_map"]["hypervisor_blob"]["base"], 0x1007_0000);
    assert_eq!(doc["system"]["partitions"][1]["regions"][3]["name"], "uart3");
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(hvcfg(&["check"]).status.code(), Some(2));
    assert_eq!(
        hvcfg(&["dump", "/nonexistent/system.blob"]).status.code(),
        Some(2)
    );
    let o = hvcfg(&["check", "/nonexistent/system.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot read `/nonexistent/system.toml`"));
}

#[test]
fn build_packs_the_elf_an_image_path_names() {
    let dir = out_dir("image-path");
    std::fs::create_dir_all(dir.join("fw")).unwrap();
    std::fs::write(
        dir.join("fw/hello.elf"),
        elf(0x2000_0000, &[0xFE, 0xFF, 0xFF, 0xEA]),
    )
    .unwrap();
    let minimal = std::fs::read_to_string(repo("config/minimal.toml")).unwrap();
    let platform = repo("config/platforms/mps3-an536.toml");
    let text_sys = minimal
        .replace(
            "include = \"platforms/mps3-an536.toml\"",
            &format!("include = \"{}\"", platform.display()),
        )
        .replace("core = 0\nmemory", "core = 0\nimage = \"fw/hello.elf\"\nmemory");
    assert!(text_sys.contains("image = \"fw/hello.elf\""));
    std::fs::write(dir.join("sys.toml"), text_sys).unwrap();
    let out = dir.join("out");
    let o = hvcfg(&[
        "build",
        dir.join("sys.toml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read(out.join("images.bin")).unwrap(),
        [0xFE, 0xFF, 0xFF, 0xEA]
    );
    assert!(out.join("hello.ld").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo as an integrator would write it, in `dir`, with `sensor`
/// running `image` (the platform file included by its absolute path).
fn demo_with_sensor_image(dir: &Path, image: &str) -> PathBuf {
    let demo = std::fs::read_to_string(repo("config/demo.toml")).unwrap();
    let platform = repo("config/platforms/mps3-an536.toml");
    assert!(demo.contains("image = \"sensor\"\n"));
    let text_sys = demo
        .replace(
            "include = \"platforms/mps3-an536.toml\"",
            &format!("include = \"{}\"", platform.display()),
        )
        .replace("image = \"sensor\"\n", &format!("image = \"{image}\"\n"));
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("ecu.toml");
    std::fs::write(&path, text_sys).unwrap();
    path
}

/// Run from the tree, `check` (and `build`) know the programs the tree
/// builds, as hvrun does: a misspelt program is E032 at its key, with the
/// nearest name; an ELF path is still taken.
#[test]
fn check_refuses_an_image_no_program_of_the_tree_has() {
    let dir = out_dir("unknown-image");
    let path = demo_with_sensor_image(&dir, "sensr");
    let line = 1 + std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l == "image = \"sensr\"")
        .unwrap();
    let o = hvcfg(&["check", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("error[E032]"), "{err}");
    assert!(
        err.contains("runs `sensr`, which is not a program this build knows; did you mean `sensor`?"),
        "{err}"
    );
    assert!(err.contains(&format!("--> {}:{line}:9", path.display())), "{err}");
    assert!(
        err.contains("bystander, controller"),
        "the list of programs: {err}"
    );
    let o = hvcfg(&[
        "build",
        path.to_str().unwrap(),
        "-o",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("error[E032]"), "{}", text(&o.stderr));
    assert!(!dir.join("out").exists(), "nothing is written");

    // The bare-board program is a program of the tree too.
    let path = demo_with_sensor_image(&dir, "baremetal");
    let o = hvcfg(&["check", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    // An ELF path is no program name: accepted when the ELF is there.
    std::fs::create_dir_all(dir.join("fw")).unwrap();
    std::fs::write(
        dir.join("fw/sensor.elf"),
        elf(0x2000_0000, &[0xFE, 0xFF, 0xFF, 0xEA]),
    )
    .unwrap();
    let path = demo_with_sensor_image(&dir, "fw/sensor.elf");
    let o = hvcfg(&["check", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("ok: "), "{}", text(&o.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

/// What an outside build links with comes before its ELF: `constants`
/// writes the header, the module and the linker fragment of a partition
/// whose `image` ELF does not exist yet (the fragment is the one `build`
/// writes), while `check` still refuses the missing ELF.
#[test]
fn constants_come_before_the_elf_they_are_linked_into() {
    let dir = out_dir("pending-elf");
    let path = demo_with_sensor_image(&dir, "build/sensor.elf");
    let o = hvcfg(&["check", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("error[E026]"), "{}", text(&o.stderr));
    let mut got = Vec::new();
    for lang in ["c", "rust", "ld"] {
        let o = hvcfg(&[
            "constants",
            path.to_str().unwrap(),
            "--partition",
            "sensor",
            "--lang",
            lang,
        ]);
        assert_eq!(o.status.code(), Some(0), "{lang}: {}", text(&o.stderr));
        got.push(text(&o.stdout));
    }
    assert!(got[0].contains("#define HV_CHAN_TX_READINGS 0u"), "{}", got[0]);
    assert!(
        got[1].contains("pub const CHAN_TX_READINGS: u32 = 0;"),
        "{}",
        got[1]
    );
    assert!(
        got[2].contains("REGION_ALIAS(\"PART_CODE\", CODE);"),
        "{}",
        got[2]
    );
    // The same fragment `build` writes, once the ELF is there.
    std::fs::create_dir_all(dir.join("build")).unwrap();
    std::fs::write(
        dir.join("build/sensor.elf"),
        elf(0x2000_0000, &[0xFE, 0xFF, 0xFF, 0xEA]),
    )
    .unwrap();
    let out = dir.join("out");
    let o = hvcfg(&["build", path.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("sensor.ld")).unwrap(), got[2]);
    assert_eq!(std::fs::read_to_string(out.join("sensor.h")).unwrap(), got[0]);
    assert_eq!(std::fs::read_to_string(out.join("sensor.rs")).unwrap(), got[1]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every bare-board program the runner builds is a program `hvcfg check`
/// knows too (one list, `hypcfg::front::programs`): the arm-gic program's
/// system is not refused as E032.
#[test]
fn check_knows_the_bare_board_programs() {
    for system in [
        "tools/runner/tests/systems/armgic.toml",
        "tools/runner/tests/systems/baremetal.toml",
    ] {
        let o = hvcfg(&["check", repo(system).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{system}: {}", text(&o.stderr));
    }
}

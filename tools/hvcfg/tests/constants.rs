//! `hvcfg constants` and the constants `hvcfg build` writes: the text is
//! stable (snapshots), the values are the compiled system's, the Rust
//! module compiles and the C header is valid C.
//!
//! Snapshots live in `tests/snapshots/`; after a deliberate change of the
//! output, regenerate them with `HVCFG_UPDATE_SNAPSHOTS=1 cargo test -p
//! hvcfg --test constants` and review the diff.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hypcfg::front::{self, Compiled};
use hypcfg::system::RegionKind;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs hvcfg from the workspace root, so relative paths (and so the
/// generated headers) are the same on every machine.
fn hvcfg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hvcfg"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("hvcfg runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hvcfg-constants-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Systems with channels both ways, shared blocks, devices with
/// interrupts, and explicit interrupts.
const SYSTEMS: &[&str] = &[
    "config/demo.toml",
    "tools/runner/tests/systems/devirq.toml",
    "tools/runner/tests/systems/ipc.toml",
    "tools/runner/tests/systems/shm.toml",
    "tools/runner/tests/systems/gic.toml",
];

fn compiled(path: &str) -> Compiled {
    let checked = front::check_file(&root().join(path));
    assert!(checked.ok(), "{path}: {}", checked.render());
    checked.compiled.unwrap()
}

fn constants(system: &str, partition: &str, lang: &str) -> String {
    let o = hvcfg(&["constants", system, "--partition", partition, "--lang", lang]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
}

fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("HVCFG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (HVCFG_UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its snapshot from line {}:\n  snapshot: {:?}\n  now:      {:?}\n(HVCFG_UPDATE_SNAPSHOTS=1 rewrites the snapshot)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn output_matches_the_snapshots() {
    for (p, lang, file) in [
        ("sensor", "rust", "demo_sensor.rs"),
        ("controller", "rust", "demo_controller.rs"),
        ("sensor", "c", "demo_sensor.h"),
        ("controller", "c", "demo_controller.h"),
    ] {
        check_snapshot(file, &constants("config/demo.toml", p, lang));
    }
    // Deterministic: the same twice.
    assert_eq!(
        constants("config/demo.toml", "rogue", "c"),
        constants("config/demo.toml", "rogue", "c")
    );
}

/// `pub const NAME: type = value;` lines of a generated Rust module.
fn rust_consts(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .map(|l| {
            let (name, rest) = l.split_once(':').unwrap();
            let value = rest.split_once(" = ").unwrap().1.trim_end_matches(';');
            (name.to_string(), value.replace('_', ""))
        })
        .collect()
}

fn num(v: &str) -> u64 {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => v.parse().unwrap(),
    }
}

fn up(name: &str) -> String {
    name.replace('-', "_").to_uppercase()
}

#[test]
fn values_are_the_compiled_systems() {
    for system in SYSTEMS {
        let c = compiled(system);
        for (pi, part) in c.system.partitions.iter().enumerate() {
            let k = rust_consts(&constants(system, &part.name, "rust"));
            let ctx = format!("{system} `{}`", part.name);
            assert_eq!(num(&k["PARTITION_ID"]), pi as u64, "{ctx}");
            assert_eq!(k["PARTITION_NAME"], format!("{:?}", part.name.as_str()), "{ctx}");
            assert_eq!(num(&k["CORE"]), part.core.0 as u64, "{ctx}");
            assert_eq!(num(&k["ENTRY"]), part.entry as u64, "{ctx}");
            let layout = &c.partitions[pi];
            for r in &layout.regions {
                let prefix = match r.kind {
                    RegionKind::Memory => "MEM",
                    RegionKind::Shared => "SHM",
                    RegionKind::Device => "DEV",
                };
                let id = format!("{prefix}_{}", up(&r.name));
                assert_eq!(num(&k[&format!("{id}_BASE")]), r.span.base as u64, "{ctx} {id}");
                assert_eq!(num(&k[&format!("{id}_SIZE")]), r.span.size as u64, "{ctx} {id}");
                if r.kind == RegionKind::Device {
                    let dev = c.devices.iter().find(|d| d.name == r.name).unwrap();
                    let list: Vec<String> = dev.irqs.iter().map(|i| i.to_string()).collect();
                    assert_eq!(
                        k[&format!("{id}_IRQS")],
                        format!("[{}]", list.join(", ")),
                        "{ctx}"
                    );
                } else {
                    assert_eq!(k[&format!("{id}_PERM")], format!("{:?}", r.perm), "{ctx}");
                }
            }
            let irqs: Vec<String> = part.irqs.iter().map(|i| i.to_string()).collect();
            assert_eq!(k["IRQS"], format!("[{}]", irqs.join(", ")), "{ctx}");
            let mut ends = 0;
            for (ci, ch) in c.system.channels.iter().enumerate() {
                for (mine, dir) in [(ch.sender.index() == pi, "TX"), (ch.receiver.index() == pi, "RX")] {
                    let id = format!("CHAN_{dir}_{}", up(&ch.name));
                    if mine {
                        ends += 1;
                        assert_eq!(num(&k[&id]), ci as u64, "{ctx} {id}");
                        assert_eq!(num(&k[&format!("{id}_MSG_SIZE")]), ch.msg_size as u64);
                        assert_eq!(num(&k[&format!("{id}_DEPTH")]), ch.depth as u64);
                    } else {
                        assert!(!k.contains_key(&id), "{ctx}: {id} is not its channel end");
                    }
                }
            }
            let chan_ids = k
                .keys()
                .filter(|n| n.starts_with("CHAN_") && !n.ends_with("_MSG_SIZE") && !n.ends_with("_DEPTH"))
                .count();
            assert_eq!(chan_ids, ends, "{ctx}");
        }
    }
}

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

#[test]
fn the_rust_modules_compile() {
    let dir = tmp("rust");
    let mut lib = String::from("#![deny(warnings)]\n");
    for (si, system) in SYSTEMS.iter().enumerate() {
        let c = compiled(system);
        for (pi, part) in c.system.partitions.iter().enumerate() {
            let file = format!("s{si}_{}.rs", part.name);
            std::fs::write(dir.join(&file), constants(system, &part.name, "rust")).unwrap();
            // As the header suggests: included into a module, and used.
            lib.push_str(&format!(
                "#[allow(dead_code)]\nmod s{si}_{} {{ include!(\"{file}\"); }}\nconst _: () = assert!(s{si}_{}::PARTITION_ID == {pi});\n",
                part.name, part.name
            ));
        }
    }
    std::fs::write(dir.join("lib.rs"), lib).unwrap();
    let o = Command::new(rustc())
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
            "-o",
        ])
        .arg(dir.join("libgen.rmeta"))
        .arg(dir.join("lib.rs"))
        .output()
        .expect("rustc runs");
    assert!(o.status.success(), "rustc: {}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_c_headers_are_valid_c() {
    if Command::new("gcc").arg("--version").output().is_err() {
        println!("note: gcc not found; the C headers were not compiled");
        return;
    }
    let dir = tmp("c");
    for system in SYSTEMS {
        let c = compiled(system);
        for (pi, part) in c.system.partitions.iter().enumerate() {
            let header = format!("{}.h", part.name);
            std::fs::write(dir.join(&header), constants(system, &part.name, "c")).unwrap();
            // Included twice (the guard), every kind of macro used.
            let mut src = format!(
                "#include \"{header}\"\n#include \"{header}\"\n_Static_assert(HV_PARTITION_ID == {pi}u, \"id\");\nstatic const char name[] = HV_PARTITION_NAME;\nunsigned use(void) {{ return (unsigned)sizeof name + HV_IRQ_COUNT + HV_ENTRY; }}\n"
            );
            if !part.irqs.is_empty() {
                src.push_str(
                    "static const unsigned irqs[] = HV_IRQS;\nunsigned first(void) { return irqs[0]; }\n",
                );
            }
            let file = dir.join(format!("{}.c", part.name));
            std::fs::write(&file, src).unwrap();
            let o = Command::new("gcc")
                .args([
                    "-std=c11",
                    "-Wall",
                    "-Wextra",
                    "-pedantic",
                    "-Werror",
                    "-fsyntax-only",
                ])
                .arg(&file)
                .output()
                .expect("gcc runs");
            assert!(
                o.status.success(),
                "{system} `{}`: {}",
                part.name,
                text(&o.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_writes_a_module_and_a_header_per_partition() {
    let dir = tmp("build");
    let o = hvcfg(&["build", "config/demo.toml", "-o", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for p in ["sensor", "controller", "rogue"] {
        for (ext, lang) in [("rs", "rust"), ("h", "c")] {
            let written = std::fs::read_to_string(dir.join(format!("{p}.{ext}"))).unwrap();
            assert_eq!(written, constants("config/demo.toml", p, lang), "{p}.{ext}");
        }
    }
    assert!(text(&o.stdout).contains("sensor.h"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn constants_errors_name_the_problem() {
    let o = hvcfg(&[
        "constants",
        "config/demo.toml",
        "--partition",
        "nobody",
        "--lang",
        "c",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no partition `nobody`; partitions: sensor, controller, rogue"),
        "{}",
        text(&o.stderr)
    );
    let o = hvcfg(&[
        "constants",
        "config/demo.toml",
        "--partition",
        "sensor",
        "--lang",
        "go",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = hvcfg(&[
        "constants",
        "config/tests/invalid/wrap_around.toml",
        "--partition",
        "sensor",
        "--lang",
        "c",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("error[E012]"), "{}", text(&o.stderr));
}

#[test]
fn names_that_would_become_one_constant_are_refused() {
    let dir = tmp("clash");
    let platform = root().join("config/platforms/mps3-an536.toml");
    let system = format!(
        r#"[platform]
include = "{}"

[hypervisor]
image = {{ base = 0x1000_0000, size = "448K" }}
blob = {{ base = 0x1007_0000, size = "64K" }}
console = "uart2"
channel_pool = {{ base = 0x2040_0000, size = "64K" }}

[[partition]]
name = "a"
core = 0
memory = [
    {{ name = "code", size = "64K", perm = "r-x" }},
    {{ name = "data", size = "64K", perm = "rw-" }},
]

[[partition]]
name = "b"
core = 0
memory = [
    {{ name = "code", size = "64K", perm = "r-x" }},
    {{ name = "data", size = "64K", perm = "rw-" }},
]

[[channel]]
name = "to-b"
sender = "a"
receiver = "b"
msg_size = 8
depth = 2

[[channel]]
name = "to_b"
sender = "a"
receiver = "b"
msg_size = 8
depth = 2

[[schedule]]
core = 0
major_frame_us = 10_000
windows = [{{ partition = "a", duration_us = 5_000 }}, {{ partition = "b", duration_us = 5_000 }}]
"#,
        platform.display()
    );
    let path = dir.join("clash.toml");
    std::fs::write(&path, system).unwrap();
    let o = hvcfg(&[
        "constants",
        path.to_str().unwrap(),
        "--partition",
        "a",
        "--lang",
        "rust",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("two names become the constant `CHAN_TX_TO_B`") && err.contains("rename one"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    let o = hvcfg(&[
        "build",
        path.to_str().unwrap(),
        "-o",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("CHAN_TX_TO_B"), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

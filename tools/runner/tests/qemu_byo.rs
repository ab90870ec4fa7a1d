//! "Bring your own partition" (docs/guest.md), as the document says to do
//! it: the C sensor of `partitions/examples/c` built by its Makefile with
//! arm-none-eabi-gcc, and the Rust crate of `partitions/examples/rust`
//! (outside the workspace) built with its own `cargo build`, each from
//! the header/module and linker fragment hvcfg generates from its system
//! file; then each system run with `make -f <tree>/Makefile qemu
//! CONFIG=...` from the example's directory. The messages each sends or
//! receives must reach the other end.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example directory `name` of the tree.
fn example(name: &str) -> PathBuf {
    runner::workspace_root().join("partitions/examples").join(name)
}

/// The commands of the `sh` block of docs/guest.md that starts with the
/// line `# <title>`, in order. A line that ends in `# shipped core` or
/// `# core from rust-src` is kept only when that is how this machine gets
/// `core` for the target (what the Makefile picks too).
fn doc_commands(title: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(runner::workspace_root().join("docs/guest.md")).unwrap();
    let first = format!("# {title}\n");
    let block = doc
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.starts_with(&first))
        .unwrap_or_else(|| panic!("docs/guest.md has no `sh` block starting `{}`", first.trim()));
    let shipped = runner::build::core_source().expect("core for the target (make setup)")
        == runner::build::CoreSource::Shipped;
    block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| {
            if l.ends_with("# shipped core") {
                shipped
            } else if l.ends_with("# core from rust-src") {
                !shipped
            } else {
                true
            }
        })
        .map(String::from)
        .collect()
}

/// Runs `command` with `sh -c` in `cwd`: exit code, stdout, stderr.
fn sh(cwd: &Path, command: &str) -> (Option<i32>, String, String) {
    let out = Command::new("sh")
        .args(["-c", command])
        .current_dir(cwd)
        // The example crate builds into its own target/, as its system
        // file expects, whatever the test harness was started with.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("start sh");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the commands of the docs/guest.md block `title` in `cwd`, each of
/// which must succeed; returns what the last one printed.
fn run_doc_block(cwd: &Path, title: &str) -> String {
    let commands = doc_commands(title);
    assert!(!commands.is_empty(), "the block `{title}` has commands");
    let mut last = String::new();
    for command in &commands {
        let (code, stdout, stderr) = sh(cwd, command);
        assert_eq!(
            code,
            Some(0),
            "`{command}` in {}: exit {code:?}\n{stdout}\n--- stderr ---\n{stderr}",
            cwd.display()
        );
        last = stdout;
    }
    last
}

/// Fails (never skips) without the C cross compiler, saying what to do.
fn require_gcc() {
    let found = Command::new("arm-none-eabi-gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "arm-none-eabi-gcc not found: the C partition example needs it; run `make setup` \
         (as root it installs Debian's gcc-arm-none-eabi, otherwise it prints the command)"
    );
}

fn assert_has(console: &str, line: &str) {
    assert!(console.contains(line), "missing `{line}` in:\n{console}");
}

#[test]
fn a_c_partition_built_with_gcc_feeds_the_rust_controller() {
    require_gcc();
    let dir = example("c");
    let clean = || {
        let (code, stdout, stderr) = sh(&dir, "make clean");
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        assert!(!dir.join("build").exists());
    };
    // By hand, from scratch: the header and fragment from the system file,
    // then the ELF.
    clean();
    run_doc_block(&dir, "in partitions/examples/c, by hand");
    assert!(dir.join("build/sensor.elf").is_file());
    // With make, from scratch, then the run.
    clean();
    let console = run_doc_block(&dir, "in partitions/examples/c");
    let header = std::fs::read_to_string(dir.join("build/gen/sensor.h")).unwrap();
    // `readings` is channel 1 in this system (0 in the demo the
    // controller's fallback constants come from).
    assert!(header.contains("#define HV_CHAN_TX_READINGS 1u"), "{header}");
    assert!(dir.join("build/sensor.elf").is_file());
    assert_has(&console, "[hyp] run over: exit code 0");

    // Linked where hvcfg placed the partition (its fragment).
    let code_base = header
        .lines()
        .find_map(|l| l.strip_prefix("#define HV_MEM_CODE_BASE "))
        .and_then(|v| u32::from_str_radix(v.trim_start_matches("0x").trim_end_matches('u'), 16).ok())
        .expect("HV_MEM_CODE_BASE in the header");
    assert_has(
        &console,
        &format!("[hyp]   partition 0 sensor       core 0 entry {code_base:#010x}"),
    );
    assert_has(
        &console,
        "[sensor] C sensor up: partition 0 `sensor` on core 0, ABI 1.0",
    );
    assert_has(
        &console,
        "[sensor] receiving on its own send channel -> status -8 (NotOwner is -8)",
    );
    for seq in 0..8u32 {
        let rpm = 1500 + 25 * seq;
        assert_has(
            &console,
            &format!("[sensor] reading #{seq}: {rpm} rpm sent on channel 1"),
        );
        // The Rust controller, built with this system's constants, took
        // what the C sensor sent on channel 1.
        assert_has(
            &console,
            &format!("[controller] reading #{seq}: {rpm} rpm -> torque"),
        );
    }
    assert_has(&console, "[sensor] all readings sent, shutting down");
    assert_has(&console, "[controller] all 8 readings processed, shutting down");
    assert_has(&console, "[hyp] partition sensor shut down (exit code 0)");
    assert_has(&console, "[hyp] partition controller shut down (exit code 0)");
}

#[test]
fn a_rust_crate_outside_the_workspace_takes_the_sensors_readings() {
    let dir = example("rust");
    let elf = dir.join("target/armv8r-none-eabihf/release/monitor");
    let lock = std::fs::read(dir.join("Cargo.lock")).unwrap();
    // Generated files and the ELF made again each way (cargo keeps its
    // cache of the dependencies).
    let scrub = || {
        let _ = std::fs::remove_dir_all(dir.join("gen"));
        let _ = std::fs::remove_file(&elf);
    };
    scrub();
    run_doc_block(&dir, "in partitions/examples/rust, by hand");
    assert!(elf.is_file());
    scrub();
    let console = run_doc_block(&dir, "in partitions/examples/rust");
    assert!(elf.is_file());
    assert!(dir.join("gen/monitor.rs").is_file());
    assert_eq!(
        std::fs::read(dir.join("Cargo.lock")).unwrap(),
        lock,
        "built with the committed Cargo.lock"
    );
    assert_has(&console, "[hyp] run over: exit code 0");

    assert_has(
        &console,
        "[monitor] monitor (crate outside the workspace) up: partition 1 on core 1, listening on channel 0 `readings`",
    );
    let mut sum = 0;
    for seq in 0..8u32 {
        let rpm = 1200 + (seq * 137) % 400;
        sum += rpm;
        assert_has(&console, &format!("[sensor] reading #{seq}: {rpm} rpm sent"));
        assert_has(&console, &format!("[monitor] got reading #{seq}: {rpm} rpm"));
    }
    assert_has(&console, &format!("average {} rpm; shutting down", sum / 8));
    assert_has(&console, "[monitor] 8 readings after ");
    assert_has(&console, "[hyp] partition monitor shut down (exit code 0)");
    assert_has(&console, "[hyp] partition sensor shut down (exit code 0)");
}

/// A32 program for `data_loaded_into_writable_memory_is_there_at_every_start`:
/// `.data` is loaded straight into the writable region (no `AT>`), `.bss`
/// follows it. In its first life it checks both, overwrites them and
/// restarts; in its second it checks them again and shuts down with 0.
/// Any wrong value shuts it down with 3 (data) or 4 (bss).
const LOADED_DATA_S: &str = r#"
    .syntax unified
    .arm
    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__stack_top
    ldr     r4, =value
    ldr     r5, [r4]
    ldr     r6, =0x5afe0001
    cmp     r5, r6
    movne   r1, #3
    bne     out
    ldr     r4, =zeroed
    ldr     r5, [r4]
    cmp     r5, #0
    movne   r1, #4
    bne     out
    sub     sp, sp, #16
    mov     r1, sp
    mov     r0, #0x09               @ PARTITION_INFO: id, core, restarts, abi
    hvc     #0
    ldr     r7, [sp, #8]
    cmp     r7, #0
    movne   r1, #0
    bne     out
    ldr     r4, =value              @ first life: spoil both, restart
    mov     r5, #0
    str     r5, [r4]
    ldr     r4, =zeroed
    mvn     r5, #0
    str     r5, [r4]
    mov     r0, #0x07               @ RESTART
    hvc     #0
out:
    mov     r0, #0x08               @ SHUTDOWN, r1 = exit code
    hvc     #0
1:  b       1b
    .ltorg
    .data
value:
    .word   0x5afe0001
    .bss
zeroed:
    .word   0
"#;

const LOADED_DATA_LD: &str = r#"
MEMORY
{
    CODE (rx) : ORIGIN = 0x20000000, LENGTH = 64K
    DATA (rw) : ORIGIN = 0x20010000, LENGTH = 64K
}
ENTRY(_start)
PHDRS
{
    code PT_LOAD FLAGS(5);
    data PT_LOAD FLAGS(6);
}
SECTIONS
{
    .text : { KEEP(*(.text.start)) *(.text .text.*) } > CODE :code
    .data : { *(.data .data.*) } > DATA :data
    .bss : { *(.bss .bss.*) } > DATA :data
    __stack_top = ORIGIN(DATA) + LENGTH(DATA);
}
"#;

const LOADED_DATA_TOML: &str = r#"
[platform]
include = "PLATFORM"

[hypervisor]
image = { base = 0x1000_0000, size = "448K" }
blob = { base = 0x1007_0000, size = "64K" }
console = "uart2"
devices = ["gicd", "gicr"]
interrupts = [25, 26]

[[partition]]
name = "loader"
core = 0
image = "loaded.elf"
fault_policy = "restart"
restart_budget = 1
memory = [
    { name = "code", base = 0x2000_0000, size = "64K", perm = "r-x" },
    { name = "data", base = 0x2001_0000, size = "64K", perm = "rw-" },
]

[[schedule]]
core = 0
major_frame_us = 10_000
windows = [{ partition = "loader", duration_us = 10_000 }]
"#;

/// An ELF built elsewhere may load its initialised data straight into a
/// writable region, as a boot loader would put it there: the hypervisor
/// clears writable memory before copying the image, so the data is there
/// at the first start and again after a restart (and `.bss` is zero).
#[test]
fn data_loaded_into_writable_memory_is_there_at_every_start() {
    require_gcc();
    let dir = std::env::temp_dir().join(format!("rhyp-loaded-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("loaded.S"), LOADED_DATA_S).unwrap();
    std::fs::write(dir.join("loaded.ld"), LOADED_DATA_LD).unwrap();
    let platform = runner::workspace_root().join("config/platforms/mps3-an536.toml");
    let toml = LOADED_DATA_TOML.replace("PLATFORM", &platform.display().to_string());
    std::fs::write(dir.join("loaded.toml"), toml).unwrap();
    let (code, stdout, stderr) = sh(
        &dir,
        "arm-none-eabi-gcc -mcpu=cortex-r52 -marm -nostdlib -nostartfiles -Tloaded.ld \
         -Wl,--build-id=none -o loaded.elf loaded.S",
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_hvrun"))
        .args(["run", "--config", "loaded.toml", "--out", "out"])
        .current_dir(&dir)
        .output()
        .expect("start hvrun");
    let console = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        console.contains("[hyp] partition loader shut down (exit code 0)"),
        "{console}\n--- stderr ---\n{stderr}"
    );
    assert_has(&console, "[hyp] run over: exit code 0");
    assert!(
        console.contains("restart"),
        "the partition restarted once:\n{console}\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{console}\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

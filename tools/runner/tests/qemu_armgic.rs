//! QEMU tests of issue #13: `gicprog` (partitions/gicprog), a bare-board
//! program on the `arm-gic` crate's GICv3 driver, takes its timer
//! interrupt and a self-SGI and prints the same bytes on UART3 alone on
//! the board and as a partition (`tests/systems/armgic.toml`, sharing
//! core 0 with `periodic`).
//!
//! The program ends both runs with a semihosting exit (it cannot tell
//! whether a hypervisor runs it), so both runs have semihosting on: it is
//! trusted here, as `baremetal` is in `qemu_windows.rs`.

use std::path::{Path, PathBuf};

use runner::qemu::{parse_uart, Outcome, Run};
use runner::system::{build_and_run, build_bare_program};

/// What `gicprog` prints on UART3 when both interrupts are taken: every
/// line, in order, nothing else.
const EXPECTED: &str = "\
gicprog: up at EL1 on core 0
gicprog: GIC set up (arm-gic GicV3::setup)
gicprog: timer INTID 27 enabled true, priority 0x80
gicprog: timer interrupt taken: INTID 27, 1 time(s)
gicprog: SGI INTID 3 enabled true, priority 0x90
gicprog: SGI taken: INTID 3, 1 time(s)
gicprog: done: 1 timer interrupt(s), 1 SGI(s)
";

/// A fresh file for UART3's output of run `tag` of this test process.
fn uart3_file(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rhyp-armgic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{tag}-uart3.log"));
    let _ = std::fs::remove_file(&file);
    file
}

/// UART3's bytes after a run (empty if it wrote none).
fn read(file: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned()
}

/// Runs `gicprog` alone on the bare board (no hypervisor: QEMU starts it
/// in Hyp mode on both cores) with UART3 routed to a file; returns the
/// run and that file's bytes.
fn run_alone() -> (Outcome, String) {
    let elf = build_bare_program("gicprog").expect("build gicprog");
    let file = uart3_file("alone");
    let out = Run::bare(elf, &[parse_uart(&format!("uart3={}", file.display())).unwrap()])
        .run()
        .expect("run gicprog alone");
    (out, read(&file))
}

#[test]
fn the_arm_gic_program_takes_its_timer_interrupt_and_sgi_alone_on_the_board() {
    let (out, uart3) = run_alone();
    assert_eq!(out.exit_code, Some(0), "alone: {uart3}\n{}", out.tail(20));
    assert!(!out.status_line, "no hypervisor ran");
    assert_eq!(uart3, EXPECTED, "alone on the board");
}

#[test]
fn the_arm_gic_program_prints_the_same_bytes_as_a_partition() {
    let (alone, bare) = run_alone();
    assert_eq!(alone.exit_code, Some(0), "alone: {bare}\n{}", alone.tail(20));
    let file = uart3_file("partition");
    let route = parse_uart(&format!("uart3={}", file.display())).unwrap();
    let out = build_and_run("tools/runner/tests/systems/armgic.toml", |run| {
        run.semihosting = true;
        run.uarts.push(route);
    })
    .expect("build and run armgic.toml");
    let part = read(&file);
    // Every access it made was emulated as the board does it: no fault.
    let faults: Vec<&String> = out.console.iter().filter(|l| l.contains("FAULT")).collect();
    assert!(faults.is_empty(), "faults:\n{faults:#?}\nUART3:\n{part}");
    assert_eq!(out.exit_code, Some(0), "UART3:\n{part}\n{}", out.tail(40));
    assert_eq!(
        part, bare,
        "UART3 differs between the bare board and the partition"
    );
    assert_eq!(part, EXPECTED);
    // The partition sharing its core ran its own virtual timer to the end
    // while `gicprog` waited: windows switched, interrupts were kept apart.
    assert!(out.has("[periodic] 20 timer interrupts"), "{}", out.tail(40));
    // Nothing of it reached the console.
    assert!(!out.has("gicprog:"), "{}", out.tail(40));
}

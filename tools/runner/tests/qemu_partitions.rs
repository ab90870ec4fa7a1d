//! QEMU tests of partitions at EL1, one per claim: each partition starts,
//! every isolation attack is stopped and reported, restart restores a
//! pristine partition without disturbing the others, halt is for good,
//! and bad hypercalls get error codes. The systems are in `tests/systems/`
//! and `config/demo.toml`.

use runner::qemu::Outcome;
use runner::system::build_and_run;

/// The isolation system's run, shared by the tests that read it.
fn isolation() -> &'static Outcome {
    static RUN: std::sync::OnceLock<Outcome> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run("tools/runner/tests/systems/isolation.toml"))
}

fn run(system: &str) -> Outcome {
    build_and_run(system, |_| {}).expect("build and run")
}

/// Checks that `controller` processed readings #0..#7 in order.
fn controller_undisturbed(out: &Outcome) {
    let seqs: Vec<u32> = out
        .lines_of("controller")
        .iter()
        .filter_map(|l| l.strip_prefix("reading #"))
        .filter_map(|l| l.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(seqs, (0..8).collect::<Vec<_>>(), "{}", out.tail(60));
    assert!(
        out.has("[controller] all 8 readings processed"),
        "{}",
        out.tail(60)
    );
}

#[test]
fn demo_runs_every_partition_and_ends_with_a_summary() {
    let out = run("config/demo.toml");
    out.expect_exit(0).unwrap();
    for p in ["sensor", "controller", "rogue"] {
        assert!(
            !out.lines_of(p).is_empty(),
            "partition {p} never printed:\n{}",
            out.tail(60)
        );
    }
    controller_undisturbed(&out);
    assert!(out.has("-> restart 1/2"), "{}", out.tail(60));
    assert!(out.has("-> restart 2/2"), "{}", out.tail(60));
    assert!(
        out.has("[hyp] partition rogue halted: restart budget exhausted"),
        "{}",
        out.tail(60)
    );
    assert!(
        out.has("[hyp] all partitions stopped; summary:"),
        "{}",
        out.tail(60)
    );
    assert!(!out.has("isolation is broken"), "{}", out.tail(60));
}

#[test]
fn every_isolation_attack_is_stopped_and_reported() {
    let out = isolation();
    out.expect_exit(0).unwrap();
    // (attack number, what the health monitor must report)
    let fault = "[hyp] FAULT attacker (partition 0, core 0): ";
    let expected = [
        (1, fault, "data abort (read), permission fault at 0x20110000"),
        (2, fault, "data abort (write), permission fault at 0x20110004"),
        (3, fault, "data abort (read), permission fault at 0x20100000"),
        (4, fault, "data abort (read), permission fault at 0x10000000"),
        (5, fault, "data abort (write), permission fault at 0x10008000"),
        (6, fault, "prefetch abort, permission fault at 0x10000000"),
        (7, fault, "data abort (write), permission fault at 0x20000000"),
        (8, fault, "prefetch abort, permission fault at 0x20010000"),
        (9, fault, "data abort (read), permission fault at 0xe0206000"),
        (
            10,
            fault,
            "GIC write refused, enable/disable of an interrupt it does not own at 0xf0000104",
        ),
        (11, fault, "data abort (write), permission fault at 0xf0120000"),
        (12, fault, "data abort (read), permission fault at 0x10070000"),
        (13, fault, "data abort (write), permission fault at 0x08000000"),
        (14, fault, "undefined instruction (EL1)"),
        (15, fault, "undefined instruction (EL1)"),
    ];
    let text = out.text();
    for (n, who, report) in expected {
        let start = text
            .find(&format!("[attacker] attack {n}:"))
            .unwrap_or_else(|| panic!("attack {n} never ran:\n{}", out.tail(80)));
        let end = text
            .find(&format!("[attacker] attack {n}: back in control"))
            .unwrap_or_else(|| panic!("attacker lost control at attack {n}:\n{}", out.tail(80)));
        let between = &text[start..end];
        assert!(
            between.contains(who) && between.contains(report),
            "attack {n}: expected a report with `{report}`, got:\n{between}"
        );
    }
    assert!(
        out.has("[victim] attacker finished; canary intact"),
        "{}",
        out.tail(40)
    );
    assert!(!out.has("WRONG"), "{}", out.tail(40));
    assert!(
        out.has("[hyp]   attacker     core 0  faults 15"),
        "{}",
        out.tail(10)
    );
}

#[test]
fn bad_hypercalls_get_error_codes() {
    let out = isolation();
    for what in [
        "unknown number: Some(UnknownCall)",
        "bad pointer: Some(BadPointer)",
        "wrap-around length: Some(Wraparound)",
        "misaligned argument: Some(Misaligned)",
        "too long: Some(TooLong)",
        "name into read-only memory: Some(Permission)",
    ] {
        assert!(
            out.has(&format!("[attacker] hypercall {what} (as expected)")),
            "{what}:\n{}",
            out.tail(40)
        );
    }
}

#[test]
fn restart_restores_a_pristine_partition_without_disturbing_the_others() {
    let out = run("tools/runner/tests/systems/restart.toml");
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[phoenix] life 1: data = 42, bss = 0"),
        "{}",
        out.tail(60)
    );
    assert!(out.has("-> restart 1/1"), "{}", out.tail(60));
    assert!(
        out.has("[phoenix] life 2: data = 42, bss = 0"),
        "{}",
        out.tail(60)
    );
    assert!(out.has("[phoenix] pristine state restored"), "{}", out.tail(60));
    // The restart gives the entry frame, not the registers of the fault.
    assert_eq!(
        out.count("[phoenix] registers zero at entry"),
        2,
        "{}",
        out.tail(60)
    );
    controller_undisturbed(&out);
    let sensor: Vec<&str> = out
        .lines_of("sensor")
        .into_iter()
        .filter(|l| l.starts_with("reading #"))
        .collect();
    assert_eq!(sensor.len(), 8, "{}", out.tail(60));
}

#[test]
fn halt_stops_a_partition_for_good() {
    let out = run("tools/runner/tests/systems/halt.toml");
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[hyp] partition phoenix halted: fault policy is halt"),
        "{}",
        out.tail(60)
    );
    assert!(!out.has("[phoenix] life 2"), "{}", out.tail(60));
    let text = out.text();
    let halted_at = text.find("partition phoenix halted").unwrap_or(0);
    assert!(
        !text[halted_at..].contains("[phoenix]"),
        "phoenix printed after its halt:\n{}",
        out.tail(60)
    );
    controller_undisturbed(&out);
    assert!(out.has("[hyp]   phoenix      core 0  faults  1  restarts  0  halted by the health monitor"));
}

#[test]
fn a_switch_saves_and_restores_every_el1_register_a_partition_can_change() {
    let out = run("tools/runner/tests/systems/context.toml");
    out.expect_exit(0).unwrap();
    for p in ["ctx_a", "ctx_b"] {
        assert!(
            out.has(&format!("[{p}] context intact over 300 switches")),
            "{p}:\n{}",
            out.tail(30)
        );
    }
    assert!(!out.has("FAULT"), "{}", out.tail(30));
}

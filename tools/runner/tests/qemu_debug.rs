//! QEMU tests of the debug and PMU boundary and of the health monitor
//! against a flooding partition. Each system has a hostile partition and
//! victims (`sensor` on the hostile one's core, `controller` on the other,
//! both under `restart` so any fault pinned on them would show): the
//! victims must complete with their usual output, unblamed, and the run
//! must end by itself (the runner's timeout is a failure).

use runner::qemu::Outcome;
use runner::system::build_and_run;

fn run(system: &str) -> Outcome {
    let out = build_and_run(system, |_| {}).expect("build and run");
    assert!(!out.timed_out, "the run hung:\n{}", out.tail(60));
    out
}

/// `sensor` and `controller` printed exactly what they print alone, were
/// never faulted, restarted or halted, and shut down with exit code 0.
fn victims_undisturbed(out: &Outcome) {
    let sensor: Vec<String> = (0..8u32)
        .map(|seq| format!("reading #{seq}: {} rpm sent", 1200 + (seq * 137) % 400))
        .collect();
    let got: Vec<&str> = out
        .lines_of("sensor")
        .into_iter()
        .filter(|l| l.starts_with("reading #"))
        .collect();
    assert_eq!(got, sensor, "{}", out.tail(60));
    let controller: Vec<String> = (0..8u32)
        .map(|seq| {
            let rpm = 1200 + (seq * 137) % 400;
            let torque = 100 - (rpm.saturating_sub(1200) / 8).min(100);
            format!("reading #{seq}: {rpm} rpm -> torque {torque}%")
        })
        .collect();
    let got: Vec<&str> = out
        .lines_of("controller")
        .into_iter()
        .filter(|l| l.starts_with("reading #"))
        .collect();
    assert_eq!(got, controller, "{}", out.tail(60));
    for p in ["sensor", "controller"] {
        assert!(
            !out.has(&format!("FAULT {p} ")) && !out.has(&format!("restarting {p} ")),
            "{p} was blamed:\n{}",
            out.tail(60)
        );
        assert!(
            out.has(&format!("[hyp] partition {p} shut down (exit code 0)")),
            "{p}:\n{}",
            out.tail(60)
        );
        let summary = format!("[hyp]   {p:<12} core ");
        let line = out
            .console
            .iter()
            .find(|l| l.starts_with(&summary))
            .unwrap_or_else(|| panic!("no summary line for {p}:\n{}", out.tail(30)));
        assert!(
            line.contains("faults  0  restarts  0  shut down (exit 0)"),
            "{line}"
        );
    }
}

/// Checks that attack `n` of `who` was reported between its start and its
/// "back in control" line with a FAULT line containing `report`.
fn attack_reported(out: &Outcome, who: &str, n: u32, report: &str) {
    let text = out.text();
    let start = text
        .find(&format!("[{who}] attack {n}:"))
        .unwrap_or_else(|| panic!("attack {n} never ran:\n{}", out.tail(80)));
    let end = text
        .find(&format!("[{who}] attack {n}: back in control"))
        .unwrap_or_else(|| panic!("{who} lost control at attack {n}:\n{}", out.tail(80)));
    let between = &text[start..end];
    let fault = format!("[hyp] FAULT {who} (partition ");
    assert!(
        between.contains(&fault) && between.contains(report),
        "attack {n}: expected a FAULT with `{report}`, got:\n{between}"
    );
}

#[test]
fn debug_and_other_trapped_registers_are_refused_and_the_victims_are_not_blamed() {
    let out = run("tools/runner/tests/systems/debug.toml");
    out.expect_exit(0).unwrap();
    let expected = [
        (1, "debug OS register DBGOSLAR write refused"),
        (2, "debug OS register DBGOSDLR write refused"),
        (3, "debug register DBGDSCRext write refused"),
        (4, "debug register DBGWVR0 write refused"),
        (5, "debug register DBGWCR0 write refused"),
        (6, "debug register DBGBVR0 write refused"),
        (7, "debug register DBGBCR0 write refused"),
        (8, "debug register DBGVCR write refused"),
        (9, "debug register DBGWCR0 read refused"),
        (10, "debug OS register DBGOSLSR read refused"),
        (11, "debug ROM register DBGDRAR read refused"),
        (13, "debug register DBGDIDR read refused"),
        (14, "debug register DBGDIDR read refused"),
        (15, "debug register DBGDSCRint read refused"),
        // The other CP15 traps take the same path.
        (17, "CP15 register (CRn c1, opc1 0, CRm c0, opc2 1) write refused"),
        (18, "CP15 register (CRn c9, opc1 0, CRm c1, opc2 0) read refused"),
    ];
    for (n, report) in expected {
        attack_reported(&out, "debugger", n, report);
        assert!(
            out.has(&format!("{report} at ")) && out.has("-> log and continue"),
            "{}",
            out.tail(60)
        );
    }
    // The 64-bit DBGDRAR: the Arm ARM traps it too (TDRA), QEMU makes it
    // a constant 0 without the trap. Either way it reads 0, and a report,
    // if there is one, names it.
    let text = out.text();
    let a12 = text.find("[debugger] attack 12:").expect("attack 12 ran");
    let a13 = text.find("[debugger] attack 13:").expect("attack 13 ran");
    if text[a12..a13].contains("FAULT debugger") {
        assert!(
            text[a12..a13].contains("debug ROM register DBGDRAR (64-bit) read refused"),
            "{}",
            &text[a12..a13]
        );
    }
    // Each refused read gave 0 in its destination (r0-r12, LR, SP, flags).
    for n in (9..=15).chain([18]) {
        assert!(
            out.has(&format!(
                "[debugger] attack {n}: back in control, read 0x00000000"
            )),
            "attack {n}:\n{}",
            out.tail(60)
        );
    }
    // A conditional access whose condition fails does nothing: no fault.
    let a16 = text.find("[debugger] attack 16:").expect("attack 16 ran");
    let a17 = text.find("[debugger] attack 17:").expect("attack 17 ran");
    assert!(!text[a16..a17].contains("FAULT debugger"), "{}", &text[a16..a17]);
    assert!(
        out.has("[debugger] every debug access refused; reads gave 0"),
        "{}",
        out.tail(60)
    );
    assert!(
        out.has("[hyp]   debugger     core 0  faults 16  restarts  0  shut down (exit 0)")
            || out.has("[hyp]   debugger     core 0  faults 17  restarts  0  shut down (exit 0)"),
        "{}",
        out.tail(20)
    );
    victims_undisturbed(&out);
}

#[test]
fn pmu_registers_are_refused_and_the_reader_sees_nothing_of_the_writer() {
    let out = run("tools/runner/tests/systems/pmu.toml");
    out.expect_exit(0).unwrap();
    for (n, reg) in [
        (1, "PMCR"),
        (2, "PMCNTENSET"),
        (3, "PMSELR"),
        (4, "PMXEVTYPER"),
        (5, "PMXEVCNTR"),
        (6, "PMCCNTR"),
        (8, "PMINTENSET"),
        (9, "PMUSERENR"),
    ] {
        attack_reported(&out, "pmuwriter", n, &format!("PMU register {reg} write refused"));
    }
    // The 64-bit PMCCNTR (MCRR): trapped and refused where the core has
    // the encoding; QEMU's Cortex-R52 has not, and the partition's own
    // vector reports the undefined instruction. Refused and reported
    // either way.
    let text = out.text();
    let a7 = text.find("[pmuwriter] attack 7:").expect("attack 7 ran");
    let a8 = text.find("[pmuwriter] attack 8:").expect("attack 8 ran");
    assert!(
        text[a7..a8].contains("PMU register PMCCNTR (64-bit) write refused")
            || text[a7..a8].contains("FAULT pmuwriter (partition 0, core 0): undefined instruction (EL1)"),
        "{}",
        &text[a7..a8]
    );
    attack_reported(&out, "pmuwriter", 10, "PMU register PMXEVCNTR read refused");
    assert!(
        out.has("[pmureader] read PMCCNTR (64-bit) = 0x00000000")
            || out.has("[pmureader] read PMCCNTR (64-bit): not executed"),
        "{}",
        out.tail(60)
    );
    for reg in [
        "PMCR",
        "PMCNTENSET",
        "PMSELR",
        "PMXEVCNTR",
        "PMCCNTR",
        "PMUSERENR",
        "PMINTENSET",
    ] {
        assert!(
            out.has(&format!("[pmureader] read {reg} = 0x00000000")),
            "{reg}:\n{}",
            out.tail(60)
        );
        assert!(
            out.has(&format!(
                "FAULT pmureader (partition 1, core 0): PMU register {reg} read refused"
            )),
            "{reg}:\n{}",
            out.tail(60)
        );
    }
    assert!(
        out.has("[pmureader] saw nothing of the writer"),
        "{}",
        out.tail(60)
    );
    assert!(
        out.has("[hyp]   pmuwriter    core 0  faults 10  restarts  0  shut down (exit 0)"),
        "{}",
        out.tail(20)
    );
    assert!(
        out.has("[hyp]   pmureader    core 0  faults  8  restarts  0  shut down (exit 0)"),
        "{}",
        out.tail(20)
    );
    victims_undisturbed(&out);
}

#[test]
fn a_partition_faulting_forever_is_escalated_and_its_fault_lines_are_bounded() {
    let out = run("tools/runner/tests/systems/flood.toml");
    out.expect_exit(0).unwrap();
    // 200 alternating faults (never escalated), then 64 identical ones:
    // the 64th halts it.
    assert!(
        out.has("[hyp] partition looper halted: the same fault 64 times in a row"),
        "{}",
        out.tail(60)
    );
    assert!(
        out.has("[hyp]   looper       core 0  faults 264  restarts  0  halted by the health monitor"),
        "{}",
        out.tail(20)
    );
    let printed = out.count("[hyp] FAULT looper (partition 0, core 0): ");
    let suppressed: usize = out
        .console
        .iter()
        .filter_map(|l| l.strip_prefix("[hyp] looper: ... "))
        .filter_map(|l| l.strip_suffix(" FAULT lines suppressed"))
        .map(|n| n.parse::<usize>().expect("a count"))
        .sum();
    assert!(suppressed > 0, "nothing was suppressed:\n{}", out.tail(60));
    // Every fault is either printed or counted as suppressed.
    assert_eq!(printed + suppressed, 264, "{}", out.tail(60));
    // The burst (32) and a few refills at 10 lines a second.
    assert!(printed <= 48, "{printed} FAULT lines:\n{}", out.tail(60));
    // The line that halts it is always printed.
    assert!(out.has("data abort (read), permission fault at 0x20210000"));
    let last = out
        .console
        .iter()
        .rev()
        .find(|l| l.starts_with("[hyp] FAULT looper"))
        .expect("a FAULT line");
    assert!(last.ends_with("-> halt"), "{last}");
    victims_undisturbed(&out);
}

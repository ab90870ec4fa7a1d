//! QEMU tests of the partition boundary for interrupts, one per way a
//! hostile partition tried to cross it (see `docs/security.md`,
//! "Interrupts"). Each system puts the hostile partition next to a victim;
//! the victim must finish its work with the output it has alone, the
//! attack must be reported where it is one, and the run must end (a hang
//! is the runner's timeout, a failure).

use std::time::Duration;

use runner::expected::{assert_steady_undisturbed, numbers};
use runner::qemu::Outcome;
use runner::system::build_and_run;

fn run(system: &str, icount: bool) -> Outcome {
    build_and_run(system, |r| {
        r.icount = icount;
        r.timeout = Some(Duration::from_secs(40));
    })
    .expect("build and run")
}

/// Finding 3: a partition that dies with level interrupts asserted (its
/// device's and its timer's) must not take its core with it.
#[test]
fn a_stopped_partitions_asserted_interrupts_do_not_stop_its_core() {
    let out = run("tools/runner/tests/systems/irq_stop.toml", false);
    out.expect_exit(0).unwrap();
    // Both lives left their interrupts asserted, then died.
    assert_eq!(
        out.count("[leaker] leaving my interrupts asserted and faulting"),
        2,
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[hyp] restarting leaker (fault policy)"),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[hyp] partition leaker halted: restart budget exhausted"),
        "{}",
        out.tail(40)
    );
    assert!(!out.has("WRONG"), "{}", out.tail(40));
    assert_steady_undisturbed(&out);
}

/// Finding 4, priorities: a partition's own priority 0x00 must stay below
/// the hypervisor's, so the window timer still takes the core from it on
/// time; the partition reads back what it wrote.
#[test]
fn a_partition_at_priority_zero_cannot_keep_its_core_past_its_window() {
    let out = run("tools/runner/tests/systems/irq_prio.toml", true);
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[irqprio] priority of SPI 33 set to 0x00, reads back 0x00"),
        "{}",
        out.tail(40)
    );
    // The storm really happened (thousands of interrupts in its windows).
    let storm = out
        .lines_of("irqprio")
        .into_iter()
        .find(|l| l.contains("interrupts in 20 ms"))
        .unwrap_or_else(|| panic!("{}", out.tail(40)));
    assert!(numbers(storm)[0] >= 1_000, "{storm}");
    // `ticker` got every window one major frame (125,000 ticks) after the
    // previous one, during the storm.
    let starts: Vec<u64> = out
        .lines_of("ticker")
        .iter()
        .filter(|l| l.starts_with("window "))
        .map(|l| numbers(l)[1])
        .collect();
    assert_eq!(starts.len(), 8, "{}", out.tail(40));
    for w in starts.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (124_000..=126_000).contains(&gap),
            "a window started {gap} ticks after the previous one: {starts:?}\n{}",
            out.tail(40)
        );
    }
}

/// Finding 4, list registers: more interrupts pending for a partition
/// than list registers: each delivered once, highest priority first,
/// also when the partition is switched out and back in meanwhile.
#[test]
fn more_pending_interrupts_than_list_registers_arrive_once_each_in_order() {
    let out = run("tools/runner/tests/systems/irq_flood.toml", false);
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[irqflood] 8 SPIs owned, priorities set"),
        "{}",
        out.tail(40)
    );
    let order = "order 46,42,41,40,39,35,34,33: once each, by priority";
    for round in 1..=2 {
        let want = format!("[irqflood] round {round}: 8 of 8, {order}");
        assert!(out.has(&want), "no `{want}`:\n{}", out.tail(40));
    }
    assert_steady_undisturbed(&out);
}

/// Finding 5: concurrent priority writes from both cores to one shared
/// distributor word: none lost.
#[test]
fn concurrent_priority_writes_from_both_cores_are_not_lost() {
    let out = run("tools/runner/tests/systems/irq_race.toml", false);
    out.expect_exit(0).unwrap();
    for p in ["racer0", "racer1"] {
        let want = format!("[{p}] 2000 priority writes to a shared word, 0 lost");
        assert!(out.has(&want), "no `{want}`:\n{}", out.tail(40));
    }
}

fn fiq_run() -> &'static Outcome {
    static RUN: std::sync::OnceLock<Outcome> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run("tools/runner/tests/systems/irq_fiq.toml", false))
}

/// Finding 8: an access emulated from FIQ mode uses the FIQ-banked
/// registers and leaves the User-mode ones alone.
#[test]
fn a_gic_access_from_fiq_mode_uses_the_fiq_banked_registers() {
    let out = fiq_run();
    out.expect_exit(0).unwrap();
    assert!(
        out.has(
            "[fiqgic] FIQ: wrote 0xa0b0c000 from r8, read 0xa0b0c000 into r12; \
             usr r8 0x5afe0008 r12 0x5afe0012: ok"
        ),
        "{}",
        out.tail(40)
    );
}

/// A refused GIC write is a fault under the partition's policy (here
/// halt), reported on the FAULT line; the core's other partition goes on.
#[test]
fn a_refused_gic_write_is_a_fault_and_halt_policy_halts() {
    let out = fiq_run();
    out.expect_exit(0).unwrap();
    assert!(
        out.has(
            "[hyp] FAULT fiqgic (partition 0, core 0): GIC write refused, \
             enable/disable of an interrupt it does not own at 0xf0000104"
        ),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[hyp] partition fiqgic halted: fault policy is halt"),
        "{}",
        out.tail(40)
    );
    assert!(
        !out.has("still running after a refused GIC write"),
        "{}",
        out.tail(40)
    );
    assert_steady_undisturbed(out);
}

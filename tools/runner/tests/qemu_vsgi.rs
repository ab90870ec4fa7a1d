//! QEMU tests of issue #13, virtual interrupts as the partition programmed
//! them: self-SGIs through `ICC_SGI1R`/`ICC_ASGI1R` (and the refusal of
//! SGIs to other cores and of group 0), a GIC driver's `IGROUPR` set-up,
//! level interrupts that follow their line, and the partition's own
//! priority mask and binary point. Each hostile partition runs next to a
//! victim whose output must not change (see `docs/security.md`,
//! "Interrupts").

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

/// A level interrupt is pending only while its line is high: the virtual
/// timer moved ahead after its line rose (at start, in a handler across a
/// window boundary, polled with IRQs masked) and a device's level SPI
/// cleared at the device before it was taken give no stale interrupt.
#[test]
fn a_level_interrupt_whose_line_fell_does_not_arrive() {
    let out = run("tools/runner/tests/systems/timer_level.toml", true);
    out.expect_exit(0).unwrap();
    assert!(!out.has("WRONG"), "{}", out.tail(40));
    assert!(out.has("[timerlevel] timer level ok"), "{}", out.tail(40));
    assert!(
        out.has("[timerlevel] SPI left asserted: arrived 1 time(s)"),
        "{}",
        out.tail(40)
    );
    assert_steady_undisturbed(&out);
}

/// A partition's SGIs to itself arrive as the GIC would deliver them
/// (enable, pending, clear-pending, priority order, a pending bit and not
/// a queue); an SGI to another core or of group 0 is refused with a true
/// message; a driver's all-group-1 set-up is accepted. Its SGI loop does
/// not delay `ticker`'s windows on its core.
#[test]
fn self_sgis_arrive_as_programmed_and_sgis_elsewhere_are_refused() {
    let out = run("tools/runner/tests/systems/sgi.toml", true);
    out.expect_exit(0).unwrap();
    let want = [
        "IGROUPR0 0xffffffff, GICD_IGROUPR1 0xffffffff after group 0 was asked",
        "SGI priorities 0x10101010 0x60402080",
        "SGIs enabled 0xfa",
        "SGI 1 to itself: arrived 1 time(s)",
        "SGI 2 disabled: pending true, arrived 0",
        "SGI 2 enabled: arrived 1, pending false",
        "SGI 2 disabled again: enabled 0xfa, arrived 1",
        "SGI 3 through ICC_ASGI1R: arrived 1",
        "SGIs 4, 5, 6 sent masked arrive as 5,6,4",
        "SGI 6 cleared before it was taken: pending false, arrived 1 time(s) in all",
        "SGI 7 to nobody: arrived 0",
        "100000 sends of SGI 7: arrived 1",
        "after the refused SGIs: SGI 1 arrived 1 time(s)",
    ];
    assert_eq!(out.lines_of("sgiself"), want, "{}", out.tail(40));
    for why in [
        "ICC_SGI1R write refused: an SGI to a core other than its own",
        "ICC_SGI0R write refused: a group 0 SGI; every interrupt of a partition is group 1",
    ] {
        assert!(
            out.has(&format!("[hyp] FAULT sgiself (partition 0, core 0): {why}")),
            "{why}\n{}",
            out.tail(40)
        );
    }
    assert_eq!(out.count("FAULT sgiself"), 3, "{}", out.tail(40));
    assert!(!out.has("GIC write refused"), "{}", out.tail(40));
    // `ticker` got every window one major frame (125,000 ticks) after the
    // previous one, during the SGI loop.
    let starts: Vec<u64> = out
        .lines_of("ticker")
        .iter()
        .filter(|l| l.starts_with("window "))
        .map(|l| numbers(l)[1])
        .collect();
    assert_eq!(starts.len(), 8, "{}", out.tail(40));
    for w in starts.windows(2) {
        assert!(
            (124_000..=126_000).contains(&(w[1] - w[0])),
            "{starts:?}\n{}",
            out.tail(40)
        );
    }
    assert!(out.has("[periodic] 20 timer interrupts"), "{}", out.tail(40));
}

/// The partition's own `ICC_PMR` masks its interrupts at or below the
/// mask and `ICC_BPR1` decides preemption, both kept across switches to
/// a partition of the core with other values.
#[test]
fn the_partitions_own_priority_mask_and_binary_point_hold() {
    let out = run("tools/runner/tests/systems/pmr_bpr.toml", false);
    out.expect_exit(0).unwrap();
    let want = [
        "PMR 0x40: SGI 1 at 0x40 arrived 0 time(s) in 5 ms",
        "PMR 0x48: SGI 1 arrived 1 time(s)",
        "BPR1 7 (reads 7): SGI 5 (0x80) in SGI 4 (0xA0): waits, later 1",
        "BPR1 0 (reads 3): SGI 5 (0x80) in SGI 4 (0xA0): preempts, later 0",
    ];
    assert_eq!(out.lines_of("pmrbpr"), want, "{}", out.tail(40));
    assert!(out.has("[periodic] 20 timer interrupts"), "{}", out.tail(40));
}

/// A partition's timer interrupt waiting for a list register (all four
/// taken by its own SGIs) is not left active at the shared PPI when it
/// is switched out: the core's other partition keeps its timer.
#[test]
fn a_timer_interrupt_waiting_for_a_list_register_does_not_block_the_next_partitions() {
    let out = run("tools/runner/tests/systems/lr_hog.toml", true);
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[lrhog] held its list registers and its timer interrupt for 30 ms"),
        "{}",
        out.tail(40)
    );
    let line = out
        .lines_of("periodic")
        .into_iter()
        .find(|l| l.contains("timer interrupts"))
        .unwrap_or_else(|| panic!("{}", out.tail(40)));
    // 20 interrupts; the worst lateness is at most two windows (2 ms,
    // 125,000 ticks: `periodic` gives the rest of its window away when it
    // waits, and a deadline may fall at the start of `lrhog`'s), not
    // `lrhog`'s 30 ms (about 1,750,000 ticks before the fix).
    let n = numbers(line);
    assert_eq!(n[0], 20, "{line}");
    assert!(n[3] <= 130_000, "{line}\n{}", out.tail(40));
}

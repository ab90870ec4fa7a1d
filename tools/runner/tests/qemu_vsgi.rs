//! QEMU tests of issue #13, virtual interrupts as the partition programmed
//! them: self-SGIs through `ICC_SGI1R`/`ICC_ASGI1R` (and the refusal of
//! SGIs to other cores and of group 0), a GIC driver's `IGROUPR` set-up,
//! level interrupts that follow their line, and the partition's own
//! priority mask and binary point. Each hostile partition runs next to a
//! victim whose output must not change (see `docs/security.md`,
//! "Interrupts").

use std::time::Duration;

use runner::qemu::Outcome;
use runner::system::build_and_run;

fn run(system: &str, icount: bool) -> Outcome {
    build_and_run(system, |r| {
        r.icount = icount;
        r.timeout = Some(Duration::from_secs(40));
    })
    .expect("build and run")
}

/// What `steady` prints when nothing disturbs it (the same computation).
fn steady_alone() -> Vec<String> {
    let mut x: u32 = 0;
    let mut lines = Vec::new();
    for step in 1..=10 {
        for i in 0..50_000u32 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223) ^ i;
        }
        lines.push(format!("step {step}: {x:#010x}"));
    }
    lines.push("done: 10 steps".into());
    lines
}

fn steady_undisturbed(out: &Outcome) {
    assert_eq!(out.lines_of("steady"), steady_alone(), "{}", out.tail(40));
}

/// A level interrupt is pending only while its line is high: the virtual
/// timer moved ahead after its line rose (at start, in a handler across a
/// window boundary, polled with IRQs masked) gives no stale interrupt.
#[test]
fn a_level_interrupt_whose_line_fell_does_not_arrive() {
    let out = run("tools/runner/tests/systems/timer_level.toml", true);
    out.expect_exit(0).unwrap();
    assert!(!out.has("WRONG"), "{}", out.tail(40));
    assert!(out.has("[timerlevel] timer level ok"), "{}", out.tail(40));
    steady_undisturbed(&out);
}

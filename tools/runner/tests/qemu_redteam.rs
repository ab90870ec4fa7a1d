//! QEMU red-team tests of the newest trap paths, each a hostile partition
//! next to a victim whose output must not change (see `docs/security.md`).
//! A hang is the runner's timeout: a failure.

use std::time::Duration;

use runner::expected::assert_steady_undisturbed;
use runner::qemu::Outcome;
use runner::system::build_and_run;

fn run(system: &str) -> Outcome {
    build_and_run(system, |r| {
        r.timeout = Some(Duration::from_secs(60));
    })
    .expect("build and run")
}

/// A data abort without a valid syndrome (`HSR.ISV` 0) has `HSR.IL` 1
/// whatever the instruction, so a 16-bit T32 `LDM`/`STM` that faulted
/// outside the GIC was stepped over by 4 bytes under `log`: the partition
/// resumed one instruction too far, or in the middle of a 32-bit one.
/// Now its length comes from its first halfword: `redthumb` checks it
/// resumes at the next instruction after each fault (16-bit and 32-bit
/// T32, in an `IT` block, A32, with and without a syndrome, in and out of
/// the GIC), and that refused GIC accesses (through SP, an `LDRD` past
/// the end of its redistributor) write nothing, and that a decoded GIC
/// read in Abort, Undefined, IRQ and System mode is emulated; `steady`, whose memory it
/// attacks, is undisturbed.
#[test]
fn a_faulting_instruction_without_a_syndrome_is_stepped_over_by_its_own_length() {
    let out = run("tools/runner/tests/systems/redthumb.toml");
    out.expect_exit(0).unwrap();
    let cases = [
        "T32 16-bit LDM outside the GIC",
        "T32 16-bit STM outside the GIC",
        "T32 16-bit LDM in an IT block",
        "T32 32-bit LDR post-indexed outside the GIC",
        "T32 16-bit LDR outside the GIC",
        "T32 16-bit STM to the GIC refused",
        "T32 GIC access through SP refused",
        "A32 LDM outside the GIC",
        "A32 LDRD across the redistributor's end refused",
    ];
    let modes = [
        "A32 GIC read post-indexed in Abort mode",
        "A32 GIC read post-indexed in Undefined mode",
        "A32 GIC read post-indexed in IRQ mode",
        "A32 GIC read post-indexed in System mode",
    ];
    let mut want: Vec<String> = cases.iter().chain(&modes).map(|c| format!("{c}: ok")).collect();
    want.push("done: 0 wrong".into());
    assert_eq!(out.lines_of("redthumb"), want, "{}", out.tail(60));

    let fault = "[hyp] FAULT redthumb (partition 1, core 1): ";
    let faults: Vec<&String> = out
        .console
        .iter()
        .filter(|l| l.starts_with("[hyp] FAULT"))
        .collect();
    assert_eq!(faults.len(), cases.len(), "{}", out.tail(60));
    assert!(
        faults
            .iter()
            .all(|l| l.starts_with(fault) && l.ends_with("-> log and continue")),
        "{faults:?}"
    );
    let at = |what: &str| faults.iter().filter(|l| l.contains(what)).count();
    assert_eq!(at("data abort (read), "), 5, "{faults:?}");
    assert_eq!(at("data abort (write), "), 1, "{faults:?}");
    assert_eq!(at(" at 0x20010000, "), 6, "{faults:?}");
    assert_eq!(
        at("GIC access refused, LDM/STM to the GIC is not emulated at 0xf0000000"),
        1,
        "{faults:?}"
    );
    assert_eq!(
        at("GIC access refused, GIC access through SP, LR or PC is not emulated at 0xf0000000"),
        1,
        "{faults:?}"
    );
    assert_eq!(
        at("GIC access refused, 64-bit access to a GICR register is not permitted at 0xf013fffc"),
        1,
        "{faults:?}"
    );
    assert_steady_undisturbed(&out);
}

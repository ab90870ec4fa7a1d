//! QEMU test of the load/store forms the GIC emulation takes
//! (`tests/systems/gicforms.toml`, `partitions/apps/src/bin/gicforms.rs`):
//! every decoded form against the distributor and again against the
//! partition's redistributor, in A32 and T32, with its values and written-back base
//! checked by the partition; the forms the GIC does not take are faults
//! with a message naming why, and change nothing.

use std::time::Duration;

use runner::expected::assert_steady_undisturbed;
use runner::system::build_and_run;

#[test]
fn every_decoded_form_reaches_the_gic_and_the_others_are_refused_faults() {
    let out = build_and_run("tools/runner/tests/systems/gicforms.toml", |r| {
        r.timeout = Some(Duration::from_secs(60));
    })
    .expect("build and run");
    out.expect_exit(0).unwrap();
    let forms = [
        "A32 LDR immediate offset",
        "A32 LDR register offset",
        "A32 LDR pre-indexed",
        "A32 LDR post-indexed",
        "A32 LDR register pre-indexed",
        "A32 LDR register post-indexed",
        "A32 STR post-indexed",
        "A32 STR pre-indexed",
        "A32 STR immediate offset",
        "A32 STR register offset",
        "A32 STRB/LDRB IPRIORITYR",
        "A32 STRB post-indexed, LDRB pre-indexed",
        "A32 LDRSB offset and post-indexed",
        "A32 LDRD GICR_TYPER",
        "A32 STRD post-indexed, LDRD pre-indexed GICD_IROUTER33",
        "A32 LDR immediate offset GICR",
        "A32 LDR register offset GICR",
        "A32 LDR pre-indexed GICR",
        "A32 LDR post-indexed GICR",
        "A32 LDR register pre-indexed GICR",
        "A32 LDR register post-indexed GICR",
        "A32 STR post-indexed GICR",
        "A32 STR pre-indexed GICR",
        "A32 STR immediate offset GICR",
        "A32 STR register offset GICR",
        "A32 STRB/LDRB IPRIORITYR GICR",
        "A32 STRB post-indexed, LDRB pre-indexed GICR",
        "A32 LDRSB offset and post-indexed GICR",
        "A32 STRD post-indexed, LDRD pre-indexed GICR_TYPER",
        "T32 LDR 16-bit immediate offset",
        "T32 STRB/LDRB 16-bit register offset",
        "T32 LDR.W register offset",
        "T32 LDR pre-indexed",
        "T32 LDR post-indexed",
        "T32 STR post-indexed",
        "T32 STRB post-indexed, LDRB pre-indexed",
        "T32 LDRSB post-indexed",
        "T32 LDRD GICR_TYPER",
        "T32 STRD post-indexed, LDRD pre-indexed GICD_IROUTER33",
        "T32 LDM refused",
        "T32 LDR 16-bit immediate offset GICR",
        "T32 STRB/LDRB 16-bit register offset GICR",
        "T32 LDR.W register offset GICR",
        "T32 LDR pre-indexed GICR",
        "T32 LDR post-indexed GICR",
        "T32 STR post-indexed GICR",
        "T32 STRB post-indexed, LDRB pre-indexed GICR",
        "T32 LDRSB post-indexed GICR",
        "T32 STRD post-indexed, LDRD pre-indexed GICR_TYPER",
        "T32 LDM GICR refused",
        "A32 LDM refused",
        "A32 STRH, STRB, LDRH GICD_CTLR refused",
        "A32 STRD, STRB GICD_ICENABLER1 refused",
        "A32 LDM GICR refused",
        "A32 STRH, STRB, LDRH GICR_CTLR refused",
        "A32 STRD, STRB GICR_ICENABLER0 refused",
    ];
    let mut want: Vec<String> = forms.iter().map(|f| format!("{f}: ok")).collect();
    want.push("done: 0 wrong".into());
    assert_eq!(out.lines_of("gicforms"), want, "{}", out.tail(60));

    // Each refused form is one fault naming why, at the register it hit.
    let fault = "[hyp] FAULT gicforms (partition 1, core 1): GIC access refused, ";
    let refused = [
        ("LDM/STM to the GIC is not emulated at 0xf0000000", 2),
        ("16-bit access to GICD_CTLR is not permitted at 0xf0000000", 2),
        ("8-bit access to GICD_CTLR is not permitted at 0xf0000000", 1),
        (
            "64-bit access to GICD_ICENABLER<n> is not permitted at 0xf0000184",
            1,
        ),
        (
            "8-bit access to GICD_ICENABLER<n> is not permitted at 0xf0000184",
            1,
        ),
        ("LDM/STM to the GIC is not emulated at 0xf0120000", 2),
        ("16-bit access to GICR_CTLR is not permitted at 0xf0120000", 2),
        ("8-bit access to GICR_CTLR is not permitted at 0xf0120000", 1),
        (
            "64-bit access to GICR_ICENABLER0 is not permitted at 0xf0130180",
            1,
        ),
        (
            "8-bit access to GICR_ICENABLER0 is not permitted at 0xf0130180",
            1,
        ),
    ];
    for (what, n) in refused {
        let lines: Vec<&String> = out
            .console
            .iter()
            .filter(|l| l.starts_with(&format!("{fault}{what}, PC ")))
            .collect();
        assert_eq!(lines.len(), n, "{what}\n{}", out.tail(60));
        assert!(
            lines.iter().all(|l| l.ends_with("-> log and continue")),
            "{lines:?}"
        );
    }
    assert_eq!(
        out.console
            .iter()
            .filter(|l| l.starts_with("[hyp] FAULT"))
            .count(),
        14,
        "{}",
        out.tail(60)
    );
    assert_steady_undisturbed(&out);
}

/// A GIC set-up as RTOS drivers write it (every SPI, SGI and PPI
/// disabled, cleared, given a default priority, configured and routed)
/// goes through: the interrupts that are not the partition's are RAZ/WI
/// to it, not faults (its policy is `halt`), and its own show what it
/// wrote.
#[test]
fn an_rtos_style_set_up_of_every_interrupt_goes_through() {
    let out = build_and_run("tools/runner/tests/systems/rtosinit.toml", |r| {
        r.timeout = Some(Duration::from_secs(60));
    })
    .expect("build and run");
    out.expect_exit(0).unwrap();
    assert!(
        !out.console.iter().any(|l| l.contains("FAULT")),
        "{}",
        out.tail(40)
    );
    let lines = out.lines_of("rtosinit");
    let want = [
        "own SPI priorities: ok",
        "own SPIs disabled: ok",
        "own SPI 33 routed here: ok",
        "another's SPI 32 routing reads 0: ok",
        "SGI priorities: ok",
        "own SPI 33 enabled: ok",
        "done: 0 wrong",
    ];
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("set-up of ") && l.ends_with(" interrupts done")),
        "{}",
        out.tail(40)
    );
    let rest: Vec<&str> = lines.iter().skip(1).copied().collect();
    assert_eq!(rest, want, "{}", out.tail(40));
    assert_steady_undisturbed(&out);
}

//! What the tree's test partitions print when nothing disturbs them,
//! computed here the same way, for the QEMU tests that check a victim
//! finished unchanged.

/// The lines `steady` (`partitions/apps/src/bin/steady.rs`) prints when
/// nothing disturbs it: the same computation, on the host.
pub fn steady_alone() -> Vec<String> {
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

/// Asserts that `steady` printed in the run `out` exactly what it prints
/// alone ([`steady_alone`]).
pub fn assert_steady_undisturbed(out: &crate::qemu::Outcome) {
    assert_eq!(out.lines_of("steady"), steady_alone(), "{}", out.tail(40));
}

/// The decimal numbers in `line`, in order (for figures a partition
/// prints).
pub fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

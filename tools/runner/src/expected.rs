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

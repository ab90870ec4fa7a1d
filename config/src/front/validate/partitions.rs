//! Partitions: each one's core and memory regions, on their own (how they
//! relate to the rest comes in later phases).

use crate::front::diag::codes;
use crate::front::schema::{Cx, RawPartition, RawRegion};
use crate::mpu::MemType;
use crate::system::MAX_PARTITIONS;

use super::checks::{check_size_granule, err};
use super::claims::claim_fixed;
use super::{Span, State};

/// Checks that the partitions fit the hypervisor's table, that each runs
/// on a core the platform has, and each of its memory regions (see
/// [`check_region`]), recording where the fixed ones lie.
pub(super) fn check_partitions(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    let p = &raw.platform;
    if raw.partitions.len() > MAX_PARTITIONS {
        let extra = &raw.partitions[MAX_PARTITIONS];
        err(
            cx,
            codes::CAPACITY,
            extra.loc,
            &extra.path,
            format!(
                "{} partitions; the hypervisor supports at most {MAX_PARTITIONS}",
                raw.partitions.len()
            ),
        );
    }
    for (pi, part) in raw.partitions.iter().enumerate() {
        if part.core.v >= p.cores.v && part.core.v != u32::MAX {
            err(
                cx,
                codes::CORE,
                part.core.loc,
                &part.core.path,
                format!(
                    "core {} does not exist: the platform has {} core(s)",
                    part.core.v, p.cores.v
                ),
            )
            .hint = Some(format!("use a core in 0..{}", p.cores.v));
        }
        for r in &part.memory {
            let span = check_region(cx, st, part, r);
            st.parts[pi].memory.push(span);
        }
    }
}

/// Checks memory region `r` of `part`: permissions the MPU can give (see
/// [`check_permissions`]), a size that is not 0 and is a whole number of
/// granules, and, with a fixed base, the claim on its memory. Returns where
/// it lies: `None` when it is broken or is to be placed automatically.
fn check_region(cx: &mut Cx, st: &mut State<'_>, part: &RawPartition, r: &RawRegion) -> Option<Span> {
    let label = format!("memory region `{}` of partition `{}`", r.name.v, part.name.v);
    check_permissions(cx, &label, r);
    if r.block.ok && r.block.size.v == 0 {
        err(
            cx,
            codes::ZERO,
            r.block.size.loc,
            &r.block.size.path,
            format!("{label} has size 0"),
        )
        .hint = Some("give it at least one granule (64 bytes)".into());
        return None;
    }
    if r.block.base.is_some() {
        claim_fixed(cx, st, label, &r.block, r.perm.v.w)
    } else {
        if r.block.ok {
            check_size_granule(cx, &label, &r.block.size);
        }
        None
    }
}

/// Checks a region's permissions: never writable and executable at once
/// (W^X), always readable (PMSAv8 has no write-only or execute-only
/// access), and not executable in device memory (code cannot run from
/// it). Reports the first that fails.
fn check_permissions(cx: &mut Cx, label: &str, r: &RawRegion) {
    if r.perm.v.w && r.perm.v.x {
        err(
            cx,
            codes::WX,
            r.perm.loc,
            &r.perm.path,
            format!("{label} is writable and executable"),
        )
        .hint = Some("split it into an \"r-x\" code region and an \"rw-\" data region".into());
    } else if !r.perm.v.r {
        err(
            cx,
            codes::PERMISSION,
            r.perm.loc,
            &r.perm.path,
            format!(
                "{label} is not readable (`{}`); the MPU cannot express that",
                r.perm.v.as_str()
            ),
        )
        .hint = Some("add `r`".into());
    } else if r.perm.v.x && r.mem == MemType::Device {
        err(
            cx,
            codes::PERMISSION,
            r.perm.loc,
            &r.perm.path,
            format!("{label} is device memory and executable; code cannot run from device memory"),
        )
        .hint = Some("drop `x`, or use `type = \"normal\"`".into());
    }
}

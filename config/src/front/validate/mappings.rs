//! Shared memory mappings: which partitions map each shared block, and how.

use crate::front::diag::codes;
use crate::front::schema::Cx;

use super::checks::{err, unknown_name};
use super::State;

/// Checks each mapping of a shared memory block and records it in the
/// partition's plan: the permissions must be ones the MPU can give safely
/// (readable, never writable and executable at once) and the partition
/// must exist. A failed mapping is left out of the band.
pub(super) fn check_mappings(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    for (si, s) in raw.shared.iter().enumerate() {
        for (who, perm) in &s.map {
            let label = format!("mapping of shared memory block `{}` into `{}`", s.name.v, who.v);
            if perm.v.w && perm.v.x {
                err(
                    cx,
                    codes::WX,
                    perm.loc,
                    &perm.path,
                    format!("{label} is writable and executable"),
                );
                continue;
            }
            if !perm.v.r {
                err(
                    cx,
                    codes::PERMISSION,
                    perm.loc,
                    &perm.path,
                    format!("{label} is not readable"),
                );
                continue;
            }
            match st.names.partition_index.get(who.v.as_str()) {
                None => unknown_name(cx, "partition", who, &st.names.partitions),
                Some(&pi) => st.parts[pi].maps.push((si, perm.v)),
            }
        }
    }
}

//! Shared memory blocks, on their own (who maps them is checked after
//! placement).

use crate::front::diag::codes;
use crate::front::schema::{Cx, RawShared};

use super::checks::{check_size_granule, err};
use super::claims::claim_fixed;
use super::{Span, State};

/// Checks each shared memory block's size and, with a fixed base, the
/// claim on its memory, recording where it lies.
pub(super) fn check_shared_blocks(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    for s in &raw.shared {
        let span = check_shared_block(cx, st, s);
        st.memory.shared.push(span);
    }
}

/// Checks shared block `s`: a size that is not 0 and is a whole number of
/// granules, and, with a fixed base, the claim on its memory (writable if
/// any partition maps it writable, which a read-only bank cannot be).
/// Returns where it lies: `None` when it is broken or is to be placed
/// automatically.
fn check_shared_block(cx: &mut Cx, st: &mut State<'_>, s: &RawShared) -> Option<Span> {
    let label = format!("shared memory block `{}`", s.name.v);
    if s.block.ok && s.block.size.v == 0 {
        err(
            cx,
            codes::ZERO,
            s.block.size.loc,
            &s.block.size.path,
            format!("{label} has size 0"),
        );
        return None;
    }
    let writable = s.map.iter().any(|(_, p)| p.v.w);
    if s.block.base.is_some() {
        claim_fixed(cx, st, label, &s.block, writable)
    } else {
        if s.block.ok {
            check_size_granule(cx, &label, &s.block.size);
        }
        None
    }
}

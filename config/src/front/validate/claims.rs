//! Claims on memory at a fixed address.

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::{Cx, RawBlock};

use super::checks::{check_geometry, check_size_granule, range_text};
use super::{Claim, Span, State};

/// Checks block `b`, written with a fixed base, and claims its memory:
/// its geometry must be sound, it must lie inside one sound platform
/// memory bank (memory outside the banks does not exist), and it must not
/// be `writable` in a read-only bank. `None` (reported, or nothing to
/// claim) for a block without a base or that fails a check.
pub(super) fn claim_fixed(
    cx: &mut Cx,
    st: &mut State<'_>,
    label: String,
    b: &RawBlock,
    writable: bool,
) -> Option<Span> {
    let base = b.base.as_ref()?;
    if !b.ok {
        return None;
    }
    let g = check_geometry(cx, &label, base, &b.size, true);
    let s = check_size_granule(cx, &label, &b.size);
    if !(g && s) {
        return None;
    }
    let span = Span {
        base: base.v,
        size: b.size.v,
    };
    let banks = &st.banks;
    match banks
        .iter()
        .zip(&st.bank_ok)
        .find(|(bk, ok)| **ok && bk.span.contains(&span))
    {
        None => {
            cx.push(
                Diagnostic::new(
                    codes::OUTSIDE,
                    Some(base.loc),
                    &base.path,
                    format!(
                        "{label} ({}) is not inside any platform memory bank",
                        range_text(&span)
                    ),
                )
                .hint(format!(
                    "memory banks: {}",
                    banks
                        .iter()
                        .map(|b| format!("{} {}", b.name, range_text(&b.span)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return None;
        }
        Some((bk, _)) if bk.rom && writable => {
            cx.push(
                Diagnostic::new(
                    codes::PERMISSION,
                    Some(base.loc),
                    &base.path,
                    format!(
                        "{label} is writable but lies in read-only memory bank `{}`",
                        bk.name
                    ),
                )
                .hint("make it read-only, or place it in a RAM bank"),
            );
            return None;
        }
        _ => {}
    }
    st.memory.claims.push(Claim {
        label,
        span,
        loc: base.loc,
        path: base.path.clone(),
    });
    Some(span)
}

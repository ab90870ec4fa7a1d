//! Overlaps between memory claims.

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::Cx;

use super::checks::range_text;
use super::State;

/// Checks that no two memory claims (hypervisor memory, the channel pool,
/// partition regions, shared blocks; fixed or placed) overlap: each piece
/// of memory has one owner, and memory meant to be shared is declared as
/// such. Each overlap is reported once, at whichever of the two claims is
/// written later (the earlier one is the note).
pub(super) fn check_overlaps(cx: &mut Cx, st: &State<'_>) {
    let claims = &st.memory.claims;
    for (i, a) in claims.iter().enumerate() {
        for b in claims.iter().skip(i + 1) {
            if a.span.overlaps(&b.span) {
                let (first, second) = if a.loc <= b.loc { (a, b) } else { (b, a) };
                cx.push(
                    Diagnostic::new(
                        codes::OVERLAP,
                        Some(second.loc),
                        &second.path,
                        format!(
                            "{} ({}) overlaps {} ({})",
                            second.label,
                            range_text(&second.span),
                            first.label,
                            range_text(&first.span)
                        ),
                    )
                    .label(format!("overlaps {}", range_text(&first.span)))
                    .note(Some(first.loc), format!("{} is here", first.label))
                    .hint("move one of them; to share memory between partitions use [[shared_memory]]"),
                );
            }
        }
    }
}

//! Channel queues: laid out in the channel pool.

use crate::front::diag::codes;
use crate::front::schema::Cx;

use super::checks::{err, hex};
use super::{Span, State};

/// Lays the channel queues out back to back in the channel pool, in
/// channel order, and checks that they fit: a pool given a fixed size may
/// be too small. Without a pool (no channel needs one, or it could not be
/// placed) no queue is laid out.
pub(super) fn lay_out_queues(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    let h = &raw.hypervisor;
    let mut queues: Vec<Option<Span>> = Vec::new();
    if let Some(pool) = st.memory.channel_pool {
        let mut cursor = pool.base as u64;
        for q in &st.channels.queue_sizes {
            match q {
                Some(q) => {
                    queues.push(Some(Span {
                        base: cursor as u32,
                        size: *q,
                    }));
                    cursor += *q as u64;
                }
                None => queues.push(None),
            }
        }
        if cursor > pool.end() {
            let (loc, path) = match &h.channel_pool {
                Some(p) => (p.size.loc, p.size.path.clone()),
                None => (raw.channels[0].name.loc, "hypervisor.channel_pool".into()),
            };
            err(
                cx,
                codes::NO_SPACE,
                loc,
                &path,
                format!(
                    "channel queues need {} bytes but the channel pool holds {}",
                    hex(cursor - pool.base as u64),
                    hex(pool.size as u64)
                ),
            )
            .hint = Some(format!(
                "make the pool at least {} bytes",
                hex(cursor - pool.base as u64)
            ));
        }
    }
    st.channels.queues = queues;
}

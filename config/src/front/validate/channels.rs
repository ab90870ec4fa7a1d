//! Channels: their endpoints and queue sizes (before placement: the
//! channel pool is sized from the queues).

use crate::check::queue_bytes;
use crate::front::diag::codes;
use crate::front::schema::{Cx, RawChannel};
use crate::system::MAX_CHANNELS;

use super::checks::{err, unknown_name};
use super::State;

/// Checks that the channels fit the hypervisor's table, then each
/// channel's endpoints and queue size, recording both per channel.
pub(super) fn check_channels(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    if raw.channels.len() > MAX_CHANNELS {
        let c = &raw.channels[MAX_CHANNELS];
        err(
            cx,
            codes::CAPACITY,
            c.name.loc,
            &c.path,
            format!(
                "{} channels; the hypervisor supports at most {MAX_CHANNELS}",
                raw.channels.len()
            ),
        );
    }
    for c in &raw.channels {
        let ends = endpoints(cx, st, c);
        st.channels.endpoints.push(ends);
        let q = queue_size(cx, c);
        st.channels.queue_sizes.push(q);
    }
}

/// The sender and receiver partition indices of channel `c`, when both
/// name a partition. A channel connects two different partitions, so one
/// from a partition to itself is an error.
fn endpoints(cx: &mut Cx, st: &State<'_>, c: &RawChannel) -> Option<(u8, u8)> {
    let mut ends = [None, None];
    for (slot, who) in [&c.sender, &c.receiver].into_iter().enumerate() {
        if !c.ok && who.v.is_empty() {
            continue;
        }
        match st.names.partition_index.get(who.v.as_str()) {
            Some(&i) => ends[slot] = Some(i as u8),
            None => unknown_name(cx, "partition", who, &st.names.partitions),
        }
    }
    let [Some(s), Some(r)] = ends else {
        return None;
    };
    if s == r {
        err(
            cx,
            codes::CHANNEL_SELF,
            c.receiver.loc,
            &c.receiver.path,
            format!("channel `{}` sends from `{}` to itself", c.name.v, c.sender.v),
        )
        .hint = Some("a channel connects two different partitions".into());
    }
    Some((s, r))
}

/// The size of channel `c`'s queue in bytes, when its message size and
/// depth are not 0 and the queue fits the 32-bit address space.
fn queue_size(cx: &mut Cx, c: &RawChannel) -> Option<u32> {
    if !c.ok {
        return None;
    }
    if c.msg_size.v == 0 {
        err(
            cx,
            codes::ZERO,
            c.msg_size.loc,
            &c.msg_size.path,
            format!("channel `{}` has msg_size 0", c.name.v),
        );
        return None;
    }
    if c.msg_size.v > crate::limits::MAX_MSG_SIZE {
        err(
            cx,
            codes::VALUE,
            c.msg_size.loc,
            &c.msg_size.path,
            format!(
                "channel `{}` has msg_size {}, more than the {} bytes the hypervisor copies in one call",
                c.name.v,
                c.msg_size.v,
                crate::limits::MAX_MSG_SIZE
            ),
        )
        .hint = Some(format!(
            "split larger data into messages of at most {} bytes, or share it through a `[[shared]]` block: a \
             message is copied inside one trap, so its size bounds how late another partition's window can start",
            crate::limits::MAX_MSG_SIZE
        ));
        return None;
    }
    if c.depth.v == 0 {
        err(
            cx,
            codes::ZERO,
            c.depth.loc,
            &c.depth.path,
            format!("channel `{}` has depth 0", c.name.v),
        );
        return None;
    }
    let q = queue_bytes(c.msg_size.v, c.depth.v);
    if q.is_none() {
        err(
            cx,
            codes::VALUE,
            c.depth.loc,
            &c.depth.path,
            format!(
                "channel `{}` queue of {} x ({} + 4) bytes does not fit 4 GiB",
                c.name.v, c.depth.v, c.msg_size.v
            ),
        );
    }
    q
}

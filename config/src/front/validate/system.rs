//! The last phase: the hypervisor's tables put together and re-validated,
//! with the layout the reports and linker fragments need.

use heapless::Vec as HVec;

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::Cx;
use crate::ids::PartitionId;
use crate::system::{Channel, Hypervisor, Platform, System, MAX_CHANNELS};

use super::checks::name_of;
use super::{Compiled, DeviceLayout, Span, State};

/// Puts the [`System`] and the [`Compiled`] layout together from what the
/// earlier phases derived; call it only when none of them reported an
/// error. The hypervisor re-validates the tables when it loads the blob, so
/// the same check runs here: a table this tool derives wrongly is a tool
/// bug, reported as an internal error at build time rather than a refused
/// boot.
pub(super) fn assemble(cx: &mut Cx, st: State<'_>) -> Option<Compiled> {
    let raw = st.raw;
    let (p, h) = (&raw.platform, &raw.hypervisor);
    let channels = channel_table(&st);
    let devices = device_layouts(&st);
    let console_dev = &p.devices[st.owners.console?];
    let system = System {
        platform: Platform {
            name: name_of(&p.name.v),
            cores: p.cores.v as u8,
            mpu_regions: p.mpu_regions.v as u8,
        },
        hypervisor: Hypervisor {
            console_base: console_dev.base.v,
            console_size: console_dev.size.v,
            static_regions: h.static_regions.v.min(255) as u8,
            transient_slots: h.transient_slots.v.min(255) as u8,
        },
        partitions: st.out.partitions.into_iter().collect(),
        channels,
        schedules: st.out.schedules.into_iter().collect(),
    };
    if let Err(e) = system.check() {
        cx.push(Diagnostic::new(
            codes::INTERNAL,
            None,
            "",
            format!(
                "the derived tables fail the hypervisor's re-validation: {} ({e:?})",
                e.message()
            ),
        ));
        return None;
    }
    Some(Compiled {
        system,
        banks: st.banks,
        devices,
        hyp_image: st.memory.hyp_image?,
        hyp_blob: st.memory.hyp_blob?,
        channel_pool: st.memory.channel_pool,
        console: h.console.v.clone(),
        partitions: st.out.layouts,
        warnings: st.out.warnings,
    })
}

/// The channel table: each channel whose endpoints resolved and whose queue
/// was laid out in the pool.
fn channel_table(st: &State<'_>) -> HVec<Channel, MAX_CHANNELS> {
    let plan = &st.channels;
    st.raw
        .channels
        .iter()
        .zip(&plan.endpoints)
        .zip(&plan.queues)
        .filter_map(|((c, ends), q)| {
            let (sender, receiver) = (*ends)?;
            let q = (*q)?;
            Some(Channel {
                name: name_of(&c.name.v),
                sender: PartitionId(sender),
                receiver: PartitionId(receiver),
                msg_size: c.msg_size.v,
                depth: c.depth.v,
                queue_base: q.base,
                queue_size: q.size,
            })
        })
        .collect()
}

/// Every platform device with its owner, for `show`.
fn device_layouts(st: &State<'_>) -> Vec<DeviceLayout> {
    st.raw
        .platform
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| DeviceLayout {
            name: d.name.v.clone(),
            span: Span {
                base: d.base.v,
                size: d.size.v,
            },
            irqs: d.irqs.iter().map(|i| i.v).collect(),
            owner: st.owners.devices[i].as_ref().map(|(o, _)| o.clone()),
        })
        .collect()
}

//! Devices and interrupts of the partitions: each has one owner.

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::{Cx, Sp};
use crate::system::MAX_PARTITION_IRQS;

use super::checks::{check_irq, err, unknown_name};
use super::State;

/// Gives each partition the devices and interrupts it lists, in file order
/// after the hypervisor's: a device or interrupt has one owner, since
/// sharing one would break the isolation between its owners. A partition
/// also owns the interrupts of its devices.
pub(super) fn assign_devices(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    for (pi, part) in raw.partitions.iter().enumerate() {
        assign_partition_devices(cx, st, pi);
        let irqs = interrupts_of(st, pi);
        assign_partition_irqs(cx, st, pi, &irqs);
        if st.parts[pi].irqs.len() > MAX_PARTITION_IRQS {
            err(
                cx,
                codes::CAPACITY,
                part.name.loc,
                &(part.path.clone() + ".interrupts"),
                format!(
                    "partition `{}` owns {} interrupts; at most {MAX_PARTITION_IRQS} fit",
                    part.name.v,
                    st.parts[pi].irqs.len()
                ),
            );
        }
    }
}

/// Gives partition `pi` each device it lists that exists and has no owner
/// yet (the hypervisor's come first, then earlier partitions').
fn assign_partition_devices(cx: &mut Cx, st: &mut State<'_>, pi: usize) {
    let part = &st.raw.partitions[pi];
    for d in &part.devices {
        let Some(&di) = st.names.device_index.get(d.v.as_str()) else {
            unknown_name(cx, "device", d, &st.names.devices);
            continue;
        };
        if let Some((owner, loc)) = &st.owners.devices[di] {
            cx.push(
                Diagnostic::new(
                    codes::DEVICE_CONFLICT,
                    Some(d.loc),
                    &d.path,
                    format!(
                        "device `{}` is given to `{}` but already belongs to {owner}",
                        d.v, part.name.v
                    ),
                )
                .note(Some(*loc), "first given here")
                .hint("a device has one owner; route its data through a channel"),
            );
            continue;
        }
        st.owners.devices[di] = Some((format!("partition `{}`", part.name.v), d.loc));
        st.parts[pi].devices.push(di);
    }
}

/// The interrupts partition `pi` asks for: the explicit ones, then those of
/// its devices (located at the device's name in its `devices` list).
fn interrupts_of(st: &State<'_>, pi: usize) -> Vec<Sp<u32>> {
    let part = &st.raw.partitions[pi];
    let mut irqs: Vec<Sp<u32>> = part.irqs.clone();
    for &di in &st.parts[pi].devices {
        let dev = &st.raw.platform.devices[di];
        for i in &dev.irqs {
            irqs.push(Sp {
                v: i.v,
                loc: part
                    .devices
                    .iter()
                    .find(|d| d.v == dev.name.v)
                    .map_or(i.loc, |d| d.loc),
                path: part.path.clone() + ".devices",
            });
        }
    }
    irqs
}

/// Gives partition `pi` each of `irqs` that exists and has no other owner.
/// PPIs are banked per core, so a PPI clashes only with the same PPI on
/// the same core, or with one the hypervisor keeps on every core.
fn assign_partition_irqs(cx: &mut Cx, st: &mut State<'_>, pi: usize, irqs: &[Sp<u32>]) {
    let part = &st.raw.partitions[pi];
    let interrupts = st.raw.platform.interrupts.v;
    let owners = &mut st.owners.irqs;
    for i in irqs {
        if !check_irq(cx, i, interrupts) {
            continue;
        }
        // PPIs are banked per core.
        let key = (i.v, (i.v < 32).then_some(part.core.v));
        let hyp_key = (i.v, None);
        let clash = owners.get(&key).or_else(|| owners.get(&hyp_key)).cloned();
        if let Some((owner, loc)) = clash {
            if owner == format!("partition `{}`", part.name.v) {
                continue; // listed twice by the same partition: harmless
            }
            cx.push(
                Diagnostic::new(
                    codes::IRQ_CONFLICT,
                    Some(i.loc),
                    &i.path,
                    format!(
                        "interrupt {} is given to `{}` but already belongs to {owner}",
                        i.v, part.name.v
                    ),
                )
                .note(Some(loc), "first given here")
                .hint("an interrupt has one owner"),
            );
            continue;
        }
        owners.insert(key, (format!("partition `{}`", part.name.v), i.loc));
        st.parts[pi].irqs.push(i.v as u16);
    }
}

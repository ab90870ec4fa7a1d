//! The hypervisor's own resources: its devices, interrupts and memory.

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::{Cx, Sp};
use crate::limits::{MIN_MPU_REGIONS, STATIC_REGIONS, TRANSIENT_SLOTS};

use super::checks::{check_irq, err, unknown_name};
use super::claims::claim_fixed;
use super::State;

/// Checks the `[hypervisor]` section and records what it owns before any
/// partition asks: its devices, the MPU regions it keeps, its interrupts,
/// and its memory (image, blob and a channel pool with a fixed base).
pub(super) fn check_hypervisor(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    let (p, h) = (&raw.platform, &raw.hypervisor);
    assign_hypervisor_devices(cx, st);
    fixed_count(cx, &h.static_regions, STATIC_REGIONS, "keeps", "static regions");
    fixed_count(
        cx,
        &h.transient_slots,
        TRANSIENT_SLOTS,
        "reserves",
        "transient slots",
    );
    if (p.mpu_regions.v as usize) < MIN_MPU_REGIONS {
        err(
            cx,
            codes::MPU_BUDGET,
            p.mpu_regions.loc,
            &p.mpu_regions.path,
            format!(
                "static {STATIC_REGIONS} + transient {TRANSIENT_SLOTS} of {} MPU regions leave no region for partitions",
                p.mpu_regions.v
            ),
        )
        .hint = Some(format!(
            "this hypervisor needs a core with at least {MIN_MPU_REGIONS} EL2 MPU regions (`HMPUIR.REGION`)"
        ));
    }
    for i in &h.irqs {
        if check_irq(cx, i, p.interrupts.v) {
            st.owners
                .irqs
                .insert((i.v, None), ("the hypervisor".into(), i.loc));
        }
    }
    st.memory.hyp_image = claim_fixed(cx, st, "hypervisor image memory".into(), &h.image, true);
    st.memory.hyp_blob = claim_fixed(cx, st, "hypervisor blob memory".into(), &h.blob, true);
    if let Some(pool) = &h.channel_pool {
        st.memory.channel_pool = claim_fixed(cx, st, "channel pool".into(), pool, true);
    }
}

/// Refuses a count the hypervisor has fixed (`limits`) when the system
/// writes another value: the hypervisor would refuse the blob at boot.
fn fixed_count(cx: &mut Cx, key: &Sp<u32>, fixed: usize, verb: &str, what: &str) {
    if key.v as usize != fixed {
        let name = key.path.rsplit('.').next().unwrap_or(&key.path);
        err(
            cx,
            codes::FIXED_COUNT,
            key.loc,
            &key.path,
            format!(
                "`[hypervisor] {name} = {}`, but this hypervisor {verb} exactly {fixed} {what}",
                key.v
            ),
        )
        .hint = Some(format!(
            "write `{name} = {fixed}`, or leave the key out: the count is built into the hypervisor (`hypcfg::limits`)"
        ));
    }
}

/// Gives the hypervisor its console and the devices it lists: each must
/// exist, and be listed once.
fn assign_hypervisor_devices(cx: &mut Cx, st: &mut State<'_>) {
    let h = &st.raw.hypervisor;
    let (names, owners) = (&st.names, &mut st.owners);
    owners.console = names.device_index.get(h.console.v.as_str()).copied();
    match owners.console {
        None => unknown_name(cx, "device", &h.console, &names.devices),
        Some(i) => owners.devices[i] = Some(("the hypervisor (console)".into(), h.console.loc)),
    }
    for d in &h.devices {
        match names.device_index.get(d.v.as_str()) {
            None => unknown_name(cx, "device", d, &names.devices),
            Some(&i) if owners.devices[i].is_some() => {
                cx.push(Diagnostic::new(
                    codes::DEVICE_CONFLICT,
                    Some(d.loc),
                    &d.path,
                    format!("device `{}` is listed twice for the hypervisor", d.v),
                ));
            }
            Some(&i) => owners.devices[i] = Some(("the hypervisor".into(), d.loc)),
        }
    }
}

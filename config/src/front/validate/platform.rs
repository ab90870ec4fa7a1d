//! The platform: cores, MPU, memory banks and devices.

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::{Cx, RawPlatform};
use crate::front::source::Loc;
use crate::limits::MAX_MPU_REGIONS;
use crate::system::MAX_CORES;

use super::checks::{check_geometry, check_irq, check_size_granule, err, range_text};
use super::{Span, State};

/// Checks the platform: its core and MPU region counts (see
/// [`check_counts`]), each bank's and device's geometry (recording which
/// are sound, so later phases use only those), and that banks and devices
/// are disjoint (see [`check_disjoint`]).
pub(super) fn check_platform(cx: &mut Cx, st: &mut State<'_>) {
    let p = &st.raw.platform;
    check_counts(cx, p);
    st.bank_ok = p
        .banks
        .iter()
        .map(|b| b.ok && check_geometry(cx, &format!("memory bank `{}`", b.name.v), &b.base, &b.size, true))
        .collect();
    st.dev_ok = p
        .devices
        .iter()
        .map(|d| {
            let what = format!("device `{}`", d.name.v);
            let g = d.ok && check_geometry(cx, &what, &d.base, &d.size, true);
            let s = check_size_granule(cx, &what, &d.size);
            let irqs = d.irqs.iter().all(|i| check_irq(cx, i, p.interrupts.v));
            g && s && irqs
        })
        .collect();
    check_disjoint(cx, st);
}

/// Checks that the platform has cores, no more than the hypervisor's
/// tables hold, and an EL2 MPU with a region count PMSAv8 allows.
fn check_counts(cx: &mut Cx, p: &RawPlatform) {
    if p.cores.v == 0 {
        err(
            cx,
            codes::ZERO,
            p.cores.loc,
            &p.cores.path,
            "the platform has 0 cores".into(),
        );
    } else if p.cores.v as usize > MAX_CORES {
        err(
            cx,
            codes::CAPACITY,
            p.cores.loc,
            &p.cores.path,
            format!("{} cores; the hypervisor supports at most {MAX_CORES}", p.cores.v),
        );
    }
    if p.mpu_regions.v == 0 || p.mpu_regions.v as usize > MAX_MPU_REGIONS {
        err(
            cx,
            codes::VALUE,
            p.mpu_regions.loc,
            &p.mpu_regions.path,
            format!(
                "{} EL2 MPU regions; PMSAv8 has 1 to {MAX_MPU_REGIONS}",
                p.mpu_regions.v
            ),
        );
    }
}

/// Checks that the sound memory banks and devices do not overlap each
/// other: an address is memory or a device register, never both.
fn check_disjoint(cx: &mut Cx, st: &State<'_>) {
    let p = &st.raw.platform;
    let mut space: Vec<(String, Span, Loc, String)> = Vec::new();
    for (i, b) in p.banks.iter().enumerate() {
        if st.bank_ok[i] {
            space.push((
                format!("memory bank `{}`", b.name.v),
                st.banks[i].span,
                b.base.loc,
                b.path.clone(),
            ));
        }
    }
    for (i, d) in p.devices.iter().enumerate() {
        if st.dev_ok[i] {
            let span = Span {
                base: d.base.v,
                size: d.size.v,
            };
            space.push((format!("device `{}`", d.name.v), span, d.base.loc, d.path.clone()));
        }
    }
    for (i, a) in space.iter().enumerate() {
        for b in space.iter().skip(i + 1) {
            if a.1.overlaps(&b.1) {
                cx.push(
                    Diagnostic::new(
                        codes::OVERLAP,
                        Some(b.2),
                        format!("{}.base", b.3),
                        format!(
                            "{} ({}) overlaps {} ({})",
                            b.0,
                            range_text(&b.1),
                            a.0,
                            range_text(&a.1)
                        ),
                    )
                    .note(Some(a.2), format!("{} is here", a.0))
                    .hint("platform memory banks and devices must be disjoint"),
                );
            }
        }
    }
}

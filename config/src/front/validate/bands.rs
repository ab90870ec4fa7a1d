//! Bands: each partition's MPU regions (its band), checked against the
//! table's capacity and the MPU's region count, and its entry point.

use crate::front::diag::codes;
use crate::front::schema::{Cx, Perm, RawPartition};
use crate::ids::CoreId;
use crate::limits::{STATIC_REGIONS, TRANSIENT_SLOTS};
use crate::mpu::{Access, Attrs, MemType, RegionWords};
use crate::system::{
    EntryPoint, Partition, PartitionRegion, RegionKind, MAX_PARTITION_IRQS, MAX_PARTITION_REGIONS,
};

use super::checks::{err, hex, name_of, range_text};
use super::{LaidRegion, PartitionLayout, Span, State};

/// Derives each partition's table and layout: its band (see
/// [`band_regions`]), whose size is checked (see [`check_band_size`]), and
/// its entry point (see [`entry_point`]).
pub(super) fn derive_bands(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    for (pi, part) in raw.partitions.iter().enumerate() {
        let (regions, band) = band_regions(st, pi);
        check_band_size(cx, st, pi);
        let entry = entry_point(cx, st, pi);
        st.out.layouts.push(PartitionLayout {
            name: part.name.v.clone(),
            image: part.image.as_ref().map(|i| i.v.clone()),
            elf: st.elves[pi].clone(),
            regions,
            entry_explicit: part.entry.is_some(),
        });
        st.out.partitions.push(Partition {
            name: name_of(&part.name.v),
            core: CoreId(part.core.v.min(255) as u8),
            entry,
            regions: band.into_iter().take(MAX_PARTITION_REGIONS).collect(),
            irqs: st.parts[pi]
                .irqs
                .iter()
                .copied()
                .take(MAX_PARTITION_IRQS)
                .collect(),
            fault_policy: part.fault.v,
            image: None,
        });
    }
}

/// The regions of partition `pi`'s band, in band order: its memory
/// regions, the shared blocks it maps, its devices. Returns
/// them as laid out (for reports) and as MPU table entries. A region that
/// is broken or not placed (already reported) is left out.
fn band_regions(st: &State<'_>, pi: usize) -> (Vec<LaidRegion>, Vec<PartitionRegion>) {
    let raw = st.raw;
    let (part, plan) = (&raw.partitions[pi], &st.parts[pi]);
    let mut regions: Vec<LaidRegion> = Vec::new();
    let mut band: Vec<PartitionRegion> = Vec::new();
    let mut push = |name: &str, kind, span: Option<Span>, perm: Perm, mem, auto| {
        if let Some(span) = span {
            if let Some(words) = region_words(&span, perm, mem) {
                band.push(PartitionRegion {
                    name: name_of(name),
                    kind,
                    words,
                });
                regions.push(LaidRegion {
                    name: name.to_string(),
                    kind,
                    span,
                    perm: perm.as_str(),
                    auto,
                });
            }
        }
    };
    for (ri, r) in part.memory.iter().enumerate() {
        push(
            &r.name.v,
            RegionKind::Memory,
            plan.memory[ri],
            r.perm.v,
            r.mem,
            r.block.base.is_none(),
        );
    }
    for &(si, perm) in &plan.maps {
        let s = &raw.shared[si];
        push(
            &s.name.v,
            RegionKind::Shared,
            st.memory.shared[si],
            perm,
            s.mem,
            s.block.base.is_none(),
        );
    }
    let rw = Perm {
        r: true,
        w: true,
        x: false,
    };
    for &di in &plan.devices {
        let d = &raw.platform.devices[di];
        if st.dev_ok[di] {
            let span = Span {
                base: d.base.v,
                size: d.size.v,
            };
            push(
                &d.name.v,
                RegionKind::Device,
                Some(span),
                rw,
                MemType::Device,
                false,
            );
        }
    }
    (regions, band)
}

/// The MPU words of a partition region: read-only or read/write at EL1/EL0
/// as `perm` says, executable only with `x`; `None` when the span cannot be
/// encoded.
fn region_words(span: &Span, perm: Perm, mem: MemType) -> Option<RegionWords> {
    let attrs = Attrs {
        access: if perm.w { Access::GuestRw } else { Access::GuestRo },
        xn: !perm.x,
        mem,
    };
    RegionWords::encode(span.base, span.limit(), attrs).ok()
}

/// Checks that partition `pi`'s band fits the table the hypervisor keeps
/// per partition, and that it fits the MPU next to the hypervisor's static
/// regions and transient slots, which stay loaded while the partition runs.
/// Memory regions count as written, broken ones included, so the count
/// does not hinge on other errors.
fn check_band_size(cx: &mut Cx, st: &State<'_>, pi: usize) {
    let p = &st.raw.platform;
    let (part, plan) = (&st.raw.partitions[pi], &st.parts[pi]);
    let count = part.memory.len() + plan.maps.len() + plan.devices.len();
    if count > MAX_PARTITION_REGIONS {
        err(
            cx,
            codes::CAPACITY,
            part.name.loc,
            &part.path,
            format!(
                "partition `{}` needs {count} MPU regions ({} memory + {} shared + {} devices); a band holds at most {MAX_PARTITION_REGIONS}",
                part.name.v,
                part.memory.len(),
                plan.maps.len(),
                plan.devices.len()
            ),
        );
    }
    // The hypervisor's own counts, whatever the file says (a different
    // value is reported as E031): the hint must be one it accepts.
    let need = (STATIC_REGIONS + count + TRANSIENT_SLOTS) as u64;
    let fit = (p.mpu_regions.v as u64).saturating_sub((STATIC_REGIONS + TRANSIENT_SLOTS) as u64);
    if need > p.mpu_regions.v as u64 && fit > 0 {
        err(
            cx,
            codes::MPU_BUDGET,
            part.name.loc,
            &part.path,
            format!(
                "partition `{}` does not fit the MPU: static {STATIC_REGIONS} + partition {count} + transient {TRANSIENT_SLOTS} = {need} > {} regions",
                part.name.v, p.mpu_regions.v
            ),
        )
        .hint = Some(format!(
            "give the partition at most {fit} regions (memory, shared blocks and devices): merge adjacent memory regions, or map fewer shared blocks or devices; the hypervisor's {STATIC_REGIONS} static regions and {TRANSIENT_SLOTS} transient slots are fixed"
        ));
    }
}

/// Partition `pi`'s entry point: the one written, whose first instruction
/// (`entry & !1`, see [`EntryPoint`]) must be in its executable memory and,
/// for A32 (bit 0 clear), 4-byte aligned; or else the base of its first
/// executable region. Nothing is reported while an executable
/// region is unplaced: where it would have been is unknown.
fn entry_point(cx: &mut Cx, st: &State<'_>, pi: usize) -> u32 {
    let (part, spans) = (&st.raw.partitions[pi], &st.parts[pi].memory);
    let exec: Vec<Span> = part
        .memory
        .iter()
        .zip(spans)
        .filter(|(r, _)| r.perm.v.x)
        .filter_map(|(_, s)| *s)
        .collect();
    let all_exec_placed = part
        .memory
        .iter()
        .zip(spans)
        .all(|(r, s)| !r.perm.v.x || s.is_some());
    match &part.entry {
        Some(e) => {
            let at = EntryPoint::of(e.v);
            let inside = exec
                .iter()
                .any(|s| s.base as u64 <= at.pc as u64 && (at.pc as u64) < s.end());
            if all_exec_placed && (!inside || !at.aligned()) {
                let d = err(
                    cx,
                    codes::ENTRY,
                    e.loc,
                    &e.path,
                    if !inside {
                        format!(
                            "entry point {} of partition `{}` is outside its executable memory",
                            hex(e.v as u64),
                            part.name.v
                        )
                    } else {
                        format!(
                            "entry point {} of partition `{}` is not 4-byte aligned (A32)",
                            hex(e.v as u64),
                            part.name.v
                        )
                    },
                );
                d.hint = Some(if exec.is_empty() {
                    "the partition has no region with `x` permission".into()
                } else if inside {
                    format!(
                        "an A32 entry is 4-byte aligned; a T32 (Thumb) entry has bit 0 set: `entry = {}` starts in T32 at {}",
                        hex((e.v | 1) as u64),
                        hex(at.pc as u64)
                    )
                } else {
                    format!(
                        "executable memory: {}",
                        exec.iter().map(range_text).collect::<Vec<_>>().join(", ")
                    )
                });
            }
            e.v
        }
        None => match exec.first() {
            Some(s) => s.base,
            None => {
                if all_exec_placed && !part.name.v.starts_with('<') {
                    err(
                        cx,
                        codes::ENTRY,
                        part.loc,
                        &part.path_of_entry(),
                        format!("partition `{}` has no executable memory to start in", part.name.v),
                    )
                    .hint = Some("add a memory region with perm = \"r-x\"".into());
                }
                0
            }
        },
    }
}

impl RawPartition {
    /// Key path of the entry point, reported when it is missing.
    fn path_of_entry(&self) -> String {
        format!("{}.entry", self.path)
    }
}

//! Semantic checks, automatic placement and derivation of the hypervisor's
//! tables (exact MPU register words) from the raw elements.

use std::collections::HashMap;

use crate::system::{Partition, RegionKind, Schedule, System, MAX_CORES, MAX_NAME};

use super::diag::{codes, Diagnostic};
use super::schema::{Cx, Perm, RawSystem, Sp};
use super::source::Loc;

mod bands;
mod channels;
mod checks;
mod claims;
mod devices;
mod hypervisor;
mod mappings;
mod overlaps;
mod partitions;
mod placement;
mod queues;
mod schedules;
mod shared;
mod system;

use checks::{check_geometry, check_irq, check_size_granule, err, range_text};

/// A placed memory block: `[base, base + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    /// First byte.
    pub base: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Span {
    /// One past the last byte, as a `u64` (never wraps).
    pub fn end(&self) -> u64 {
        self.base as u64 + self.size as u64
    }

    /// Last byte (inclusive); the span must not be empty.
    pub fn limit(&self) -> u32 {
        (self.end() - 1) as u32
    }

    fn overlaps(&self, o: &Span) -> bool {
        (self.base as u64) < o.end() && (o.base as u64) < self.end()
    }

    fn contains(&self, o: &Span) -> bool {
        self.base <= o.base && o.end() <= self.end()
    }
}

/// A region of a partition's band, as laid out (for `show` and the linker
/// fragments).
#[derive(Clone, Debug, serde::Serialize)]
pub struct LaidRegion {
    /// Memory block, shared block or device name.
    pub name: String,
    /// What it is.
    #[serde(serialize_with = "ser_kind")]
    pub kind: RegionKind,
    /// Where.
    pub span: Span,
    /// Permissions (`rwx`).
    pub perm: String,
    /// Whether it was placed by the tool.
    pub auto: bool,
}

fn ser_kind<S: serde::Serializer>(k: &RegionKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match k {
        RegionKind::Memory => "memory",
        RegionKind::Shared => "shared",
        RegionKind::Device => "device",
    })
}

/// Everything derived for one partition beyond what the blob holds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PartitionLayout {
    /// Name.
    pub name: String,
    /// Crate or image it runs, as written in the config.
    pub image: Option<String>,
    /// Its band, in region order (memory, shared, devices).
    pub regions: Vec<LaidRegion>,
    /// Whether the entry point was written in the config (else it is the
    /// base of the first executable region, or an ELF's entry).
    pub entry_explicit: bool,
}

/// A platform memory bank.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BankLayout {
    /// Name.
    pub name: String,
    /// Where.
    pub span: Span,
    /// Read-only (flash).
    pub rom: bool,
    /// Per-core (TCM).
    pub tcm: bool,
}

/// A platform device.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceLayout {
    /// Name.
    pub name: String,
    /// MMIO window.
    pub span: Span,
    /// Interrupts.
    pub irqs: Vec<u32>,
    /// Who has it: `hypervisor`, a partition name, or nobody.
    pub owner: Option<String>,
}

/// The whole layout: the [`System`] the blob holds, plus what reports and
/// linker fragments need.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The hypervisor's tables.
    pub system: System,
    /// Memory banks.
    pub banks: Vec<BankLayout>,
    /// Devices.
    pub devices: Vec<DeviceLayout>,
    /// Hypervisor image memory.
    pub hyp_image: Span,
    /// Blob memory.
    pub hyp_blob: Span,
    /// Channel queue pool, if there are channels.
    pub channel_pool: Option<Span>,
    /// Console device name.
    pub console: String,
    /// Per partition.
    pub partitions: Vec<PartitionLayout>,
    /// Warnings (the system is valid).
    pub warnings: Vec<Diagnostic>,
}

fn check_name(cx: &mut Cx, what: &str, name: &Sp<String>) {
    if name.v.starts_with('<') {
        return; // placeholder for a missing name, already reported
    }
    if name.v.len() > MAX_NAME {
        err(
            cx,
            codes::CAPACITY,
            name.loc,
            &name.path,
            format!(
                "{what} name `{}` is {} bytes long; at most {MAX_NAME} fit",
                name.v,
                name.v.len()
            ),
        )
        .hint = Some("shorten it".into());
    }
    let good = !name.v.is_empty()
        && name.v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !good {
        err(
            cx,
            codes::VALUE,
            name.loc,
            &name.path,
            format!("`{}` is not a valid {what} name", name.v),
        )
        .hint = Some(
            "start with a letter; use letters, digits, `_` and `-` (names become linker symbols)".into(),
        );
    }
}

fn check_duplicates<'a>(cx: &mut Cx, what: &str, names: impl IntoIterator<Item = &'a Sp<String>>) {
    let mut seen: HashMap<&str, &Sp<String>> = HashMap::new();
    for n in names {
        if n.v.starts_with('<') {
            continue;
        }
        if let Some(first) = seen.get(n.v.as_str()) {
            let first_loc = first.loc;
            cx.push(
                Diagnostic::new(
                    codes::DUPLICATE,
                    Some(n.loc),
                    &n.path,
                    format!("{what} `{}` is defined twice", n.v),
                )
                .note(Some(first_loc), "first defined here")
                .hint(format!("give each {what} a unique name")),
            );
        } else {
            seen.insert(&n.v, n);
        }
    }
}

/// Something that occupies addresses in memory (not a device).
struct Claim {
    /// What it is, as diagnostics name it.
    label: String,
    /// Where it lies.
    span: Span,
    /// Where its address is written (or, when placed, its size).
    loc: Loc,
    /// Key path reported with an overlap.
    path: String,
}

/// What the phases of [`compile`] find out and hand on to the later ones.
/// A phase reads what earlier phases left here and adds its own part. A
/// `None` span or a `false` flag means "broken, already reported": later
/// phases skip such an element instead of reporting it again.
struct State<'r> {
    /// The system as written.
    raw: &'r RawSystem,
    /// Device and partition names, to resolve references.
    names: Names<'r>,
    /// Platform memory banks, in file order.
    banks: Vec<BankLayout>,
    /// Per bank: its geometry is sound (only sound banks hold memory).
    bank_ok: Vec<bool>,
    /// Per device: its geometry and interrupts are sound.
    dev_ok: Vec<bool>,
    /// Who owns each device and interrupt.
    owners: Owners,
    /// Memory with an address, and the claims on it.
    memory: Memory,
    /// Per partition, in file order.
    parts: Vec<PartPlan>,
    /// Channels, in file order.
    channels: ChannelPlan,
    /// The tables derived so far.
    out: Tables,
}

/// Device and partition names, by index: the look-ups every reference to
/// them goes through, and the lists "did you mean" and hints draw on.
struct Names<'r> {
    /// Device name to index.
    device_index: HashMap<&'r str, usize>,
    /// Device names, in file order.
    devices: Vec<&'r str>,
    /// Partition name to index (the first of duplicates).
    partition_index: HashMap<&'r str, usize>,
    /// Partition names, in file order.
    partitions: Vec<&'r str>,
}

/// Who owns what: each device and interrupt has at most one owner.
struct Owners {
    /// Per device: owner (as diagnostics name it) and where it was given.
    devices: Vec<Option<(String, Loc)>>,
    /// Per interrupt `(INTID, core for a PPI)`: owner and where it was given.
    irqs: HashMap<(u32, Option<u32>), (String, Loc)>,
    /// The console device, when its name resolves.
    console: Option<usize>,
}

/// Memory with an address: the fixed and placed blocks, and every claim on
/// memory (for placement and overlap checks).
struct Memory {
    /// Every memory claim with an address, in the order made.
    claims: Vec<Claim>,
    /// Hypervisor image memory.
    hyp_image: Option<Span>,
    /// Hypervisor blob memory.
    hyp_blob: Option<Span>,
    /// Channel queue pool.
    channel_pool: Option<Span>,
    /// Per shared memory block.
    shared: Vec<Option<Span>>,
}

/// What one partition's band is built from.
#[derive(Clone, Default)]
struct PartPlan {
    /// Per memory region: where it lies (`None`: broken, or not placed).
    memory: Vec<Option<Span>>,
    /// Shared memory blocks it maps: (shared block index, permissions).
    maps: Vec<(usize, Perm)>,
    /// Devices it owns (platform device indices).
    devices: Vec<usize>,
    /// Interrupts it owns.
    irqs: Vec<u16>,
}

/// Per channel, in file order.
struct ChannelPlan {
    /// Sender and receiver partition indices, when both resolve.
    endpoints: Vec<Option<(u8, u8)>>,
    /// Queue size in bytes, when the channel's sizes are sound.
    queue_sizes: Vec<Option<u32>>,
    /// Queue memory in the pool; empty when there is no pool.
    queues: Vec<Option<Span>>,
}

/// The hypervisor's tables as derived, and the warnings found on the way.
struct Tables {
    /// Partitions, in file order.
    partitions: Vec<Partition>,
    /// Their layouts, in the same order.
    layouts: Vec<PartitionLayout>,
    /// Schedules, in file order.
    schedules: Vec<Schedule>,
    /// Warnings (they never make the system invalid).
    warnings: Vec<Diagnostic>,
}

/// Validates `raw` and derives the system. Errors go to `cx`; `None` when
/// there is any.
pub fn compile(cx: &mut Cx, raw: &RawSystem) -> Option<Compiled> {
    let p = &raw.platform;

    // ---- names -------------------------------------------------------------
    for b in &p.banks {
        check_name(cx, "memory bank", &b.name);
    }
    for d in &p.devices {
        check_name(cx, "device", &d.name);
    }
    for part in &raw.partitions {
        check_name(cx, "partition", &part.name);
        for r in &part.memory {
            check_name(cx, "memory region", &r.name);
        }
        check_duplicates(cx, "memory region", part.memory.iter().map(|r| &r.name));
    }
    for c in &raw.channels {
        check_name(cx, "channel", &c.name);
    }
    for s in &raw.shared {
        check_name(cx, "shared memory block", &s.name);
    }
    check_duplicates(cx, "memory bank", p.banks.iter().map(|b| &b.name));
    check_duplicates(cx, "device", p.devices.iter().map(|d| &d.name));
    check_duplicates(cx, "partition", raw.partitions.iter().map(|p| &p.name));
    check_duplicates(cx, "channel", raw.channels.iter().map(|c| &c.name));
    check_duplicates(cx, "shared memory block", raw.shared.iter().map(|s| &s.name));

    // ---- platform ----------------------------------------------------------
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
    if p.mpu_regions.v == 0 || p.mpu_regions.v > 32 {
        err(
            cx,
            codes::VALUE,
            p.mpu_regions.loc,
            &p.mpu_regions.path,
            format!("{} EL2 MPU regions; PMSAv8 has 1 to 32", p.mpu_regions.v),
        );
    }
    let bank_ok: Vec<bool> = p
        .banks
        .iter()
        .map(|b| b.ok && check_geometry(cx, &format!("memory bank `{}`", b.name.v), &b.base, &b.size, true))
        .collect();
    let dev_ok: Vec<bool> = p
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
    let banks: Vec<BankLayout> = p
        .banks
        .iter()
        .map(|b| BankLayout {
            name: b.name.v.clone(),
            span: Span {
                base: b.base.v,
                size: b.size.v,
            },
            rom: b.rom,
            tcm: b.tcm,
        })
        .collect();
    // banks and devices must not overlap each other
    let mut space: Vec<(String, Span, Loc, String)> = Vec::new();
    for (i, b) in p.banks.iter().enumerate() {
        if bank_ok[i] {
            space.push((
                format!("memory bank `{}`", b.name.v),
                banks[i].span,
                b.base.loc,
                b.path.clone(),
            ));
        }
    }
    for (i, d) in p.devices.iter().enumerate() {
        if dev_ok[i] {
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
    let device_index: HashMap<&str, usize> = p
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.v.as_str(), i))
        .collect();
    let device_names: Vec<&str> = p.devices.iter().map(|d| d.name.v.as_str()).collect();
    let partition_names: Vec<&str> = raw.partitions.iter().map(|p| p.name.v.as_str()).collect();
    let mut partition_index: HashMap<&str, usize> = HashMap::new();
    for (i, n) in partition_names.iter().enumerate() {
        partition_index.entry(n).or_insert(i); // the first of duplicates
    }

    let mut st = State {
        raw,
        names: Names {
            device_index,
            devices: device_names,
            partition_index,
            partitions: partition_names,
        },
        banks,
        bank_ok,
        dev_ok,
        owners: Owners {
            devices: vec![None; p.devices.len()],
            irqs: HashMap::new(),
            console: None,
        },
        memory: Memory {
            claims: Vec::new(),
            hyp_image: None,
            hyp_blob: None,
            channel_pool: None,
            shared: Vec::new(),
        },
        parts: vec![PartPlan::default(); raw.partitions.len()],
        channels: ChannelPlan {
            endpoints: Vec::new(),
            queue_sizes: Vec::new(),
            queues: Vec::new(),
        },
        out: Tables {
            partitions: Vec::new(),
            layouts: Vec::new(),
            schedules: Vec::new(),
            warnings: Vec::new(),
        },
    };
    hypervisor::check_hypervisor(cx, &mut st);
    partitions::check_partitions(cx, &mut st);
    shared::check_shared_blocks(cx, &mut st);
    channels::check_channels(cx, &mut st);
    placement::place_automatic(cx, &mut st);
    overlaps::check_overlaps(cx, &st);
    queues::lay_out_queues(cx, &mut st);
    mappings::check_mappings(cx, &mut st);
    devices::assign_devices(cx, &mut st);
    bands::derive_bands(cx, &mut st);
    schedules::check_schedules(cx, &mut st);
    if cx.has_errors() {
        return None;
    }
    system::assemble(cx, st)
}

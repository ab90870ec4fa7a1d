//! Semantic checks, automatic placement and derivation of the hypervisor's
//! tables (exact MPU register words) from the raw elements.
//!
//! [`compile`] runs one phase per file of this module, in a fixed order;
//! what a phase finds out for later ones goes into a `State`.

use std::collections::HashMap;

use crate::system::{Partition, RegionKind, Schedule, System};

use super::diag::Diagnostic;
use super::schema::{Cx, Perm, RawSystem};
use super::source::Loc;
use super::Options;

mod bands;
mod channels;
mod checks;
mod claims;
mod devices;
mod hypervisor;
mod images;
mod mappings;
mod names;
mod overlaps;
mod partitions;
mod placement;
pub use placement::LINK_PAGE;
mod platform;
mod queues;
mod schedules;
mod shared;
mod system;

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
    /// The program it runs, as written in the config: a binary the
    /// caller builds, or a path to an ELF (see [`crate::front::image::elf_path`]).
    pub image: Option<String>,
    /// When `image` is a path: the ELF it names, resolved against the
    /// directory of the file that holds the key (checked readable and a
    /// 32-bit Arm ELF when the system was checked).
    pub elf: Option<std::path::PathBuf>,
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
    /// The programs an `image` may name, when the caller knows them.
    binaries: Option<&'r [String]>,
    /// An `image` path may name an ELF not built yet (not read).
    elves_pending: bool,
    /// The path of each source file, by [`FileId`](crate::front::source::FileId)
    /// (an `image` path resolves against its file's directory).
    files: &'r [std::path::PathBuf],
    /// Per partition: the ELF its `image` names, when it is a path.
    elves: Vec<Option<std::path::PathBuf>>,
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

impl<'r> State<'r> {
    /// The state before the first phase: what follows from `raw` alone
    /// (the banks' layout, the name look-ups) and nothing derived yet.
    fn new(raw: &'r RawSystem, options: &'r Options, files: &'r [std::path::PathBuf]) -> Self {
        let p = &raw.platform;
        State {
            raw,
            binaries: options.binaries.as_deref(),
            elves_pending: options.elves_pending,
            files,
            elves: vec![None; raw.partitions.len()],
            names: Names::new(raw),
            banks: p
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
                .collect(),
            bank_ok: Vec::new(),
            dev_ok: Vec::new(),
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
        }
    }
}

/// Device and partition names, by index: the look-ups every reference to
/// them goes through, and the lists "did you mean" and hints draw on.
struct Names<'r> {
    /// Device name to index (the last of duplicates).
    device_index: HashMap<&'r str, usize>,
    /// Device names, in file order.
    devices: Vec<&'r str>,
    /// Partition name to index (the first of duplicates).
    partition_index: HashMap<&'r str, usize>,
    /// Partition names, in file order.
    partitions: Vec<&'r str>,
}

impl<'r> Names<'r> {
    /// The look-ups of `raw`'s device and partition names.
    fn new(raw: &'r RawSystem) -> Self {
        let p = &raw.platform;
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
        Names {
            device_index,
            devices: device_names,
            partition_index,
            partitions: partition_names,
        }
    }
}

/// Who owns what: each device and interrupt has at most one owner.
struct Owners {
    /// Per device: owner (as diagnostics name it) and where it was given.
    devices: Vec<Option<(String, Loc)>>,
    /// Per interrupt `(INTID, core)`: owner and where it was given. The core
    /// is only set for a partition's PPI: PPIs are banked per core, and the
    /// hypervisor keeps its interrupts on every core.
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
/// there is any. `options` says what the caller knows: the programs a
/// partition's `image` may name, and whether an `image` ELF may be unbuilt; `files` are the paths of the source files, by id (an
/// `image` that is a path resolves against the directory of its file).
///
/// Every phase runs even after errors, so one run reports as many as it
/// can; an element found broken is skipped by later phases, not reported
/// again. The order matters: the hypervisor takes its devices, interrupts
/// and memory before any partition asks; fixed addresses are claimed, and
/// the channel queues sized, before automatic placement fills the gaps;
/// overlaps are checked once every block has its address; the bands are
/// derived once each partition's memory, mappings and devices are known.
/// Diagnostics are sorted by position afterwards, but those at the same
/// position keep this order.
pub fn compile(
    cx: &mut Cx,
    raw: &RawSystem,
    options: &Options,
    files: &[std::path::PathBuf],
) -> Option<Compiled> {
    let mut st = State::new(raw, options, files);
    names::check_names(cx, &st);
    platform::check_platform(cx, &mut st);
    hypervisor::check_hypervisor(cx, &mut st);
    partitions::check_partitions(cx, &mut st);
    images::check_images(cx, &mut st);
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

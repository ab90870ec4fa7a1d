//! The schema: reads the located TOML tree into raw, typed elements. Every
//! key is checked against the keys its table may hold (typos are errors,
//! with a "did you mean"); every value's type and range is checked. Errors
//! are collected, never fatal, so one run reports as many as it can.

use crate::limits::{STATIC_REGIONS, TRANSIENT_SLOTS};
use crate::mpu::MemType;
use crate::system::FaultPolicy;

use super::diag::{codes, did_you_mean, Diagnostic};
use super::source::Loc;
use super::tree::{Node, Val};

/// A value with where it came from.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    /// The value.
    pub v: T,
    /// Where it is written (or, for a default, the table it belongs to).
    pub loc: Loc,
    /// Key path.
    pub path: String,
}

/// Collected diagnostics.
#[derive(Debug, Default)]
pub struct Cx {
    /// Everything reported so far.
    pub diags: Vec<Diagnostic>,
}

impl Cx {
    /// Reports one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.is_error())
    }
}

/// Access permissions written as `r`, `w`, `x` letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perm {
    /// Readable.
    pub r: bool,
    /// Writable.
    pub w: bool,
    /// Executable.
    pub x: bool,
}

impl Perm {
    /// `rwx` form with dashes, e.g. `r-x`.
    pub fn as_str(&self) -> String {
        format!(
            "{}{}{}",
            if self.r { 'r' } else { '-' },
            if self.w { 'w' } else { '-' },
            if self.x { 'x' } else { '-' }
        )
    }
}

/// A platform memory bank.
#[derive(Clone, Debug)]
pub struct RawBank {
    /// Name.
    pub name: Sp<String>,
    /// Base.
    pub base: Sp<u32>,
    /// Size.
    pub size: Sp<u32>,
    /// Read-only memory (flash).
    pub rom: bool,
    /// Per-core memory (TCM): never used for automatic placement.
    pub tcm: bool,
    /// Where the table is.
    pub loc: Loc,
    /// Path of the table.
    pub path: String,
    /// Every required key was readable.
    pub ok: bool,
}

/// A platform device.
#[derive(Clone, Debug)]
pub struct RawDevice {
    /// Name.
    pub name: Sp<String>,
    /// MMIO base.
    pub base: Sp<u32>,
    /// MMIO size.
    pub size: Sp<u32>,
    /// Its interrupts (INTIDs).
    pub irqs: Vec<Sp<u32>>,
    /// Where the table is.
    pub loc: Loc,
    /// Path of the table.
    pub path: String,
    /// Every required key was readable.
    pub ok: bool,
}

/// The platform.
#[derive(Clone, Debug)]
pub struct RawPlatform {
    /// Name.
    pub name: Sp<String>,
    /// Core count.
    pub cores: Sp<u32>,
    /// EL2 MPU regions.
    pub mpu_regions: Sp<u32>,
    /// Number of interrupt ids (INTIDs are below it).
    pub interrupts: Sp<u32>,
    /// Memory banks.
    pub banks: Vec<RawBank>,
    /// Devices.
    pub devices: Vec<RawDevice>,
    /// The device the hypervisor built for this board prints on, if given.
    pub console: Option<Sp<String>>,
    /// Where the hypervisor built for this board finds its GIC, if given.
    pub gic: Option<RawGic>,
}

/// `[platform.gic]`: the GICv3 as the hypervisor built for the board uses it.
#[derive(Clone, Debug)]
pub struct RawGic {
    /// Device name of the distributor.
    pub distributor: Sp<String>,
    /// Device name of the redistributors (one frame per core, in core order).
    pub redistributors: Sp<String>,
    /// Size of one core's redistributor frame.
    pub redistributor_stride: Sp<u32>,
    /// List registers the hypervisor uses.
    pub list_registers: Sp<u32>,
    /// Where the table is.
    pub loc: Loc,
    /// Path of the table.
    pub path: String,
}

/// A block of memory that may be placed automatically.
#[derive(Clone, Debug)]
pub struct RawBlock {
    /// Fixed base, or `None` for automatic placement.
    pub base: Option<Sp<u32>>,
    /// Size.
    pub size: Sp<u32>,
    /// Bank to place it in when automatic.
    pub bank: Option<Sp<String>>,
    /// Where the table is.
    pub loc: Loc,
    /// Path of the table.
    pub path: String,
    /// Every required key was readable.
    pub ok: bool,
}

/// The hypervisor section.
#[derive(Clone, Debug)]
pub struct RawHyp {
    /// Where the hypervisor image is linked.
    pub image: RawBlock,
    /// Where the blob is loaded.
    pub blob: RawBlock,
    /// Console device name.
    pub console: Sp<String>,
    /// Static band size.
    pub static_regions: Sp<u32>,
    /// Transient slots.
    pub transient_slots: Sp<u32>,
    /// Channel queue pool, if given.
    pub channel_pool: Option<RawBlock>,
    /// Devices the hypervisor drives itself besides the console.
    pub devices: Vec<Sp<String>>,
    /// Interrupts the hypervisor keeps.
    pub irqs: Vec<Sp<u32>>,
}

/// A partition memory region.
#[derive(Clone, Debug)]
pub struct RawRegion {
    /// Name.
    pub name: Sp<String>,
    /// Placement.
    pub block: RawBlock,
    /// Permissions.
    pub perm: Sp<Perm>,
    /// Memory type.
    pub mem: MemType,
}

/// A partition.
#[derive(Clone, Debug)]
pub struct RawPartition {
    /// Name.
    pub name: Sp<String>,
    /// Core.
    pub core: Sp<u32>,
    /// Entry point, when given.
    pub entry: Option<Sp<u32>>,
    /// Crate or image it runs (informational).
    pub image: Option<Sp<String>>,
    /// Fault policy.
    pub fault: Sp<FaultPolicy>,
    /// Memory regions.
    pub memory: Vec<RawRegion>,
    /// Passthrough devices.
    pub devices: Vec<Sp<String>>,
    /// Interrupts besides those of its devices.
    pub irqs: Vec<Sp<u32>>,
    /// Where the table is.
    pub loc: Loc,
    /// Path of the table.
    pub path: String,
}

/// A channel.
#[derive(Clone, Debug)]
pub struct RawChannel {
    /// Name.
    pub name: Sp<String>,
    /// Sender partition.
    pub sender: Sp<String>,
    /// Receiver partition.
    pub receiver: Sp<String>,
    /// Message size.
    pub msg_size: Sp<u32>,
    /// Queue depth.
    pub depth: Sp<u32>,
    /// Path of the table.
    pub path: String,
    /// Every required key was readable.
    pub ok: bool,
}

/// A shared-memory block.
#[derive(Clone, Debug)]
pub struct RawShared {
    /// Name.
    pub name: Sp<String>,
    /// Placement.
    pub block: RawBlock,
    /// Memory type.
    pub mem: MemType,
    /// Partitions mapping it and their permissions.
    pub map: Vec<(Sp<String>, Sp<Perm>)>,
}

/// A schedule window.
#[derive(Clone, Debug)]
pub struct RawWindow {
    /// Partition name.
    pub partition: Sp<String>,
    /// Duration in microseconds.
    pub duration_us: Sp<u32>,
}

/// A core's schedule.
#[derive(Clone, Debug)]
pub struct RawSchedule {
    /// Core.
    pub core: Sp<u32>,
    /// Major frame in microseconds.
    pub major_frame_us: Sp<u32>,
    /// Windows.
    pub windows: Vec<RawWindow>,
    /// Path of the table.
    pub path: String,
}

/// A whole system as written.
#[derive(Clone, Debug)]
pub struct RawSystem {
    /// Platform.
    pub platform: RawPlatform,
    /// Hypervisor.
    pub hypervisor: RawHyp,
    /// Partitions.
    pub partitions: Vec<RawPartition>,
    /// Channels.
    pub channels: Vec<RawChannel>,
    /// Shared memory.
    pub shared: Vec<RawShared>,
    /// Schedules.
    pub schedules: Vec<RawSchedule>,
}

/// Keys of each table, for unknown-key checks and docs.
pub mod keys {
    /// Top level.
    pub const ROOT: &[&str] = &[
        "platform",
        "hypervisor",
        "partition",
        "channel",
        "shared_memory",
        "schedule",
    ];
    /// `[platform]` (and a platform file).
    pub const PLATFORM: &[&str] = &[
        "include",
        "name",
        "cores",
        "mpu_regions",
        "interrupts",
        "console",
        "gic",
        "memory",
        "device",
    ];
    /// `[platform.gic]`.
    pub const GIC: &[&str] = &[
        "distributor",
        "redistributors",
        "redistributor_stride",
        "list_registers",
    ];
    /// `[[platform.memory]]`.
    pub const BANK: &[&str] = &["name", "base", "size", "kind"];
    /// `[[platform.device]]`.
    pub const DEVICE: &[&str] = &["name", "base", "size", "interrupts"];
    /// `[hypervisor]`.
    pub const HYPERVISOR: &[&str] = &[
        "image",
        "blob",
        "console",
        "static_regions",
        "transient_slots",
        "channel_pool",
        "devices",
        "interrupts",
    ];
    /// `hypervisor.image` / `hypervisor.blob`.
    pub const FIXED_BLOCK: &[&str] = &["base", "size"];
    /// `hypervisor.channel_pool`.
    pub const POOL: &[&str] = &["base", "size", "bank"];
    /// `[[partition]]`.
    pub const PARTITION: &[&str] = &[
        "name",
        "core",
        "entry",
        "image",
        "fault_policy",
        "restart_budget",
        "memory",
        "devices",
        "interrupts",
    ];
    /// `[[partition.memory]]`.
    pub const REGION: &[&str] = &["name", "base", "size", "perm", "type", "bank"];
    /// `[[channel]]`.
    pub const CHANNEL: &[&str] = &["name", "sender", "receiver", "msg_size", "depth"];
    /// `[[shared_memory]]`.
    pub const SHARED: &[&str] = &["name", "base", "size", "bank", "type", "map"];
    /// `[[schedule]]`.
    pub const SCHEDULE: &[&str] = &["core", "major_frame_us", "windows"];
    /// `schedule.windows[]`.
    pub const WINDOW: &[&str] = &["partition", "duration_us"];
}

/// A table being read: its entries, location and paths.
pub struct Tab<'a> {
    entries: &'a [(super::tree::Key, Node)],
    /// Where the table is.
    pub loc: Loc,
    /// Key path with indices (`partition[1].memory[0]`).
    pub path: String,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_error(cx: &mut Cx, node: &Node, path: &str, expected: &str) {
    let hint = if expected.starts_with("an integer") {
        "write a number without quotes, e.g. `1` or `0x2000_0000`"
    } else if expected.starts_with("a string") {
        "put the value in double quotes"
    } else if expected.starts_with("a size") {
        "write a byte count (`4096`, `0x1000`) or a string with a unit (`\"64K\"`)"
    } else if expected.starts_with("an array of tables") {
        "write `[[key]]` sections, or `key = [{ ... }, { ... }]`"
    } else if expected.starts_with("an array") {
        "write a list in brackets, e.g. `[1, 2]` or `[\"a\", \"b\"]`"
    } else {
        "write a table, e.g. `{ key = value }` or a `[section]`"
    };
    cx.push(
        Diagnostic::new(
            codes::TYPE,
            Some(node.loc),
            path,
            format!("`{path}` must be {expected}, found {}", node.val.type_name()),
        )
        .label(format!("expected {expected}"))
        .hint(hint),
    );
}

impl<'a> Tab<'a> {
    /// Opens `node` as a table whose keys must be among `allowed`; `schema`
    /// names it without indices (`partition.memory`) for messages.
    pub fn open(cx: &mut Cx, node: &'a Node, path: &str, schema: &str, allowed: &[&str]) -> Option<Tab<'a>> {
        let Val::Table(entries) = &node.val else {
            type_error(cx, node, path, "a table");
            return None;
        };
        for (k, _) in entries {
            if !allowed.contains(&k.name.as_str()) {
                let where_ = if schema.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in `{schema}`")
                };
                let mut d = Diagnostic::new(
                    codes::UNKNOWN_KEY,
                    Some(k.loc),
                    join(path, &k.name),
                    match did_you_mean(&k.name, allowed.iter().copied()) {
                        Some(s) => format!("unknown key `{}` {where_}; did you mean `{s}`?", k.name),
                        None => format!("unknown key `{}` {where_}", k.name),
                    },
                )
                .label("unknown key");
                d = d.hint(format!("the keys allowed here are: {}", allowed.join(", ")));
                cx.push(d);
            }
        }
        Some(Tab {
            entries,
            loc: node.loc,
            path: path.to_string(),
        })
    }

    /// The value of `key`.
    pub fn node(&self, key: &str) -> Option<&'a Node> {
        self.entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }

    /// The path of `key` in this table.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn missing(&self, cx: &mut Cx, key: &str, what: &str) {
        cx.push(
            Diagnostic::new(
                codes::MISSING,
                Some(self.loc),
                self.path_of(key),
                format!(
                    "missing key `{key}` in `{}`",
                    if self.path.is_empty() {
                        "<root>"
                    } else {
                        &self.path
                    }
                ),
            )
            .hint(format!("add `{key} = {what}`")),
        );
    }

    /// A string value.
    pub fn string(&self, cx: &mut Cx, key: &str, required: bool) -> Option<Sp<String>> {
        let Some(n) = self.node(key) else {
            if required {
                self.missing(cx, key, "\"...\"");
            }
            return None;
        };
        let path = self.path_of(key);
        match &n.val {
            Val::Str(s) => Some(Sp {
                v: s.clone(),
                loc: n.loc,
                path,
            }),
            _ => {
                type_error(cx, n, &path, "a string");
                None
            }
        }
    }

    /// An integer in `0..=u32::MAX`.
    pub fn u32(&self, cx: &mut Cx, key: &str, required: bool) -> Option<Sp<u32>> {
        let Some(n) = self.node(key) else {
            if required {
                self.missing(cx, key, "<integer>");
            }
            return None;
        };
        node_u32(cx, n, &self.path_of(key))
    }

    /// A size: an integer, or a string such as `"64K"`, `"1M"`, `"3G"`
    /// (binary units).
    pub fn size(&self, cx: &mut Cx, key: &str, required: bool) -> Option<Sp<u32>> {
        let Some(n) = self.node(key) else {
            if required {
                self.missing(cx, key, "\"64K\"");
            }
            return None;
        };
        let path = self.path_of(key);
        match &n.val {
            Val::Str(s) => match parse_size(s) {
                Some(v) => Some(Sp { v, loc: n.loc, path }),
                None => {
                    cx.push(
                        Diagnostic::new(
                            codes::VALUE,
                            Some(n.loc),
                            &path,
                            format!("`{s}` is not a size below 4 GiB"),
                        )
                        .hint("write a byte count (0x1_0000) or a number with K, M or G (64K)"),
                    );
                    None
                }
            },
            Val::Int(_) => node_u32(cx, n, &path),
            _ => {
                type_error(cx, n, &path, "a size (integer or \"64K\")");
                None
            }
        }
    }

    /// One of `choices`, as an index.
    pub fn choice(&self, cx: &mut Cx, key: &str, choices: &[&str]) -> Option<Sp<usize>> {
        let s = self.string(cx, key, false)?;
        match choices.iter().position(|c| *c == s.v) {
            Some(i) => Some(Sp {
                v: i,
                loc: s.loc,
                path: s.path,
            }),
            None => {
                let mut msg = format!("`{}` is not one of {}", s.v, quoted(choices));
                if let Some(m) = did_you_mean(&s.v, choices.iter().copied()) {
                    msg.push_str(&format!("; did you mean `{m}`?"));
                }
                cx.push(
                    Diagnostic::new(codes::VALUE, Some(s.loc), &s.path, msg)
                        .hint(format!("`{key}` is one of {}", quoted(choices))),
                );
                None
            }
        }
    }

    /// A permission string (`r-x`, `rw`...).
    pub fn perm(&self, cx: &mut Cx, key: &str, required: bool) -> Option<Sp<Perm>> {
        let s = self.string(cx, key, required)?;
        perm_of(cx, s)
    }

    /// An optional table.
    pub fn table(&self, cx: &mut Cx, key: &str, schema: &str, allowed: &[&str]) -> Option<Tab<'a>> {
        let n = self.node(key)?;
        Tab::open(cx, n, &self.path_of(key), schema, allowed)
    }

    /// An array of tables (`[[key]]`); absent means empty.
    pub fn tables(&self, cx: &mut Cx, key: &str, schema: &str, allowed: &[&str]) -> Vec<Tab<'a>> {
        let Some(n) = self.node(key) else {
            return Vec::new();
        };
        let path = self.path_of(key);
        let Val::Array(items) = &n.val else {
            type_error(cx, n, &path, "an array of tables");
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Tab::open(cx, item, &format!("{path}[{i}]"), schema, allowed))
            .collect()
    }

    /// An array of `T` read by `each`; absent means empty.
    pub fn array<T>(
        &self,
        cx: &mut Cx,
        key: &str,
        mut each: impl FnMut(&mut Cx, &'a Node, String) -> Option<T>,
    ) -> Vec<T> {
        let Some(n) = self.node(key) else {
            return Vec::new();
        };
        let path = self.path_of(key);
        let Val::Array(items) = &n.val else {
            type_error(cx, n, &path, "an array");
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| each(cx, item, format!("{path}[{i}]")))
            .collect()
    }
}

fn quoted(choices: &[&str]) -> String {
    choices
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads an integer node as a `u32`.
pub fn node_u32(cx: &mut Cx, n: &Node, path: &str) -> Option<Sp<u32>> {
    match &n.val {
        Val::Int(Some(i)) if (0..=u32::MAX as i128).contains(i) => Some(Sp {
            v: *i as u32,
            loc: n.loc,
            path: path.to_string(),
        }),
        Val::Int(_) => {
            cx.push(
                Diagnostic::new(
                    codes::VALUE,
                    Some(n.loc),
                    path,
                    format!("`{path}` must be between 0 and 0xFFFF_FFFF"),
                )
                .hint("addresses, sizes and counts are 32-bit and never negative"),
            );
            None
        }
        _ => {
            type_error(cx, n, path, "an integer");
            None
        }
    }
}

/// Reads a string node.
pub fn node_string(cx: &mut Cx, n: &Node, path: &str) -> Option<Sp<String>> {
    match &n.val {
        Val::Str(s) => Some(Sp {
            v: s.clone(),
            loc: n.loc,
            path: path.to_string(),
        }),
        _ => {
            type_error(cx, n, path, "a string");
            None
        }
    }
}

/// Parses `"64K"`-style sizes (also plain decimal or `0x` hex strings).
pub fn parse_size(s: &str) -> Option<u32> {
    let t = s.trim().replace('_', "");
    let (digits, mult) = match t.chars().last()? {
        'K' | 'k' => (&t[..t.len() - 1], 1u64 << 10),
        'M' | 'm' => (&t[..t.len() - 1], 1u64 << 20),
        'G' | 'g' => (&t[..t.len() - 1], 1u64 << 30),
        _ => (t.as_str(), 1u64),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    u32::try_from(value.checked_mul(mult)?).ok()
}

fn perm_of(cx: &mut Cx, s: Sp<String>) -> Option<Sp<Perm>> {
    let mut p = Perm {
        r: false,
        w: false,
        x: false,
    };
    let mut ok = s.v.len() <= 3 && !s.v.is_empty();
    for c in s.v.chars() {
        let slot = match c {
            'r' => &mut p.r,
            'w' => &mut p.w,
            'x' => &mut p.x,
            '-' => continue,
            _ => {
                ok = false;
                continue;
            }
        };
        if *slot {
            ok = false;
        }
        *slot = true;
    }
    if !ok {
        cx.push(
            Diagnostic::new(
                codes::VALUE,
                Some(s.loc),
                &s.path,
                format!("`{}` is not a permission", s.v),
            )
            .hint("write the letters r, w, x, e.g. \"r-x\" for code or \"rw-\" for data"),
        );
        return None;
    }
    Some(Sp {
        v: p,
        loc: s.loc,
        path: s.path,
    })
}

fn placeholder<T>(v: T, loc: Loc, path: String) -> Sp<T> {
    Sp { v, loc, path }
}

/// Reads the whole system. `platform` is the (possibly merged) platform table.
pub fn read(cx: &mut Cx, root: &Node) -> Option<RawSystem> {
    let top = Tab::open(cx, root, "", "", keys::ROOT)?;
    let platform = match top.node("platform") {
        Some(n) => read_platform(cx, n),
        None => {
            top.missing(cx, "platform", "{ include = \"platforms/<board>.toml\" }");
            None
        }
    };
    let hypervisor = match top.node("hypervisor") {
        Some(n) => read_hypervisor(cx, n),
        None => {
            top.missing(cx, "hypervisor", "{ ... }");
            None
        }
    };
    let partitions = top
        .tables(cx, "partition", "partition", keys::PARTITION)
        .into_iter()
        .enumerate()
        .map(|(i, t)| read_partition(cx, i, &t))
        .collect();
    let channels = top
        .tables(cx, "channel", "channel", keys::CHANNEL)
        .into_iter()
        .enumerate()
        .map(|(i, t)| read_channel(cx, i, &t))
        .collect();
    let shared = top
        .tables(cx, "shared_memory", "shared_memory", keys::SHARED)
        .into_iter()
        .enumerate()
        .map(|(i, t)| read_shared(cx, i, &t))
        .collect();
    let schedules = top
        .tables(cx, "schedule", "schedule", keys::SCHEDULE)
        .into_iter()
        .filter_map(|t| read_schedule(cx, &t))
        .collect();
    Some(RawSystem {
        platform: platform?,
        hypervisor: hypervisor?,
        partitions,
        channels,
        shared,
        schedules,
    })
}

fn name_or(cx: &mut Cx, t: &Tab<'_>, what: &str, i: usize, ok: &mut bool) -> Sp<String> {
    t.string(cx, "name", true).unwrap_or_else(|| {
        *ok = false;
        placeholder(format!("<{what} {i}>"), t.loc, t.path_of("name"))
    })
}

fn req<T>(v: Option<Sp<T>>, default: T, t: &Tab<'_>, key: &str, ok: &mut bool) -> Sp<T> {
    v.unwrap_or_else(|| {
        *ok = false;
        placeholder(default, t.loc, t.path_of(key))
    })
}

fn irq_list(cx: &mut Cx, t: &Tab<'_>) -> Vec<Sp<u32>> {
    t.array(cx, "interrupts", |cx, n, p| node_u32(cx, n, &p))
}

/// Reads the platform table (a system's `[platform]` after its include is
/// resolved, or the top level of a platform file).
pub fn read_platform(cx: &mut Cx, node: &Node) -> Option<RawPlatform> {
    let t = Tab::open(cx, node, "platform", "platform", keys::PLATFORM)?;
    let mut ok = true;
    let name = t.string(cx, "name", true);
    let cores = t.u32(cx, "cores", true);
    let mpu_regions = t.u32(cx, "mpu_regions", true);
    let interrupts = t
        .u32(cx, "interrupts", false)
        .unwrap_or_else(|| placeholder(1020, t.loc, t.path_of("interrupts")));
    let banks = t
        .tables(cx, "memory", "platform.memory", keys::BANK)
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let mut ok = true;
            let name = name_or(cx, &b, "memory", i, &mut ok);
            let base = req(b.u32(cx, "base", true), 0, &b, "base", &mut ok);
            let size = req(b.size(cx, "size", true), 0, &b, "size", &mut ok);
            let kind = b.choice(cx, "kind", &["ram", "rom", "tcm"]).map_or(0, |k| k.v);
            RawBank {
                name,
                base,
                size,
                rom: kind == 1,
                tcm: kind == 2,
                loc: b.loc,
                path: b.path.clone(),
                ok,
            }
        })
        .collect();
    let devices = t
        .tables(cx, "device", "platform.device", keys::DEVICE)
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let mut ok = true;
            let name = name_or(cx, &d, "device", i, &mut ok);
            let base = req(d.u32(cx, "base", true), 0, &d, "base", &mut ok);
            let size = req(d.size(cx, "size", true), 0, &d, "size", &mut ok);
            RawDevice {
                name,
                base,
                size,
                irqs: irq_list(cx, &d),
                loc: d.loc,
                path: d.path.clone(),
                ok,
            }
        })
        .collect();
    let console = t.string(cx, "console", false);
    let gic = t.table(cx, "gic", "platform.gic", keys::GIC).and_then(|g| {
        let distributor = g.string(cx, "distributor", true);
        let redistributors = g.string(cx, "redistributors", true);
        let redistributor_stride = g.size(cx, "redistributor_stride", true);
        let list_registers = g.u32(cx, "list_registers", true);
        Some(RawGic {
            distributor: distributor?,
            redistributors: redistributors?,
            redistributor_stride: redistributor_stride?,
            list_registers: list_registers?,
            loc: g.loc,
            path: g.path.clone(),
        })
    });
    let name = req(name, String::new(), &t, "name", &mut ok);
    let cores = req(cores, 1, &t, "cores", &mut ok);
    let mpu_regions = req(mpu_regions, 16, &t, "mpu_regions", &mut ok);
    ok.then_some(RawPlatform {
        name,
        cores,
        mpu_regions,
        interrupts,
        banks,
        devices,
        console,
        gic,
    })
}

fn read_block(cx: &mut Cx, t: &Tab<'_>, size_required: bool) -> RawBlock {
    let mut ok = true;
    let base = t.u32(cx, "base", false);
    if base.is_none() && t.node("base").is_some() {
        ok = false;
    }
    let size = req(t.size(cx, "size", size_required), 0, t, "size", &mut ok);
    let bank = t.string(cx, "bank", false);
    RawBlock {
        base,
        size,
        bank,
        loc: t.loc,
        path: t.path.clone(),
        ok,
    }
}

fn read_fixed_block(cx: &mut Cx, hyp: &Tab<'_>, key: &str) -> Option<RawBlock> {
    let Some(t) = hyp.table(cx, key, &format!("hypervisor.{key}"), keys::FIXED_BLOCK) else {
        if hyp.node(key).is_none() {
            hyp.missing(cx, key, "{ base = 0x..., size = \"...\" }");
        }
        return None;
    };
    if t.node("base").is_none() {
        t.missing(cx, "base", "0x...");
        return None;
    }
    Some(read_block(cx, &t, true))
}

fn read_hypervisor(cx: &mut Cx, node: &Node) -> Option<RawHyp> {
    let t = Tab::open(cx, node, "hypervisor", "hypervisor", keys::HYPERVISOR)?;
    let image = read_fixed_block(cx, &t, "image");
    let blob = read_fixed_block(cx, &t, "blob");
    let console = t.string(cx, "console", true);
    let static_regions = t
        .u32(cx, "static_regions", false)
        .unwrap_or_else(|| placeholder(STATIC_REGIONS as u32, t.loc, t.path_of("static_regions")));
    let transient_slots = t
        .u32(cx, "transient_slots", false)
        .unwrap_or_else(|| placeholder(TRANSIENT_SLOTS as u32, t.loc, t.path_of("transient_slots")));
    let channel_pool = t
        .table(cx, "channel_pool", "hypervisor.channel_pool", keys::POOL)
        .map(|p| read_block(cx, &p, true));
    let devices = t.array(cx, "devices", |cx, n, p| node_string(cx, n, &p));
    let irqs = irq_list(cx, &t);
    Some(RawHyp {
        image: image?,
        blob: blob?,
        console: console?,
        static_regions,
        transient_slots,
        channel_pool,
        devices,
        irqs,
    })
}

fn mem_type(cx: &mut Cx, t: &Tab<'_>) -> MemType {
    match t
        .choice(cx, "type", &["normal", "uncached", "device"])
        .map(|c| c.v)
    {
        Some(1) => MemType::NormalUncached,
        Some(2) => MemType::Device,
        _ => MemType::Normal,
    }
}

fn read_partition(cx: &mut Cx, i: usize, t: &Tab<'_>) -> RawPartition {
    // A partition with a missing name or core is still checked as far as
    // possible: placeholders keep it out of checks that would cascade.
    let mut complete = true;
    let name = name_or(cx, t, "partition", i, &mut complete);
    // A missing core is reported once; u32::MAX keeps it out of later checks.
    let core = req(t.u32(cx, "core", true), u32::MAX, t, "core", &mut complete);
    let entry = t.u32(cx, "entry", false);
    let image = t.string(cx, "image", false);
    let policy = t.choice(cx, "fault_policy", &["halt", "restart", "log"]);
    let budget = t.u32(cx, "restart_budget", false);
    let fault_loc = policy.as_ref().map_or(t.loc, |p| p.loc);
    let fault = match (policy.as_ref().map(|p| p.v), &budget) {
        (Some(1), Some(b)) if (1..=255).contains(&b.v) => FaultPolicy::Restart { budget: b.v as u8 },
        (Some(1), Some(b)) => {
            cx.push(
                Diagnostic::new(
                    codes::VALUE,
                    Some(b.loc),
                    &b.path,
                    format!("restart budget {} is not in 1..=255", b.v),
                )
                .hint("use `fault_policy = \"halt\"` for a partition that must never restart"),
            );
            FaultPolicy::Halt
        }
        (Some(1), None) => {
            t.missing(cx, "restart_budget", "3");
            FaultPolicy::Halt
        }
        (p, Some(b)) => {
            cx.push(
                Diagnostic::new(
                    codes::VALUE,
                    Some(b.loc),
                    &b.path,
                    "`restart_budget` is only meaningful with `fault_policy = \"restart\"`",
                )
                .hint("remove it, or set `fault_policy = \"restart\"`"),
            );
            if p == Some(2) {
                FaultPolicy::Log
            } else {
                FaultPolicy::Halt
            }
        }
        (Some(2), None) => FaultPolicy::Log,
        _ => FaultPolicy::Halt,
    };
    let memory = t
        .tables(cx, "memory", "partition.memory", keys::REGION)
        .into_iter()
        .enumerate()
        .map(|(ri, r)| {
            let mut rok = true;
            let name = name_or(cx, &r, "memory", ri, &mut rok);
            let mut block = read_block(cx, &r, true);
            let perm = req(
                r.perm(cx, "perm", true),
                Perm {
                    r: true,
                    w: false,
                    x: false,
                },
                &r,
                "perm",
                &mut rok,
            );
            block.ok &= rok;
            RawRegion {
                name,
                block,
                perm,
                mem: mem_type(cx, &r),
            }
        })
        .collect();
    let devices = t.array(cx, "devices", |cx, n, p| node_string(cx, n, &p));
    let irqs = irq_list(cx, t);
    RawPartition {
        name,
        core,
        entry,
        image,
        fault: placeholder(fault, fault_loc, t.path_of("fault_policy")),
        memory,
        devices,
        irqs,
        loc: t.loc,
        path: t.path.clone(),
    }
}

fn read_channel(cx: &mut Cx, i: usize, t: &Tab<'_>) -> RawChannel {
    let mut ok = true;
    let name = name_or(cx, t, "channel", i, &mut ok);
    let sender = req(t.string(cx, "sender", true), String::new(), t, "sender", &mut ok);
    let receiver = req(
        t.string(cx, "receiver", true),
        String::new(),
        t,
        "receiver",
        &mut ok,
    );
    let msg_size = req(t.size(cx, "msg_size", true), 0, t, "msg_size", &mut ok);
    let depth = req(t.u32(cx, "depth", true), 0, t, "depth", &mut ok);
    RawChannel {
        name,
        sender,
        receiver,
        msg_size,
        depth,
        path: t.path.clone(),
        ok,
    }
}

fn read_shared(cx: &mut Cx, i: usize, t: &Tab<'_>) -> RawShared {
    let mut ok = true;
    let name = name_or(cx, t, "shared_memory", i, &mut ok);
    let mut block = read_block(cx, t, true);
    block.ok &= ok;
    let mem = mem_type(cx, t);
    let mut map = Vec::new();
    if let Some(n) = t.node("map") {
        match &n.val {
            Val::Table(entries) => {
                for (k, v) in entries {
                    let path = format!("{}.map.{}", t.path, k.name);
                    if let Some(s) = node_string(cx, v, &path) {
                        if let Some(p) = perm_of(cx, s) {
                            let who = Sp {
                                v: k.name.clone(),
                                loc: k.loc,
                                path: path.clone(),
                            };
                            map.push((who, p));
                        }
                    }
                }
            }
            _ => type_error(cx, n, &t.path_of("map"), "a table of partition = \"perm\""),
        }
    } else {
        t.missing(cx, "map", "{ <partition> = \"rw-\", ... }");
    }
    RawShared {
        name,
        block,
        mem,
        map,
    }
}

fn read_schedule(cx: &mut Cx, t: &Tab<'_>) -> Option<RawSchedule> {
    let core = t.u32(cx, "core", true);
    let major = t.u32(cx, "major_frame_us", true);
    let windows = t.array(cx, "windows", |cx, n, p| {
        let w = Tab::open(cx, n, &p, "schedule.windows", keys::WINDOW)?;
        let partition = w.string(cx, "partition", true)?;
        let duration_us = w.u32(cx, "duration_us", true)?;
        Some(RawWindow {
            partition,
            duration_us,
        })
    });
    if t.node("windows").is_none() {
        t.missing(cx, "windows", "[{ partition = \"...\", duration_us = 1000 }]");
    }
    Some(RawSchedule {
        core: core?,
        major_frame_us: major?,
        windows,
        path: t.path.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64K"), Some(0x1_0000));
        assert_eq!(parse_size("3G"), Some(0xC000_0000));
        assert_eq!(parse_size("4G"), None);
        assert_eq!(parse_size("0x1_000"), Some(0x1000));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("K"), None);
        assert_eq!(parse_size("1.5M"), None);
    }
}

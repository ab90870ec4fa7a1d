//! Per-partition constants (`hvcfg constants`, and `hvcfg build`, which
//! writes them next to the linker fragments): a Rust module and a C header
//! with what a partition's program would otherwise hard-code: its id, core
//! and entry, its memory regions, its shared blocks, its devices and their
//! interrupts, and the ids of the channels it sends and receives on, by
//! name.
//!
//! Both files are rendered from one list of [`Item`]s, so they always hold
//! the same names and values; the output depends only on the system and
//! on the `source` and `tool` strings given (no time stamp, no absolute
//! path unless `source` is one).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::system::RegionKind;

use super::report::symbol;
use super::validate::Compiled;

/// The language of a constants file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// A Rust module (`<partition>.rs`): `pub const` items, usable with
    /// `include!` or as a module file.
    Rust,
    /// A C header (`<partition>.h`): `#define`s behind an include guard,
    /// prefixed `HV_`; a list is an initializer (`{ 39u, 40u }`), and an
    /// empty list has no macro (its `_COUNT` is 0).
    C,
}

impl Lang {
    /// The file extension (`rs` or `h`).
    pub const fn extension(self) -> &'static str {
        match self {
            Lang::Rust => "rs",
            Lang::C => "h",
        }
    }
}

/// A constant's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A count or an id (printed in decimal).
    Number(u32),
    /// An address or a size (printed in hexadecimal).
    Address(u32),
    /// A string.
    Text(String),
    /// A flag.
    Flag(bool),
    /// A list of numbers (interrupt ids).
    List(Vec<u32>),
}

/// One constant: its name (upper case, without the C prefix), what it is,
/// and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Name, e.g. `CHAN_TX_READINGS`.
    pub name: String,
    /// One-line description (a doc comment in Rust, a comment in C).
    pub doc: String,
    /// Value.
    pub value: Value,
}

/// A section of related constants, with a heading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Heading comment.
    pub title: String,
    /// Its constants.
    pub items: Vec<Item>,
}

fn ident(name: &str) -> String {
    symbol(name).to_uppercase()
}

fn item(name: impl Into<String>, doc: impl Into<String>, value: Value) -> Item {
    Item {
        name: name.into(),
        doc: doc.into(),
        value,
    }
}

/// The constants of partition `pi`, in groups, or an error naming two
/// config names that would become the same constant (names differing only
/// in case or in `-` against `_`).
pub fn items(c: &Compiled, pi: usize) -> Result<Vec<Group>, String> {
    let layout = c.partitions.get(pi).ok_or_else(|| format!("no partition {pi}"))?;
    let part = c
        .system
        .partitions
        .get(pi)
        .ok_or_else(|| format!("no partition {pi}"))?;
    let of = |kind: RegionKind| layout.regions.iter().filter(move |r| r.kind == kind);
    let (devices, device_irqs) = device_group(c, part, of(RegionKind::Device));
    let groups = vec![
        partition_group(pi, &layout.name, part),
        Group {
            title: "Memory regions".into(),
            items: of(RegionKind::Memory)
                .flat_map(|r| region_items(r, "MEM", "Memory region"))
                .collect(),
        },
        Group {
            title: "Shared memory blocks".into(),
            items: of(RegionKind::Shared)
                .flat_map(|r| region_items(r, "SHM", "Shared block"))
                .collect(),
        },
        devices,
        interrupt_group(part, &device_irqs),
        channel_group(c, pi),
    ];
    check_unique(&groups)?;
    Ok(groups)
}

/// Id, name, core and entry of partition `pi`.
fn partition_group(pi: usize, name: &str, part: &crate::system::Partition) -> Group {
    Group {
        title: "The partition".into(),
        items: vec![
            item(
                "PARTITION_ID",
                "This partition's id (its index in the system's partition table).",
                Value::Number(pi as u32),
            ),
            item(
                "PARTITION_NAME",
                "This partition's name (its console prefix).",
                Value::Text(name.to_string()),
            ),
            item(
                "CORE",
                "The core it is pinned to.",
                Value::Number(part.core.0 as u32),
            ),
            item("ENTRY", "Its entry point (EL1, A32).", Value::Address(part.entry)),
        ],
    }
}

/// Base, size and (for memory) permissions of region `r`, named
/// `<prefix>_<NAME>_...`.
fn region_items(r: &super::validate::LaidRegion, prefix: &str, what: &str) -> Vec<Item> {
    let id = format!("{prefix}_{}", ident(&r.name));
    let mut v = vec![
        item(
            format!("{id}_BASE"),
            format!("{what} `{}`: first byte.", r.name),
            Value::Address(r.span.base),
        ),
        item(
            format!("{id}_SIZE"),
            format!("{what} `{}`: size in bytes.", r.name),
            Value::Address(r.span.size),
        ),
    ];
    if r.kind != RegionKind::Device {
        v.push(item(
            format!("{id}_PERM"),
            format!("{what} `{}`: this partition's permissions.", r.name),
            Value::Text(r.perm.clone()),
        ));
        v.push(item(
            format!("{id}_WRITABLE"),
            format!("{what} `{}`: whether this partition may write it.", r.name),
            Value::Flag(r.perm.contains('w')),
        ));
    }
    v
}

/// The partition's devices with their interrupts, and every interrupt
/// that belongs to one of them.
fn device_group<'a>(
    c: &Compiled,
    part: &crate::system::Partition,
    regions: impl Iterator<Item = &'a super::validate::LaidRegion>,
) -> (Group, Vec<u32>) {
    let mut device_irqs: Vec<u32> = Vec::new();
    let mut devices = Vec::new();
    for r in regions {
        devices.extend(region_items(r, "DEV", "Device"));
        let irqs = c
            .devices
            .iter()
            .find(|d| d.name == r.name)
            .map(|d| d.irqs.clone())
            .unwrap_or_default();
        // Only the interrupts the partition was given (all of the device's,
        // unless the validator refused one, which it reports as an error).
        let irqs: Vec<u32> = irqs
            .into_iter()
            .filter(|i| part.irqs.iter().any(|&p| p as u32 == *i))
            .collect();
        device_irqs.extend(&irqs);
        let id = format!("DEV_{}", ident(&r.name));
        devices.push(item(
            format!("{id}_IRQ_COUNT"),
            format!("Device `{}`: number of its interrupts.", r.name),
            Value::Number(irqs.len() as u32),
        ));
        devices.push(item(
            format!("{id}_IRQS"),
            format!("Device `{}`: its interrupts (GIC INTIDs).", r.name),
            Value::List(irqs),
        ));
    }
    let group = Group {
        title: "Devices (passthrough)".into(),
        items: devices,
    };
    (group, device_irqs)
}

/// Every interrupt the partition owns, and those of none of its devices.
fn interrupt_group(part: &crate::system::Partition, device_irqs: &[u32]) -> Group {
    let all: Vec<u32> = part.irqs.iter().map(|&i| i as u32).collect();
    let other: Vec<u32> = all.iter().copied().filter(|i| !device_irqs.contains(i)).collect();
    Group {
        title: "Interrupts".into(),
        items: vec![
            item(
                "IRQ_COUNT",
                "Number of interrupts this partition owns.",
                Value::Number(all.len() as u32),
            ),
            item(
                "IRQS",
                "Every interrupt it owns (GIC INTIDs), devices' included.",
                Value::List(all),
            ),
            item(
                "OTHER_IRQ_COUNT",
                "Number of interrupts it owns that belong to none of its devices.",
                Value::Number(other.len() as u32),
            ),
            item(
                "OTHER_IRQS",
                "Interrupts it owns that belong to none of its devices (GIC INTIDs).",
                Value::List(other),
            ),
        ],
    }
}

/// The channels partition `pi` sends or receives on: their ids, message
/// sizes and depths.
fn channel_group(c: &Compiled, pi: usize) -> Group {
    let name_of = |id: crate::ids::PartitionId| {
        c.system
            .partitions
            .get(id.index())
            .map_or("?".to_string(), |p| p.name.to_string())
    };
    let mut channels = Vec::new();
    for (ci, ch) in c.system.channels.iter().enumerate() {
        let ends = [
            (
                ch.sender.index() == pi,
                "TX",
                "sends on",
                name_of(ch.receiver),
                "to",
            ),
            (
                ch.receiver.index() == pi,
                "RX",
                "receives on",
                name_of(ch.sender),
                "from",
            ),
        ];
        for (mine, dir, verb, peer, prep) in ends {
            if !mine {
                continue;
            }
            let id = format!("CHAN_{dir}_{}", ident(&ch.name));
            channels.push(item(
                id.clone(),
                format!(
                    "Channel `{}`: this partition {verb} it, {prep} `{peer}` (the id to {} with).",
                    ch.name,
                    if dir == "TX" { "send" } else { "receive" }
                ),
                Value::Number(ci as u32),
            ));
            channels.push(item(
                format!("{id}_MSG_SIZE"),
                format!("Channel `{}`: largest message in bytes.", ch.name),
                Value::Number(ch.msg_size),
            ));
            channels.push(item(
                format!("{id}_DEPTH"),
                format!("Channel `{}`: messages its queue holds.", ch.name),
                Value::Number(ch.depth),
            ));
        }
    }
    Group {
        title: "Channels (TX: this partition sends; RX: it receives)".into(),
        items: channels,
    }
}

/// Refuses two constants with one name (two config names that differ only
/// in case or in `-` against `_`).
fn check_unique(groups: &[Group]) -> Result<(), String> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for it in groups.iter().flat_map(|g| &g.items) {
        if let Some(first) = seen.insert(&it.name, &it.doc) {
            return Err(format!(
                "two names become the constant `{}` ({first:?} and {:?}); rename one so they differ in more than case or `-`/`_`",
                it.name, it.doc
            ));
        }
    }
    Ok(())
}

/// `0x2000_0000` (Rust) or `0x20000000` (C).
fn hex(v: u32, grouped: bool) -> String {
    let digits = format!("{v:x}");
    if !grouped || digits.len() <= 4 {
        return format!("0x{digits}");
    }
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(4) {
            out.push('_');
        }
        out.push(ch);
    }
    format!("0x{out}")
}

fn rust_string(s: &str) -> String {
    format!("{s:?}")
}

fn c_string(s: &str) -> String {
    // Config names and permissions are ASCII letters, digits, `_`, `-`.
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn header_lines(c: &Compiled, pi: usize, source: &str, tool: &str) -> [String; 3] {
    let name = c.partitions.get(pi).map_or("?", |p| p.name.as_str());
    [
        format!("Generated by {tool} from {source}: partition `{name}` (id {pi})."),
        "Do not edit: change the system file and run `hvcfg build` (or `hvcfg constants`) again.".into(),
        String::new(),
    ]
}

/// The constants file of partition `pi` in `lang`. `source` names the
/// system file and `tool` the generator (name and version) in the header.
pub fn render(c: &Compiled, pi: usize, lang: Lang, source: &str, tool: &str) -> Result<String, String> {
    let groups = items(c, pi)?;
    let mut out = String::new();
    let [l1, l2, _] = header_lines(c, pi, source, tool);
    let name = c.partitions.get(pi).map_or("?", |p| p.name.as_str());
    match lang {
        Lang::Rust => {
            // Plain comments, no inner attributes: the file works with
            // `include!` as well as as a module file.
            let _ = writeln!(out, "// {l1}\n// {l2}\n//");
            let _ = writeln!(
                out,
                "// Use: `#[allow(dead_code)] mod hv {{ include!(\"{name}.rs\"); }}` (or as a module file)."
            );
            for g in &groups {
                if g.items.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "\n// {}", g.title);
                for it in &g.items {
                    let (ty, v) = match &it.value {
                        Value::Number(n) => ("u32".to_string(), n.to_string()),
                        Value::Address(a) => ("u32".to_string(), hex(*a, true)),
                        Value::Text(s) => ("&str".to_string(), rust_string(s)),
                        Value::Flag(b) => ("bool".to_string(), b.to_string()),
                        Value::List(l) => (
                            format!("[u32; {}]", l.len()),
                            format!(
                                "[{}]",
                                l.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
                            ),
                        ),
                    };
                    let _ = writeln!(out, "/// {}\npub const {}: {ty} = {v};", it.doc, it.name);
                }
            }
        }
        Lang::C => {
            let guard = format!("HVCFG_PARTITION_{}_H", ident(name));
            let _ = writeln!(out, "/* {l1}\n * {l2} */");
            let _ = writeln!(out, "#ifndef {guard}\n#define {guard}");
            for g in &groups {
                if g.items.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "\n/* {} */", g.title);
                for it in &g.items {
                    if matches!(&it.value, Value::List(l) if l.is_empty()) {
                        // `{ }` is no initializer before C23: no macro.
                        let _ = writeln!(out, "/* {} */\n/* HV_{}: none */", it.doc, it.name);
                        continue;
                    }
                    let v = match &it.value {
                        Value::Number(n) => format!("{n}u"),
                        Value::Address(a) => format!("{}u", hex(*a, false)),
                        Value::Text(s) => c_string(s),
                        Value::Flag(b) => u8::from(*b).to_string(),
                        Value::List(l) => format!(
                            "{{ {} }}",
                            l.iter().map(|n| format!("{n}u")).collect::<Vec<_>>().join(", ")
                        ),
                    };
                    // `*/` cannot occur: docs are made from config names.
                    let _ = writeln!(out, "/* {} */\n#define HV_{} {v}", it.doc, it.name);
                }
            }
            let _ = writeln!(out, "\n#endif /* {guard} */");
        }
    }
    Ok(out)
}

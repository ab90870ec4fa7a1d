//! Human and machine readable views of a system (`show`, `dump`) and the
//! per-partition linker fragments (`build`).

use std::fmt::Write;

use serde::Serialize;

use crate::ids::{CoreId, PartitionId};
use crate::mpu::{Access, MemType, RegionWords};
use crate::system::{FaultPolicy, RegionKind, System};

use super::validate::{Compiled, Span};

/// A region as reports show it: decoded fields and the raw words.
#[derive(Clone, Debug, Serialize)]
pub struct RegionView {
    /// MPU region number (absolute: static band first).
    pub mpu_index: usize,
    /// Name.
    pub name: String,
    /// `memory`, `shared` or `device`.
    pub kind: &'static str,
    /// First byte.
    pub base: u32,
    /// Last byte (inclusive).
    pub limit: u32,
    /// Size in bytes.
    pub size: u64,
    /// `AP`: `rw` or `ro` for EL1 (anything else is shown as is).
    pub access: &'static str,
    /// Execute-never.
    pub xn: bool,
    /// `normal`, `uncached`, `device`, or `?` for an unknown index.
    pub mem: &'static str,
    /// `HPRBAR`.
    pub prbar: u32,
    /// `HPRLAR`.
    pub prlar: u32,
}

fn kind_str(k: RegionKind) -> &'static str {
    match k {
        RegionKind::Memory => "memory",
        RegionKind::Shared => "shared",
        RegionKind::Device => "device",
    }
}

fn view(mpu_index: usize, name: &str, kind: RegionKind, w: &RegionWords) -> RegionView {
    let attrs = w.attrs();
    RegionView {
        mpu_index,
        name: name.to_string(),
        kind: kind_str(kind),
        base: w.base(),
        limit: w.limit(),
        size: w.limit() as u64 - w.base() as u64 + 1,
        access: match attrs.map(|a| a.access) {
            Some(Access::GuestRw) => "rw",
            Some(Access::GuestRo) => "ro",
            Some(Access::HypRw) => "hyp-rw",
            Some(Access::HypRo) => "hyp-ro",
            None => "?",
        },
        xn: attrs.is_some_and(|a| a.xn),
        mem: match attrs.map(|a| a.mem) {
            Some(MemType::Normal) => "normal",
            Some(MemType::NormalUncached) => "uncached",
            Some(MemType::Device) => "device",
            None => "?",
        },
        prbar: w.prbar,
        prlar: w.prlar,
    }
}

/// Human-readable fault policy.
pub fn policy_str(p: &FaultPolicy) -> String {
    match p {
        FaultPolicy::Restart { budget } => format!("restart (budget {budget})"),
        FaultPolicy::Halt => "halt".into(),
        FaultPolicy::Log => "log".into(),
    }
}

/// How the partition band is switched on a core.
pub fn switch_strategy(s: &System, core: CoreId) -> (&'static str, usize) {
    let total: usize = s
        .partitions
        .iter()
        .filter(|p| p.core == core)
        .map(|p| p.regions.len())
        .sum();
    let need = s.hypervisor.static_regions as usize + total + s.hypervisor.transient_slots as usize;
    if need <= s.platform.mpu_regions as usize {
        ("preload every partition, switch with HPRENR", need)
    } else {
        ("reload the partition band on each switch", need)
    }
}

/// `n` bytes as `64K`, `3G`... when a whole number of units, else in bytes.
pub fn size_str(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{}G", n >> 30)
    } else if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{}M", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{}K", n >> 10)
    } else {
        format!("{n}")
    }
}

fn span_row(out: &mut String, name: &str, s: &Span, what: &str) {
    let _ = writeln!(
        out,
        "  {name:<16} {:#010x}..{:#010x} {:>6}  {what}",
        s.base,
        s.end(),
        size_str(s.size as u64)
    );
}

/// The partition, channel and schedule tables of a system (what a blob
/// holds), as text.
pub fn system_text(s: &System) -> String {
    let mut out = String::new();
    let h = &s.hypervisor;
    let _ = writeln!(
        out,
        "platform {}: {} core(s), {} EL2 MPU regions = {} static + partition band + {} transient",
        s.platform.name, s.platform.cores, s.platform.mpu_regions, h.static_regions, h.transient_slots
    );
    let _ = writeln!(out, "console {:#010x} ({} bytes)", h.console_base, h.console_size);
    for (pi, p) in s.partitions.iter().enumerate() {
        let _ = writeln!(
            out,
            "\npartition {pi} `{}`: core {}, entry {:#010x}, fault policy {}",
            p.name,
            p.core,
            p.entry,
            policy_str(&p.fault_policy)
        );
        if !p.irqs.is_empty() {
            let irqs: Vec<String> = p.irqs.iter().map(|i| i.to_string()).collect();
            let _ = writeln!(out, "  interrupts: {}", irqs.join(", "));
        }
        if let Some(img) = p.image {
            let _ = writeln!(
                out,
                "  image: {} bytes stored at {:#010x}, loaded at {:#010x}, crc32 {:#010x}",
                img.len, img.store, img.load, img.crc32
            );
        }
        let _ = writeln!(
            out,
            "  {:>3}  {:<16} {:<7} {:<10} {:<10} {:>6}  {:<3} {:<3} {:<8}  {:<10} HPRLAR",
            "mpu", "region", "kind", "base", "limit", "size", "ap", "xn", "type", "HPRBAR"
        );
        for (ri, r) in p.regions.iter().enumerate() {
            let v = view(h.static_regions as usize + ri, &r.name, r.kind, &r.words);
            let _ = writeln!(
                out,
                "  {:>3}  {:<16} {:<7} {:#010x} {:#010x} {:>6}  {:<3} {:<3} {:<8}  {:#010x} {:#010x}",
                v.mpu_index,
                v.name,
                v.kind,
                v.base,
                v.limit,
                size_str(v.size),
                v.access,
                if v.xn { "xn" } else { "x" },
                v.mem,
                v.prbar,
                v.prlar
            );
        }
        let used = h.static_regions as usize + p.regions.len() + h.transient_slots as usize;
        let _ = writeln!(
            out,
            "  MPU: {} static + {} partition + {} transient = {used} of {} regions",
            h.static_regions,
            p.regions.len(),
            h.transient_slots,
            s.platform.mpu_regions
        );
    }
    if !s.channels.is_empty() {
        let _ = writeln!(out, "\nchannels:");
        let _ = writeln!(
            out,
            "  {:>2}  {:<16} {:<16} {:<16} {:>6} {:>5}  {:<10} {:>6}",
            "id", "name", "sender", "receiver", "msg", "depth", "queue", "size"
        );
        for (ci, c) in s.channels.iter().enumerate() {
            let name = |i: PartitionId| {
                s.partitions
                    .get(i.index())
                    .map_or("?".to_string(), |p| p.name.to_string())
            };
            let _ = writeln!(
                out,
                "  {ci:>2}  {:<16} {:<16} {:<16} {:>6} {:>5}  {:#010x} {:>6}",
                c.name,
                name(c.sender),
                name(c.receiver),
                c.msg_size,
                c.depth,
                c.queue_base,
                size_str(c.queue_size as u64)
            );
        }
    }
    for sc in &s.schedules {
        let used: u64 = sc.windows.iter().map(|w| w.duration_us as u64).sum();
        let (strategy, need) = switch_strategy(s, sc.core);
        let _ = writeln!(
            out,
            "\nschedule core {}: major frame {} µs ({} µs idle); MPU: {strategy} ({need} of {} regions)",
            sc.core,
            sc.major_frame_us,
            (sc.major_frame_us as u64).saturating_sub(used),
            s.platform.mpu_regions
        );
        let mut t: u64 = 0;
        for w in &sc.windows {
            let name = s
                .partitions
                .get(w.partition.index())
                .map_or("?".into(), |p| p.name.to_string());
            let _ = writeln!(out, "  {:>8} .. {:>8} µs  {name}", t, t + w.duration_us as u64);
            t += w.duration_us as u64;
        }
    }
    out
}

/// `show`: the platform memory map, the hypervisor's memory, then the
/// system tables.
pub fn show_text(c: &Compiled) -> String {
    let mut out = String::from("memory map:\n");
    let mut rows: Vec<(Span, String, String)> = Vec::new();
    for b in &c.banks {
        let kind = if b.rom {
            "ROM bank"
        } else if b.tcm {
            "TCM bank (per core)"
        } else {
            "RAM bank"
        };
        rows.push((b.span, b.name.clone(), kind.into()));
    }
    rows.push((c.hyp_image, "hyp-image".into(), "hypervisor image".into()));
    rows.push((c.hyp_blob, "hyp-blob".into(), "system blob".into()));
    if let Some(p) = c.channel_pool {
        rows.push((
            p,
            "channel-pool".into(),
            "channel queues (hypervisor, transient mappings)".into(),
        ));
    }
    for p in &c.partitions {
        for r in p.regions.iter().filter(|r| r.kind != RegionKind::Device) {
            let auto = if r.auto { ", placed by the tool" } else { "" };
            rows.push((
                r.span,
                r.name.clone(),
                format!("{} of `{}` {}{auto}", kind_str(r.kind), p.name, r.perm),
            ));
        }
    }
    for d in &c.devices {
        let owner = d.owner.clone().unwrap_or_else(|| "unassigned".into());
        rows.push((d.span, d.name.clone(), format!("device, {owner}")));
    }
    rows.sort_by_key(|(s, _, _)| (s.base, std::cmp::Reverse(s.size)));
    for (s, name, what) in &rows {
        span_row(&mut out, name, s, what);
    }
    out.push('\n');
    out.push_str(&system_text(&c.system));
    out
}

/// JSON shape of a partition.
#[derive(Serialize)]
struct PartitionJson {
    id: usize,
    name: String,
    core: u8,
    entry: u32,
    fault_policy: String,
    irqs: Vec<u16>,
    image: Option<crate::system::Image>,
    regions: Vec<RegionView>,
}

/// The system tables as JSON (decoded regions with their words).
pub fn system_json(s: &System) -> serde_json::Value {
    let partitions: Vec<PartitionJson> = s
        .partitions
        .iter()
        .enumerate()
        .map(|(id, p)| PartitionJson {
            id,
            name: p.name.to_string(),
            core: p.core.0,
            entry: p.entry,
            fault_policy: policy_str(&p.fault_policy),
            irqs: p.irqs.to_vec(),
            image: p.image,
            regions: p
                .regions
                .iter()
                .enumerate()
                .map(|(ri, r)| {
                    view(
                        s.hypervisor.static_regions as usize + ri,
                        &r.name,
                        r.kind,
                        &r.words,
                    )
                })
                .collect(),
        })
        .collect();
    let switch: Vec<serde_json::Value> = s
        .schedules
        .iter()
        .map(|sc| {
            let (strategy, need) = switch_strategy(s, sc.core);
            serde_json::json!({ "core": sc.core, "strategy": strategy, "regions_needed": need })
        })
        .collect();
    serde_json::json!({
        "platform": s.platform,
        "hypervisor": s.hypervisor,
        "partitions": partitions,
        "channels": s.channels,
        "schedules": s.schedules,
        "mpu_switching": switch,
    })
}

/// `show --format json`.
pub fn show_json(c: &Compiled) -> serde_json::Value {
    serde_json::json!({
        "memory_map": {
            "banks": c.banks,
            "devices": c.devices,
            "hypervisor_image": c.hyp_image,
            "hypervisor_blob": c.hyp_blob,
            "channel_pool": c.channel_pool,
            "console": c.console,
            "partitions": c.partitions,
        },
        "system": system_json(&c.system),
    })
}

/// A linker symbol or region name from a config name.
pub fn symbol(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The linker fragment of partition `pi`: a `MEMORY` block with one region
/// per memory and shared block (named after it, upper case), aliases
/// `PART_CODE` and `PART_DATA`, and `PROVIDE`d symbols. See `docs/config.md`.
pub fn linker_fragment(c: &Compiled, pi: usize, source: &str) -> Option<String> {
    let layout = c.partitions.get(pi)?;
    let part = c.system.partitions.get(pi)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/* Generated by hvcfg from {source}: partition `{}` (id {pi}, core {}).",
        layout.name, part.core
    );
    let _ = writeln!(
        out,
        " * Do not edit: change the system file and run `hvcfg build` again. */"
    );
    let _ = writeln!(out, "MEMORY\n{{");
    for r in layout.regions.iter().filter(|r| r.kind != RegionKind::Device) {
        let prefix = if r.kind == RegionKind::Shared { "SHM_" } else { "" };
        let attrs: String = r.perm.chars().filter(|&ch| ch != '-').collect();
        let region = format!("{prefix}{}", symbol(&r.name).to_uppercase());
        let _ = writeln!(
            out,
            "    {region:<16} ({attrs}) : ORIGIN = {:#010x}, LENGTH = {:#x}",
            r.span.base, r.span.size
        );
    }
    let _ = writeln!(out, "}}\n");
    let memory: Vec<_> = layout
        .regions
        .iter()
        .filter(|r| r.kind == RegionKind::Memory)
        .collect();
    let code = memory.iter().find(|r| r.perm.contains('x'));
    let data = memory.iter().find(|r| r.perm.contains('w'));
    if let Some(code) = code {
        let _ = writeln!(
            out,
            "REGION_ALIAS(\"PART_CODE\", {});",
            symbol(&code.name).to_uppercase()
        );
    }
    if let Some(data) = data {
        let _ = writeln!(
            out,
            "REGION_ALIAS(\"PART_DATA\", {});",
            symbol(&data.name).to_uppercase()
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "PROVIDE(__partition_id = {pi});");
    let _ = writeln!(out, "PROVIDE(__partition_core = {});", part.core);
    let _ = writeln!(out, "PROVIDE(__partition_entry = {:#010x});", part.entry);
    if let Some(data) = data {
        let _ = writeln!(out, "PROVIDE(__stack_top = {:#010x});", data.span.end());
    }
    for r in &layout.regions {
        let kind = match r.kind {
            RegionKind::Memory => "mem",
            RegionKind::Shared => "shm",
            RegionKind::Device => "dev",
        };
        let sym = symbol(&r.name);
        let _ = writeln!(out, "PROVIDE(__{kind}_{sym}_start = {:#010x});", r.span.base);
        let _ = writeln!(out, "PROVIDE(__{kind}_{sym}_size = {:#x});", r.span.size);
    }
    for (ci, ch) in c.system.channels.iter().enumerate() {
        if ch.sender.index() == pi || ch.receiver.index() == pi {
            let _ = writeln!(out, "PROVIDE(__channel_{}_id = {ci});", symbol(&ch.name));
        }
    }
    Some(out)
}

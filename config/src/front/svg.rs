//! `hvcfg show --svg`: the address map and the schedules as one picture,
//! written as plain SVG text.
//!
//! **Address map.** One column per memory bank, plus one for the devices.
//! A 3 GiB bank holding 64 KiB blocks cannot be drawn to scale, so the
//! axis is compressed: every block is a box in address order with its
//! address on the axis to its left, the height of a box grows with the
//! logarithm of its size, and the free space between blocks is a short
//! dashed break labelled with its size. Channel queues are drawn inside
//! the channel pool. Colours: one per partition (memory, devices),
//! grey for the hypervisor, lavender for shared blocks (the label says who
//! maps them how), white dashed for unassigned devices.
//!
//! **Schedules.** One timeline per core over its major frame (each frame
//! drawn full width): a bar per window, in the partition's colour, with
//! its name and duration, and the idle rest hatched.
//!
//! Every box and bar is a `<g>` with a `class` (`box`, `gap`, `window`,
//! `idle`) and `data-*` attributes naming what it shows, and a `<title>`
//! with the full label (shown on hover), so tests and scripts can find
//! them. The output depends only on the system and `source`.

use std::fmt::Write;

use crate::system::RegionKind;

use super::report::size_str;
use super::validate::{Compiled, Span};

const FONT: f64 = 11.0;
/// Advance of one character of the monospace font at [`FONT`] px.
const CHAR_W: f64 = 6.7;
const LINE_H: f64 = 13.0;
const PAD: f64 = 6.0;
/// Width of the address axis to the left of each column's boxes.
const AXIS_W: f64 = 84.0;
const GAP_H: f64 = 18.0;
const MARGIN: f64 = 20.0;
const LANE_SPACING: f64 = 24.0;

/// Partition colours (light enough for black text), by partition id.
const PALETTE: [&str; 8] = [
    "#8ecae6", "#ffb703", "#90be6d", "#f28482", "#cdb4db", "#f6bd60", "#84a59d", "#a3c4f3",
];
const HYP: &str = "#c8c8c8";
const SHARED: &str = "#e0d7f5";
const QUEUE: &str = "#ffd6a5";
const POOL: &str = "#f1f1f1";
const IMAGE: &str = "#e9f5db";

/// The colour of partition `pi`.
pub fn partition_colour(pi: usize) -> &'static str {
    PALETTE[pi % PALETTE.len()]
}

/// Escapes text for an SVG text node or attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_W
}

/// One labelled box of the address map.
#[derive(Clone, Debug)]
struct Block {
    span: Span,
    /// Label lines; the first is the name.
    lines: Vec<String>,
    fill: &'static str,
    dashed: bool,
    /// `data-*` attributes.
    data: Vec<(&'static str, String)>,
    /// Boxes drawn inside this one (channel queues in the pool).
    children: Vec<Block>,
}

impl Block {
    fn new(span: Span, lines: Vec<String>, fill: &'static str, data: Vec<(&'static str, String)>) -> Block {
        Block {
            span,
            lines,
            fill,
            dashed: false,
            data,
            children: Vec::new(),
        }
    }

    fn width(&self) -> f64 {
        let own = self.lines.iter().map(|l| text_w(l)).fold(0.0, f64::max) + 2.0 * PAD;
        let kids = self
            .children
            .iter()
            .map(|c| c.width() + 2.0 * PAD)
            .fold(0.0, f64::max);
        own.max(kids)
    }

    /// Height: the label, a little more per doubling of the size above
    /// 4 KiB (so larger blocks look larger), and the children.
    fn height(&self) -> f64 {
        let log = (self.span.size.max(1) as f64).log2();
        let grow = ((log - 12.0).clamp(0.0, 20.0) * 1.5).round();
        let own = self.lines.len() as f64 * LINE_H + 2.0 * PAD + grow;
        let kids: f64 = self.children.iter().map(|c| c.height() + PAD).sum();
        own + kids
    }
}

fn span_text(s: &Span) -> String {
    format!("{:#010x}, {}", s.base, bytes(s.size as u64))
}

/// A size with its unit: `64K`, `3G`, `576 B`.
fn bytes(n: u64) -> String {
    let s = size_str(n);
    if s.ends_with(['K', 'M', 'G']) {
        s
    } else {
        format!("{s} B")
    }
}

/// A size for a label in the largest unit it reaches: exact (`896K`,
/// `8M`) when a whole number of that unit, else rounded (`~3.0G`, `~122M`).
fn approx_size(n: u64) -> String {
    let (unit, div) = if n >= 1 << 30 {
        ("G", 1u64 << 30)
    } else if n >= 1 << 20 {
        ("M", 1 << 20)
    } else if n >= 1 << 10 {
        ("K", 1 << 10)
    } else {
        return format!("{n} B");
    };
    if n.is_multiple_of(div) {
        return format!("{}{unit}", n / div);
    }
    let v = n as f64 / div as f64;
    if v >= 100.0 {
        format!("~{v:.0}{unit}")
    } else {
        format!("~{v:.1}{unit}")
    }
}

/// A column of the address map: a bank, the devices, or what lies in no bank.
struct Lane {
    title: Vec<String>,
    /// Where the column's axis starts and ends (a bank's range), if it is
    /// one range.
    range: Option<Span>,
    blocks: Vec<Block>,
}

fn owner_of_device(c: &Compiled, name: &str) -> Option<usize> {
    c.partitions.iter().position(|p| {
        p.regions
            .iter()
            .any(|r| r.kind == RegionKind::Device && r.name == name)
    })
}

/// Every block of the address map, before it is sorted into lanes.
fn blocks(c: &Compiled) -> (Vec<Block>, Vec<Block>) {
    let mut mem = Vec::new();
    mem.push(Block::new(
        c.hyp_image,
        vec!["hypervisor image".into(), span_text(&c.hyp_image)],
        HYP,
        vec![("kind", "hypervisor".into()), ("name", "hyp-image".into())],
    ));
    mem.push(Block::new(
        c.hyp_blob,
        vec!["system blob".into(), span_text(&c.hyp_blob)],
        HYP,
        vec![("kind", "blob".into()), ("name", "hyp-blob".into())],
    ));
    let name_of = |i: crate::ids::PartitionId| {
        c.system
            .partitions
            .get(i.index())
            .map_or("?".to_string(), |p| p.name.to_string())
    };
    if let Some(pool) = c.channel_pool {
        let mut b = Block::new(
            pool,
            vec!["channel pool (hypervisor)".into(), span_text(&pool)],
            POOL,
            vec![("kind", "channel-pool".into()), ("name", "channel-pool".into())],
        );
        for (ci, ch) in c.system.channels.iter().enumerate() {
            let span = Span {
                base: ch.queue_base,
                size: ch.queue_size,
            };
            b.children.push(Block::new(
                span,
                vec![
                    format!(
                        "queue {} (id {ci}): {} -> {}",
                        ch.name,
                        name_of(ch.sender),
                        name_of(ch.receiver)
                    ),
                    format!("{}: {} x {} B", span_text(&span), ch.depth, ch.msg_size),
                ],
                QUEUE,
                vec![("kind", "queue".into()), ("name", ch.name.to_string())],
            ));
        }
        mem.push(b);
    }
    let mut shared: Vec<(String, Span, Vec<String>)> = Vec::new();
    for (pi, p) in c.partitions.iter().enumerate() {
        for r in &p.regions {
            match r.kind {
                RegionKind::Memory => mem.push(Block::new(
                    r.span,
                    vec![format!("{}: {} {}", p.name, r.name, r.perm), span_text(&r.span)],
                    partition_colour(pi),
                    vec![
                        ("kind", "memory".into()),
                        ("partition", p.name.clone()),
                        ("name", r.name.clone()),
                    ],
                )),
                RegionKind::Shared => {
                    let user = format!("{} {}", p.name, r.perm);
                    match shared.iter_mut().find(|(n, s, _)| *n == r.name && *s == r.span) {
                        Some((_, _, users)) => users.push(user),
                        None => shared.push((r.name.clone(), r.span, vec![user])),
                    }
                }
                RegionKind::Device => {}
            }
        }
        if let Some(img) = c.system.partitions.get(pi).and_then(|sp| sp.image) {
            let span = Span {
                base: img.store,
                size: img.len,
            };
            mem.push(Block::new(
                span,
                vec![format!("image of {}", p.name), span_text(&span)],
                IMAGE,
                vec![("kind", "image".into()), ("partition", p.name.clone())],
            ));
        }
    }
    for (name, span, users) in shared {
        mem.push(Block::new(
            span,
            vec![format!("shared {name}"), users.join(", "), span_text(&span)],
            SHARED,
            vec![("kind", "shared".into()), ("name", name)],
        ));
    }
    let mut devs = Vec::new();
    for d in &c.devices {
        let (who, fill, dashed) = match (owner_of_device(c, &d.name), &d.owner) {
            (Some(pi), _) => (c.partitions[pi].name.clone(), partition_colour(pi), false),
            (None, Some(o)) if o.starts_with("the hypervisor") => {
                (o.trim_start_matches("the ").to_string(), HYP, false)
            }
            (None, Some(o)) => (o.clone(), "#ffffff", false),
            (None, None) => ("unassigned".to_string(), "#ffffff", true),
        };
        let mut lines = vec![format!("{}: {who}", d.name), span_text(&d.span)];
        if !d.irqs.is_empty() {
            let irqs: Vec<String> = d.irqs.iter().map(|i| i.to_string()).collect();
            lines.push(format!("irq {}", irqs.join(" ")));
        }
        let mut b = Block::new(
            d.span,
            lines,
            fill,
            vec![
                ("kind", "device".into()),
                ("name", d.name.clone()),
                ("owner", who),
            ],
        );
        b.dashed = dashed;
        devs.push(b);
    }
    (mem, devs)
}

fn lanes(c: &Compiled) -> Vec<Lane> {
    let (mem, devs) = blocks(c);
    let mut banks: Vec<_> = c.banks.iter().collect();
    banks.sort_by_key(|b| b.span.base);
    let mut lanes: Vec<Lane> = banks
        .iter()
        .map(|b| {
            let kind = if b.rom {
                "ROM"
            } else if b.tcm {
                "TCM, per core"
            } else {
                "RAM"
            };
            Lane {
                title: vec![
                    format!("{} ({kind})", b.name),
                    format!("{} at {:#010x}", size_str(b.span.size as u64), b.span.base),
                ],
                range: Some(b.span),
                blocks: Vec::new(),
            }
        })
        .collect();
    let mut stray = Vec::new();
    for b in mem {
        match lanes.iter_mut().find(|l| {
            l.range
                .is_some_and(|r| r.base <= b.span.base && b.span.end() <= r.end())
        }) {
            Some(l) => l.blocks.push(b),
            None => stray.push(b),
        }
    }
    if !devs.is_empty() {
        lanes.push(Lane {
            title: vec!["devices (MMIO)".into(), format!("{} device(s)", devs.len())],
            range: None,
            blocks: devs,
        });
    }
    if !stray.is_empty() {
        lanes.push(Lane {
            title: vec!["outside every bank".into(), String::new()],
            range: None,
            blocks: stray,
        });
    }
    for l in &mut lanes {
        l.blocks
            .sort_by_key(|b| (b.span.base, std::cmp::Reverse(b.span.size)));
    }
    lanes
}

/// Draws block `b` at (`x`, `y`), `w` wide; returns its height.
fn draw_block(out: &mut String, b: &Block, x: f64, y: f64, w: f64) -> f64 {
    let h = b.height();
    let _ = write!(out, "<g class=\"box\"");
    for (k, v) in &b.data {
        let _ = write!(out, " data-{k}=\"{}\"", esc(v));
    }
    let _ = writeln!(
        out,
        " data-base=\"{:#010x}\" data-size=\"{:#x}\">",
        b.span.base, b.span.size
    );
    let _ = writeln!(out, "<title>{}</title>", esc(&b.lines.join(", ")));
    let dash = if b.dashed { " stroke-dasharray=\"4 3\"" } else { "" };
    let _ = writeln!(
        out,
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"3\" fill=\"{}\" stroke=\"#333\"{dash}/>",
        b.fill
    );
    for (i, line) in b.lines.iter().enumerate() {
        let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\"{weight}>{}</text>",
            x + PAD,
            y + PAD + LINE_H * (i as f64 + 1.0) - 3.0,
            esc(line)
        );
    }
    let mut cy = y + PAD + LINE_H * b.lines.len() as f64 + PAD;
    for child in &b.children {
        cy += draw_block(out, child, x + PAD, cy, w - 2.0 * PAD) + PAD;
    }
    let _ = writeln!(out, "</g>");
    h
}

/// Draws a break in the axis for `size` free bytes; returns its height.
fn draw_gap(out: &mut String, base: u32, size: u64, x: f64, y: f64, w: f64) -> f64 {
    let label = format!("{} free", approx_size(size));
    let _ = writeln!(
        out,
        "<g class=\"gap\" data-base=\"{base:#010x}\" data-size=\"{size:#x}\"><title>{} at {base:#010x}</title>",
        esc(&label)
    );
    let mid = y + GAP_H / 2.0;
    let _ = writeln!(
        out,
        "<line x1=\"{x:.1}\" y1=\"{mid:.1}\" x2=\"{:.1}\" y2=\"{mid:.1}\" stroke=\"#999\" stroke-dasharray=\"2 4\"/>",
        x + w
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666\" font-style=\"italic\" stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\">{}</text>",
        x + w / 2.0,
        mid + 4.0,
        esc(&label)
    );
    let _ = writeln!(out, "</g>");
    GAP_H
}

fn axis_label(out: &mut String, addr: u64, x: f64, y: f64) {
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\" font-size=\"10\">{:#010x}</text>",
        x + AXIS_W - 6.0,
        y + 4.0,
        addr
    );
    let _ = writeln!(
        out,
        "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\"/>",
        x + AXIS_W - 4.0,
        x + AXIS_W
    );
}

/// Draws one lane at `x`; returns its height.
fn draw_lane(out: &mut String, lane: &Lane, x: f64, y0: f64, w: f64) -> f64 {
    let bx = x + AXIS_W;
    let bw = w - AXIS_W;
    for (i, t) in lane.title.iter().enumerate() {
        let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
        let _ = writeln!(
            out,
            "<text x=\"{bx:.1}\" y=\"{:.1}\"{weight}>{}</text>",
            y0 + LINE_H * (i as f64 + 1.0),
            esc(t)
        );
    }
    let top = y0 + LINE_H * lane.title.len() as f64 + 8.0;
    let mut y = top;
    let mut cursor: Option<u64> = lane.range.map(|r| r.base as u64);
    for b in &lane.blocks {
        if let Some(at) = cursor {
            if (b.span.base as u64) > at {
                axis_label(out, at, x, y);
                y += draw_gap(out, at as u32, b.span.base as u64 - at, bx, y, bw);
            }
        }
        axis_label(out, b.span.base as u64, x, y);
        y += draw_block(out, b, bx, y, bw);
        cursor = Some(cursor.map_or(b.span.end(), |c| c.max(b.span.end())));
    }
    if let (Some(r), Some(at)) = (lane.range, cursor) {
        if r.end() > at {
            axis_label(out, at, x, y);
            y += draw_gap(out, at as u32, r.end() - at, bx, y, bw);
            cursor = Some(r.end());
        }
    }
    if let Some(end) = cursor {
        axis_label(out, end, x, y);
    }
    let _ = writeln!(
        out,
        "<line x1=\"{:.1}\" y1=\"{top:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\"/>",
        bx, bx
    );
    y - y0
}

/// Draws each core's schedule from `y`, `w` wide; returns the height.
fn draw_schedules(out: &mut String, c: &Compiled, x: f64, y0: f64, w: f64) -> f64 {
    const LABEL_W: f64 = 60.0;
    const BAR_H: f64 = 2.0 * LINE_H + 2.0 * PAD;
    let s = &c.system;
    let mut y = y0;
    let _ = writeln!(
        out,
        "<text x=\"{x:.1}\" y=\"{:.1}\" font-weight=\"bold\" font-size=\"13\">Schedules: one major frame per core (each drawn full width)</text>",
        y + LINE_H
    );
    y += LINE_H + 12.0;
    let tx = x + LABEL_W;
    let tw = w - LABEL_W;
    for sc in &s.schedules {
        let frame = sc.major_frame_us.max(1) as f64;
        let used: u64 = sc.windows.iter().map(|w| w.duration_us as u64).sum();
        let idle = (sc.major_frame_us as u64).saturating_sub(used);
        let _ = writeln!(
            out,
            "<text x=\"{tx:.1}\" y=\"{:.1}\">core {}: major frame {} µs, {} window(s), {idle} µs idle</text>",
            y + LINE_H,
            sc.core,
            sc.major_frame_us,
            sc.windows.len()
        );
        y += LINE_H + 6.0;
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" font-weight=\"bold\">core {}</text>",
            y + BAR_H / 2.0 + 4.0,
            sc.core
        );
        let mut t: u64 = 0;
        let mut notes = 0;
        let mut note_x = tx;
        let mut ticks = vec![0u64];
        let px = |t: u64| tx + tw * t as f64 / frame;
        for win in &sc.windows {
            let pi = win.partition.index();
            let name = s
                .partitions
                .get(pi)
                .map_or("?".to_string(), |p| p.name.to_string());
            let (x0, x1) = (px(t), px(t + win.duration_us as u64));
            let bw = x1 - x0;
            let dur = format!("{} µs", win.duration_us);
            let _ = writeln!(
                out,
                "<g class=\"window\" data-core=\"{}\" data-partition=\"{}\" data-start=\"{t}\" data-duration=\"{}\"><title>core {}: {} from {t} µs for {} µs</title>",
                sc.core,
                esc(&name),
                win.duration_us,
                sc.core,
                esc(&name),
                win.duration_us
            );
            let _ = writeln!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{BAR_H:.1}\" fill=\"{}\" stroke=\"#333\"/>",
                partition_colour(pi)
            );
            // The label inside when it fits; the name alone, or nothing
            // (the title still names it) in a narrow window.
            let lines: Vec<&str> = if text_w(&name).max(text_w(&dur)) + 2.0 * PAD <= bw {
                vec![&name, &dur]
            } else if text_w(&name) + 2.0 * PAD <= bw {
                vec![&name]
            } else {
                vec![]
            };
            for (i, l) in lines.iter().enumerate() {
                let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\"{weight}>{}</text>",
                    x0 + PAD,
                    y + PAD + LINE_H * (i as f64 + 1.0) - 3.0,
                    esc(l)
                );
            }
            if lines.len() < 2 {
                // Too narrow for its whole label: a numbered mark in the
                // bar and the label on the note line under the axis.
                notes += 1;
                let mark = notes.to_string();
                if lines.is_empty() && text_w(&mark) + 2.0 <= bw {
                    let _ = writeln!(
                        out,
                        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\">{mark}</text>",
                        x0 + bw / 2.0,
                        y + BAR_H / 2.0 + 3.0
                    );
                }
                let note = format!("{mark}: {name} {t}..{} µs ({dur})", t + win.duration_us as u64);
                let _ = writeln!(
                    out,
                    "<text class=\"note\" x=\"{note_x:.1}\" y=\"{:.1}\" fill=\"#333\">{}</text>",
                    y + BAR_H + 30.0,
                    esc(&note)
                );
                note_x += text_w(&note) + 3.0 * CHAR_W;
            }
            let _ = writeln!(out, "</g>");
            t += win.duration_us as u64;
            ticks.push(t);
        }
        if idle > 0 {
            draw_idle(
                out,
                sc.core.0,
                t,
                idle,
                (px(t), px(sc.major_frame_us as u64)),
                y,
                BAR_H,
            );
            ticks.push(sc.major_frame_us as u64);
        }
        y += BAR_H;
        draw_ticks(out, &ticks, &px, y, sc.major_frame_us as u64);
        y += if notes > 0 { 30.0 + LINE_H + 4.0 } else { 30.0 };
    }
    y - y0
}

/// The idle rest of a major frame: a hatched bar from `x0` to `x1`.
fn draw_idle(out: &mut String, core: u8, t: u64, idle: u64, (x0, x1): (f64, f64), y: f64, bar_h: f64) {
    let _ = writeln!(
        out,
        "<g class=\"idle\" data-core=\"{core}\" data-start=\"{t}\" data-duration=\"{idle}\"><title>core {core}: idle from {t} µs for {idle} µs</title>"
    );
    let _ = writeln!(
        out,
        "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar_h:.1}\" fill=\"url(#idle)\" stroke=\"#333\"/>",
        x1 - x0
    );
    if text_w("idle") + 2.0 * PAD <= x1 - x0 {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#444\">idle</text>",
            x0 + PAD,
            y + PAD + LINE_H - 3.0
        );
    }
    let _ = writeln!(out, "</g>");
}

/// The time axis under a schedule: a tick at every window boundary, and
/// its time in µs where the label does not run into the previous one.
fn draw_ticks(out: &mut String, ticks: &[u64], px: &impl Fn(u64) -> f64, y: f64, frame_us: u64) {
    let mut last_label: Option<f64> = None;
    for &tk in ticks {
        let xx = px(tk);
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" y1=\"{y:.1}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
            y + 4.0
        );
        let label = tk.to_string();
        let lw = text_w(&label);
        if last_label.is_none_or(|l| xx - lw / 2.0 > l + 4.0) {
            let anchor = if tk == 0 {
                "start"
            } else if tk == frame_us {
                "end"
            } else {
                "middle"
            };
            let _ = writeln!(
                out,
                "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"10\" fill=\"#555\">{label}</text>",
                y + 15.0
            );
            last_label = Some(xx + lw / 2.0);
        }
    }
}

/// The legend: a swatch per partition, then the other colours.
fn draw_legend(out: &mut String, c: &Compiled, x: f64, y: f64, w: f64) -> f64 {
    let mut entries: Vec<(String, &str, bool)> = c
        .partitions
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let core = c.system.partitions.get(pi).map_or(0, |sp| sp.core.0);
            (
                format!("{} (id {pi}, core {core})", p.name),
                partition_colour(pi),
                false,
            )
        })
        .collect();
    entries.push(("hypervisor".into(), HYP, false));
    entries.push(("shared".into(), SHARED, false));
    if !c.system.channels.is_empty() {
        entries.push(("channel queue".into(), QUEUE, false));
    }
    entries.push(("unassigned".into(), "#ffffff", true));
    let mut cx = x;
    let mut cy = y;
    for (label, fill, dashed) in entries {
        let ew = 18.0 + text_w(&label) + 16.0;
        if cx + ew > x + w && cx > x {
            cx = x;
            cy += LINE_H + 8.0;
        }
        let dash = if dashed { " stroke-dasharray=\"3 2\"" } else { "" };
        let _ = writeln!(
            out,
            "<rect x=\"{cx:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{fill}\" stroke=\"#333\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            cy,
            cx + 18.0,
            cy + 10.0,
            esc(&label)
        );
        cx += ew;
    }
    cy + LINE_H + 8.0 - y
}

/// The picture of system `c` (read from `source`) as an SVG document.
pub fn render(c: &Compiled, source: &str) -> String {
    let lanes = lanes(c);
    let widths: Vec<f64> = lanes
        .iter()
        .map(|l| {
            let blocks = l.blocks.iter().map(Block::width).fold(0.0, f64::max);
            let title = l.title.iter().map(|t| text_w(t)).fold(0.0, f64::max);
            AXIS_W + blocks.max(title).max(150.0).ceil()
        })
        .collect();
    let map_w: f64 = widths.iter().sum::<f64>() + LANE_SPACING * (widths.len().saturating_sub(1)) as f64;
    let width = (map_w.max(760.0) + 2.0 * MARGIN).ceil();
    let inner = width - 2.0 * MARGIN;
    let mut body = String::new();
    let mut y = MARGIN;
    let title = format!(
        "{}: platform {}, {} partition(s) on {} core(s), {} channel(s)",
        source,
        c.system.platform.name,
        c.system.partitions.len(),
        c.system.platform.cores,
        c.system.channels.len()
    );
    let _ = writeln!(
        body,
        "<text x=\"{MARGIN:.1}\" y=\"{:.1}\" font-weight=\"bold\" font-size=\"14\">{}</text>",
        y + 14.0,
        esc(&title)
    );
    y += 26.0;
    y += draw_legend(&mut body, c, MARGIN, y, inner) + 6.0;
    let _ = writeln!(
        body,
        "<text x=\"{MARGIN:.1}\" y=\"{:.1}\" font-weight=\"bold\" font-size=\"13\">Address map: one column per bank; boxes in address order, height grows with log2(size), free space not to scale</text>",
        y + LINE_H
    );
    y += LINE_H + 12.0;
    let mut x = MARGIN;
    let mut map_h: f64 = 0.0;
    for (lane, w) in lanes.iter().zip(&widths) {
        let _ = writeln!(body, "<g class=\"lane\" data-title=\"{}\">", esc(&lane.title[0]));
        map_h = map_h.max(draw_lane(&mut body, lane, x, y, *w));
        let _ = writeln!(body, "</g>");
        x += w + LANE_SPACING;
    }
    y += map_h + 30.0;
    y += draw_schedules(&mut body, c, MARGIN, y, inner);
    let height = (y + MARGIN).ceil();
    let mut out = String::new();
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"{FONT}\">"
    );
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(
        out,
        "<defs><pattern id=\"idle\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbb\" stroke-width=\"2\"/></pattern></defs>"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    out.push_str(&body);
    let _ = writeln!(out, "</svg>");
    out
}

//! `make bench` (`hvrun bench`): the deterministic benchmark suite.
//!
//! Five QEMU runs, all under `-icount shift=0,align=off,sleep=off` (one
//! instruction is one virtual nanosecond, so one tick of the 62.5 MHz
//! generic counter is 16 instructions and every figure repeats run to run):
//!
//! 1. the system `tools/runner/tests/systems/bench.toml` (the `bench` and
//!    `benchpeer` partitions on core 0, core 1 asleep);
//! 2. the system `tools/runner/tests/systems/windows.toml` (temporal
//!    partitioning; the hypervisor prints `BENCH window_switch`);
//! 3. the system `tools/runner/tests/systems/windows_attack.toml` (the
//!    same under attack: its worst window-start delay is
//!    `window_start_delay_attack`);
//! 4. the self-test image with `selftest=bench-map` (map+unmap pairs);
//! 5. the native baseline `partitions/native` (the same compute workload
//!    and timer-interrupt loop alone at EL1, no hypervisor).
//!
//! Every console line holding `BENCH <name> <number>` is collected (a
//! `[partition] ` prefix and trailing text are fine); `ipc_<S>` is
//! `ipc_send_<S> + ipc_recv_<S>`; `code_bytes` is `.text + .rodata` of the
//! product hypervisor. The result is a table on stdout, `bench/results.json`
//! and `bench/ipc.svg`. A figure with no line yet is `null` in the JSON and
//! listed under `missing` with the reason; it is picked up by itself as
//! soon as some image prints its `BENCH` line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::build::{build_hyp, cargo_for_target, Variant};
use crate::qemu::{Outcome, Run, QEMU};
use crate::{size, workspace_root, Error, Result, TARGET};

pub mod curves;

/// The names of `results` in `bench/results.json`, in report order
/// (scripts read these names).
pub const RESULT_NAMES: [&str; 26] = [
    "null_hvc",
    "null_hvc_max",
    "null_hvc_runs",
    "partition_switch",
    "partition_switch_max",
    "partition_switch_runs",
    "map_unmap",
    "ipc_8",
    "ipc_64",
    "ipc_64_max",
    "ipc_64_runs",
    "ipc_256",
    "ipc_1024",
    "irq_to_guest",
    "irq_to_guest_max",
    "irq_to_guest_runs",
    "window_switch",
    "window_switch_max",
    "window_switch_runs",
    "window_start_delay_max",
    "window_start_delay_attack",
    "boot_to_first_partition",
    "compute_native",
    "compute_hyp",
    "compute_hyp_windows",
    "code_bytes",
];

/// The figures reported with a worst case: `<name>_max` (instructions)
/// and `<name>_runs` (how many single operations it is the largest of)
/// sit next to `<name>` in `results`.
pub const WORST_NAMES: [&str; 5] = [
    "null_hvc",
    "irq_to_guest",
    "partition_switch",
    "window_switch",
    "ipc_64",
];

/// The least number of single operations a worst case is taken over.
pub const MIN_WORST_RUNS: u64 = 10_000;

/// The windowed-compute target: the work gets at least this share of its
/// own windows' time (`compute_native / compute_hyp_windows`).
pub const COMPUTE_WINDOWS_SHARE_TARGET: f64 = 0.99;

/// The window of `bench` in `bench.toml` (instructions): every sample of
/// the bench system must be taken before it ends.
pub const BENCH_WINDOW_INSTR: u64 = 90_000_000;

/// Message sizes of the IPC benchmark (bytes).
pub const IPC_SIZES: [u32; 4] = [8, 64, 256, 1024];

/// Instructions per generic-counter tick under `-icount shift=0`
/// (1 ns per instruction, 62.5 MHz counter).
pub const INSTR_PER_TICK: u64 = 16;

/// The temporal-isolation target: the worst window-start delay while
/// another partition of the core storms restarts, faults and hypercalls
/// is at most this many times the worst one in a quiet run.
pub const WINDOW_ATTACK_RATIO_TARGET: f64 = 2.0;

/// The compute overhead target: `compute_hyp / compute_native <= 1.01`.
pub const COMPUTE_RATIO_TARGET: f64 = 1.01;

/// Upper bounds from issue 7 ("targets to beat"), in instructions (bytes
/// for `code_bytes`).
pub const TARGETS: [(&str, u64); 7] = [
    ("null_hvc", 60),
    ("irq_to_guest", 120),
    ("partition_switch", 600),
    ("map_unmap", 120),
    ("ipc_64", 400),
    ("boot_to_first_partition", 200_000),
    ("code_bytes", crate::size::CODE_BUDGET),
];

/// The reference hypervisor (Bao, C) measured the same way on the same
/// QEMU machine, as quoted in issue 7 (50.9 KiB of code = 52,122 bytes;
/// `irq_native` is its timer interrupt without a hypervisor).
pub const BAO_REFERENCE: [(&str, u64); 5] = [
    ("null_hvc", 162),
    ("irq_to_guest", 183),
    ("irq_native", 20),
    ("boot_to_first_partition", 7_250_000),
    ("code_bytes", 52_122),
];

/// Why a figure has no `BENCH` line yet (the generic reason covers any
/// other name).
fn missing_reason(name: &str) -> String {
    match name {
        "irq_to_guest" => "the hypervisor does not deliver interrupts to partitions yet \
                           (GIC interrupt virtualization, issue 8); no image prints \
                           `BENCH irq_to_guest`"
            .into(),
        "window_switch" | "window_start_delay_max" => format!(
            "the windows system (tools/runner/tests/systems/windows.toml) printed no \
             `BENCH {name}` line"
        ),
        "window_start_delay_attack" => "the attack system \
             (tools/runner/tests/systems/windows_attack.toml) printed no \
             `BENCH window_start_delay_max` line"
            .into(),
        "code_bytes" => "the product hypervisor ELF could not be measured".into(),
        "compute_hyp_windows" => "the system tools/runner/tests/systems/bench_compute_windows.toml \
             printed no `BENCH compute_hyp_windows` line"
            .into(),
        "irq_native" => "the native baseline printed no `BENCH irq_native` line".into(),
        _ => format!("no `BENCH {name}` line in the output of the benchmark runs"),
    }
}

/// Native baselines reported next to `results` (under `baseline`): the
/// timer-interrupt loop of `partitions/native`, the twin of `irq_to_guest`.
pub const BASELINE_NAMES: [&str; 1] = ["irq_native"];

/// Parses one console line: `Some((name, value))` if it holds
/// `BENCH <name> <number>`, where the number is an integer or a decimal
/// (rounded half up to an integer, e.g. the self test's `494.0`).
/// `BENCH` must start a word (line start, after a space or after `]`);
/// text before it and after the number is ignored.
pub fn parse_line(line: &str) -> Option<(String, u64)> {
    let mut from = 0;
    while let Some(at) = line[from..].find("BENCH ").map(|i| i + from) {
        let starts_word = line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == ']');
        if starts_word {
            let mut words = line[at + "BENCH ".len()..].split_whitespace();
            let name = words.next()?;
            let value = words.next()?;
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            return match (name_ok, parse_number(value)) {
                (true, Some(v)) => Some((name.to_string(), v)),
                _ => None,
            };
        }
        from = at + 1;
    }
    None
}

/// `123` or `123.45` (rounded half up); anything else is `None`.
fn parse_number(s: &str) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = int.parse().ok()?;
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if f.as_bytes()[0] >= b'5' {
            v = v.checked_add(1)?;
        }
    }
    Some(v)
}

/// Every `BENCH` figure in `lines` (a later line with the same name wins).
pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, u64> {
    lines.into_iter().filter_map(parse_line).collect()
}

/// The `(checksum 0x...)` a `BENCH <name>` line carries after its figure
/// (the compute workload prints one, so the harness can check that the
/// native and the partition runs computed the same thing).
pub fn checksum<'a>(lines: impl IntoIterator<Item = &'a str>, name: &str) -> Option<u32> {
    let key = format!("BENCH {name} ");
    lines.into_iter().filter(|l| l.contains(&key)).find_map(|l| {
        let hex = l.split("(checksum 0x").nth(1)?.split(')').next()?;
        u32::from_str_radix(hex, 16).ok()
    })
}

/// `ipc_<size>`: the send and the receive half of one message, if both
/// were measured.
pub fn ipc_total(raw: &BTreeMap<String, u64>, size: u32) -> Option<u64> {
    let send = raw.get(&format!("ipc_send_{size}"))?;
    let recv = raw.get(&format!("ipc_recv_{size}"))?;
    send.checked_add(*recv)
}

/// Adds the worst cases measured in halves: `partition_switch_max` (the
/// larger of the two directions of `bench_switch.toml`, `_runs` their sum)
/// and `ipc_64_max` (the worst send plus the worst receive: an upper bound
/// of one message's worst case, `_runs` the messages).
pub fn combine_worst(raw: &mut BTreeMap<String, u64>) {
    let get = |raw: &BTreeMap<String, u64>, n: &str| raw.get(n).copied();
    if let (Some(a), Some(b)) = (get(raw, "switch_to_a_max"), get(raw, "switch_to_b_max")) {
        raw.insert("partition_switch_max".into(), a.max(b));
    }
    if let (Some(a), Some(b)) = (get(raw, "switch_to_a_runs"), get(raw, "switch_to_b_runs")) {
        raw.insert("partition_switch_runs".into(), a + b);
    }
    if let (Some(s), Some(r)) = (get(raw, "ipc_send_64_max"), get(raw, "ipc_recv_64_max")) {
        raw.insert("ipc_64_max".into(), s + r);
    }
    if let (Some(s), Some(r)) = (get(raw, "ipc_send_64_runs"), get(raw, "ipc_recv_64_runs")) {
        raw.insert("ipc_64_runs".into(), s.min(r));
    }
}

/// The console line of a windows run with `BENCH` output that counts the
/// window starts core 0 timed: `core 0 windows: N started, ...`.
pub fn windows_started<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<u64> {
    lines.into_iter().find_map(|l| {
        let rest = l.split("core 0 windows: ").nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// `compute_native / compute_hyp_windows`: the share of its own windows'
/// time the windowed compute work got, if both were measured.
pub fn compute_windows_share(results: &BTreeMap<&'static str, Option<u64>>) -> Option<f64> {
    let own = results.get("compute_hyp_windows").copied().flatten()?;
    let native = results.get("compute_native").copied().flatten()?;
    (own > 0).then(|| native as f64 / own as f64)
}

/// The figures of [`RESULT_NAMES`] from the parsed lines and the code
/// size: `None` where nothing was measured. An `ipc_<S>` line printed as
/// such wins over the sum of the halves.
pub fn results(raw: &BTreeMap<String, u64>, code_bytes: Option<u64>) -> BTreeMap<&'static str, Option<u64>> {
    RESULT_NAMES
        .iter()
        .map(|&name| {
            let v = if name == "code_bytes" {
                code_bytes
            } else if let Some(v) = raw.get(name) {
                Some(*v)
            } else if let Some(size) = name.strip_prefix("ipc_").and_then(|s| s.parse().ok()) {
                ipc_total(raw, size)
            } else {
                None
            };
            (name, v)
        })
        .collect()
}

/// `compute_hyp / compute_native`, if both were measured.
pub fn compute_ratio(results: &BTreeMap<&'static str, Option<u64>>) -> Option<f64> {
    let hyp = results.get("compute_hyp").copied().flatten()?;
    let native = results.get("compute_native").copied().flatten()?;
    (native > 0).then(|| hyp as f64 / native as f64)
}

/// `window_start_delay_attack / window_start_delay_max`, if both were
/// measured.
pub fn window_attack_ratio(results: &BTreeMap<&'static str, Option<u64>>) -> Option<f64> {
    let attack = results.get("window_start_delay_attack").copied().flatten()?;
    let quiet = results.get("window_start_delay_max").copied().flatten()?;
    (quiet > 0).then(|| attack as f64 / quiet as f64)
}

fn lookup(table: &[(&str, u64)], name: &str) -> Option<u64> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Where the run came from: recorded next to the figures.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// `git rev-parse --short HEAD`, or `unknown`.
    pub git_rev: String,
    /// Whether tracked files differed from that revision (`None`: no git).
    pub git_dirty: Option<bool>,
    /// First line of `qemu-system-arm --version`.
    pub qemu: String,
}

impl Provenance {
    /// Asks git and QEMU.
    pub fn detect() -> Self {
        let root = workspace_root();
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&root)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let git_rev = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
        let git_dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
        let qemu = Command::new(QEMU)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "unknown".into());
        Provenance {
            git_rev,
            git_dirty,
            qemu,
        }
    }
}

/// How the figures are obtained (the `method` member of the JSON).
pub const METHOD: &str = "QEMU mps3-an536 with -icount shift=0,align=off,sleep=off: one \
    instruction per virtual nanosecond, so one 62.5 MHz generic-counter tick is 16 \
    instructions and the figures repeat exactly run to run. Each figure is instructions per \
    operation averaged over a loop (read with CNTVCT before and after); the core not being \
    measured sleeps in WFI. null_hvc: HVC #0 with the no-op function in a tight loop minus the \
    same loop with a NOP. partition_switch: one YIELD hypercall from bench to benchpeer (half \
    a yield round trip). map_unmap: map_mm_range+Mapping::unmap pair at EL2 (self test \
    bench-map) minus the empty loop. ipc_<S>: ipc_send_<S> (bench, batches of 16 sends) + \
    ipc_recv_<S> (benchpeer, the matching receives). boot_to_first_partition: CNTVCT at the \
    first statement of the bench partition's main (the counter starts with QEMU). \
    compute_native / compute_hyp: apps::workload::compute(200000) alone at EL1 without \
    the hypervisor / inside the bench partition. irq_to_guest / irq_native: virtual timer \
    deadline (CNTV_CVAL) to the first instruction of the interrupt handler body, in the \
    bench partition / natively at EL1, stepping the handler through 0..15 extra NOPs to \
    resolve the 16-instruction tick. window_switch: the hypervisor's own figure, window \
    deadline to the window's partition resumed, mean over core 0's windows in windows.toml \
    (there core 1 runs a partition that waits in WFI between 1 ms timer interrupts). \
    window_start_delay_max: the same, worst case over those windows. \
    window_start_delay_attack: the worst case in windows_attack.toml, where the partition \
    sharing core 0 with the victim storms restarts (each reloading 32 MiB), faults and \
    hypercalls. code_bytes: .text + .rodata of the product hypervisor ELF.";

/// The `bench/results.json` document.
pub fn to_json(
    prov: &Provenance,
    raw: &BTreeMap<String, u64>,
    results: &BTreeMap<&'static str, Option<u64>>,
    curves: &[curves::Curve],
) -> Value {
    let mut res = Map::new();
    let mut missing = Map::new();
    for name in RESULT_NAMES {
        let v = results.get(name).copied().flatten();
        res.insert(name.into(), v.map_or(Value::Null, Value::from));
        if v.is_none() {
            missing.insert(name.into(), missing_reason(name).into());
        }
    }
    let mut baseline = Map::new();
    for name in BASELINE_NAMES {
        let v = raw.get(name).copied();
        baseline.insert(name.into(), v.map_or(Value::Null, Value::from));
        if v.is_none() {
            missing.insert(name.into(), missing_reason(name).into());
        }
    }
    let ratio = compute_ratio(results);
    let irq_added = results
        .get("irq_to_guest")
        .copied()
        .flatten()
        .zip(raw.get("irq_native"))
        .map(|(hyp, native)| hyp as i64 - *native as i64);
    let mut targets: Map<String, Value> = TARGETS.iter().map(|(n, v)| ((*n).into(), (*v).into())).collect();
    targets.insert("compute_ratio".into(), COMPUTE_RATIO_TARGET.into());
    targets.insert(
        "compute_windows_share_min".into(),
        COMPUTE_WINDOWS_SHARE_TARGET.into(),
    );
    targets.insert(
        "window_start_delay_attack_ratio".into(),
        WINDOW_ATTACK_RATIO_TARGET.into(),
    );
    let bao: Map<String, Value> = BAO_REFERENCE
        .iter()
        .map(|(n, v)| ((*n).into(), (*v).into()))
        .collect();
    let raw: Map<String, Value> = raw.iter().map(|(n, v)| (n.clone(), (*v).into())).collect();
    json!({
        "git_rev": prov.git_rev,
        "git_dirty": prov.git_dirty,
        "qemu": prov.qemu,
        "method": METHOD,
        "results": res,
        "baseline": baseline,
        "overhead": {
            "compute_ratio": ratio,
            "irq_to_guest_minus_native": irq_added,
            "window_start_delay_attack_ratio": window_attack_ratio(results),
            "compute_windows_share": compute_windows_share(results),
        },
        "curves": curves.iter().map(|c| (c.name.to_string(), c.to_json())).collect::<Map<String, Value>>(),
        "targets": targets,
        "reference_bao": bao,
        "missing": missing,
        "bench_lines": raw,
    })
}

/// Whether `value` meets the target of `name` (`None`: no target or no
/// value).
pub fn verdict(name: &str, value: Option<u64>) -> Option<bool> {
    Some(value? <= lookup(&TARGETS, name)?)
}

/// The console table: name, instructions (the mean), the worst case
/// with its run count, target, Bao, pass/miss.
pub fn table(results: &BTreeMap<&'static str, Option<u64>>, raw: &BTreeMap<String, u64>) -> String {
    let row = |name: &str, v: &str, max: &str, target: &str, bao: &str, verdict: &str| {
        format!("{name:<24} {v:>13} {max:>18} {target:>12} {bao:>12}  {verdict}\n")
    };
    let mut s = row(
        "benchmark",
        "instructions",
        "max (runs)",
        "target",
        "Bao",
        "verdict",
    );
    let opt = |v: Option<u64>, prefix: &str| v.map_or("-".to_string(), |v| format!("{prefix}{v}"));
    for name in RESULT_NAMES {
        if name.ends_with("_max") && WORST_NAMES.iter().any(|w| name == format!("{w}_max"))
            || name.ends_with("_runs")
        {
            continue;
        }
        let v = results.get(name).copied().flatten();
        let verdict = match (v, verdict(name, v)) {
            (None, _) => "not measured",
            (Some(_), None) => "",
            (Some(_), Some(true)) => "pass",
            (Some(_), Some(false)) => "MISS",
        };
        let unit = if name == "code_bytes" { " B" } else { "" };
        let max = if WORST_NAMES.contains(&name) {
            let get = |suffix: &str| results.get(format!("{name}{suffix}").as_str()).copied().flatten();
            match (get("_max"), get("_runs")) {
                (Some(m), Some(r)) => format!("{m} ({r})"),
                _ => "not measured".into(),
            }
        } else {
            String::new()
        };
        s.push_str(&row(
            name,
            &v.map_or("-".to_string(), |v| format!("{v}{unit}")),
            &max,
            &opt(lookup(&TARGETS, name), "<= "),
            &opt(lookup(&BAO_REFERENCE, name), ""),
            verdict,
        ));
    }
    for name in BASELINE_NAMES {
        let v = raw.get(name).copied();
        s.push_str(&format!(
            "{:<24} {:>13} {:>18} {:>12} {:>12}  {}\n",
            name,
            opt(v, ""),
            "",
            "-",
            opt(lookup(&BAO_REFERENCE, name), ""),
            if v.is_some() {
                "(native baseline)"
            } else {
                "not measured"
            }
        ));
    }
    let ratio = compute_ratio(results);
    s.push_str(&overhead_row(
        "compute_ratio",
        ratio.map(|r| format!("{r:.5}")),
        format!("<= {COMPUTE_RATIO_TARGET}"),
        ratio.map(|r| r <= COMPUTE_RATIO_TARGET),
    ));
    let ratio = window_attack_ratio(results);
    s.push_str(&overhead_row(
        "window_attack_ratio",
        ratio.map(|r| format!("{r:.3}")),
        format!("<= {WINDOW_ATTACK_RATIO_TARGET}"),
        ratio.map(|r| r <= WINDOW_ATTACK_RATIO_TARGET),
    ));
    let share = compute_windows_share(results);
    s.push_str(&overhead_row(
        "compute_windows_share",
        share.map(|r| format!("{:.3} %", r * 100.0)),
        format!(">= {} %", COMPUTE_WINDOWS_SHARE_TARGET * 100.0),
        share.map(|r| r >= COMPUTE_WINDOWS_SHARE_TARGET),
    ));
    s
}

/// A table row of a derived overhead figure: its value as `shown`, its
/// target, and whether it meets it (`None`: not measured).
fn overhead_row(name: &str, shown: Option<String>, target: String, pass: Option<bool>) -> String {
    format!(
        "{:<24} {:>13} {:>18} {:>12} {:>12}  {}\n",
        name,
        shown.unwrap_or_else(|| "-".to_string()),
        "",
        target,
        "-",
        match pass {
            None => "not measured",
            Some(true) => "pass",
            Some(false) => "MISS",
        }
    )
}

/// A step of 1, 2 or 5 times a power of ten giving at most about six
/// grid lines up to `max`.
fn nice_step(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if max / (step * m) <= 6 {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// A bar chart (SVG) of IPC instructions per message by size: one stacked
/// bar per size (send below, receive above, total on top), the issue's
/// 64-byte target as a dashed mark. `points` are `(size, send, recv)`.
pub fn ipc_svg(points: &[(u32, u64, u64)], caption: &str) -> String {
    const W: u64 = 680;
    const H: u64 = 400;
    const LEFT: u64 = 80;
    const RIGHT: u64 = 190;
    const TOP: u64 = 50;
    const BOTTOM: u64 = 70;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let top_value = points.iter().map(|&(_, s, r)| s + r).max().unwrap_or(0).max(400);
    let step = nice_step(top_value);
    let y_max = top_value.div_ceil(step) * step;
    let y = |v: u64| TOP + plot_h - v * plot_h / y_max;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\
         IPC send \u{2192} recv by message size</text>\n\
         <text x=\"{}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
        LEFT + plot_w / 2,
        LEFT + plot_w / 2,
        caption
    );
    // Grid and y axis labels.
    let mut v = 0;
    while v <= y_max {
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#ddd\"/>\n\
             <text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{v}</text>\n",
            y(v),
            LEFT + plot_w,
            LEFT - 6,
            y(v) + 4
        ));
        v += step;
    }
    // Bars.
    let n = points.len().max(1) as u64;
    let slot = plot_w / n;
    let bar = slot / 2;
    for (i, &(size, send, recv)) in points.iter().enumerate() {
        let x = LEFT + i as u64 * slot + (slot - bar) / 2;
        let mid = x + bar / 2;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"#4e79a7\"><title>send {send}</title></rect>\n\
             <rect x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"#f28e2b\"><title>recv {recv}</title></rect>\n\
             <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n\
             <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{size} B</text>\n",
            y(send),
            y(0) - y(send),
            y(send + recv),
            y(send) - y(send + recv),
            y(send + recv) - 6,
            send + recv,
            TOP + plot_h + 18,
        ));
        if size == 64 {
            let t = lookup(&TARGETS, "ipc_64").unwrap_or(400);
            s.push_str(&format!(
                "<line x1=\"{x1}\" y1=\"{ty}\" x2=\"{x2}\" y2=\"{ty}\" stroke=\"#c00\" stroke-width=\"2\" \
                 stroke-dasharray=\"6,4\"><title>64-byte target: {t}</title></line>\n",
                x1 = x - 8,
                ty = y(t),
                x2 = x + bar + 8,
            ));
        }
    }
    // Axes, titles, legend.
    let lx = W - RIGHT + 20;
    s.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{0}\" stroke=\"black\"/>\n\
         <line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/>\n\
         <text x=\"{2}\" y=\"{3}\" text-anchor=\"middle\">message size (bytes)</text>\n\
         <text transform=\"translate(20 {4}) rotate(-90)\" text-anchor=\"middle\">instructions per message</text>\n\
         <rect x=\"{lx}\" y=\"{TOP}\" width=\"12\" height=\"12\" fill=\"#f28e2b\"/>\n\
         <text x=\"{5}\" y=\"{6}\">recv (benchpeer)</text>\n\
         <rect x=\"{lx}\" y=\"{7}\" width=\"12\" height=\"12\" fill=\"#4e79a7\"/>\n\
         <text x=\"{5}\" y=\"{8}\">send (bench)</text>\n\
         <line x1=\"{lx}\" y1=\"{9}\" x2=\"{10}\" y2=\"{9}\" stroke=\"#c00\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n\
         <text x=\"{5}\" y=\"{11}\">target \u{2264} {12} (64 B)</text>\n\
         </svg>\n",
        TOP + plot_h,
        LEFT + plot_w,
        LEFT + plot_w / 2,
        H - 20,
        TOP + plot_h / 2,
        lx + 18,
        TOP + 10,
        TOP + 20,
        TOP + 30,
        TOP + 46,
        lx + 12,
        TOP + 50,
        lookup(&TARGETS, "ipc_64").unwrap_or(400),
    ));
    s
}

/// The benchmark system file.
pub fn bench_system() -> PathBuf {
    workspace_root().join("tools/runner/tests/systems/bench.toml")
}

/// Builds the native baseline (its own target directory) and returns its
/// ELF.
pub fn build_native() -> Result<PathBuf> {
    let dir = workspace_root().join("target").join("arm").join("native");
    let status = cargo_for_target("native", "", &dir)?
        .status()
        .map_err(|e| Error(format!("cannot start cargo: {e}")))?;
    if !status.success() {
        return Err(Error("building the native baseline failed".into()));
    }
    Ok(dir.join(TARGET).join("release").join("native"))
}

/// Runs `run` under `-icount`, requiring exit 0.
fn run_counted(mut run: Run, what: &str) -> Result<Outcome> {
    run.icount = true;
    run.timeout = Some(Duration::from_secs(120));
    let out = run.run()?;
    out.expect_exit(0).map_err(|e| Error(format!("{what}: {e}")))?;
    Ok(out)
}

/// Builds and runs the `bench.toml` system under `-icount`; returns the
/// run and the product hypervisor ELF.
pub fn run_bench_system() -> Result<(Outcome, PathBuf)> {
    let system = crate::system::build_system(&bench_system(), Variant::Product)?;
    let out = run_counted(system.run(), "the bench system")?;
    Ok((out, system.hyp))
}

/// The temporal-partitioning system, whose end-of-run summary has the
/// hypervisor's own `BENCH window_switch` figure.
pub fn windows_system() -> PathBuf {
    workspace_root().join("tools/runner/tests/systems/windows.toml")
}

/// Builds and runs the `windows.toml` system under `-icount`.
pub fn run_windows_system() -> Result<Outcome> {
    let system = crate::system::build_system(&windows_system(), Variant::Product)?;
    let mut run = system.run();
    // Asks the hypervisor to print its `BENCH` figures (off in the demo).
    run.flags |= hypcfg::boot_flags::BENCH;
    run_counted(run, "the windows system")
}

/// The temporal-isolation attack system: `windows.toml` with a partition
/// storming restarts, faults and hypercalls on the victim's core.
pub fn windows_attack_system() -> PathBuf {
    workspace_root().join("tools/runner/tests/systems/windows_attack.toml")
}

/// Builds and runs the attack system under `-icount`; its worst
/// window-start delay is `window_start_delay_attack`.
pub fn run_windows_attack_system() -> Result<BTreeMap<String, u64>> {
    let system = crate::system::build_system(&windows_attack_system(), Variant::Product)?;
    let mut run = system.run();
    run.flags |= hypcfg::boot_flags::BENCH;
    let out = run_counted(run, "the windows attack system")?;
    let raw = parse_lines(output_lines(&out));
    Ok(raw
        .get("window_start_delay_max")
        .map(|v| ("window_start_delay_attack".to_string(), *v))
        .into_iter()
        .collect())
}

/// The worst-partition-switch system (`benchswa` and `benchswb` yielding
/// to each other, every switch timed alone).
pub fn bench_switch_system() -> PathBuf {
    workspace_root().join("tools/runner/tests/systems/bench_switch.toml")
}

/// Builds and runs `bench_switch.toml` under `-icount`.
pub fn run_bench_switch_system() -> Result<Outcome> {
    let system = crate::system::build_system(&bench_switch_system(), Variant::Product)?;
    run_counted(system.run(), "the bench switch system")
}

/// The worst-window-switch system: two spinners in 10 µs windows.
pub fn bench_windows_system() -> PathBuf {
    workspace_root().join("tools/runner/tests/systems/bench_windows.toml")
}

/// Builds and runs `bench_windows.toml` under `-icount`; returns
/// `window_switch` (mean), `window_switch_max` and `window_switch_runs`
/// (the window starts timed).
pub fn run_bench_windows_system() -> Result<BTreeMap<String, u64>> {
    let system = crate::system::build_system(&bench_windows_system(), Variant::Product)?;
    let mut run = system.run();
    run.flags |= hypcfg::boot_flags::BENCH;
    let out = run_counted(run, "the bench windows system")?;
    let raw = parse_lines(output_lines(&out));
    let mut figures = BTreeMap::new();
    for (from, to) in [
        ("window_switch", "window_switch"),
        ("window_start_delay_max", "window_switch_max"),
    ] {
        if let Some(v) = raw.get(from) {
            figures.insert(to.to_string(), *v);
        }
    }
    if let Some(n) = windows_started(output_lines(&out)) {
        figures.insert("window_switch_runs".into(), n);
    }
    Ok(figures)
}

/// The windowed-compute system (`benchwin` and `spinner` in 1 ms windows).
pub fn compute_windows_system() -> PathBuf {
    workspace_root().join("tools/runner/tests/systems/bench_compute_windows.toml")
}

/// Builds and runs `bench_compute_windows.toml` under `-icount`.
pub fn run_compute_windows_system() -> Result<Outcome> {
    let system = crate::system::build_system(&compute_windows_system(), Variant::Product)?;
    run_counted(system.run(), "the compute windows system")
}

/// Builds and runs the `bench-map` self test under `-icount`.
pub fn run_map_selftest() -> Result<Outcome> {
    run_counted(
        Run::selftest(build_hyp(Variant::Selftest)?, "bench-map"),
        "the bench-map self test",
    )
}

/// Builds and runs the native baseline under `-icount`.
pub fn run_native() -> Result<Outcome> {
    // A program of ours on the bare board, no partitions: it prints and
    // ends over semihosting.
    let mut run = Run::new(build_native()?);
    run.semihosting = true;
    run_counted(run, "the native baseline")
}

/// The lines a run printed: the UART console, then QEMU's own output
/// (where semihosting `SYS_WRITE0` text lands).
pub fn output_lines(out: &Outcome) -> impl Iterator<Item = &str> {
    out.console.iter().map(String::as_str).chain(out.stderr.lines())
}

/// `hvrun bench`: runs everything, prints the table and the curves'
/// slopes and writes `results.json`, `ipc.svg` and one SVG per curve into
/// `out_dir`.
pub fn run_all(out_dir: &Path) -> Result<()> {
    eprintln!("bench: the bench system ({})", bench_system().display());
    let (system, hyp) = run_bench_system()?;
    eprintln!("bench: the switch system ({})", bench_switch_system().display());
    let switch = run_bench_switch_system()?;
    eprintln!("bench: the windows system ({})", windows_system().display());
    let windows = run_windows_system()?;
    eprintln!(
        "bench: the short windows system ({})",
        bench_windows_system().display()
    );
    let short_windows = run_bench_windows_system()?;
    eprintln!(
        "bench: the windows attack system ({})",
        windows_attack_system().display()
    );
    let attack = run_windows_attack_system()?;
    eprintln!(
        "bench: the compute windows system ({})",
        compute_windows_system().display()
    );
    let compute_windows = run_compute_windows_system()?;
    eprintln!("bench: the bench-map self test");
    let map = run_map_selftest()?;
    eprintln!("bench: the native baseline");
    let native = run_native()?;
    let (switch_curve, boot_curve) = curves::run_partition_curves()?;
    let (restart_curve, restart_figures) = curves::run_restart_curve()?;
    let runs = [&system, &switch, &windows, &compute_windows, &map, &native];
    let mut raw = parse_lines(runs.into_iter().flat_map(output_lines));
    raw.extend(attack);
    // The mean and worst case over 10,000+ windows replace the quiet
    // run's window_switch (its worst case stays window_start_delay_max,
    // the reference of the attack ratio).
    raw.extend(short_windows);
    raw.extend(restart_figures);
    combine_worst(&mut raw);
    match raw.get("bench_system_end") {
        Some(&end) if end < BENCH_WINDOW_INSTR => {}
        other => {
            return Err(Error(format!(
                "the bench system ended at {other:?} instructions, not inside bench's first \
                 window ({BENCH_WINDOW_INSTR}): a window boundary may have disturbed its samples"
            )))
        }
    }
    let sums = ["compute_hyp", "compute_native", "compute_hyp_windows"]
        .map(|name| checksum(runs.into_iter().flat_map(output_lines), name));
    if sums[0] != sums[1] || sums[2] != sums[1] {
        return Err(Error(format!(
            "the compute workload gave checksum {:x?} in the partition, {:x?} in windows but \
             {:x?} natively: the runs did not do the same work",
            sums[0], sums[2], sums[1]
        )));
    }
    let code_bytes = size::measure(&hyp)?.code_bytes();
    let results = results(&raw, Some(code_bytes));
    let curves = vec![
        switch_curve,
        restart_curve,
        curves::ipc_curve(&results),
        boot_curve,
    ];
    let prov = Provenance::detect();
    println!(
        "rhyp benchmarks at {}{} ({}), instructions per operation under -icount shift=0",
        prov.git_rev,
        if prov.git_dirty == Some(true) {
            " + local changes"
        } else {
            ""
        },
        prov.qemu
    );
    print!("{}", table(&results, &raw));
    println!("curves (least-squares slope):");
    for c in &curves {
        let pts: Vec<String> = c.points.iter().map(|(x, y)| format!("{x}:{y:.0}")).collect();
        println!(
            "  {:<32} slope {:>10} {}  [{}]",
            c.name,
            c.fit().map_or("-".into(), |(s, _)| curves::fmt_slope(s)),
            c.slope_unit,
            pts.join(" ")
        );
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error(format!("cannot create {}: {e}", out_dir.display())))?;
    let doc = to_json(&prov, &raw, &results, &curves);
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error(e.to_string()))? + "\n";
    let json_path = out_dir.join("results.json");
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| Error(format!("cannot write {}: {e}", path.display())))
    };
    write(&json_path, &text)?;
    let points: Vec<(u32, u64, u64)> = IPC_SIZES
        .iter()
        .filter_map(|&size| {
            let send = raw.get(&format!("ipc_send_{size}"))?;
            let recv = raw.get(&format!("ipc_recv_{size}"))?;
            Some((size, *send, *recv))
        })
        .collect();
    let caption = format!("rhyp {}, QEMU mps3-an536, -icount shift=0", prov.git_rev);
    write(&out_dir.join("ipc.svg"), &ipc_svg(&points, &caption))?;
    for c in &curves {
        write(
            &out_dir.join(format!("{}.svg", c.name)),
            &curves::curve_svg(c, &caption),
        )?;
    }
    println!(
        "wrote {}, ipc.svg and {} curve SVGs in {}",
        json_path.display(),
        curves.len(),
        out_dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_lines_with_trailing_text() {
        assert_eq!(
            parse_line("[bench] BENCH compute_hyp 1600016 (checksum 0xa97f6ccd)"),
            Some(("compute_hyp".into(), 1_600_016))
        );
        assert_eq!(
            parse_line("[benchpeer] BENCH ipc_recv_64 1371"),
            Some(("ipc_recv_64".into(), 1371))
        );
        assert_eq!(parse_line("BENCH null_hvc 62"), Some(("null_hvc".into(), 62)));
        assert_eq!(
            parse_line("  BENCH boot_to_first_partition 250304\r"),
            Some(("boot_to_first_partition".into(), 250_304))
        );
    }

    #[test]
    fn decimals_round_half_up() {
        assert_eq!(
            parse_line("BENCH map_unmap 494.0"),
            Some(("map_unmap".into(), 494))
        );
        assert_eq!(parse_line("BENCH map_unmap 37.5"), Some(("map_unmap".into(), 38)));
        assert_eq!(
            parse_line("BENCH map_unmap 37.49"),
            Some(("map_unmap".into(), 37))
        );
    }

    #[test]
    fn rejects_lines_that_are_not_figures() {
        for line in [
            "",
            "[hyp] partition bench shut down (exit code 0)",
            "BENCH",
            "BENCH null_hvc",
            "BENCH null_hvc -3",
            "BENCH null_hvc 62x",
            "BENCH null_hvc 1.",
            "BENCH null_hvc .5",
            "BENCH Null 5",
            "XBENCH null_hvc 62",
            "BENCHMARK null_hvc 62",
            "BENCH null_hvc 99999999999999999999999",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn finds_bench_after_an_earlier_non_word_match() {
        assert_eq!(
            parse_line("[x] XBENCH y BENCH null_hvc 7"),
            Some(("null_hvc".into(), 7))
        );
    }

    #[test]
    fn later_lines_win_and_ipc_halves_are_summed() {
        let lines = [
            "[bench] BENCH ipc_send_8 816",
            "[benchpeer] BENCH ipc_recv_8 1323",
            "[bench] BENCH ipc_send_64 864",
            "[bench] BENCH null_hvc 70",
            "[bench] BENCH null_hvc 62",
        ];
        let raw = parse_lines(lines);
        assert_eq!(raw["null_hvc"], 62);
        assert_eq!(ipc_total(&raw, 8), Some(2139));
        // Only one half of the 64-byte pair: not a figure.
        assert_eq!(ipc_total(&raw, 64), None);
        let r = results(&raw, Some(1234));
        assert_eq!(r["ipc_8"], Some(2139));
        assert_eq!(r["ipc_64"], None);
        assert_eq!(r["code_bytes"], Some(1234));
        assert_eq!(r["null_hvc"], Some(62));
        assert_eq!(r.len(), RESULT_NAMES.len());
    }

    #[test]
    fn missing_figures_are_null_with_a_reason_and_appear_when_printed() {
        let prov = Provenance {
            git_rev: "abc1234".into(),
            git_dirty: Some(false),
            qemu: "QEMU emulator version 10.0.2".into(),
        };
        let raw = parse_lines(["BENCH compute_native 1600000", "BENCH compute_hyp 1616000"]);
        let doc = to_json(&prov, &raw, &results(&raw, None), &[]);
        assert_eq!(doc["git_rev"], "abc1234");
        assert!(doc["results"]["irq_to_guest"].is_null());
        assert!(doc["missing"]["irq_to_guest"]
            .as_str()
            .unwrap()
            .contains("interrupt"));
        assert!(doc["missing"]["code_bytes"].is_string());
        assert!(doc["missing"].get("compute_hyp").is_none());
        assert_eq!(doc["results"]["compute_hyp"], 1_616_000);
        assert_eq!(doc["overhead"]["compute_ratio"], 1.01);
        assert_eq!(doc["results"].as_object().unwrap().len(), RESULT_NAMES.len());

        // A hook that starts printing its line is picked up by itself.
        let raw = parse_lines(["[ticker] BENCH irq_to_guest 140 (over 100 deadlines)"]);
        let doc = to_json(&prov, &raw, &results(&raw, None), &[]);
        assert_eq!(doc["results"]["irq_to_guest"], 140);
        assert!(doc["missing"].get("irq_to_guest").is_none());
        assert!(doc["overhead"]["compute_ratio"].is_null());
        assert!(doc["baseline"]["irq_native"].is_null());
        assert!(doc["missing"]["irq_native"].is_string());
        assert!(doc["overhead"]["irq_to_guest_minus_native"].is_null());

        // With its native twin, the interrupt overhead is the difference.
        let raw = parse_lines(["BENCH irq_to_guest 101", "BENCH irq_native 14"]);
        let doc = to_json(&prov, &raw, &results(&raw, None), &[]);
        assert_eq!(doc["baseline"]["irq_native"], 14);
        assert_eq!(doc["overhead"]["irq_to_guest_minus_native"], 87);
        assert!(doc["missing"].get("irq_native").is_none());
    }

    #[test]
    fn checksums_are_read_from_their_own_line() {
        let lines = [
            "[bench] BENCH compute_hyp 1600016 (checksum 0xa97f6ccd)",
            "BENCH compute_native 1600016 (checksum 0x0000002a)",
            "BENCH null_hvc 62",
        ];
        assert_eq!(checksum(lines, "compute_hyp"), Some(0xa97f_6ccd));
        assert_eq!(checksum(lines, "compute_native"), Some(0x2a));
        assert_eq!(checksum(lines, "null_hvc"), None);
        assert_eq!(checksum(lines, "compute"), None);
    }

    #[test]
    fn verdicts_follow_the_targets() {
        assert_eq!(verdict("null_hvc", Some(60)), Some(true));
        assert_eq!(verdict("null_hvc", Some(61)), Some(false));
        assert_eq!(verdict("ipc_8", Some(5000)), None);
        assert_eq!(verdict("null_hvc", None), None);
        let raw = parse_lines(["BENCH null_hvc 62", "BENCH map_unmap 100"]);
        let t = table(&results(&raw, Some(60_000)), &raw);
        let row = |name: &str| {
            t.lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap()
                .to_string()
        };
        assert!(row("null_hvc").ends_with("MISS"), "{t}");
        assert!(row("map_unmap").ends_with("pass"), "{t}");
        assert!(row("code_bytes").ends_with("MISS"), "{t}");
        assert!(row("irq_to_guest").ends_with("not measured"), "{t}");
        assert!(row("irq_native").ends_with("not measured"), "{t}");
    }

    #[test]
    fn svg_has_a_bar_and_a_label_per_size() {
        let svg = ipc_svg(&[(8, 800, 1300), (64, 860, 1370)], "caption");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<title>send").count(), 2);
        assert!(svg.contains(">2100<") && svg.contains(">2230<"));
        assert!(svg.contains(">8 B<") && svg.contains(">64 B<"));
        assert!(svg.contains("target \u{2264} 400"));
        // The y axis reaches past the tallest bar.
        assert_eq!(nice_step(2230), 500);
        assert_eq!(nice_step(60), 10);
    }
}

//! The scaling curves of `make bench`: a figure measured at several sizes
//! of one parameter, with a least-squares slope, stored in
//! `bench/results.json` (`curves`) and drawn as `bench/<name>.svg`.
//!
//! - `partition_switch_by_partitions` and `boot_by_partitions`: systems of
//!   1 to 8 partitions on core 0 (`benchswitch` and `benchyield1..7`),
//!   written into `target/bench/switch_<n>.toml`;
//! - `restart_by_memory`: one partition (`benchrestart`) whose data region
//!   is 64 KiB to 4 MiB, `target/bench/restart_<KiB>.toml`;
//! - `ipc_by_size`: `ipc_<S>` of the bench system (no run of its own).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::{output_lines, parse_lines, run_counted};
use crate::build::Variant;
use crate::{workspace_root, Error, Result};

/// Partition counts of the switch and boot curves.
pub const PARTITION_COUNTS: [u32; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// Data region sizes of the restart curve, in KiB.
pub const RESTART_KIB: [u32; 7] = [64, 128, 256, 512, 1024, 2048, 4096];

/// One curve: `(x, y)` points and their least-squares line.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Key in `results.json` (`curves.<name>`) and SVG file stem.
    pub name: &'static str,
    /// Chart title.
    pub title: &'static str,
    /// What x is, with its unit.
    pub x_label: &'static str,
    /// What y is, with its unit.
    pub y_label: &'static str,
    /// Unit of the slope (y unit per x unit).
    pub slope_unit: &'static str,
    /// The measured points, x ascending.
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// The least-squares line `(slope, intercept)` through the points
    /// (`None` with fewer than two distinct x).
    pub fn fit(&self) -> Option<(f64, f64)> {
        least_squares(&self.points)
    }

    /// The `curves.<name>` member of the JSON.
    pub fn to_json(&self) -> Value {
        let (slope, intercept) = self.fit().unzip();
        json!({
            "title": self.title,
            "x": self.x_label,
            "y": self.y_label,
            "points": self.points.iter().map(|&(x, y)| json!([x, y])).collect::<Vec<_>>(),
            "slope": slope,
            "intercept": intercept,
            "slope_unit": self.slope_unit,
        })
    }
}

/// Least-squares `(slope, intercept)` of `y = slope * x + intercept`.
pub fn least_squares(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((slope, my - slope * mx))
}

/// Where the generated systems go.
fn bench_dir() -> PathBuf {
    workspace_root().join("target").join("bench")
}

const HEADER: &str = "# Written by `hvrun bench` (tools/runner/src/bench/curves.rs); \
                      regenerated on every run.\n\n\
                      [platform]\n\
                      include = \"../../config/platforms/mps3-an536.toml\"\n\n\
                      [hypervisor]\n\
                      image = { base = 0x1000_0000, size = \"448K\" }\n\
                      blob = { base = 0x1007_0000, size = \"64K\" }\n\
                      console = \"uart2\"\n";

/// The system of the switch and boot curves with `n` partitions on
/// core 0: `benchswitch` in a 90 ms window that holds the whole run, then
/// `benchyield<k>` (each at its own fixed addresses, so every system links
/// a binary the same way), each with a 1 ms window it never needs (they
/// run in the time `benchswitch` donates by yielding).
pub fn switch_system(n: u32) -> String {
    let mut s = String::from(HEADER);
    let mut windows = vec!["    { partition = \"benchswitch\", duration_us = 90_000 },".to_string()];
    for k in 0..n {
        let name = if k == 0 {
            "benchswitch".to_string()
        } else {
            format!("benchyield{k}")
        };
        let base = 0x2000_0000u32 + k * 0x10_0000;
        s.push_str(&format!(
            "\n[[partition]]\nname = \"{name}\"\ncore = 0\nimage = \"{name}\"\nfault_policy = \"halt\"\n\
             memory = [\n    {{ name = \"code\", base = {base:#x}, size = \"64K\", perm = \"r-x\" }},\n    \
             {{ name = \"data\", base = {:#x}, size = \"64K\", perm = \"rw-\" }},\n]\n",
            base + 0x1_0000
        ));
        if k > 0 {
            windows.push(format!("    {{ partition = \"{name}\", duration_us = 1_000 }},"));
        }
    }
    s.push_str(&format!(
        "\n[[schedule]]\ncore = 0\nmajor_frame_us = {}\nwindows = [\n{}\n]\n",
        90_000 + 1_000 * (n - 1),
        windows.join("\n")
    ));
    s
}

/// The restart-curve system: `benchrestart` with a `kib` KiB data region
/// (cleared by every restart) and the 4 KiB shared block its timestamps
/// survive restarts in.
pub fn restart_system(kib: u32) -> String {
    format!(
        "{HEADER}\n[[partition]]\nname = \"benchrestart\"\ncore = 0\nimage = \"benchrestart\"\n\
         fault_policy = \"restart\"\nrestart_budget = 16\nmemory = [\n    \
         {{ name = \"code\", base = 0x2000_0000, size = \"64K\", perm = \"r-x\" }},\n    \
         {{ name = \"data\", base = 0x2100_0000, size = \"{kib}K\", perm = \"rw-\" }},\n]\n\n\
         [[shared_memory]]\nname = \"stamps\"\nbase = 0x2030_0000\nsize = \"4K\"\n\
         map = {{ benchrestart = \"rw-\" }}\n\n\
         [[schedule]]\ncore = 0\nmajor_frame_us = 100_000\n\
         windows = [{{ partition = \"benchrestart\", duration_us = 100_000 }}]\n"
    )
}

/// Writes `text` as `target/bench/<stem>.toml`, builds it into
/// `target/bench/<group>` (one directory per group: the same binaries are
/// linked the same way in every system of a group, so cargo relinks
/// nothing between them) and runs it under `-icount`; returns its `BENCH`
/// figures.
fn run_generated(stem: &str, group: &str, text: &str) -> Result<BTreeMap<String, u64>> {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Error(format!("cannot create {}: {e}", dir.display())))?;
    let config = dir.join(format!("{stem}.toml"));
    std::fs::write(&config, text).map_err(|e| Error(format!("cannot write {}: {e}", config.display())))?;
    let system = crate::system::build_system_in(&config, Variant::Product, &dir.join(group))?;
    let out = run_counted(system.run(), &format!("the system {}", config.display()))?;
    Ok(parse_lines(output_lines(&out)))
}

fn need(raw: &BTreeMap<String, u64>, name: &str, what: &str) -> Result<u64> {
    raw.get(name)
        .copied()
        .ok_or_else(|| Error(format!("{what} printed no `BENCH {name}` line")))
}

/// Runs the systems of 1 to 8 partitions: the partition-switch curve
/// (instructions per switch: one turn of yields divided by the number of
/// partitions) and the boot curve (`boot_to_first_partition`).
pub fn run_partition_curves() -> Result<(Curve, Curve)> {
    let mut switch = Vec::new();
    let mut boot = Vec::new();
    for n in PARTITION_COUNTS {
        eprintln!("bench: curves, {n} partition(s) on core 0");
        let raw = run_generated(&format!("switch_{n}"), "switch", &switch_system(n))?;
        let what = format!("switch_{n}.toml");
        let turn = need(&raw, "switch_turn", &what)?;
        switch.push((f64::from(n), turn as f64 / f64::from(n)));
        boot.push((f64::from(n), need(&raw, "boot_to_first_partition", &what)? as f64));
    }
    Ok((
        Curve {
            name: "partition_switch_by_partitions",
            title: "Partition switch by partitions on the core",
            x_label: "partitions on core 0",
            y_label: "instructions per switch",
            slope_unit: "instructions per switch per extra partition",
            points: switch,
        },
        Curve {
            name: "boot_by_partitions",
            title: "Boot to the first partition by partitions",
            x_label: "partitions in the system",
            y_label: "instructions to the first partition's main",
            slope_unit: "instructions per partition",
            points: boot,
        },
    ))
}

/// Runs the restart systems: mean instructions per restart by data region
/// size (x in bytes), and the worst restart seen at the largest size.
pub fn run_restart_curve() -> Result<(Curve, BTreeMap<String, u64>)> {
    let mut points = Vec::new();
    let mut extra = BTreeMap::new();
    for kib in RESTART_KIB {
        eprintln!("bench: curves, restart with {kib} KiB of data");
        let raw = run_generated(&format!("restart_{kib}"), "restart", &restart_system(kib))?;
        let what = format!("restart_{kib}.toml");
        points.push((f64::from(kib) * 1024.0, need(&raw, "restart", &what)? as f64));
        for name in ["restart_max", "restart_runs"] {
            extra.insert(format!("{name}_{kib}k"), need(&raw, name, &what)?);
        }
    }
    Ok((
        Curve {
            name: "restart_by_memory",
            title: "Partition restart by data memory size",
            x_label: "writable memory of the partition (bytes)",
            y_label: "instructions per restart",
            slope_unit: "instructions per byte",
            points,
        },
        extra,
    ))
}

/// The IPC curve from `ipc_<S>` figures already measured.
pub fn ipc_curve(results: &BTreeMap<&'static str, Option<u64>>) -> Curve {
    let points = super::IPC_SIZES
        .iter()
        .filter_map(|&s| {
            let v = results.get(format!("ipc_{s}").as_str()).copied().flatten()?;
            Some((f64::from(s), v as f64))
        })
        .collect();
    Curve {
        name: "ipc_by_size",
        title: "IPC send + receive by message size",
        x_label: "message size (bytes)",
        y_label: "instructions per message",
        slope_unit: "instructions per byte",
        points,
    }
}

/// A line chart (SVG) of a curve: the points joined, each labelled with
/// its value, and the least-squares line dashed, its slope in the legend.
pub fn curve_svg(c: &Curve, caption: &str) -> String {
    const W: f64 = 680.0;
    const H: f64 = 400.0;
    const LEFT: f64 = 90.0;
    const RIGHT: f64 = 30.0;
    const TOP: f64 = 60.0;
    const BOTTOM: f64 = 70.0;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x_max = c.points.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_top = c.points.iter().map(|p| p.1).fold(1.0, f64::max);
    let step = super::nice_step(y_top.ceil() as u64).max(1) as f64;
    let y_max = (y_top / step).ceil() * step;
    let x = |v: f64| LEFT + v / x_max * pw;
    let y = |v: f64| TOP + ph - v.max(0.0) / y_max * ph;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n\
         <text x=\"{0}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{1}</text>\n\
         <text x=\"{0}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">{2}</text>\n",
        LEFT + pw / 2.0,
        c.title,
        caption
    );
    let mut v = 0.0;
    while v <= y_max {
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/>\n\
             <text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{v}</text>\n",
            y(v),
            LEFT + pw,
            LEFT - 6.0,
            y(v) + 4.0
        ));
        v += step;
    }
    if let Some((slope, icpt)) = c.fit() {
        s.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c00\" stroke-width=\"1.5\" \
             stroke-dasharray=\"6,4\"><title>least squares</title></line>\n\
             <text x=\"{:.1}\" y=\"{}\" fill=\"#c00\">least squares: slope {} {}</text>\n",
            x(0.0),
            y(icpt),
            x(x_max),
            y(slope * x_max + icpt),
            LEFT + 10.0,
            TOP - 6.0,
            fmt_slope(slope),
            c.slope_unit
        ));
    }
    let line: Vec<String> = c
        .points
        .iter()
        .map(|&(px, py)| format!("{:.1},{:.1}", x(px), y(py)))
        .collect();
    s.push_str(&format!(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\"/>\n",
        line.join(" ")
    ));
    for &(px, py) in &c.points {
        s.push_str(&format!(
            "<circle cx=\"{0:.1}\" cy=\"{1:.1}\" r=\"4\" fill=\"#4e79a7\"><title>{2}: {3:.0}</title></circle>\n\
             <text x=\"{0:.1}\" y=\"{4:.1}\" text-anchor=\"middle\" font-size=\"10\">{3:.0}</text>\n\
             <text x=\"{0:.1}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>\n",
            x(px),
            y(py),
            px,
            py,
            y(py) - 8.0,
            TOP + ph + 16.0,
            x_tick(px)
        ));
    }
    s.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{0}\" stroke=\"black\"/>\n\
         <line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/>\n\
         <text x=\"{2}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n\
         <text transform=\"translate(20 {5}) rotate(-90)\" text-anchor=\"middle\">{6}</text>\n\
         </svg>\n",
        TOP + ph,
        LEFT + pw,
        LEFT + pw / 2.0,
        H - 20.0,
        c.x_label,
        TOP + ph / 2.0,
        c.y_label
    ));
    s
}

/// An x label: sizes of 1 KiB and more as KiB or MiB.
fn x_tick(v: f64) -> String {
    let b = v as u64;
    if b >= 1 << 20 && b.is_multiple_of(1 << 20) {
        format!("{}M", b >> 20)
    } else if b >= 1 << 10 && b.is_multiple_of(1 << 10) {
        format!("{}K", b >> 10)
    } else {
        format!("{v}")
    }
}

/// A slope with three significant digits.
pub fn fmt_slope(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_a_line() {
        let pts: Vec<(f64, f64)> = (1..=8).map(|x| (x as f64, 3.0 * x as f64 + 10.0)).collect();
        let (s, i) = least_squares(&pts).unwrap();
        assert!((s - 3.0).abs() < 1e-9 && (i - 10.0).abs() < 1e-9);
        assert_eq!(least_squares(&[(1.0, 2.0)]), None);
        assert_eq!(least_squares(&[(1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn generated_systems_are_valid() {
        for text in [switch_system(1), switch_system(8), restart_system(4096)] {
            let dir = std::env::temp_dir().join(format!("rhyp-curves-{}", std::process::id()));
            std::fs::create_dir_all(dir.join("a/b")).unwrap();
            // The include is relative to target/bench: mirror that depth.
            let cfg = dir.join("a/b/sys.toml");
            let text = text.replace(
                "../../config/",
                &format!("{}/config/", workspace_root().display()),
            );
            std::fs::write(&cfg, text).unwrap();
            let checked = hypcfg::front::check_file_with(
                &cfg,
                &hypcfg::front::Options {
                    binaries: Some(crate::system::known_binaries()),
                    ..Default::default()
                },
            );
            assert!(checked.ok(), "{}", checked.render());
        }
    }

    #[test]
    fn svg_has_a_point_per_measure_and_the_fit() {
        let c = Curve {
            name: "t",
            title: "T",
            x_label: "x",
            y_label: "y",
            slope_unit: "y per x",
            points: vec![(65536.0, 100.0), (131072.0, 200.0)],
        };
        let svg = curve_svg(&c, "cap");
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains(">64K<") && svg.contains(">128K<"));
        assert!(svg.contains("least squares: slope 0.0015 y per x"), "{svg}");
    }
}

//! `hvcfg show --svg`: well-formed SVG (parsed with a real XML parser),
//! a labelled box per region, shared block, channel queue, device and
//! hypervisor area, and a labelled bar per schedule window.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use hypcfg::front::{self, Compiled};
use hypcfg::system::RegionKind;
use roxmltree::{Document, Node};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SYSTEMS: &[&str] = &[
    "config/demo.toml",
    "config/minimal.toml",
    "tools/runner/tests/systems/devirq.toml",
    "tools/runner/tests/systems/ipc.toml",
    "tools/runner/tests/systems/shm.toml",
    "tools/runner/tests/systems/windows.toml",
];

/// Runs `show --svg` from the workspace root; returns the SVG text.
fn svg_of(system: &str) -> String {
    // Tests run in parallel and may draw the same system: one file per call.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let out = std::env::temp_dir().join(format!(
        "hvcfg-svg-{}-{}-{}.svg",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed),
        system.replace('/', "_")
    ));
    let o = Command::new(env!("CARGO_BIN_EXE_hvcfg"))
        .current_dir(root())
        .args(["show", system, "--svg"])
        .arg(&out)
        .output()
        .expect("hvcfg runs");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // The tables are still printed.
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("memory map:\n"));
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    text
}

fn compiled(path: &str) -> Compiled {
    let checked = front::check_file(&root().join(path));
    assert!(checked.ok(), "{path}: {}", checked.render());
    checked.compiled.unwrap()
}

/// The `<g>` elements of class `class`.
fn groups<'a>(doc: &'a Document<'a>, class: &str) -> Vec<Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
        .collect()
}

/// The text lines drawn directly in group `g` (not in nested groups).
fn lines(g: &Node) -> Vec<String> {
    g.children()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn find<'a>(boxes: &[Node<'a, 'a>], attrs: &[(&str, &str)]) -> Vec<Node<'a, 'a>> {
    boxes
        .iter()
        .filter(|b| {
            attrs
                .iter()
                .all(|(k, v)| b.attribute(format!("data-{k}").as_str()) == Some(*v))
        })
        .copied()
        .collect()
}

#[test]
fn every_region_and_window_is_drawn_and_labelled() {
    for system in SYSTEMS {
        let svg = svg_of(system);
        let doc = Document::parse(&svg).unwrap_or_else(|e| panic!("{system}: not XML: {e}"));
        let top = doc.root_element();
        assert!(
            top.has_tag_name(("http://www.w3.org/2000/svg", "svg")),
            "{system}"
        );
        assert!(top.attribute("viewBox").is_some(), "{system}");
        let c = compiled(system);
        let boxes = groups(&doc, "box");
        for (pi, p) in c.partitions.iter().enumerate() {
            for r in p.regions.iter().filter(|r| r.kind == RegionKind::Memory) {
                let found = find(
                    &boxes,
                    &[("kind", "memory"), ("partition", &p.name), ("name", &r.name)],
                );
                assert_eq!(found.len(), 1, "{system}: {}.{}", p.name, r.name);
                let l = lines(&found[0]);
                assert_eq!(l[0], format!("{}: {} {}", p.name, r.name, r.perm), "{system}");
                assert_eq!(
                    found[0].attribute("data-base"),
                    Some(format!("{:#010x}", r.span.base).as_str())
                );
            }
            for r in p.regions.iter().filter(|r| r.kind == RegionKind::Shared) {
                let found = find(&boxes, &[("kind", "shared"), ("name", &r.name)]);
                assert_eq!(found.len(), 1, "{system}: shared {} drawn once", r.name);
                let l = lines(&found[0]);
                assert_eq!(l[0], format!("shared {}", r.name));
                assert!(
                    l[1].contains(&format!("{} {}", p.name, r.perm)),
                    "{system}: {l:?}"
                );
            }
            for r in p.regions.iter().filter(|r| r.kind == RegionKind::Device) {
                let found = find(&boxes, &[("kind", "device"), ("name", &r.name)]);
                assert_eq!(found.len(), 1, "{system}: device {}", r.name);
                assert_eq!(found[0].attribute("data-owner"), Some(p.name.as_str()));
                assert_eq!(lines(&found[0])[0], format!("{}: {}", r.name, p.name));
            }
            let _ = pi;
        }
        assert_eq!(
            find(&boxes, &[("kind", "device")]).len(),
            c.devices.len(),
            "{system}: a box per device"
        );
        for (ci, ch) in c.system.channels.iter().enumerate() {
            let found = find(&boxes, &[("kind", "queue"), ("name", &ch.name)]);
            assert_eq!(found.len(), 1, "{system}: queue {}", ch.name);
            assert!(lines(&found[0])[0].starts_with(&format!("queue {} (id {ci}): ", ch.name)));
            // Drawn inside the pool.
            let parent = found[0].parent().unwrap();
            assert_eq!(parent.attribute("data-kind"), Some("channel-pool"));
        }
        for (kind, label) in [("hypervisor", "hypervisor image"), ("blob", "system blob")] {
            let found = find(&boxes, &[("kind", kind)]);
            assert_eq!(found.len(), 1, "{system}: {kind}");
            assert_eq!(lines(&found[0])[0], label);
        }
        // A bar per window, in order, with its partition and duration.
        let windows = groups(&doc, "window");
        let total: usize = c.system.schedules.iter().map(|s| s.windows.len()).sum();
        assert_eq!(windows.len(), total, "{system}: a bar per window");
        let mut wi = windows.iter();
        for sc in &c.system.schedules {
            let mut t = 0u64;
            for w in &sc.windows {
                let g = wi.next().unwrap();
                let name = c.system.partitions[w.partition.index()].name.as_str();
                assert_eq!(g.attribute("data-core"), Some(sc.core.to_string().as_str()));
                assert_eq!(g.attribute("data-partition"), Some(name));
                assert_eq!(g.attribute("data-start"), Some(t.to_string().as_str()));
                assert_eq!(
                    g.attribute("data-duration"),
                    Some(w.duration_us.to_string().as_str())
                );
                let title = g.children().find(|n| n.has_tag_name("title")).unwrap();
                assert_eq!(
                    title.text(),
                    Some(format!("core {}: {name} from {t} µs for {} µs", sc.core, w.duration_us).as_str())
                );
                t += w.duration_us as u64;
            }
        }
    }
}

#[test]
fn the_demo_picture_reads_as_expected() {
    let svg = svg_of("config/demo.toml");
    let doc = Document::parse(&svg).unwrap();
    // Labels visible inside the bars (all wide enough in the demo).
    let windows = groups(&doc, "window");
    let labels: Vec<Vec<String>> = windows.iter().map(lines).collect();
    assert_eq!(
        labels,
        [
            vec!["sensor", "5000 µs"],
            vec!["rogue", "4000 µs"],
            vec!["controller", "10000 µs"],
        ]
    );
    let idle = groups(&doc, "idle");
    assert_eq!(idle.len(), 1);
    assert_eq!(idle[0].attribute("data-core"), Some("0"));
    assert_eq!(idle[0].attribute("data-duration"), Some("1000"));
    // The huge free range of the 3 GiB bank is a break, not 3 GiB of picture.
    let gaps: Vec<String> = groups(&doc, "gap").iter().flat_map(lines).collect();
    assert!(gaps.contains(&"~3.0G free".to_string()), "{gaps:?}");
    assert!(gaps.contains(&"896K free".to_string()), "{gaps:?}");
    // Lanes: the four banks, then the devices.
    let lanes: Vec<&str> = groups(&doc, "lane")
        .iter()
        .map(|g| g.attribute("data-title").unwrap())
        .collect();
    assert_eq!(
        lanes,
        [
            "atcm (TCM, per core)",
            "flash (ROM)",
            "bram (RAM)",
            "ddr (RAM)",
            "devices (MMIO)"
        ]
    );
    let boxes = groups(&doc, "box");
    let uart2 = find(&boxes, &[("kind", "device"), ("name", "uart2")]);
    assert_eq!(lines(&uart2[0])[0], "uart2: hypervisor (console)");
    assert_eq!(lines(&uart2[0])[2], "irq 37 38 45");
    let tele = find(&boxes, &[("kind", "shared"), ("name", "telemetry")]);
    assert_eq!(lines(&tele[0])[1], "sensor rw-, controller r--");
    // Deterministic.
    assert_eq!(svg, svg_of("config/demo.toml"));
}

#[test]
fn show_svg_reports_an_unwritable_file() {
    let o = Command::new(env!("CARGO_BIN_EXE_hvcfg"))
        .current_dir(root())
        .args(["show", "config/demo.toml", "--svg", "/nonexistent/dir/map.svg"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write `/nonexistent/dir/map.svg`"));
}

#[test]
fn narrow_windows_are_labelled_on_a_note_line() {
    // The demo with core 0's frame cut into windows too narrow for labels.
    let demo = std::fs::read_to_string(root().join("config/demo.toml")).unwrap();
    let platform = root().join("config/platforms/mps3-an536.toml");
    let system = demo
        .replace(
            "include = \"platforms/mps3-an536.toml\"",
            &format!("include = {:?}", platform.display().to_string()),
        )
        .replace(
            "    { partition = \"sensor\", duration_us = 5_000 },\n    { partition = \"rogue\", duration_us = 4_000 },",
            "    { partition = \"sensor\", duration_us = 150 },\n    { partition = \"rogue\", duration_us = 100 },\n    { partition = \"sensor\", duration_us = 9_000 },",
        );
    assert!(
        system.contains("duration_us = 150"),
        "the demo's schedule changed"
    );
    let path = std::env::temp_dir().join(format!("hvcfg-svg-narrow-{}.toml", std::process::id()));
    std::fs::write(&path, system).unwrap();
    let svg = svg_of(path.to_str().unwrap());
    let _ = std::fs::remove_file(&path);
    let doc = Document::parse(&svg).unwrap();
    let windows = groups(&doc, "window");
    let notes: Vec<Vec<String>> = windows
        .iter()
        .map(|g| {
            g.children()
                .filter(|n| n.attribute("class") == Some("note"))
                .map(|n| n.text().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(notes[0], ["1: sensor 0..150 µs (150 µs)"]);
    assert_eq!(notes[1], ["2: rogue 150..250 µs (100 µs)"]);
    assert!(notes[2].is_empty(), "the wide window is labelled in its bar");
    assert_eq!(lines(&windows[2]), ["sensor", "9000 µs"]);
}

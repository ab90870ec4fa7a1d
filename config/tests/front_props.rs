//! Random valid system files: the front end accepts them, derives region
//! words that say exactly what the file says, and the blob round-trips.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use hypcfg::blob;
use hypcfg::front::{self, MemLoader};
use hypcfg::mpu::{Access, MemType};
use hypcfg::system::RegionKind;
use proptest::prelude::*;

const PLATFORM: &str = include_str!("../platforms/mps3-an536.toml");
const PERMS: [&str; 3] = ["r-x", "rw-", "r--"];
const TYPES: [&str; 3] = ["normal", "uncached", "device"];

/// One memory region: size in 4 KiB pages, fixed (vs automatic), perm, type.
type RegionShape = (u8, bool, usize, usize);

#[derive(Clone, Debug)]
struct Shape {
    /// Per partition: core, regions (the first is always code).
    parts: Vec<(u8, Vec<RegionShape>)>,
    channels: Vec<(usize, usize, u16, u8)>,
    shared: Option<(u8, usize)>,
}

fn shape() -> impl Strategy<Value = Shape> {
    let region = (1u8..=16, any::<bool>(), 0usize..3, 0usize..3);
    let part = (0u8..2, prop::collection::vec(region, 1..=4));
    (
        prop::collection::vec(part, 1..=6),
        prop::collection::vec((any::<usize>(), 1usize..6, 1u16..=256, 1u8..=16), 0..=4),
        prop::option::of((1u8..=4, any::<usize>())),
    )
        .prop_map(|(parts, channels, shared)| Shape {
            parts,
            channels,
            shared,
        })
}

/// The TOML text of a shape. Fixed regions get their own 16 MiB slot per
/// partition, so they never collide; automatic ones fill in around them.
fn toml(s: &Shape) -> String {
    let mut t = String::from(
        "[platform]\ninclude = \"platforms/mps3-an536.toml\"\n\n[hypervisor]\n\
         image = { base = 0x1000_0000, size = \"448K\" }\nblob = { base = 0x1007_0000, size = \"64K\" }\n\
         console = \"uart2\"\n",
    );
    for (pi, (core, regions)) in s.parts.iter().enumerate() {
        let _ = write!(
            t,
            "\n[[partition]]\nname = \"p{pi}\"\ncore = {core}\nimage = \"p{pi}\"\nmemory = [\n"
        );
        let mut at = 0x3000_0000u32 + pi as u32 * 0x100_0000;
        for (ri, &(pages, fixed, perm, ty)) in regions.iter().enumerate() {
            let perm = if ri == 0 { "r-x" } else { PERMS[perm] };
            // Code cannot run from device memory (E024): executable regions are normal.
            let ty = if ri == 0 || perm.contains('x') {
                "normal"
            } else {
                TYPES[ty]
            };
            let base = if fixed || ri == 0 {
                format!("base = {at:#x}, ")
            } else {
                String::new()
            };
            let _ = writeln!(
                t,
                "  {{ name = \"m{ri}\", {base}size = \"{}K\", perm = \"{perm}\", type = \"{ty}\" }},",
                pages as u32 * 4
            );
            at += pages as u32 * 0x1000 + 0x1000;
        }
        t.push_str("]\n");
    }
    let n = s.parts.len();
    if n >= 2 {
        for (ci, &(from, off, msg, depth)) in s.channels.iter().enumerate() {
            let from = from % n;
            let to = (from + 1 + off % (n - 1)) % n;
            let _ = write!(
                t,
                "\n[[channel]]\nname = \"c{ci}\"\nsender = \"p{from}\"\nreceiver = \"p{to}\"\nmsg_size = {msg}\ndepth = {depth}\n"
            );
        }
    }
    if let Some((pages, who)) = s.shared {
        let a = who % n;
        let b = (who + 1) % n;
        let map = if a == b {
            format!("p{a} = \"rw-\"")
        } else {
            format!("p{a} = \"rw-\", p{b} = \"r--\"")
        };
        let _ = write!(
            t,
            "\n[[shared_memory]]\nname = \"shm\"\nsize = \"{}K\"\nmap = {{ {map} }}\n",
            pages as u32 * 4
        );
    }
    for core in 0..2u8 {
        let on: Vec<usize> = (0..n).filter(|&i| s.parts[i].0 == core).collect();
        if on.is_empty() {
            continue;
        }
        let windows: Vec<String> = on
            .iter()
            .map(|i| format!("{{ partition = \"p{i}\", duration_us = 1000 }}"))
            .collect();
        let _ = write!(
            t,
            "\n[[schedule]]\ncore = {core}\nmajor_frame_us = {}\nwindows = [{}]\n",
            1000 * on.len() + 500,
            windows.join(", ")
        );
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_files_compile_exactly_and_round_trip(s in shape()) {
        let text = toml(&s);
        let mut loader = MemLoader {
            files: vec![
                (PathBuf::from("sys.toml"), text.clone()),
                (PathBuf::from("platforms/mps3-an536.toml"), PLATFORM.to_string()),
            ],
        };
        let checked = front::check_with(Path::new("sys.toml"), &mut loader);
        prop_assert!(checked.ok(), "{}\n{}", text, checked.render());
        prop_assert!(checked.diags.is_empty(), "{}", checked.render());
        let c = checked.compiled.unwrap();
        for (pi, (core, regions)) in s.parts.iter().enumerate() {
            let p = &c.system.partitions[pi];
            prop_assert_eq!(p.core.0, *core);
            let mut at = 0x3000_0000u32 + pi as u32 * 0x100_0000;
            for (ri, &(pages, fixed, perm, ty)) in regions.iter().enumerate() {
                let w = &p.regions[ri].words;
                let attrs = w.attrs().unwrap();
                let size = pages as u32 * 0x1000;
                prop_assert_eq!(w.limit() - w.base() + 1, size);
                if fixed || ri == 0 {
                    prop_assert_eq!(w.base(), at);
                }
                let perm = if ri == 0 { "r-x" } else { PERMS[perm] };
                prop_assert_eq!(attrs.access == Access::GuestRw, perm.contains('w'));
                prop_assert_eq!(!attrs.xn, perm.contains('x'));
                let ty = if ri == 0 || perm.contains('x') { 0 } else { ty };
                let want = [MemType::Normal, MemType::NormalUncached, MemType::Device][ty];
                prop_assert_eq!(attrs.mem, want);
                at += size + 0x1000;
            }
            prop_assert_eq!(p.entry, 0x3000_0000 + pi as u32 * 0x100_0000);
        }
        let shared = c.system.partitions.iter().flat_map(|p| p.regions.iter()).filter(|r| r.kind == RegionKind::Shared).count();
        prop_assert_eq!(shared, s.shared.map_or(0, |(_, who)| if who % s.parts.len() == (who + 1) % s.parts.len() { 1 } else { 2 }));
        let mut buf = vec![0u8; 64 * 1024];
        let len = blob::encode(&c.system, &mut buf).unwrap();
        prop_assert_eq!(blob::decode(&buf[..len]), Ok(c.system.clone()));
    }
}

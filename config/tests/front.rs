//! The front end on the shipped systems and on small inline ones: derived
//! tables, placement, warnings, reports, linker fragments and images.

use std::path::{Path, PathBuf};

use hypcfg::blob;
use hypcfg::front::{self, image, report, MemLoader};
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
use hypcfg::system::{FaultPolicy, RegionKind};

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

const PLATFORM: &str = include_str!("../platforms/mps3-an536.toml");

/// Checks an inline system that includes the real platform file.
fn check(body: &str) -> front::Checked {
    let text = format!("[platform]\ninclude = \"platforms/mps3-an536.toml\"\n{body}");
    let mut loader = MemLoader {
        files: vec![
            (PathBuf::from("sys.toml"), text),
            (PathBuf::from("platforms/mps3-an536.toml"), PLATFORM.to_string()),
        ],
    };
    front::check_with(Path::new("sys.toml"), &mut loader)
}

const HYP: &str = r#"
[hypervisor]
image = { base = 0x1000_0000, size = "448K" }
blob = { base = 0x1007_0000, size = "64K" }
console = "uart2"
"#;

fn words(base: u32, size: u32, access: Access, xn: bool, mem: MemType) -> RegionWords {
    RegionWords::encode(base, base + size - 1, Attrs { access, xn, mem }).unwrap()
}

#[test]
fn demo_derives_the_documented_tables() {
    let checked = front::check_file(&config("demo.toml"));
    assert!(checked.ok(), "{}", checked.render());
    assert!(checked.diags.is_empty(), "{}", checked.render());
    let c = checked.compiled.unwrap();
    let s = &c.system;
    assert_eq!(
        (s.platform.name.as_str(), s.platform.cores, s.platform.mpu_regions),
        ("mps3-an536", 2, 16)
    );
    assert_eq!(
        (s.hypervisor.console_base, s.hypervisor.console_size),
        (0xE020_5000, 0x1000)
    );
    assert_eq!(
        (s.hypervisor.static_regions, s.hypervisor.transient_slots),
        (4, 4)
    );
    let names: Vec<&str> = s.partitions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["sensor", "controller", "rogue"]);
    let cores: Vec<u8> = s.partitions.iter().map(|p| p.core.0).collect();
    assert_eq!(cores, [0, 1, 0]);

    let sensor = &s.partitions[0];
    assert_eq!(sensor.entry, 0x2000_0000);
    assert_eq!(sensor.fault_policy, FaultPolicy::Restart { budget: 3 });
    assert_eq!(
        sensor.regions[0].words,
        words(0x2000_0000, 0x1_0000, Access::GuestRo, false, MemType::Normal)
    );
    assert_eq!(
        sensor.regions[1].words,
        words(0x2001_0000, 0x1_0000, Access::GuestRw, true, MemType::Normal)
    );
    assert_eq!(sensor.regions[2].kind, RegionKind::Shared);
    assert_eq!(
        sensor.regions[2].words,
        words(0x2030_0000, 0x1000, Access::GuestRw, true, MemType::Normal)
    );

    let controller = &s.partitions[1];
    assert_eq!(controller.fault_policy, FaultPolicy::Halt);
    assert_eq!(
        controller.regions[2].words,
        words(0x2030_0000, 0x1000, Access::GuestRo, true, MemType::Normal)
    );
    assert_eq!(controller.regions[3].kind, RegionKind::Device);
    assert_eq!(
        controller.regions[3].words,
        words(0xE020_6000, 0x1000, Access::GuestRw, true, MemType::Device)
    );
    assert_eq!(controller.irqs.as_slice(), [39, 40, 46]);

    let rogue = &s.partitions[2];
    assert_eq!(rogue.fault_policy, FaultPolicy::Restart { budget: 2 });
    assert_eq!(rogue.regions[0].words.base(), 0x2020_0000);

    let ch = &s.channels[0];
    assert_eq!(
        (ch.name.as_str(), ch.sender, ch.receiver, ch.msg_size, ch.depth),
        ("readings", PartitionId(0), PartitionId(1), 64, 8)
    );
    assert_eq!((ch.queue_base, ch.queue_size), (0x2040_0000, 576)); // 8 * (64 + 4) rounded to 64

    assert_eq!(s.schedules.len(), 2);
    assert_eq!(s.schedules[0].core, CoreId(0));
    assert_eq!(
        s.schedules[0]
            .windows
            .iter()
            .map(|w| w.partition.0)
            .collect::<Vec<_>>(),
        [0, 2]
    );
    assert_eq!(s.schedules[1].windows[0].partition, PartitionId(1));
    assert_eq!(c.hyp_blob.base, 0x1007_0000);
}

#[test]
fn minimal_places_its_one_partition_in_ddr() {
    let checked = front::check_file(&config("minimal.toml"));
    assert!(checked.ok(), "{}", checked.render());
    let c = checked.compiled.unwrap();
    assert_eq!(c.system.partitions.len(), 1);
    let p = &c.system.partitions[0];
    assert_eq!(p.regions[0].words.base(), 0x2000_0000);
    assert_eq!(p.regions[1].words.base(), 0x2001_0000);
    assert_eq!(p.entry, 0x2000_0000);
    assert!(c.partitions[0].regions.iter().all(|r| r.auto));
}

#[test]
fn demo_blob_round_trips_and_dump_matches_show() {
    let c = front::check_file(&config("demo.toml")).compiled.unwrap();
    let mut buf = vec![0u8; c.hyp_blob.size as usize];
    let len = blob::encode(&c.system, &mut buf).unwrap();
    let decoded = blob::decode(&buf[..len]).unwrap();
    assert_eq!(decoded, c.system);
    let show = report::show_text(&c);
    assert!(show.ends_with(&report::system_text(&decoded)));
    assert!(show.contains("0x20000016 0x2000ffc1"), "{show}");
    assert!(
        show.contains("uart3            0xe0206000..0xe0207000     4K  device, partition `controller`"),
        "{show}"
    );
    let json = report::system_json(&decoded);
    assert_eq!(json["partitions"][1]["regions"][3]["mem"], "device");
    assert_eq!(json["partitions"][0]["regions"][0]["prbar"], 0x2000_0016);
}

#[test]
fn several_errors_are_reported_in_one_run() {
    let checked = check(&format!(
        r#"{HYP}
[[partition]]
name = "p"
core = 5
memory = [{{ name = "code", base = 0x2000_0010, size = "4K", perm = "rwx" }}]
colour = "blue"
"#
    ));
    let codes: Vec<&str> = checked.diags.iter().map(|d| d.code.id).collect();
    for want in ["E002", "E011", "E015", "E020"] {
        assert!(codes.contains(&want), "{codes:?}\n{}", checked.render());
    }
}

#[test]
fn top_level_typo_suggests_the_key() {
    let checked = check(&format!("{HYP}\n[[partitions]]\nname = \"p\"\n"));
    let d = checked.diags.iter().find(|d| d.code.id == "E002").unwrap();
    assert_eq!(
        d.message,
        "unknown key `partitions` at the top level; did you mean `partition`?"
    );
    assert_eq!(d.position(&checked.sources).map(|p| (p.1, p.2)), Some((9, 3)));
}

#[test]
fn automatic_regions_go_around_fixed_ones() {
    let checked = check(&format!(
        r#"{HYP}
[[partition]]
name = "p"
core = 0
memory = [
    {{ name = "data", size = "4K", perm = "rw-" }},
    {{ name = "code", base = 0x2000_0000, size = "64K", perm = "r-x" }},
]
[[schedule]]
core = 0
major_frame_us = 1000
windows = [{{ partition = "p", duration_us = 1000 }}]
"#
    ));
    assert!(checked.ok(), "{}", checked.render());
    let p = &checked.compiled.unwrap().system.partitions[0];
    assert_eq!(p.regions[0].words.base(), 0x2001_0000);
    assert_eq!(p.entry, 0x2000_0000);
}

#[test]
fn unscheduled_partition_is_a_warning_not_an_error() {
    let checked = check(&format!(
        "{HYP}\n[[partition]]\nname = \"idle\"\ncore = 1\nimage = \"idle\"\nmemory = [{{ name = \"code\", size = \"4K\", perm = \"r-x\" }}]\n"
    ));
    assert!(checked.ok(), "{}", checked.render());
    assert_eq!(checked.diags.len(), 1);
    assert_eq!(checked.diags[0].code.id, "W001");
    assert!(checked
        .render()
        .starts_with("warning[W001]: partition `idle` is in no schedule window"));
}

#[test]
fn ppis_are_per_core_but_spis_are_global() {
    let two = |c0: u8, c1: u8, irq: u32| {
        check(&format!(
            r#"{HYP}
[[partition]]
name = "a"
core = {c0}
interrupts = [{irq}]
memory = [{{ name = "code", size = "4K", perm = "r-x" }}]
[[partition]]
name = "b"
core = {c1}
interrupts = [{irq}]
memory = [{{ name = "code", size = "4K", perm = "r-x" }}]
"#
        ))
    };
    assert!(two(0, 1, 30).ok());
    assert!(two(0, 0, 30).diags.iter().any(|d| d.code.id == "E018"));
    assert!(two(0, 1, 50).diags.iter().any(|d| d.code.id == "E018"));
}

#[test]
fn hypervisor_interrupts_and_devices_are_reserved() {
    let checked = check(
        r#"
[hypervisor]
image = { base = 0x1000_0000, size = "448K" }
blob = { base = 0x1007_0000, size = "64K" }
console = "uart2"
devices = ["gicd"]
interrupts = [26]

[[partition]]
name = "p"
core = 0
devices = ["gicd"]
interrupts = [26]
memory = [{ name = "code", size = "4K", perm = "r-x" }]
"#,
    );
    let codes: Vec<&str> = checked.diags.iter().map(|d| d.code.id).collect();
    assert!(
        codes.contains(&"E017") && codes.contains(&"E018"),
        "{}",
        checked.render()
    );
}

#[test]
fn linker_fragment_names_every_region_and_symbol() {
    let c = front::check_file(&config("demo.toml")).compiled.unwrap();
    let ld = report::linker_fragment(&c, 0, "config/demo.toml").unwrap();
    for want in [
        "MEMORY\n{",
        "CODE             (rx) : ORIGIN = 0x20000000, LENGTH = 0x10000",
        "DATA             (rw) : ORIGIN = 0x20010000, LENGTH = 0x10000",
        "SHM_TELEMETRY    (rw) : ORIGIN = 0x20300000, LENGTH = 0x1000",
        "REGION_ALIAS(\"PART_CODE\", CODE);",
        "REGION_ALIAS(\"PART_DATA\", DATA);",
        "PROVIDE(__partition_entry = 0x20000000);",
        "PROVIDE(__stack_top = 0x20020000);",
        "PROVIDE(__channel_readings_id = 0);",
    ] {
        assert!(ld.contains(want), "missing {want:?} in\n{ld}");
    }
    let rogue = report::linker_fragment(&c, 2, "x").unwrap();
    assert!(!rogue.contains("__channel_readings_id"));
}

/// A minimal little-endian 32-bit Arm ELF with the given `(paddr, bytes, memsz)` segments.
fn elf(entry: u32, segments: &[(u32, &[u8], u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&[0x7F, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&40u16.to_le_bytes()); // EM_ARM
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&entry.to_le_bytes());
    out.extend_from_slice(&52u32.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u32.to_le_bytes()); // e_shoff
    out.extend_from_slice(&0x0500_0400u32.to_le_bytes());
    out.extend_from_slice(&52u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(&(segments.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 6]);
    let mut offset = 52 + 32 * segments.len() as u32;
    for (addr, bytes, memsz) in segments {
        for v in [1, offset, *addr, *addr, bytes.len() as u32, *memsz, 5, 4] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        offset += bytes.len() as u32;
    }
    for (_, bytes, _) in segments {
        out.extend_from_slice(bytes);
    }
    out
}

#[test]
fn images_are_flattened_placed_in_flash_and_checked() {
    let bytes = elf(
        0x2000_0008,
        &[
            (0x2000_0000, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 12),
            (0x2001_0000, &[0xAA; 4], 0x100),
        ],
    );
    let flat = image::flatten_elf(&bytes).unwrap();
    assert_eq!(flat.load, 0x2000_0000);
    assert_eq!(flat.data.len(), 0x1_0004);
    assert_eq!(&flat.data[..4], &[1, 2, 3, 4]);
    assert_eq!(&flat.data[0x1_0000..], &[0xAA; 4]);

    let mut c = front::check_file(&config("minimal.toml")).compiled.unwrap();
    let flash = image::attach(&mut c, &[("hello".into(), flat.clone())]).unwrap();
    let img = c.system.partitions[0].image.unwrap();
    assert_eq!(
        (img.store, img.len, img.load),
        (0x0800_0000, 0x1_0004, 0x2000_0000)
    );
    assert_eq!(img.crc32, hypcfg::crc32::crc32(&flat.data));
    assert_eq!(flash, flat.data);
    assert_eq!(c.system.partitions[0].entry, 0x2000_0008);
    assert_eq!(c.system.check(), Ok(()));

    // A segment outside the partition's memory is refused.
    let stray = image::flatten_elf(&elf(
        0x2000_0000,
        &[(0x2000_0000, &[0; 8], 8), (0x3000_0000, &[0; 4], 4)],
    ));
    assert!(
        stray.is_err(),
        "segments 256 MiB apart are refused as too far apart"
    );
    let outside = image::flatten_elf(&elf(0x2100_0000, &[(0x2100_0000, &[0; 8], 8)])).unwrap();
    let mut c = front::check_file(&config("minimal.toml")).compiled.unwrap();
    let errs = image::attach(&mut c, &[("hello".into(), outside)]).unwrap_err();
    assert_eq!(errs[0].code.id, "E026");
    // An unknown partition name is refused.
    let errs = image::attach(&mut c, &[("nobody".into(), flat)]).unwrap_err();
    assert_eq!(errs[0].code.id, "E008");
    assert!(image::flatten_elf(b"not an elf").is_err());
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "[",
        "platform = 3",
        "[[partition]]\nmemory = 7",
        "a.b.c = [[]]",
        "\u{0}\u{FFFD}=1",
    ] {
        let checked = front::check_str("x.toml", text);
        assert!(!checked.ok());
        let _ = checked.render();
    }
}

#[test]
fn the_reference_documents_every_key_and_code() {
    use hypcfg::front::diag::codes;
    use hypcfg::front::schema::keys;
    let doc = std::fs::read_to_string(config("../docs/config.md")).unwrap();
    for c in codes::ALL {
        assert!(
            doc.contains(&format!("| {} | {} |", c.id, c.name)),
            "docs/config.md lacks {}",
            c.id
        );
    }
    let tables = [
        keys::ROOT,
        keys::PLATFORM,
        keys::GIC,
        keys::BANK,
        keys::DEVICE,
        keys::HYPERVISOR,
        keys::FIXED_BLOCK,
        keys::POOL,
        keys::PARTITION,
        keys::REGION,
        keys::CHANNEL,
        keys::SHARED,
        keys::SCHEDULE,
        keys::WINDOW,
    ];
    for key in tables.iter().flat_map(|t| t.iter()) {
        assert!(doc.contains(&format!("`{key}`")), "docs/config.md lacks `{key}`");
    }
}

#[test]
fn build_produces_blob_and_fragments_and_refuses_an_oversized_blob() {
    let c = front::check_file(&config("demo.toml")).compiled.unwrap();
    let art = front::build::build(c.clone(), &[], "config/demo.toml").unwrap();
    assert_eq!(blob::decode(&art.blob), Ok(c.system.clone()));
    let names: Vec<&str> = art.fragments.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sensor.ld", "controller.ld", "rogue.ld"]);
    assert!(art.flash.is_none());

    let mut small = c;
    small.hyp_blob.size = 128;
    let errs = front::build::build(small, &[], "x").unwrap_err();
    assert_eq!(errs[0].code.id, "E029");
    assert!(
        errs[0]
            .message
            .contains(&format!("needs {} bytes", art.blob.len())),
        "{}",
        errs[0].message
    );
}

#[test]
fn automatic_code_regions_start_on_a_link_page_when_there_is_room() {
    // The channel pool takes 0x2000_0000..0x2000_0240: code goes to the
    // next 64 KiB boundary (the ELF headers get no segment below it), data
    // fills the gap at the next granule.
    let checked = check(&format!(
        r#"{HYP}
[[partition]]
name = "a"
core = 0
image = "a"
memory = [
    {{ name = "code", size = "4K", perm = "r-x" }},
    {{ name = "data", size = "4K", perm = "rw-" }},
]
[[partition]]
name = "b"
core = 1
image = "b"
memory = [
    {{ name = "code", size = "4K", perm = "r-x" }},
    {{ name = "tcm1", size = "4K", perm = "r-x", bank = "atcm" }},
    {{ name = "tcm2", size = "4K", perm = "r-x", bank = "atcm" }},
]
[[channel]]
name = "c"
sender = "a"
receiver = "b"
msg_size = 64
depth = 8
[[schedule]]
core = 0
major_frame_us = 1000
windows = [{{ partition = "a", duration_us = 1000 }}]
[[schedule]]
core = 1
major_frame_us = 1000
windows = [{{ partition = "b", duration_us = 1000 }}]
"#
    ));
    assert!(checked.ok(), "{}", checked.render());
    let c = checked.compiled.unwrap();
    assert_eq!(c.channel_pool.unwrap().base, 0x2000_0000);
    let bases = |p: usize| -> Vec<u32> { c.partitions[p].regions.iter().map(|r| r.span.base).collect() };
    assert_eq!(bases(0), [0x2001_0000, 0x2000_0240]);
    assert_eq!(c.system.partitions[0].entry, 0x2001_0000);
    // In a bank without a free 64 KiB boundary, the granule will do.
    assert_eq!(bases(1), [0x2002_0000, 0x0000_0000, 0x0000_1000]);
}

/// A system whose one partition has code fixed at 0x2000_0240 (not on a
/// 64 KiB boundary) and data after it.
fn unaligned_code_system() -> hypcfg::front::Compiled {
    let checked = check(&format!(
        r#"{HYP}
[[partition]]
name = "p"
core = 0
image = "p"
memory = [
    {{ name = "code", base = 0x2000_0240, size = "64K", perm = "r-x" }},
    {{ name = "data", base = 0x2001_0240, size = "64K", perm = "rw-" }},
]
[[schedule]]
core = 0
major_frame_us = 1000
windows = [{{ partition = "p", duration_us = 1000 }}]
"#
    ));
    assert!(checked.ok(), "{}", checked.render());
    checked.compiled.unwrap()
}

/// An ELF as rust-lld links one without `PHDRS` when the first section
/// starts past a 64 KiB boundary: a first `PT_LOAD` at file offset 0 that
/// holds the ELF and program headers, rounded down to the boundary.
fn elf_with_header_segment(entry: u32, code: u32) -> Vec<u8> {
    let mut out = elf(entry, &[(0x2000_0000, &[0; 0x74], 0x74), (code, &[0; 16], 16)]);
    // The first program header's p_offset (at e_phoff 52 + 4) becomes 0.
    out[56..60].copy_from_slice(&0u32.to_le_bytes());
    out
}

#[test]
fn a_header_segment_outside_the_partition_is_named_with_its_likely_cause() {
    let mut c = unaligned_code_system();
    let flat = image::flatten_elf(&elf_with_header_segment(0x2000_0240, 0x2000_0240)).unwrap();
    assert_eq!(flat.headers.map(|s| s.base), Some(0x2000_0000));
    let errs = image::attach(&mut c, &[("p".into(), flat)]).unwrap_err();
    assert_eq!(errs.len(), 1);
    let d = &errs[0];
    assert_eq!((d.code.id, d.path.as_str()), ("E026", "--image p"));
    assert!(
        d.message.starts_with(
            "segment 0x20000000..0x20000074 (the ELF and program headers, file offset 0) of the image for `p` is outside its memory regions; the partition's memory: `code` 0x20000240..0x20010240 r-x, `data` 0x20010240..0x20020240 rw-"
        ),
        "{}",
        d.message
    );
    let hint = d.hint.as_deref().unwrap();
    assert!(
        hint.contains("below `code` because it starts 0x240 bytes past a 64 KiB boundary"),
        "{hint}"
    );
    assert!(hint.contains("PHDRS"), "{hint}");

    // A segment elsewhere: an ELF linked for other addresses.
    let mut c = unaligned_code_system();
    let other = image::flatten_elf(&elf(0x2100_0000, &[(0x2100_0000, &[0; 8], 8)])).unwrap();
    let errs = image::attach(&mut c, &[("p".into(), other)]).unwrap_err();
    assert!(
        errs[0]
            .message
            .starts_with("segment 0x21000000..0x21000008 of the image"),
        "{}",
        errs[0].message
    );
    assert!(errs[0].hint.as_deref().unwrap().contains("fragment `p.ld`"));
}

#[test]
fn a_thumb_entry_is_accepted_and_reaches_the_blob_unchanged() {
    // From the ELF: bit 0 set, the first instruction at entry & !1.
    let mut c = unaligned_code_system();
    let flat = image::flatten_elf(&elf(0x2000_0245, &[(0x2000_0240, &[0; 16], 16)])).unwrap();
    image::attach(&mut c, &[("p".into(), flat)]).unwrap();
    assert_eq!(c.system.partitions[0].entry, 0x2000_0245);
    let mut buf = vec![0u8; 64 << 10];
    let n = blob::encode(&c.system, &mut buf).unwrap();
    assert_eq!(blob::decode(&buf[..n]).unwrap().partitions[0].entry, 0x2000_0245);
    // Even the last halfword of the code region.
    let mut c = unaligned_code_system();
    let flat = image::flatten_elf(&elf(0x2001_023F, &[(0x2000_0240, &[0; 16], 16)])).unwrap();
    image::attach(&mut c, &[("p".into(), flat)]).unwrap();

    // A T32 entry in data, and an A32 entry not 4-byte aligned, are E019.
    for (entry, what) in [
        (
            0x2001_0241,
            "(T32 at 0x20010240) is outside its executable memory",
        ),
        (
            0x2000_0242,
            "(A32 at 0x20000242) is not 4-byte aligned (A32) in its executable memory",
        ),
    ] {
        let mut c = unaligned_code_system();
        let flat = image::flatten_elf(&elf(entry, &[(0x2000_0240, &[0; 16], 16)])).unwrap();
        let errs = image::attach(&mut c, &[("p".into(), flat)]).unwrap_err();
        assert_eq!(errs.len(), 1, "{:?}", errs);
        assert_eq!(errs[0].code.id, "E019");
        assert!(errs[0].message.contains(what), "{}", errs[0].message);
        assert!(
            errs[0].message.contains("`code` 0x20000240..0x20010240 r-x"),
            "{}",
            errs[0].message
        );
    }

    // Written in the config.
    let checked = check(&format!(
        "{HYP}\n[[partition]]\nname = \"t\"\ncore = 0\nimage = \"t\"\nentry = 0x2000_0101\nmemory = [{{ name = \"code\", base = 0x2000_0000, size = \"4K\", perm = \"r-x\" }}]\n[[schedule]]\ncore = 0\nmajor_frame_us = 1000\nwindows = [{{ partition = \"t\", duration_us = 1000 }}]\n"
    ));
    assert!(checked.ok(), "{}", checked.render());
    assert_eq!(checked.compiled.unwrap().system.partitions[0].entry, 0x2000_0101);
}

#[test]
fn a_partition_without_image_is_a_warning_naming_it_and_the_fix() {
    let checked = check(&format!(
        "{HYP}\n[[partition]]\nname = \"hello\"\ncore = 0\nmemory = [{{ name = \"code\", size = \"4K\", perm = \"r-x\" }}]\n[[schedule]]\ncore = 0\nmajor_frame_us = 1000\nwindows = [{{ partition = \"hello\", duration_us = 1000 }}]\n"
    ));
    assert!(checked.ok(), "{}", checked.render());
    assert_eq!(checked.diags.len(), 1, "{}", checked.render());
    let d = &checked.diags[0];
    assert_eq!((d.code.id, d.path.as_str()), ("W002", "partition[0].name"));
    assert_eq!(
        d.position(&checked.sources).map(|(_, l, c)| (l, c)),
        Some((10, 8))
    );
    let text = checked.render();
    assert!(
        text.starts_with("warning[W002]: partition `hello` has no `image`: unless the system is built with one for it, the hypervisor halts it at boot"),
        "{text}"
    );
    assert!(text.contains("add `image = \"<program>\"`"), "{text}");
    assert!(text.contains("`hvcfg build --image hello=<elf>`"), "{text}");
}

#[test]
fn image_names_are_checked_against_the_programs_the_caller_knows() {
    let sys = |image: &str| {
        format!(
            "[platform]\ninclude = \"platforms/mps3-an536.toml\"\n{HYP}\n[[partition]]\nname = \"a\"\ncore = 0\nimage = \"{image}\"\nmemory = [{{ name = \"code\", size = \"4K\", perm = \"r-x\" }}]\n[[schedule]]\ncore = 0\nmajor_frame_us = 1000\nwindows = [{{ partition = \"a\", duration_us = 1000 }}]\n"
        )
    };
    let run = |image: &str, binaries: Option<&[&str]>| {
        let mut loader = MemLoader {
            files: vec![
                (PathBuf::from("sys.toml"), sys(image)),
                (PathBuf::from("platforms/mps3-an536.toml"), PLATFORM.to_string()),
            ],
        };
        let options = front::Options {
            binaries: binaries.map(|b| b.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        front::check_with_options(Path::new("sys.toml"), &mut loader, &options)
    };
    let known: &[&str] = &["sensor", "controller", "baremetal"];
    // Without a list (hvcfg), any name is taken as written.
    assert!(run("anything", None).ok());
    assert!(run("controller", Some(known)).ok());
    let c = run("controler", Some(known));
    assert!(!c.ok());
    let d = &c.diags[0];
    assert_eq!((d.code.id, d.path.as_str()), ("E032", "partition[0].image"));
    assert!(d.message.ends_with("did you mean `controller`?"), "{}", d.message);
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .starts_with("name one of the programs: baremetal, controller, sensor"),
        "{:?}",
        d.hint
    );
    // Nothing close: no suggestion, still the list.
    let c = run("zzzzzzzz", Some(known));
    assert!(
        !c.diags[0].message.contains("did you mean"),
        "{}",
        c.diags[0].message
    );
}

#[test]
fn an_image_with_a_slash_or_ending_in_elf_is_a_path_anything_else_a_program() {
    for program in [
        "sensor",
        "ctx_a",
        "prioracer_b",
        "baremetal",
        "elf",
        "sensor.elfx",
    ] {
        assert!(!image::is_elf_path(program), "{program}");
        assert_eq!(image::elf_path(program, Path::new("sys/ecu.toml")), None);
    }
    for path in [
        "sensor.elf",
        "./sensor",
        "out/sensor",
        "/abs/sensor",
        "..\\win\\sensor",
    ] {
        assert!(image::is_elf_path(path), "{path}");
    }
    // Relative to the directory of the file that holds the key, not to
    // the current directory; absolute as written.
    let file = Path::new("/home/me/ecu/system.toml");
    assert_eq!(
        image::elf_path("build/sensor.elf", file),
        Some(PathBuf::from("/home/me/ecu/build/sensor.elf"))
    );
    assert_eq!(
        image::elf_path("../fw/sensor", file),
        Some(PathBuf::from("/home/me/ecu/../fw/sensor"))
    );
    assert_eq!(
        image::elf_path("/opt/fw/sensor", file),
        Some(PathBuf::from("/opt/fw/sensor"))
    );
    assert_eq!(
        image::elf_path("sensor.elf", Path::new("system.toml")),
        Some(PathBuf::from("sensor.elf"))
    );
}

/// A system file `sys/ecu.toml` in a fresh temporary directory whose one
/// partition runs `image` (the real platform file next to it).
fn system_on_disk(name: &str, image: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("hypcfg-image-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sys/platforms")).unwrap();
    std::fs::write(dir.join("sys/platforms/mps3-an536.toml"), PLATFORM).unwrap();
    let text = format!(
        "[platform]\ninclude = \"platforms/mps3-an536.toml\"\n{HYP}\n[[partition]]\nname = \"a\"\ncore = 0\nimage = \"{image}\"\nmemory = [{{ name = \"code\", base = 0x2000_0000, size = \"64K\", perm = \"r-x\" }}]\n[[schedule]]\ncore = 0\nmajor_frame_us = 1000\nwindows = [{{ partition = \"a\", duration_us = 1000 }}]\n"
    );
    let path = dir.join("sys/ecu.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn an_elf_path_resolves_against_its_system_file_and_skips_the_program_list() {
    let (dir, path) = system_on_disk("ok", "../elves/a.elf");
    std::fs::create_dir_all(dir.join("elves")).unwrap();
    std::fs::write(
        dir.join("elves/a.elf"),
        elf(0x2000_0000, &[(0x2000_0000, &[0; 16], 16)]),
    )
    .unwrap();
    let options = front::Options {
        binaries: Some(vec!["sensor".into()]),
        ..Default::default()
    };
    let c = front::check_file_with(&path, &options);
    assert!(c.ok(), "{}", c.render());
    let layout = &c.compiled.unwrap().partitions[0];
    assert_eq!(layout.image.as_deref(), Some("../elves/a.elf"));
    assert_eq!(layout.elf, Some(dir.join("sys/../elves/a.elf")));
    // A program name resolves to no file.
    let (dir2, path) = system_on_disk("name", "sensor");
    let c = front::check_file_with(&path, &options);
    assert!(c.ok(), "{}", c.render());
    assert_eq!(c.compiled.unwrap().partitions[0].elf, None);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

#[test]
fn a_missing_or_non_elf_image_file_is_refused_at_its_key() {
    let (dir, path) = system_on_disk("missing", "fw/a.elf");
    let c = front::check_file(&path);
    assert!(!c.ok());
    let d = &c.diags[0];
    assert_eq!((d.code.id, d.path.as_str()), ("E026", "partition[0].image"));
    let want = format!("cannot read `{}`", dir.join("sys/fw/a.elf").display());
    assert!(d.message.contains(&want), "{}", d.message);
    let line = 1 + std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l == "image = \"fw/a.elf\"")
        .unwrap();
    let text = c.render();
    assert!(
        text.contains(&format!("--> {}:{line}:9", path.display())),
        "{text}"
    );
    assert!(text.contains("image = \"fw/a.elf\""), "{text}");
    // There, but not an ELF.
    std::fs::create_dir_all(dir.join("sys/fw")).unwrap();
    std::fs::write(dir.join("sys/fw/a.elf"), "not an elf").unwrap();
    let c = front::check_file(&path);
    let d = &c.diags[0];
    assert_eq!((d.code.id, d.path.as_str()), ("E026", "partition[0].image"));
    assert!(
        d.message
            .contains("is not a partition image: not a 32-bit ELF file"),
        "{}",
        d.message
    );
    // A directory is not readable as an image either.
    std::fs::remove_file(dir.join("sys/fw/a.elf")).unwrap();
    std::fs::create_dir_all(dir.join("sys/fw/a.elf")).unwrap();
    let c = front::check_file(&path);
    assert_eq!(c.diags[0].code.id, "E026", "{}", c.render());
    let _ = std::fs::remove_dir_all(dir);
}

/// What is linked from the system (the fragment, the constants) is made
/// before the ELF exists: with `elves_pending` an ELF path that names no
/// file yet is resolved and accepted, and still refused without it.
#[test]
fn an_unbuilt_elf_is_accepted_only_when_the_caller_says_it_is_pending() {
    let (dir, path) = system_on_disk("pending", "build/a.elf");
    let pending = front::Options {
        elves_pending: true,
        ..Default::default()
    };
    let c = front::check_file_with(&path, &pending);
    assert!(c.ok(), "{}", c.render());
    assert_eq!(
        c.compiled.unwrap().partitions[0].elf,
        Some(dir.join("sys/build/a.elf"))
    );
    let c = front::check_file(&path);
    assert_eq!(c.diags[0].code.id, "E026", "{}", c.render());
    let _ = std::fs::remove_dir_all(dir);
}

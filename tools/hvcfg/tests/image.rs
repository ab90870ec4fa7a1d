//! `hvcfg image info`, `hvcfg image verify` and `hvcfg dump` of a flash
//! image, on an image packed the way the runner packs `system.img` (the
//! demo system, a stand-in image per partition and for the hypervisor),
//! and on copies damaged in each of its parts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hypcfg::blob;
use hypcfg::flash::{self, Header, Part, SectionKind};
use hypcfg::front::{self, image::Flat, validate::Span};

const HYP_LOAD: u32 = 0x1000_0000;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn hvcfg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hvcfg"))
        .args(args)
        .output()
        .expect("hvcfg runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The parts of the demo's image: (image store, blob, hypervisor bytes).
/// `tamper_store` changes the store after the blob recorded its CRCs;
/// `tamper_blob` changes the blob after it was encoded.
fn parts(tamper_store: bool, tamper_blob: bool) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let checked = front::check_file(&repo("config/demo.toml"));
    let mut c = checked.compiled.expect("the demo is valid");
    // A small program per partition, linked at the base of its code.
    let flats: Vec<(String, Flat)> = c
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let base = p.regions[0].span.base;
            let data: Vec<u8> = (0..100 + 40 * i as u32)
                .map(|b| (b * 7 + i as u32) as u8)
                .collect();
            let flat = Flat {
                load: base,
                entry: base,
                segments: vec![Span {
                    base,
                    size: data.len() as u32,
                }],
                headers: None,
                data,
            };
            (p.name.clone(), flat)
        })
        .collect();
    let mut store = front::image::attach(&mut c, &flats).expect("the images fit");
    // As the runner does: the store sits after the image header.
    for img in c.system.partitions.iter_mut().filter_map(|p| p.image.as_mut()) {
        img.store += flash::data_offset(3);
    }
    let mut buf = vec![0u8; 4096];
    let n = blob::encode(&c.system, &mut buf).unwrap();
    buf.truncate(n);
    if tamper_store {
        store[10] ^= 0x01;
    }
    if tamper_blob {
        let last = buf.len() - 1;
        buf[last] ^= 0x40;
    }
    let hyp: Vec<u8> = (0..1000u32).map(|b| (b * 13) as u8).collect();
    (store, buf, hyp)
}

fn pack(store: &[u8], blob: &[u8], hyp: &[u8]) -> Vec<u8> {
    let parts = [
        Part {
            kind: SectionKind::Images,
            load: 0,
            data: store,
        },
        Part {
            kind: SectionKind::Blob,
            load: 0,
            data: blob,
        },
        Part {
            kind: SectionKind::Hypervisor,
            load: HYP_LOAD,
            data: hyp,
        },
    ];
    let mut out = vec![0u8; 1 << 16];
    let n = flash::write(&mut out, 0x0800_0000, HYP_LOAD, &parts).unwrap();
    out.truncate(n);
    out
}

fn demo_image() -> Vec<u8> {
    let (s, b, h) = parts(false, false);
    pack(&s, &b, &h)
}

/// Writes `bytes` to a fresh file for this test.
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hvcfg-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn section(img: &[u8], kind: SectionKind) -> flash::Section {
    *Header::parse(img).unwrap().require(kind).unwrap()
}

/// `image verify` refuses `img` with a message containing `want`.
fn refused(name: &str, img: &[u8], want: &str) {
    let path = file(name, img);
    let o = hvcfg(&["image", "verify", path.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{name}: {err}");
    assert!(o.stdout.is_empty(), "{name}: {}", text(&o.stdout));
    assert!(
        err.contains("the flash image is refused: ") && err.contains(want),
        "{name}: wanted `{want}` in: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
    // `info` shows the same verdict and exits 1 too (when the header reads).
    let o = hvcfg(&["image", "info", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{name}");
    let all = text(&o.stdout) + &text(&o.stderr);
    assert!(all.contains(want), "{name}: info: {all}");
}

#[test]
fn verify_accepts_a_good_image_in_one_line() {
    let path = file("good.img", &demo_image());
    let o = hvcfg(&["image", "verify", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with(&format!("ok: {}: image for 0x08000000, ", path.display())),
        "{out}"
    );
    assert!(
        out.contains("3 section(s), blob with 3 partition(s), 3 partition image(s)"),
        "{out}"
    );

    let o = hvcfg(&["image", "verify", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert!(doc["problem"].is_null());
}

#[test]
fn info_shows_header_sections_padding_images_and_the_system() {
    let img = demo_image();
    let path = file("info.img", &img);
    let o = hvcfg(&["image", "info", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let h = Header::parse(&img).unwrap();
    assert!(
        out.contains(&format!(
            "base 0x08000000, entry 0x10000000, header 92 bytes (crc32 {:#010x} ok), total {} bytes",
            u32::from_le_bytes(img[88..92].try_into().unwrap()),
            h.total_len
        )),
        "{out}"
    );
    for s in h.sections() {
        let row = format!(
            "  {:<10} {:>#10x} {:>#010x} {:>#010x} {:>10}  {:#010x} ok",
            s.kind.name(),
            s.offset,
            h.address_of(s),
            s.load,
            s.len,
            s.crc32
        );
        assert!(out.contains(&row), "missing `{row}` in:\n{out}");
    }
    assert!(out.contains("padding: 3 gap(s), "), "{out}");
    assert!(out.contains(": all 0xff"), "{out}");
    for p in ["sensor", "controller", "rogue"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("  {p:<16} 0x080")) && l.ends_with(" ok")),
            "image row of {p} in:\n{out}"
        );
    }
    assert!(out.contains("verdict: ok"), "{out}");
    // The decoded system, as `dump` prints it.
    assert!(
        out.contains("partition 0 `sensor`: core 0, entry 0x20000000, fault policy restart (budget 3)"),
        "{out}"
    );
    assert!(out.contains("schedule core 1: major frame 10000 µs"), "{out}");

    let o = hvcfg(&["image", "info", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["header"]["base"], 0x0800_0000);
    assert_eq!(doc["header"]["body_crc_ok"], true);
    let kinds: Vec<_> = doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["images", "blob", "hypervisor"]);
    assert!(doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["crc_ok"] == true));
    assert_eq!(doc["sections"][2]["load"], HYP_LOAD);
    assert_eq!(doc["padding"]["ok"], true);
    assert_eq!(doc["partition_images"].as_array().unwrap().len(), 3);
    assert_eq!(doc["partition_images"][1]["partition"], "controller");
    assert_eq!(doc["blob"]["system"]["partitions"][2]["name"], "rogue");
}

#[test]
fn damage_to_each_part_is_named() {
    let img = demo_image();
    let h = Header::parse(&img).unwrap();

    // The header: its CRC no longer matches.
    let mut bad = img.clone();
    bad[13] ^= 0x01;
    refused("header.img", &bad, "header CRC mismatch (expected 0x");

    // A section's bytes.
    let hyp = section(&img, SectionKind::Hypervisor);
    let mut bad = img.clone();
    bad[hyp.offset as usize + 500] ^= 0x80;
    refused(
        "section.img",
        &bad,
        &format!(
            "section 'hypervisor' CRC mismatch (expected {:#x}, found 0x",
            hyp.crc32
        ),
    );
    let images = section(&img, SectionKind::Images);
    let mut bad = img.clone();
    bad[images.offset as usize + 3] ^= 0x02;
    refused("images.img", &bad, "section 'images' CRC mismatch");

    // The padding after the header.
    let mut bad = img.clone();
    bad[h.header_len as usize + 1] = 0;
    refused(
        "padding.img",
        &bad,
        &format!("padding byte is not 0xff (at offset {:#x})", h.header_len + 1),
    );

    // The blob section's bytes: its section CRC catches it first.
    let blob = section(&img, SectionKind::Blob);
    let mut bad = img.clone();
    bad[blob.offset as usize + 20] ^= 0x04;
    refused("blob-section.img", &bad, "section 'blob' CRC mismatch");

    // A blob damaged before it was packed: every section CRC matches, the
    // blob's own check refuses it, in the hypervisor's words.
    let (s, b, hy) = parts(false, true);
    let bad = pack(&s, &b, &hy);
    let addr = 0x0800_0000 + section(&bad, SectionKind::Blob).offset;
    refused(
        "blob.img",
        &bad,
        &format!("the system blob at {addr:#010x} is refused: blob body CRC mismatch (expected 0x"),
    );

    // A partition image that is not the one the blob recorded.
    let (s, b, hy) = parts(true, false);
    let bad = pack(&s, &b, &hy);
    refused(
        "partition.img",
        &bad,
        "partition `sensor`: pristine image is damaged (CRC mismatch) (expected 0x",
    );

    // Not an image at all.
    refused(
        "zeros.img",
        &[0u8; 256],
        "bad magic (expected 0x4d494852, found 0x0)",
    );
    refused(
        "short.img",
        &img[..img.len() - 1],
        &format!(
            "image truncated (needs {:#x}, has {:#x})",
            img.len(),
            img.len() - 1
        ),
    );
}

#[test]
fn info_marks_the_damaged_rows() {
    let img = demo_image();
    let hyp = section(&img, SectionKind::Hypervisor);
    let mut bad = img.clone();
    bad[hyp.offset as usize] ^= 0xFF;
    let path = file("info-bad.img", &bad);
    let o = hvcfg(&["image", "info", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("hypervisor "))
        .unwrap_or_else(|| panic!("no hypervisor row in:\n{out}"));
    assert!(row.contains("MISMATCH (found 0x"), "{row}");
    assert!(
        out.lines()
            .filter(|l| l.trim_start().starts_with("images ") || l.trim_start().starts_with("blob "))
            .all(|l| l.ends_with(" ok")),
        "{out}"
    );
    assert!(out.contains("body crc32 0x"), "{out}");
    assert!(
        out.contains("verdict: refused: section 'hypervisor' CRC mismatch"),
        "{out}"
    );
    // Everything else is still shown.
    assert!(out.contains("partition 2 `rogue`"), "{out}");

    let o = hvcfg(&["image", "info", "--format", "json", path.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["sections"][2]["crc_ok"], false);
    assert_eq!(doc["sections"][1]["crc_ok"], true);
    assert_eq!(doc["header"]["body_crc_ok"], false);
    assert!(doc["problem"]
        .as_str()
        .unwrap()
        .starts_with("section 'hypervisor' CRC mismatch"));
}

#[test]
fn dump_reads_the_blob_section_of_an_image() {
    let img = demo_image();
    let path = file("dump.img", &img);
    let o = hvcfg(&["dump", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let blob = section(&img, SectionKind::Blob);
    assert!(
        out.starts_with(&format!(
            "image {}: blob section at {:#010x}, {} bytes, format version 1\n",
            path.display(),
            0x0800_0000 + blob.offset,
            blob.len
        )),
        "{out}"
    );
    assert!(out.contains("partition 1 `controller`: core 1"), "{out}");
    let o = hvcfg(&["dump", "--format", "json", path.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["partitions"][0]["name"], "sensor");

    // A damaged blob section is refused by its section CRC.
    let mut bad = img.clone();
    bad[blob.offset as usize + 30] ^= 0x01;
    let path = file("dump-bad.img", &bad);
    let o = hvcfg(&["dump", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("the flash image is refused: section 'blob' CRC mismatch"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_blob_given_to_image_commands_is_pointed_to_dump() {
    let (_, b, _) = parts(false, false);
    let path = file("system.blob", &b);
    let o = hvcfg(&["image", "verify", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("bad magic") && err.contains("use `hvcfg dump`"),
        "{err}"
    );
    assert_eq!(
        hvcfg(&["image", "info", "/nonexistent/system.img"]).status.code(),
        Some(2)
    );
}

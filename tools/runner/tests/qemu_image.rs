//! The one flashable image (`docs/image.md`): the demo boots from the one
//! file `system.elf` (which is `system.img` at the flash base plus the
//! hypervisor section at its load address), and a damaged image is
//! refused at boot with a message naming the damage, never a hang.

use std::path::PathBuf;
use std::time::Duration;

use hypcfg::flash::{self, SectionKind};
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader};
use object::Endianness;
use runner::build::Variant;
use runner::qemu::{Outcome, Run};
use runner::system::{build_system, SystemImage};

/// The demo, built once for all the tests here.
fn demo() -> &'static SystemImage {
    static IMAGE: std::sync::OnceLock<SystemImage> = std::sync::OnceLock::new();
    IMAGE.get_or_init(|| {
        let path = runner::workspace_root().join("config/demo.toml");
        build_system(&path, Variant::Product).expect("build the demo system")
    })
}

/// `(p_paddr, p_offset, p_filesz)` of every `PT_LOAD` of `elf`.
fn loads(elf: &[u8]) -> Vec<(u32, u32, u32)> {
    let file = ElfFile32::<Endianness>::parse(elf).expect("system.elf parses as an ELF");
    let e = file.endian();
    file.elf_program_headers()
        .iter()
        .filter(|ph| ph.p_type(e) == object::elf::PT_LOAD)
        .map(|ph| (ph.p_paddr(e), ph.p_offset(e), ph.p_filesz(e)))
        .collect()
}

fn run(elf: PathBuf) -> Outcome {
    let mut r = Run::new(elf);
    r.timeout = Some(Duration::from_secs(30));
    r.run().expect("run QEMU")
}

#[test]
fn the_one_file_holds_the_flash_image_and_the_hypervisor() {
    let sys = demo();
    let img = std::fs::read(&sys.flash).unwrap();
    let header = flash::verify(&img).expect("system.img is a valid flash image");
    assert_eq!(header.base, 0x0800_0000);
    for kind in [SectionKind::Hypervisor, SectionKind::Blob, SectionKind::Images] {
        header.require(kind).unwrap();
    }
    let blob = header.require(SectionKind::Blob).unwrap();
    assert_eq!(
        header.bytes_of(&img, blob),
        std::fs::read(&sys.blob).unwrap().as_slice()
    );
    let hyp = header.require(SectionKind::Hypervisor).unwrap();
    let elf = std::fs::read(&sys.elf).unwrap();
    let file = ElfFile32::<Endianness>::parse(&*elf).unwrap();
    assert_eq!(file.elf_header().e_entry(file.endian()), header.entry);
    let segs = loads(&elf);
    assert_eq!(segs.len(), 2, "{segs:x?}");
    let bytes = |(_, off, len): (u32, u32, u32)| &elf[off as usize..(off + len) as usize];
    let flash_seg = segs
        .iter()
        .find(|s| s.0 == sys.flash_base)
        .expect("a segment at the flash base");
    assert_eq!(bytes(*flash_seg), img.as_slice());
    let hyp_seg = segs
        .iter()
        .find(|s| s.0 == hyp.load)
        .expect("a segment at the hypervisor's load address");
    assert_eq!(bytes(*hyp_seg), header.bytes_of(&img, hyp));
    // QEMU gets nothing but that file.
    let cmd = sys.run().command();
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    assert!(!args.iter().any(|a| a == "-device"), "{args:?}");
    let kernel = args.iter().position(|a| a == "-kernel").expect("-kernel");
    assert_eq!(PathBuf::from(&args[kernel + 1]), sys.elf);
}

#[test]
fn demo_boots_from_the_one_file() {
    let out = run(demo().elf.clone());
    out.expect_exit(0).unwrap();
    assert!(!out.has("refusing the flash image"), "{}", out.tail(30));
    assert!(
        out.has("[hyp] all partitions stopped; summary:"),
        "{}",
        out.tail(30)
    );
}

/// Boots a copy of the demo's `system.elf` with one byte of the flash
/// image changed: `at` bytes into section `kind` (or into the header).
fn boot_damaged(kind: Option<SectionKind>, at: u32, name: &str) -> Outcome {
    let sys = demo();
    let mut elf = std::fs::read(&sys.elf).unwrap();
    let img = std::fs::read(&sys.flash).unwrap();
    let header = flash::Header::parse(&img).unwrap();
    let (_, seg_off, _) = loads(&elf).into_iter().find(|s| s.0 == sys.flash_base).unwrap();
    let offset = kind.map_or(0, |k| header.require(k).unwrap().offset) + at;
    elf[(seg_off + offset) as usize] ^= 0x20;
    let dir = runner::workspace_root().join("target").join("qemu_image");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.elf"));
    std::fs::write(&path, &elf).unwrap();
    run(path)
}

fn expect_refused(out: &Outcome, what: &str) {
    out.expect_exit(1).unwrap();
    let line = format!("[hyp] refusing the flash image at 0x08000000: {what}");
    assert!(out.has(&line), "no `{line}` in:\n{}", out.tail(30));
    assert!(out.has("[hyp] no partition started"), "{}", out.tail(30));
    assert!(!out.has("[sensor]"), "a partition ran:\n{}", out.tail(30));
}

#[test]
fn damaged_blob_section_is_refused() {
    let out = boot_damaged(Some(SectionKind::Blob), 40, "damaged-blob");
    expect_refused(&out, "section 'blob' CRC mismatch (expected 0x");
}

#[test]
fn damaged_partition_image_is_refused() {
    let out = boot_damaged(Some(SectionKind::Images), 100, "damaged-images");
    expect_refused(&out, "section 'images' CRC mismatch (expected 0x");
}

#[test]
fn damaged_hypervisor_section_is_refused() {
    let out = boot_damaged(Some(SectionKind::Hypervisor), 1000, "damaged-hyp");
    expect_refused(&out, "section 'hypervisor' CRC mismatch (expected 0x");
}

#[test]
fn damaged_header_is_refused() {
    // The low byte of the total length.
    let out = boot_damaged(None, 8, "damaged-header");
    expect_refused(&out, "header CRC mismatch (expected 0x");
}

#[test]
fn loose_parts_as_hvcfg_build_writes_them_still_boot() {
    // `hvcfg build` output: the blob in BRAM, images.bin at the flash base
    // (so the blob's image stores are not re-based past a header).
    let sys = demo();
    let blob = std::fs::read(&sys.blob).unwrap();
    let mut system = hypcfg::blob::decode(&blob).unwrap();
    let (images, at) = sys.images.clone().unwrap();
    for img in system.partitions.iter_mut().filter_map(|p| p.image.as_mut()) {
        img.store = img.store - at + sys.flash_base;
    }
    let mut buf = vec![0u8; 64 << 10];
    let n = hypcfg::blob::encode(&system, &mut buf).unwrap();
    let dir = runner::workspace_root().join("target").join("qemu_image");
    std::fs::create_dir_all(&dir).unwrap();
    let loose = dir.join("loose.blob");
    std::fs::write(&loose, &buf[..n]).unwrap();
    let mut r = Run::new(&sys.hyp);
    r.timeout = Some(Duration::from_secs(30));
    r.loads.push((loose, Some(sys.blob_addr)));
    r.loads.push((images, Some(sys.flash_base)));
    let out = r.run().expect("run QEMU");
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[hyp] all partitions stopped; summary:"),
        "{}",
        out.tail(30)
    );
}

#[test]
fn a_blob_with_other_fixed_counts_is_refused_with_both_numbers() {
    // The checker refuses such a system (E031); a blob made some other
    // way is refused at boot, naming the key and both values.
    let sys = demo();
    let blob = std::fs::read(&sys.blob).unwrap();
    let mut system = hypcfg::blob::decode(&blob).unwrap();
    system.hypervisor.transient_slots = 3;
    let mut buf = vec![0u8; 64 << 10];
    let n = hypcfg::blob::encode(&system, &mut buf).unwrap();
    let dir = runner::workspace_root().join("target").join("qemu_image");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("three-slots.blob");
    std::fs::write(&path, &buf[..n]).unwrap();
    let mut r = Run::new(&sys.hyp);
    r.timeout = Some(Duration::from_secs(30));
    r.loads.push((path, Some(sys.blob_addr)));
    let out = r.run().expect("run QEMU");
    out.expect_exit(1).unwrap();
    assert!(
        out.has("is refused: hypervisor.transient_slots is 3 in the system, 4 in this hypervisor"),
        "{}",
        out.tail(30)
    );
}

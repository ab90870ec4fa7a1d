//! Building a whole system from its TOML file: check it, link every
//! partition at the addresses the config gives it (the config tool's linker
//! fragments), pack the partition images and the blob, build the
//! hypervisor. The result is what QEMU boots.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hypcfg::blob;
use hypcfg::flash::{self, Part, SectionKind};
use hypcfg::front::{self, image, report};

use crate::build::{build_hyp, cargo_for_target, Variant};
use crate::qemu::Run;
use crate::{workspace_root, Error, Result, TARGET};

/// A built system: the one file QEMU boots ([`SystemImage::elf`]), the
/// flashable image it wraps, and the parts they were made from.
#[derive(Clone, Debug)]
pub struct SystemImage {
    /// The hypervisor ELF (its loadable bytes are a section of `flash`).
    pub hyp: PathBuf,
    /// The blob (a section of `flash`; the hypervisor reads it there).
    pub blob: PathBuf,
    /// The blob area of the hypervisor's link (`linker.ld` `BLOB`), where a
    /// blob loaded without a flash image is looked for.
    pub blob_addr: u32,
    /// The partition image store (every partition's pristine copy), if
    /// any, and its address in flash (it is a section of `flash`).
    pub images: Option<(PathBuf, u32)>,
    /// The one flashable file (`system.img`, see `docs/image.md`): header,
    /// partition image store, blob and hypervisor, for `flash_base`.
    pub flash: PathBuf,
    /// Where `flash` is written (the platform's first ROM bank).
    pub flash_base: u32,
    /// `system.elf`: the same bytes as one ELF for QEMU's `-kernel` (the
    /// flash image at `flash_base`, the hypervisor section already copied
    /// to its load address, entry at the hypervisor's).
    pub elf: PathBuf,
}

impl SystemImage {
    /// A QEMU run of this system: it boots the one file `system.elf`,
    /// without semihosting; boot flags go to the hypervisor's
    /// `__boot_flags` (looked up in [`SystemImage::hyp`] when set).
    pub fn run(&self) -> Run {
        let mut r = Run::new(&self.elf);
        r.flags_at = crate::qemu::boot_flags_addr(&self.hyp).ok();
        r
    }
}

pub use hypcfg::front::programs::BARE_BOARD_PROGRAMS;

/// The programs a partition's `image` may name: those of this workspace
/// ([`hypcfg::front::programs::tree_programs`]).
pub fn known_binaries() -> Vec<String> {
    hypcfg::front::programs::tree_programs(&workspace_root())
}

/// Partition builds of different systems share one cargo target directory
/// (so `core` is built once); this keeps one system build (link, copy,
/// writes) from interleaving with another's in the same process.
static SYSTEM_BUILD: Mutex<()> = Mutex::new(());

/// Where [`build_system`] writes the system built from `config`:
/// `target/systems/<file stem>` of the tree the runner runs from.
pub fn default_out_dir(config: &Path) -> PathBuf {
    let stem = config.file_stem().and_then(|s| s.to_str()).unwrap_or("system");
    workspace_root().join("target").join("systems").join(stem)
}

/// Builds the system described by `config` with the hypervisor `variant`
/// into [`default_out_dir`].
pub fn build_system(config: &Path, variant: Variant) -> Result<SystemImage> {
    build_system_in(config, variant, &default_out_dir(config))
}

/// Builds the system described by `config` with the hypervisor `variant`
/// into the directory `out` (`system.img`, `system.elf`, the blob, the
/// partitions' linker fragments and ELFs). A partition's `image` is a
/// program this tree builds, linked for it, or an ELF built anywhere (a
/// path, checked readable before anything is built), taken as it is.
pub fn build_system_in(config: &Path, variant: Variant, out: &Path) -> Result<SystemImage> {
    let _guard = SYSTEM_BUILD.lock().unwrap_or_else(|e| e.into_inner());
    // With the programs it can build: a misspelt `image` is refused at
    // its key before cargo runs (so is an ELF path that cannot be read).
    let options = front::Options {
        binaries: Some(known_binaries()),
        ..Default::default()
    };
    let checked = front::check_file_with(config, &options);
    let Some(mut compiled) = checked.compiled.clone().filter(|_| checked.ok()) else {
        return Err(Error(format!(
            "{} is not a valid system:\n{}",
            config.display(),
            checked.render()
        )));
    };
    // Warnings (e.g. W002, a partition that will be halted at boot).
    eprint!("{}", checked.render());
    // Absolute: cargo (and the partitions' build script, which reads the
    // layouts) runs in the workspace root, not here.
    let out = &std::path::absolute(out).map_err(|e| Error(format!("{}: {e}", out.display())))?;
    let layouts = out.join("layouts");
    let elves = out.join("elf");
    for dir in [&layouts, &elves] {
        std::fs::create_dir_all(dir).map_err(|e| Error(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Which binary each partition runs (or which ELF), and its linker
    // fragment: `layouts/<partition>.ld` for every partition (what an
    // outside build links with), `layouts/<binary>/layout.ld` for the
    // programs built here.
    let source = config.display().to_string();
    let mut bins = Vec::new();
    let mut foreign = Vec::new();
    for (pi, p) in compiled.partitions.iter().enumerate() {
        let Some(bin) = p.image.clone() else { continue };
        let text = report::linker_fragment(&compiled, pi, &source)
            .ok_or_else(|| Error(format!("no linker fragment for partition `{}`", p.name)))?;
        write_if_changed(&layouts.join(format!("{}.ld", p.name)), text.as_bytes())?;
        if let Some(elf) = &p.elf {
            foreign.push((elf.clone(), p.name.clone()));
            continue;
        }
        if bins.iter().any(|(b, _): &(String, String)| *b == bin) {
            return Err(Error(format!(
                "{}: partitions `{}` and another both run `{bin}`; each binary is linked for one partition",
                config.display(),
                p.name
            )));
        }
        let dir = layouts.join(&bin);
        std::fs::create_dir_all(&dir).map_err(|e| Error(e.to_string()))?;
        write_if_changed(&dir.join("layout.ld"), text.as_bytes())?;
        // Its constants (channel ids, regions...), which the program
        // includes instead of hard-coding them (partitions/apps/build.rs).
        let constants =
            front::constants::render(&compiled, pi, front::constants::Lang::Rust, &source, "hvrun").map_err(
                |e| {
                    Error(format!(
                        "{}: constants of partition `{}`: {e}",
                        config.display(),
                        p.name
                    ))
                },
            )?;
        write_if_changed(&dir.join("partition.rs"), constants.as_bytes())?;
        bins.push((bin, p.name.clone()));
    }
    let mut flats = Vec::new();
    // ELFs built elsewhere: as they are (`image::attach` checks that they
    // fit the partition), a copy kept with the system's other ELFs.
    for (elf, part) in foreign {
        let bytes = std::fs::read(&elf).map_err(|e| Error(format!("{}: {e}", elf.display())))?;
        write_atomically(&elves.join(format!("{part}.elf")), &bytes)?;
        let flat = image::flatten_elf(&bytes).map_err(|e| Error(format!("{}: {e}", elf.display())))?;
        flats.push((part, flat));
    }
    // Programs written for the bare board (not on the guest library) keep
    // their own link script; the config must give them that very layout,
    // which `image::attach` checks.
    let (bare, linked): (Vec<_>, Vec<_>) = bins
        .iter()
        .cloned()
        .partition(|(bin, _)| BARE_BOARD_PROGRAMS.iter().any(|(b, _)| b == bin));
    let mut groups = Vec::new();
    if !linked.is_empty() {
        groups.push(("apps", Some(&layouts), linked));
    }
    for (bin, part) in bare {
        let package = BARE_BOARD_PROGRAMS
            .iter()
            .find(|(b, _)| *b == bin)
            .map_or("native", |(_, p)| *p);
        groups.push((package, None, vec![(bin, part)]));
    }
    for (package, layout_dir, group) in groups {
        let target_dir = workspace_root().join("target").join("arm").join("partitions");
        let mut cmd = cargo_for_target(package, "", &target_dir)?;
        if let Some(dir) = layout_dir {
            cmd.env("HYP_LAYOUT_DIR", dir);
        }
        for (bin, _) in &group {
            cmd.args(["--bin", bin]);
        }
        let status = cmd
            .status()
            .map_err(|e| Error(format!("cannot start cargo: {e}")))?;
        if !status.success() {
            return Err(Error(format!(
                "building the partitions of {} failed",
                config.display()
            )));
        }
        for (bin, part) in &group {
            let built = target_dir.join(TARGET).join("release").join(bin);
            let bytes = std::fs::read(&built).map_err(|e| Error(format!("{}: {e}", built.display())))?;
            write_atomically(&elves.join(bin), &bytes)?;
            let flat = image::flatten_elf(&bytes).map_err(|e| Error(format!("{bin}: {e}")))?;
            flats.push((part.clone(), flat));
        }
    }
    let flash_bank = compiled.banks.iter().find(|b| b.rom).map(|b| b.span);
    let flash_base = flash_bank.map(|b| b.base);
    let images = if flats.is_empty() {
        None
    } else {
        let flash = image::attach(&mut compiled, &flats).map_err(|diags| {
            Error(
                diags
                    .iter()
                    .map(|d| d.render(&checked.sources))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
        let path = out.join("images.bin");
        write_atomically(&path, &flash)?;
        let base = flash_base.ok_or_else(|| Error("the platform has no flash bank for images".into()))?;
        // In the flash image the store comes first, after the header.
        rebase_stores(&mut compiled.system, flash::data_offset(3));
        Some((path, base + flash::data_offset(3)))
    };
    let mut buf = vec![0u8; compiled.hyp_blob.size as usize];
    let len = blob::encode(&compiled.system, &mut buf).map_err(|e| Error(e.message().to_string()))?;
    let blob_path = out.join("system.blob");
    write_atomically(&blob_path, &buf[..len])?;
    let hyp = build_hyp(variant)?;
    let bank =
        flash_bank.ok_or_else(|| Error("the platform has no flash (ROM) bank for the image".into()))?;
    let store = images
        .as_ref()
        .map(|(p, _)| std::fs::read(p).map_err(|e| Error(format!("{}: {e}", p.display()))))
        .transpose()?;
    let (flash_path, elf) = write_flash_image(out, &hyp, &buf[..len], store.as_deref(), bank)?;
    Ok(SystemImage {
        hyp,
        blob: blob_path,
        blob_addr: compiled.hyp_blob.base,
        images,
        flash: flash_path,
        flash_base: bank.base,
        elf,
    })
}

/// Moves every partition's pristine image `by` bytes up in flash (the
/// store is placed after the flash image header, not at the bank's base).
fn rebase_stores(system: &mut hypcfg::system::System, by: u32) {
    for img in system.partitions.iter_mut().filter_map(|p| p.image.as_mut()) {
        img.store += by;
    }
}

/// Packs the flash image (`system.img`: header, partition image store,
/// blob, hypervisor) for the flash bank `bank` and wraps it with the
/// hypervisor in `system.elf` for QEMU. Returns both paths.
fn write_flash_image(
    out: &Path,
    hyp_elf: &Path,
    blob: &[u8],
    store: Option<&[u8]>,
    bank: front::validate::Span,
) -> Result<(PathBuf, PathBuf)> {
    let elf_bytes = std::fs::read(hyp_elf).map_err(|e| Error(format!("{}: {e}", hyp_elf.display())))?;
    let hyp = image::flatten_elf(&elf_bytes).map_err(|e| Error(format!("hypervisor: {e}")))?;
    let mut parts = Vec::new();
    if let Some(store) = store {
        parts.push(Part {
            kind: SectionKind::Images,
            load: 0,
            data: store,
        });
    }
    parts.push(Part {
        kind: SectionKind::Blob,
        load: 0,
        data: blob,
    });
    parts.push(Part {
        kind: SectionKind::Hypervisor,
        load: hyp.load,
        data: &hyp.data,
    });
    let (offsets, total) =
        flash::plan(&parts).ok_or_else(|| Error("the flash image does not fit 4 GiB".into()))?;
    if store.is_some() && offsets[0] != flash::data_offset(3) {
        return Err(Error("the image store is not where the blob says it is".into()));
    }
    if total > bank.size {
        return Err(Error(format!(
            "the flash image needs {total:#x} bytes; the flash bank at {:#x} holds {:#x}",
            bank.base, bank.size
        )));
    }
    let mut img = vec![0u8; total as usize];
    let n = flash::write(&mut img, bank.base, hyp.entry, &parts)
        .map_err(|e| Error(format!("cannot write the flash image: {e}")))?;
    img.truncate(n);
    let img_path = out.join("system.img");
    write_atomically(&img_path, &img)?;
    // QEMU's ELF loader plays the first-stage loader: the hypervisor
    // section goes to its load address, the whole image to flash.
    let header = flash::Header::parse(&img).map_err(|e| Error(e.to_string()))?;
    let hyp_section = header
        .require(SectionKind::Hypervisor)
        .map_err(|e| Error(e.to_string()))?;
    let e_flags = object::read::elf::ElfFile32::<object::Endianness>::parse(&*elf_bytes)
        .map(|f| {
            use object::read::elf::FileHeader;
            f.elf_header().e_flags(f.endian())
        })
        .map_err(|e| Error(format!("hypervisor: {e}")))?;
    let segments = [
        (hyp_section.load, header.bytes_of(&img, hyp_section), PF_RWX),
        (bank.base, &img[..], PF_R),
    ];
    let elf_path = out.join("system.elf");
    write_atomically(&elf_path, &boot_elf(hyp.entry, e_flags, &segments))?;
    Ok((img_path, elf_path))
}

/// ELF segment permissions.
const PF_R: u32 = 4;
const PF_RWX: u32 = 7;

/// A minimal static 32-bit little-endian Arm ELF: entry, `e_flags` and one
/// `PT_LOAD` per `(address, bytes, flags)`, no section table. Hand-written
/// because it is four fixed-size records; `object` (already a dependency)
/// reads it back in the tests.
fn boot_elf(entry: u32, e_flags: u32, segments: &[(u32, &[u8], u32)]) -> Vec<u8> {
    const EHDR: usize = 52;
    const PHDR: usize = 32;
    const ALIGN: usize = 64;
    let round = |n: usize| n.div_ceil(ALIGN) * ALIGN;
    let mut out = vec![0u8; round(EHDR + PHDR * segments.len())];
    let put = |out: &mut Vec<u8>, at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
    put(&mut out, 0, &[0x7F, b'E', b'L', b'F', 1, 1, 1]); // ELFCLASS32, LSB, EV_CURRENT
    put(&mut out, 16, &2u16.to_le_bytes()); // ET_EXEC
    put(&mut out, 18, &40u16.to_le_bytes()); // EM_ARM
    put(&mut out, 20, &1u32.to_le_bytes()); // e_version
    put(&mut out, 24, &entry.to_le_bytes());
    put(&mut out, 28, &(EHDR as u32).to_le_bytes()); // e_phoff
    put(&mut out, 36, &e_flags.to_le_bytes());
    put(&mut out, 40, &(EHDR as u16).to_le_bytes()); // e_ehsize
    put(&mut out, 42, &(PHDR as u16).to_le_bytes());
    put(&mut out, 44, &(segments.len() as u16).to_le_bytes());
    put(&mut out, 46, &40u16.to_le_bytes()); // e_shentsize (no sections)
    for (i, (addr, bytes, flags)) in segments.iter().enumerate() {
        let offset = out.len();
        let len = bytes.len() as u32;
        let words = [1, offset as u32, *addr, *addr, len, len, *flags, ALIGN as u32];
        for (k, w) in words.iter().enumerate() {
            put(&mut out, EHDR + PHDR * i + 4 * k, &w.to_le_bytes());
        }
        out.extend_from_slice(bytes);
        out.resize(round(out.len()), 0);
    }
    out
}

/// Writes `bytes` unless the file already holds them (keeps cargo from
/// relinking partitions whose layout did not change).
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).map_err(|e| Error(format!("cannot write {}: {e}", path.display())))
}

/// Replaces `path` with `bytes` in one step (write aside, then rename), so
/// a QEMU started by another test never loads a half-written file. The
/// temporary name is per file and per process (`system.img` and
/// `system.elf` must not share one, nor two test processes).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| Error(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error(format!("cannot rename to {}: {e}", path.display())))
}

/// Builds the system at `path` (relative to the workspace root) and runs it
/// in QEMU, after `configure` has adjusted the run (icount, arguments...).
/// The tests' one way to boot a system.
pub fn build_and_run(path: &str, configure: impl FnOnce(&mut Run)) -> Result<crate::qemu::Outcome> {
    let image = build_system(&workspace_root().join(path), Variant::Product)?;
    let mut run = image.run();
    configure(&mut run);
    run.run()
}

/// Builds bare-board program `bin` (one of [`BARE_BOARD_PROGRAMS`]) on its
/// own, to run without the hypervisor; returns its ELF.
pub fn build_bare_program(bin: &str) -> Result<PathBuf> {
    let package = BARE_BOARD_PROGRAMS
        .iter()
        .find(|(b, _)| *b == bin)
        .map(|(_, p)| *p)
        .ok_or_else(|| Error(format!("`{bin}` is not a bare-board program")))?;
    let target_dir = workspace_root().join("target").join("arm").join("bare");
    let mut cmd = cargo_for_target(package, "", &target_dir)?;
    cmd.args(["--bin", bin]);
    let status = cmd
        .status()
        .map_err(|e| Error(format!("cannot start cargo: {e}")))?;
    if !status.success() {
        return Err(Error(format!("building `{bin}` failed")));
    }
    Ok(target_dir.join(TARGET).join("release").join(bin))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list the check gets is what cargo builds: every bin target of
    /// `partitions/apps` (as `cargo metadata` lists them, declared or
    /// discovered), and the bare-board programs.
    #[test]
    fn known_binaries_are_the_apps_bins_and_the_bare_board_programs() {
        let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
            .current_dir(workspace_root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let apps = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "apps")
            .unwrap();
        let mut bins: Vec<String> = apps["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bin"))
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect();
        bins.extend(BARE_BOARD_PROGRAMS.iter().map(|(b, _)| b.to_string()));
        bins.sort();
        assert_eq!(known_binaries(), bins);
    }

    /// Every system the tests and `make qemu` boot names programs that
    /// exist, so checking with the list refuses none of them.
    #[test]
    fn every_shipped_system_passes_the_check_with_the_known_binaries() {
        let options = front::Options {
            binaries: Some(known_binaries()),
            ..Default::default()
        };
        let root = workspace_root();
        let mut systems = vec![root.join("config/demo.toml")];
        for e in std::fs::read_dir(root.join("tools/runner/tests/systems")).unwrap() {
            systems.push(e.unwrap().path());
        }
        for path in systems {
            let checked = front::check_file_with(&path, &options);
            assert!(checked.ok(), "{}:\n{}", path.display(), checked.render());
        }
    }
}

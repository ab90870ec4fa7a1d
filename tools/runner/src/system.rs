//! Building a whole system from its TOML file: check it, link every
//! partition at the addresses the config gives it (the config tool's linker
//! fragments), pack the partition images and the blob, build the
//! hypervisor. The result is what QEMU boots.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hypcfg::blob;
use hypcfg::front::{self, image, report};

use crate::build::{build_hyp, cargo_for_target, Variant};
use crate::qemu::Run;
use crate::{workspace_root, Error, Result, TARGET};

/// Everything QEMU needs to boot a system.
#[derive(Clone, Debug)]
pub struct SystemImage {
    /// The hypervisor ELF (`-kernel`).
    pub hyp: PathBuf,
    /// The blob, loaded at `blob_addr`.
    pub blob: PathBuf,
    /// Load address of the blob.
    pub blob_addr: u32,
    /// The flash image with every partition's pristine copy, if any.
    pub images: Option<(PathBuf, u32)>,
}

impl SystemImage {
    /// A QEMU run of this system.
    pub fn run(&self) -> Run {
        let mut r = Run::new(&self.hyp);
        r.loads.push((self.blob.clone(), Some(self.blob_addr)));
        if let Some((path, addr)) = &self.images {
            r.loads.push((path.clone(), Some(*addr)));
        }
        r
    }
}

/// Partition builds of different systems share one cargo target directory
/// (so `core` is built once); this keeps one system build (link, copy,
/// writes) from interleaving with another's in the same process.
static SYSTEM_BUILD: Mutex<()> = Mutex::new(());

/// Builds the system described by `config` with the hypervisor `variant`.
pub fn build_system(config: &Path, variant: Variant) -> Result<SystemImage> {
    let _guard = SYSTEM_BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let checked = front::check_file(config);
    let Some(mut compiled) = checked.compiled.clone().filter(|_| checked.ok()) else {
        return Err(Error(format!(
            "{} is not a valid system:\n{}",
            config.display(),
            checked.render()
        )));
    };
    let stem = config.file_stem().and_then(|s| s.to_str()).unwrap_or("system");
    let out = workspace_root().join("target").join("systems").join(stem);
    let layouts = out.join("layouts");
    let elves = out.join("elf");
    for dir in [&layouts, &elves] {
        std::fs::create_dir_all(dir).map_err(|e| Error(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Which binary each partition runs, and its linker fragment.
    let source = config.display().to_string();
    let mut bins = Vec::new();
    for (pi, p) in compiled.partitions.iter().enumerate() {
        let Some(bin) = p.image.clone() else { continue };
        if bins.iter().any(|(b, _): &(String, String)| *b == bin) {
            return Err(Error(format!(
                "{}: partitions `{}` and another both run `{bin}`; each binary is linked for one partition",
                config.display(),
                p.name
            )));
        }
        let text = report::linker_fragment(&compiled, pi, &source)
            .ok_or_else(|| Error(format!("no linker fragment for partition `{}`", p.name)))?;
        let dir = layouts.join(&bin);
        std::fs::create_dir_all(&dir).map_err(|e| Error(e.to_string()))?;
        write_if_changed(&dir.join("layout.ld"), text.as_bytes())?;
        bins.push((bin, p.name.clone()));
    }
    let mut flats = Vec::new();
    if !bins.is_empty() {
        let target_dir = workspace_root().join("target").join("arm").join("partitions");
        let mut cmd = cargo_for_target("apps", "", &target_dir)?;
        cmd.env("HYP_LAYOUT_DIR", &layouts);
        for (bin, _) in &bins {
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
        for (bin, part) in &bins {
            let built = target_dir.join(TARGET).join("release").join(bin);
            let bytes = std::fs::read(&built).map_err(|e| Error(format!("{}: {e}", built.display())))?;
            write_atomically(&elves.join(bin), &bytes)?;
            let flat = image::flatten_elf(&bytes).map_err(|e| Error(format!("{bin}: {e}")))?;
            flats.push((part.clone(), flat));
        }
    }
    let flash_base = compiled.banks.iter().find(|b| b.rom).map(|b| b.span.base);
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
        Some((path, base))
    };
    let mut buf = vec![0u8; compiled.hyp_blob.size as usize];
    let len = blob::encode(&compiled.system, &mut buf).map_err(|e| Error(e.message().into()))?;
    let blob_path = out.join("system.blob");
    write_atomically(&blob_path, &buf[..len])?;
    let hyp = build_hyp(variant)?;
    Ok(SystemImage {
        hyp,
        blob: blob_path,
        blob_addr: compiled.hyp_blob.base,
        images,
    })
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
/// a QEMU started by another test never loads a half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error(format!("cannot rename to {}: {e}", path.display())))
}

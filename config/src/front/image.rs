//! Partition images (`hvcfg build --image name=elf`): the ELF's loadable
//! segments are flattened into one binary from the lowest load address,
//! checked against the partition's memory, and placed in the platform's
//! flash, where the hypervisor finds the pristine copy it loads and restores.

use object::elf::{EM_ARM, PT_LOAD};
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader};
use object::Endianness;

use crate::crc32::crc32;
use crate::mpu::GRANULE;
use crate::system::{EntryPoint, Image, RegionKind};

use super::diag::{codes, Diagnostic};
use super::validate::{Compiled, LaidRegion, Span, LINK_PAGE};

/// Whether a partition's `image` value names an ELF file rather than a
/// program the runner builds: it does when it contains a path separator
/// (`/` or `\`) or ends in `.elf`. Program names (binaries of
/// `partitions/apps`) are plain identifiers, so the two never meet:
/// `"sensor"` is a program, `"./sensor"`, `"out/sensor"` and
/// `"sensor.elf"` are files.
pub fn is_elf_path(value: &str) -> bool {
    value.contains('/') || value.contains('\\') || value.ends_with(".elf")
}

/// The ELF file a partition's `image` value names, if it names one (see
/// [`is_elf_path`]): an absolute path as written, a relative one against
/// the directory of `file`, the system file (or included file) that holds
/// the key.
pub fn elf_path(value: &str, file: &std::path::Path) -> Option<std::path::PathBuf> {
    if !is_elf_path(value) {
        return None;
    }
    let path = std::path::Path::new(value);
    if path.is_absolute() {
        return Some(path.to_path_buf());
    }
    let dir = file.parent().unwrap_or(std::path::Path::new(""));
    Some(if dir.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        dir.join(path)
    })
}

/// An ELF image flattened to one binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flat {
    /// Address of the first byte (lowest segment load address).
    pub load: u32,
    /// Bytes from `load` to the end of the last segment's file data; gaps
    /// between segments are zero.
    pub data: Vec<u8>,
    /// The ELF entry point, unchanged: bit 0 set means a T32 entry at
    /// `entry & !1` ([`crate::system::EntryPoint`]).
    pub entry: u32,
    /// Every loadable segment as `[load, load + memsz)`, `.bss` included.
    pub segments: Vec<Span>,
    /// The loadable segment that holds the ELF header (file offset 0), if
    /// the linker made one: a script without `PHDRS` loads the headers
    /// when they fit below the first section.
    pub headers: Option<Span>,
}

/// Flattens the loadable segments of a 32-bit Arm ELF (by physical, i.e.
/// load, address).
pub fn flatten_elf(bytes: &[u8]) -> Result<Flat, String> {
    let elf = ElfFile32::<Endianness>::parse(bytes).map_err(|e| format!("not a 32-bit ELF file: {e}"))?;
    let endian = elf.endian();
    let header = elf.elf_header();
    if header.e_machine(endian) != EM_ARM {
        return Err(format!("not an Arm ELF (e_machine {})", header.e_machine(endian)));
    }
    let mut parts: Vec<(u32, &[u8])> = Vec::new();
    let mut segments = Vec::new();
    let mut headers = None;
    for ph in elf.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let addr = ph.p_paddr(endian);
        let memsz = ph.p_memsz(endian);
        if addr as u64 + memsz as u64 > 1 << 32 {
            return Err(format!("segment at {addr:#x} wraps past 4 GiB"));
        }
        let span = Span {
            base: addr,
            size: memsz,
        };
        if ph.p_offset(endian) == 0 && ph.p_filesz(endian) > 0 {
            headers = Some(span);
        }
        segments.push(span);
        let data = ph
            .data(endian, bytes)
            .map_err(|_| format!("segment at {addr:#x} has no file data"))?;
        if !data.is_empty() {
            parts.push((addr, data));
        }
    }
    let load = parts
        .iter()
        .map(|(a, _)| *a)
        .min()
        .ok_or("the ELF has no loadable data")?;
    let end = parts
        .iter()
        .map(|(a, d)| *a as u64 + d.len() as u64)
        .max()
        .unwrap_or(load as u64);
    let len = end - load as u64;
    if len > 64 << 20 {
        return Err(format!(
            "flattened image would be {len:#x} bytes: segments are too far apart"
        ));
    }
    let mut data = vec![0u8; len as usize];
    for (addr, bytes) in parts {
        let off = (addr - load) as usize;
        data[off..off + bytes.len()].copy_from_slice(bytes);
    }
    Ok(Flat {
        load,
        data,
        entry: header.e_entry(endian),
        segments,
        headers,
    })
}

/// `base..end` of a span, as diagnostics write it.
fn range(s: &Span) -> String {
    format!("{:#010x}..{:#010x}", s.base, s.end())
}

/// E026 for segment `seg` of the image for partition `name`, which lies
/// outside its memory (`regions` as text, `memory` the regions), with the
/// likely cause: the ELF headers loaded below the code region, or an ELF
/// linked for other addresses.
fn outside(name: &str, seg: &Span, holds_headers: bool, regions: &str, memory: &[&LaidRegion]) -> Diagnostic {
    let what = if holds_headers {
        " (the ELF and program headers, file offset 0)"
    } else {
        ""
    };
    let d = Diagnostic::new(
        codes::IMAGE,
        None,
        format!("--image {name}"),
        format!(
            "segment {}{what} of the image for `{name}` is outside its memory regions; the partition's memory: {regions}",
            range(seg)
        ),
    );
    let code = memory.iter().find(|m| m.perm.contains('x'));
    match code {
        Some(code) if holds_headers => d.hint(format!(
            "the linker loaded the ELF headers below `{}` because it starts {:#x} bytes past a 64 KiB boundary: declare `PHDRS` without `FILEHDR`/`PHDRS` in the link script (as partitions/guest/link.x does), or give `{}` a base on a 64 KiB boundary",
            code.name,
            code.span.base % LINK_PAGE,
            code.name
        )),
        _ => d.hint(format!(
            "the ELF was linked for other addresses: link the partition with the fragment `{name}.ld` that `hvcfg build` writes (its MEMORY regions are the partition's)"
        )),
    }
}

/// Attaches flattened images to their partitions and lays them out in the
/// first ROM bank. Returns the flash contents (to load at the bank's base).
pub fn attach(compiled: &mut Compiled, images: &[(String, Flat)]) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let flash = compiled.banks.iter().find(|b| b.rom).map(|b| b.span);
    let mut out: Vec<u8> = Vec::new();
    for (name, flat) in images {
        let path = format!("--image {name}");
        let Some(pi) = compiled.partitions.iter().position(|p| &p.name == name) else {
            let known: Vec<&str> = compiled.partitions.iter().map(|p| p.name.as_str()).collect();
            diags.push(
                Diagnostic::new(
                    codes::UNKNOWN_NAME,
                    None,
                    path,
                    format!("--image names unknown partition `{name}`"),
                )
                .hint(format!("partitions: {}", known.join(", "))),
            );
            continue;
        };
        let layout = &compiled.partitions[pi];
        let memory: Vec<&LaidRegion> = layout
            .regions
            .iter()
            .filter(|r| r.kind == RegionKind::Memory)
            .collect();
        let inside = |s: &Span| {
            memory
                .iter()
                .any(|m| m.span.base <= s.base && s.end() <= m.span.end())
        };
        let regions = memory
            .iter()
            .map(|m| format!("`{}` {} {}", m.name, range(&m.span), m.perm))
            .collect::<Vec<_>>()
            .join(", ");
        let mut bad = false;
        for seg in flat.segments.iter().filter(|s| !inside(s)) {
            diags.push(outside(name, seg, flat.headers == Some(*seg), &regions, &memory));
            bad = true;
        }
        if bad {
            continue;
        }
        if !layout.entry_explicit {
            let at = EntryPoint::of(flat.entry);
            let exec = |m: &&&LaidRegion| {
                m.perm.contains('x') && m.span.base <= at.pc && (at.pc as u64) < m.span.end()
            };
            if !at.aligned() || !memory.iter().any(|m| exec(&m)) {
                let set = if at.thumb { "T32" } else { "A32" };
                diags.push(
                    Diagnostic::new(
                        codes::ENTRY,
                        None,
                        path.clone(),
                        format!(
                            "the ELF entry {:#010x} of `{name}` ({set} at {:#010x}) is {} its executable memory; the partition's memory: {regions}",
                            flat.entry,
                            at.pc,
                            if at.aligned() { "outside" } else { "not 4-byte aligned (A32) in" }
                        ),
                    )
                    .hint("point the ELF's entry symbol (`ENTRY` in the link script) at code in a region with `x`; a T32 entry has bit 0 set"),
                );
                continue;
            }
        }
        let part = &mut compiled.system.partitions[pi];
        if layout.entry_explicit && part.entry != flat.entry {
            diags.push(Diagnostic::new(
                codes::ENTRY,
                None,
                path.clone(),
                format!(
                    "the ELF for `{name}` starts at {:#x} but the config says entry = {:#x}",
                    flat.entry, part.entry
                ),
            ));
            continue;
        }
        part.entry = flat.entry;
        let Some(flash) = flash else {
            diags.push(Diagnostic::new(
                codes::IMAGE,
                None,
                path,
                "the platform has no ROM bank (`kind = \"rom\"`) to store partition images in",
            ));
            continue;
        };
        let offset = out.len().div_ceil(GRANULE as usize) * GRANULE as usize;
        let len = flat.data.len() as u64;
        if offset as u64 + len > flash.size as u64 {
            diags.push(Diagnostic::new(
                codes::IMAGE,
                None,
                path,
                format!(
                    "the images need {:#x} bytes of flash; the ROM bank holds {:#x}",
                    offset as u64 + len,
                    flash.size
                ),
            ));
            continue;
        }
        out.resize(offset, 0xFF);
        out.extend_from_slice(&flat.data);
        part.image = Some(Image {
            store: flash.base + offset as u32,
            len: flat.data.len() as u32,
            load: flat.load,
            crc32: crc32(&flat.data),
        });
    }
    if let Err(e) = compiled.system.check() {
        diags.push(Diagnostic::new(
            codes::IMAGE,
            None,
            "--image",
            format!("the system with its images fails re-validation: {}", e.message()),
        ));
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

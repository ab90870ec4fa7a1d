//! Partition images (`hvcfg build --image name=elf`): the ELF's loadable
//! segments are flattened into one binary from the lowest load address,
//! checked against the partition's memory, and placed in the platform's
//! flash, where the hypervisor finds the pristine copy it loads and restores.

use object::elf::{EM_ARM, PT_LOAD};
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader};
use object::Endianness;

use crate::crc32::crc32;
use crate::mpu::GRANULE;
use crate::system::{Image, RegionKind};

use super::diag::{codes, Diagnostic};
use super::validate::{Compiled, Span};

/// An ELF image flattened to one binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flat {
    /// Address of the first byte (lowest segment load address).
    pub load: u32,
    /// Bytes from `load` to the end of the last segment's file data; gaps
    /// between segments are zero.
    pub data: Vec<u8>,
    /// The ELF entry point.
    pub entry: u32,
    /// Every loadable segment as `[load, load + memsz)`, `.bss` included.
    pub segments: Vec<Span>,
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
    for ph in elf.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let addr = ph.p_paddr(endian);
        let memsz = ph.p_memsz(endian);
        if addr as u64 + memsz as u64 > 1 << 32 {
            return Err(format!("segment at {addr:#x} wraps past 4 GiB"));
        }
        segments.push(Span {
            base: addr,
            size: memsz,
        });
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
    })
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
        let memory: Vec<Span> = layout
            .regions
            .iter()
            .filter(|r| r.kind == RegionKind::Memory)
            .map(|r| r.span)
            .collect();
        let inside = |s: &Span| memory.iter().any(|m| m.base <= s.base && s.end() <= m.end());
        let mut bad = false;
        for seg in &flat.segments {
            if !inside(seg) {
                diags.push(
                    Diagnostic::new(
                        codes::IMAGE,
                        None,
                        path.clone(),
                        format!(
                            "segment {:#010x}..{:#010x} of the image for `{name}` is outside its memory regions",
                            seg.base,
                            seg.end()
                        ),
                    )
                    .hint(format!("link the partition with the fragment `{name}.ld` that `hvcfg build` writes")),
                );
                bad = true;
            }
        }
        if bad {
            continue;
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

//! Inspecting and verifying a flash image (`hvcfg image info`, `hvcfg
//! image verify`, `hvcfg dump` of an image): the format checks of
//! [`crate::flash`], then the blob section decoded and re-checked, then
//! every partition's pristine image against the CRC the blob records.
//!
//! [`verify`] stops at the first damaged part, in the order the hypervisor
//! checks an image at boot (header, then sections and padding in flash
//! order), with the hypervisor's wording; [`inspect`] checks every part and
//! keeps going, for a report that shows all of them.

use std::fmt::{self, Write};

use crate::blob::{self, BlobError};
use crate::crc32::crc32;
use crate::flash::{self, FlashError, Header, Section, SectionKind, FILL};
use crate::system::{Image, System};

use super::report;

/// One section of the table with the CRC of the bytes present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionCheck {
    /// The table entry.
    pub section: Section,
    /// Its flash address (`base + offset`).
    pub address: u32,
    /// CRC-32 of its bytes in the file.
    pub found_crc32: u32,
}

impl SectionCheck {
    /// Whether its bytes match the table's CRC.
    pub fn ok(&self) -> bool {
        self.found_crc32 == self.section.crc32
    }
}

/// Bytes between the header and the first section, or between sections,
/// which must all be [`FILL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// Offset of the first byte in the image.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
    /// Offset of the first byte that is not [`FILL`], if any.
    pub first_bad: Option<u32>,
}

/// Why a partition's pristine image, as the blob records it, does not
/// match the image file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionImageError {
    /// The image has no `images` section to hold it.
    NoStore,
    /// The recorded range is not inside the `images` section.
    OutsideStore {
        /// First byte of the `images` section (flash address).
        store_base: u32,
        /// One past its last byte.
        store_end: u64,
    },
    /// The bytes there do not match the recorded CRC.
    Crc {
        /// CRC the blob records.
        expected: u32,
        /// CRC of the bytes in the image.
        found: u32,
    },
}

/// A partition's pristine image checked against the `images` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionImageCheck {
    /// Partition name.
    pub partition: String,
    /// What the blob records.
    pub image: Image,
    /// CRC-32 of the recorded range, when it lies in the image.
    pub found_crc32: Option<u32>,
    /// What is wrong, if anything.
    pub error: Option<PartitionImageError>,
}

/// Why an image is refused: the first damaged part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageProblem {
    /// The format check of [`crate::flash`] failed (header, a section, the
    /// padding, the body CRC, a missing section).
    Flash(FlashError),
    /// The hypervisor's entry point is outside the `hypervisor` section.
    EntryOutside {
        /// The header's entry.
        entry: u32,
        /// Load address of the `hypervisor` section.
        load: u32,
        /// Its length.
        len: u32,
    },
    /// The blob section does not decode or fails `System::check`.
    Blob {
        /// Flash address of the blob section.
        address: u32,
        /// Why.
        error: BlobError,
    },
    /// A partition's pristine image does not match the blob's record.
    PartitionImage {
        /// Partition name.
        partition: String,
        /// What is wrong.
        error: PartitionImageError,
    },
}

impl From<FlashError> for ImageProblem {
    fn from(e: FlashError) -> Self {
        ImageProblem::Flash(e)
    }
}

impl fmt::Display for ImageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The hypervisor's own message (hyp/src/image.rs).
            ImageProblem::Flash(e) => e.fmt(f),
            ImageProblem::EntryOutside { entry, load, len } => write!(
                f,
                "section 'hypervisor' does not hold the entry point (entry {entry:#x}, section {load:#x}..{:#x})",
                *load as u64 + *len as u64
            ),
            // The hypervisor's boot refusal (hyp/src/boot.rs).
            ImageProblem::Blob { address, error } => write!(
                f,
                "the system blob at {address:#010x} is refused: {}{}",
                error.message(),
                blob_detail(error)
            ),
            ImageProblem::PartitionImage { partition, error } => {
                write!(f, "partition `{partition}`: ")?;
                match error {
                    PartitionImageError::NoStore => {
                        f.write_str("the blob records a pristine image but section 'images' is missing")
                    }
                    PartitionImageError::OutsideStore {
                        store_base,
                        store_end,
                    } => write!(
                        f,
                        "pristine image lies outside section 'images' (section {store_base:#x}..{store_end:#x})"
                    ),
                    // The hypervisor's words when it loads the partition
                    // (hyp/src/partition/load.rs), with the numbers.
                    PartitionImageError::Crc { expected, found } => write!(
                        f,
                        "pristine image is damaged (CRC mismatch) (expected {expected:#x}, found {found:#x})"
                    ),
                }
            }
        }
    }
}

/// The numbers behind a blob refusal, for a host tool (the hypervisor
/// prints the message alone).
fn blob_detail(e: &BlobError) -> String {
    match e {
        BlobError::LengthMismatch { header, actual } => {
            format!(" (header says {header:#x} bytes, section holds {actual:#x})")
        }
        BlobError::BadCrc { expected, actual } => {
            format!(" (expected {expected:#x}, found {actual:#x})")
        }
        BlobError::UnsupportedVersion(v) => format!(" (found {v:#x})"),
        BlobError::UnknownFlags(x) => format!(" (found {x:#x})"),
        _ => String::new(),
    }
}

/// Everything [`inspect`] found in an image.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// Bytes in the file.
    pub file_len: usize,
    /// The parsed header.
    pub header: Header,
    /// The header's own CRC (it matched, or parsing would have failed).
    pub header_crc32: u32,
    /// CRC-32 of the body present.
    pub body_crc32_found: u32,
    /// Every section, in table (flash) order.
    pub sections: Vec<SectionCheck>,
    /// Every gap before a section, in flash order.
    pub gaps: Vec<Gap>,
    /// The decoded blob section (`None` without a blob section).
    pub blob: Option<Result<System, BlobError>>,
    /// Every partition image the blob records.
    pub images: Vec<PartitionImageCheck>,
    /// The first damaged part, as [`verify`] names it.
    pub problem: Option<ImageProblem>,
}

impl Inspection {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }

    /// Bytes in the file after the image's last byte (the rest of a flash
    /// dump; the hypervisor never reads them).
    pub fn trailing(&self) -> usize {
        self.file_len.saturating_sub(self.header.total_len as usize)
    }
}

/// Reads and checks every part of the image `bytes`. Fails only when the
/// header itself cannot be read (then nothing else can be located) or the
/// file is shorter than the header says.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, FlashError> {
    let header = Header::parse(bytes)?;
    let total = header.total_len as usize;
    if bytes.len() < total {
        return Err(FlashError::Truncated {
            need: header.total_len,
            have: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        });
    }
    let h = header.header_len as usize;
    let header_crc32 = bytes
        .get(h - 4..h)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes);
    let body_crc32_found = crc32(bytes.get(h..total).unwrap_or(&[]));
    let mut sections = Vec::new();
    let mut gaps = Vec::new();
    let mut at = header.header_len;
    for s in header.sections() {
        let gap = bytes.get(at as usize..s.offset as usize).unwrap_or(&[]);
        if !gap.is_empty() {
            gaps.push(Gap {
                offset: at,
                len: gap.len() as u32,
                first_bad: gap.iter().position(|&b| b != FILL).map(|i| at + i as u32),
            });
        }
        sections.push(SectionCheck {
            section: *s,
            address: header.address_of(s),
            found_crc32: crc32(header.bytes_of(bytes, s)),
        });
        at = s.end();
    }
    let blob = header
        .section(SectionKind::Blob)
        .map(|s| blob::decode(header.bytes_of(bytes, s)));
    let store = header.section(SectionKind::Images).map(|s| {
        (
            header.address_of(s) as u64,
            header.address_of(s) as u64 + s.len as u64,
        )
    });
    let mut images = Vec::new();
    if let Some(Ok(system)) = &blob {
        for p in &system.partitions {
            let Some(img) = p.image else { continue };
            let start = img.store as u64;
            let end = start + img.len as u64;
            let (found, error) = match store {
                None => (None, Some(PartitionImageError::NoStore)),
                Some((base, limit)) if start < base || end > limit => (
                    None,
                    Some(PartitionImageError::OutsideStore {
                        store_base: base as u32,
                        store_end: limit,
                    }),
                ),
                Some(_) => {
                    // Inside the section, so inside the file.
                    let off = (start - header.base as u64) as usize;
                    let found = crc32(bytes.get(off..off + img.len as usize).unwrap_or(&[]));
                    let error = (found != img.crc32).then_some(PartitionImageError::Crc {
                        expected: img.crc32,
                        found,
                    });
                    (Some(found), error)
                }
            };
            images.push(PartitionImageCheck {
                partition: p.name.to_string(),
                image: img,
                found_crc32: found,
                error,
            });
        }
    }
    let mut out = Inspection {
        file_len: bytes.len(),
        header,
        header_crc32,
        body_crc32_found,
        sections,
        gaps,
        blob,
        images,
        problem: None,
    };
    out.problem = first_problem(&out, bytes);
    Ok(out)
}

/// The first damaged part, in the hypervisor's order: sections and padding
/// in flash order (its `check_contents`), the body CRC, the sections it
/// needs, the entry point, the blob, then the partition images.
fn first_problem(i: &Inspection, bytes: &[u8]) -> Option<ImageProblem> {
    let h = &i.header;
    if let Err(e) = h.check_contents(bytes).and_then(|()| h.check_body(bytes)) {
        return Some(e.into());
    }
    let hyp = match h.require(SectionKind::Hypervisor) {
        Ok(s) => s,
        Err(e) => return Some(e.into()),
    };
    let blob = match h.require(SectionKind::Blob) {
        Ok(s) => s,
        Err(e) => return Some(e.into()),
    };
    if h.entry < hyp.load || h.entry as u64 >= hyp.load as u64 + hyp.len as u64 {
        return Some(ImageProblem::EntryOutside {
            entry: h.entry,
            load: hyp.load,
            len: hyp.len,
        });
    }
    if let Some(Err(error)) = &i.blob {
        return Some(ImageProblem::Blob {
            address: h.address_of(blob),
            error: *error,
        });
    }
    i.images.iter().find_map(|c| {
        c.error.clone().map(|error| ImageProblem::PartitionImage {
            partition: c.partition.clone(),
            error,
        })
    })
}

/// Checks the whole image and returns what was found, or the first
/// damaged part.
pub fn verify(bytes: &[u8]) -> Result<Inspection, ImageProblem> {
    let i = inspect(bytes)?;
    match i.problem.clone() {
        Some(p) => Err(p),
        None => Ok(i),
    }
}

/// Whether `bytes` starts like a flash image (the [`flash::MAGIC`]).
pub fn is_image(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&flash::MAGIC[..])
}

/// The blob section of an image, checked against its section CRC (for
/// `dump` of an image). The blob itself is not decoded here.
pub fn blob_section(bytes: &[u8]) -> Result<(u32, &[u8]), FlashError> {
    let h = Header::parse(bytes)?;
    let s = h.require(SectionKind::Blob)?;
    let data = bytes
        .get(s.offset as usize..s.end() as usize)
        .ok_or(FlashError::Truncated {
            need: s.end(),
            have: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        })?;
    let found = crc32(data);
    if found != s.crc32 {
        return Err(FlashError::SectionCrc {
            kind: s.kind,
            expected: s.crc32,
            found,
        });
    }
    Ok((h.address_of(s), data))
}

/// The one line `image verify` prints for a good image.
pub fn verify_line(name: &str, i: &Inspection) -> String {
    let parts = match &i.blob {
        Some(Ok(s)) => s.partitions.len(),
        _ => 0,
    };
    let mut line = format!(
        "ok: {name}: image for {:#010x}, {} bytes, {} section(s), blob with {parts} partition(s), {} partition image(s): header, sections, padding, blob and images check",
        i.header.base,
        i.header.total_len,
        i.sections.len(),
        i.images.len()
    );
    if i.trailing() > 0 {
        let _ = write!(
            line,
            " ({} bytes after the image are not part of it)",
            i.trailing()
        );
    }
    line
}

/// `image info` as text: header, sections, padding, partition images,
/// then the decoded system (as `dump` prints it).
pub fn info_text(name: &str, i: &Inspection) -> String {
    let mut out = String::new();
    let h = &i.header;
    let _ = writeln!(
        out,
        "image {name}: {} bytes, format version {}",
        i.file_len,
        flash::FORMAT_VERSION
    );
    let _ = writeln!(
        out,
        "  base {:#010x}, entry {:#010x}, header {} bytes (crc32 {:#010x} ok), total {} bytes",
        h.base, h.entry, h.header_len, i.header_crc32, h.total_len
    );
    let _ = writeln!(
        out,
        "  body crc32 {:#010x}: {}",
        h.body_crc,
        if h.body_crc == i.body_crc32_found {
            "ok".to_string()
        } else {
            format!("MISMATCH (found {:#010x})", i.body_crc32_found)
        }
    );
    if i.trailing() > 0 {
        let _ = writeln!(
            out,
            "  {} bytes after the image (not part of it; the hypervisor never reads them)",
            i.trailing()
        );
    }
    let _ = writeln!(out, "\nsections:");
    let _ = writeln!(
        out,
        "  {:<10} {:>10} {:>10} {:>10} {:>10}  {:<10} check",
        "kind", "offset", "address", "load", "size", "crc32"
    );
    for s in &i.sections {
        let check = if s.ok() {
            "ok".to_string()
        } else {
            format!("MISMATCH (found {:#010x})", s.found_crc32)
        };
        let _ = writeln!(
            out,
            "  {:<10} {:>#10x} {:>#010x} {:>#010x} {:>10}  {:#010x} {check}",
            s.section.kind.name(),
            s.section.offset,
            s.address,
            s.section.load,
            s.section.len,
            s.section.crc32,
        );
    }
    let pad: u32 = i.gaps.iter().map(|g| g.len).sum();
    let bad: Vec<String> = i
        .gaps
        .iter()
        .filter_map(|g| g.first_bad)
        .map(|o| format!("{o:#x}"))
        .collect();
    let _ = writeln!(
        out,
        "\npadding: {} gap(s), {pad} bytes: {}",
        i.gaps.len(),
        if bad.is_empty() {
            "all 0xff".to_string()
        } else {
            format!(
                "MISMATCH, first byte that is not 0xff at offset {}",
                bad.join(", ")
            )
        }
    );
    if !i.images.is_empty() {
        let _ = writeln!(out, "\npartition images (as the blob records them):");
        let _ = writeln!(
            out,
            "  {:<16} {:>10} {:>10} {:>10}  {:<10} check",
            "partition", "store", "load", "size", "crc32"
        );
        for c in &i.images {
            let check = match &c.error {
                None => "ok".to_string(),
                Some(PartitionImageError::Crc { found, .. }) => format!("MISMATCH (found {found:#010x})"),
                Some(e) => ImageProblem::PartitionImage {
                    partition: c.partition.clone(),
                    error: e.clone(),
                }
                .to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<16} {:#010x} {:#010x} {:>10}  {:#010x} {check}",
                c.partition, c.image.store, c.image.load, c.image.len, c.image.crc32
            );
        }
    }
    match &i.problem {
        None => {
            let _ = writeln!(out, "\nverdict: ok");
        }
        Some(p) => {
            let _ = writeln!(out, "\nverdict: refused: {p}");
        }
    }
    match &i.blob {
        Some(Ok(s)) => {
            let _ = writeln!(out, "\nsystem (blob section):");
            out.push_str(&report::system_text(s));
        }
        Some(Err(e)) => {
            let _ = writeln!(
                out,
                "\nsystem: the blob section does not decode: {}{}",
                e.message(),
                blob_detail(e)
            );
        }
        None => {
            let _ = writeln!(out, "\nsystem: the image has no blob section");
        }
    }
    out
}

/// `image info --format json`.
pub fn info_json(i: &Inspection) -> serde_json::Value {
    let h = &i.header;
    let sections: Vec<_> = i
        .sections
        .iter()
        .map(|s| {
            serde_json::json!({
                "kind": s.section.kind.name().to_string(),
                "offset": s.section.offset,
                "address": s.address,
                "load": s.section.load,
                "size": s.section.len,
                "crc32": s.section.crc32,
                "found_crc32": s.found_crc32,
                "crc_ok": s.ok(),
            })
        })
        .collect();
    let gaps: Vec<_> = i
        .gaps
        .iter()
        .map(|g| serde_json::json!({ "offset": g.offset, "len": g.len, "first_bad": g.first_bad }))
        .collect();
    let images: Vec<_> = i
        .images
        .iter()
        .map(|c| {
            serde_json::json!({
                "partition": c.partition,
                "store": c.image.store,
                "load": c.image.load,
                "size": c.image.len,
                "crc32": c.image.crc32,
                "found_crc32": c.found_crc32,
                "ok": c.error.is_none(),
                "error": c.error.as_ref().map(|e| ImageProblem::PartitionImage {
                    partition: c.partition.clone(),
                    error: e.clone(),
                }.to_string()),
            })
        })
        .collect();
    let blob = match &i.blob {
        Some(Ok(s)) => serde_json::json!({ "ok": true, "system": report::system_json(s) }),
        Some(Err(e)) => {
            serde_json::json!({ "ok": false, "error": format!("{}{}", e.message(), blob_detail(e)) })
        }
        None => serde_json::Value::Null,
    };
    serde_json::json!({
        "ok": i.ok(),
        "problem": i.problem.as_ref().map(|p| p.to_string()),
        "file_len": i.file_len,
        "trailing": i.trailing(),
        "header": {
            "format_version": flash::FORMAT_VERSION,
            "header_len": h.header_len,
            "total_len": h.total_len,
            "base": h.base,
            "entry": h.entry,
            "header_crc32": i.header_crc32,
            "body_crc32": h.body_crc,
            "found_body_crc32": i.body_crc32_found,
            "body_crc_ok": h.body_crc == i.body_crc32_found,
        },
        "sections": sections,
        "padding": { "ok": i.gaps.iter().all(|g| g.first_bad.is_none()), "gaps": gaps },
        "partition_images": images,
        "blob": blob,
    })
}

//! The flash image: the hypervisor, the system blob and the partition image
//! store packed into one file that is written to the QSPI flash bank
//! (`0x0800_0000` on the MPS3 AN536) and booted from there.
//!
//! The format is defined here once: the runner writes it with [`write`],
//! the hypervisor checks it at boot with [`Header::parse`] and
//! [`Header::check_contents`], host tools check everything with [`verify`].
//! All integers are little-endian; `H = 32 + 20 * n` for `n` sections.
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic [`MAGIC`] (`b"RHIM"`) |
//! | 4 | 2 | format version [`FORMAT_VERSION`] |
//! | 6 | 2 | header length `H` in bytes (section table and header CRC included) |
//! | 8 | 4 | total length `T` in bytes (header and body) |
//! | 12 | 4 | flash base: the address the image is built to sit at |
//! | 16 | 4 | entry point of the hypervisor |
//! | 20 | 4 | CRC-32 of the body, bytes `H..T` |
//! | 24 | 2 | number of sections `n`, `1..=`[`MAX_SECTIONS`] |
//! | 26 | 2 | flags, reserved: must be 0 |
//! | 28 | 20 `n` | section table, in ascending offset order, one entry per kind |
//! | `H - 4` | 4 | CRC-32 of the header bytes `0..H-4` |
//!
//! A section table entry is five words: kind ([`SectionKind`] as a number),
//! offset from the start of the image, load address, length and CRC-32 of
//! the section's bytes. Every section starts on a 64-byte boundary (the
//! PMSAv8 MPU granule, so the hypervisor can map one section alone); the
//! bytes between the header and the first section and between sections
//! are `0xFF` (erased flash), and the image ends with its last section.
//! Sections used *in place* (the blob, the partition images) have their
//! load address equal to their flash address (`base + offset`); the
//! hypervisor section is copied to its load address before it runs.
//!
//! Checking never panics and never reads outside the slice it is given,
//! whatever the slice holds.

use core::fmt;

use crate::crc32::{crc32, Crc32};
use crate::mpu::GRANULE;
use crate::packed::Text;
use crate::text::{self, Out, Show};

/// First four bytes of every flash image.
pub const MAGIC: [u8; 4] = *b"RHIM";
/// Version of the layout this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes of the header before the section table.
pub const FIXED_LEN: usize = 28;
/// Bytes of one section table entry.
pub const ENTRY_LEN: usize = 20;
/// Most sections an image may have (one per [`SectionKind`], room to grow).
pub const MAX_SECTIONS: usize = 8;
/// Byte the gaps between sections hold (erased NOR flash).
pub const FILL: u8 = 0xFF;

/// What a section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// The hypervisor's loadable segments, flattened from its lowest load
    /// address; copied to its load address before it runs.
    Hypervisor,
    /// The system blob ([`crate::blob`]), read in place.
    Blob,
    /// The partition image store: every partition's pristine image, at the
    /// addresses the blob's [`crate::system::Image::store`] fields give.
    Images,
}

impl SectionKind {
    /// Number of the kind in the section table.
    pub const fn code(self) -> u32 {
        match self {
            SectionKind::Hypervisor => 1,
            SectionKind::Blob => 2,
            SectionKind::Images => 3,
        }
    }

    /// The kind with table number `code`.
    pub const fn from_code(code: u32) -> Option<SectionKind> {
        match code {
            1 => Some(SectionKind::Hypervisor),
            2 => Some(SectionKind::Blob),
            3 => Some(SectionKind::Images),
            _ => None,
        }
    }

    /// Name used in messages.
    pub const fn name(self) -> Text {
        match self {
            SectionKind::Hypervisor => crate::text!("hypervisor"),
            SectionKind::Blob => crate::text!("blob"),
            SectionKind::Images => crate::text!("images"),
        }
    }

    /// Whether the section is used where it lies in flash (its load
    /// address must be its flash address).
    pub const fn in_place(self) -> bool {
        !matches!(self, SectionKind::Hypervisor)
    }
}

/// One entry of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// What it holds.
    pub kind: SectionKind,
    /// Offset of its first byte from the start of the image.
    pub offset: u32,
    /// Address its bytes are used at.
    pub load: u32,
    /// Length in bytes (more than 0).
    pub len: u32,
    /// CRC-32 (IEEE) of its bytes.
    pub crc32: u32,
}

impl Section {
    /// Offset one past its last byte (cannot overflow once parsed).
    pub const fn end(&self) -> u32 {
        self.offset.wrapping_add(self.len)
    }
}

/// Why an image cannot be written or used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashError {
    /// Fewer bytes than the header or the image needs.
    Truncated {
        /// Bytes needed.
        need: u32,
        /// Bytes present.
        have: u32,
    },
    /// The magic is not [`MAGIC`].
    BadMagic([u8; 4]),
    /// A format version this build does not read.
    UnsupportedVersion(u16),
    /// Reserved flag bits are set.
    UnknownFlags(u16),
    /// The section count is 0 or more than [`MAX_SECTIONS`].
    SectionCount(u16),
    /// The header length does not match the section count.
    HeaderLength(u16),
    /// The header's CRC does not match its bytes.
    HeaderCrc {
        /// CRC in the header.
        expected: u32,
        /// CRC of the header present.
        found: u32,
    },
    /// A section table entry names no known kind.
    UnknownKind {
        /// Index in the table.
        index: u8,
        /// The number found.
        code: u32,
    },
    /// Two entries have the same kind.
    DuplicateSection(SectionKind),
    /// A section entry is inconsistent (empty, misaligned, overlapping,
    /// out of order, outside the image, or not loaded in place).
    BadSection {
        /// The section.
        kind: SectionKind,
        /// What is wrong.
        why: Text,
    },
    /// The total length does not end with the last section.
    TotalLength(u32),
    /// A section's bytes do not match its CRC.
    SectionCrc {
        /// The section.
        kind: SectionKind,
        /// CRC in the table.
        expected: u32,
        /// CRC of the bytes present.
        found: u32,
    },
    /// A byte between sections is not [`FILL`].
    Padding {
        /// Offset of the byte in the image.
        offset: u32,
    },
    /// The body's CRC does not match the header's.
    BodyCrc {
        /// CRC in the header.
        expected: u32,
        /// CRC of the body present.
        found: u32,
    },
    /// A section the caller needs is absent.
    MissingSection(SectionKind),
    /// The image is not at the address it was built for.
    WrongBase {
        /// Base in the header.
        header: u32,
        /// Where it was found.
        actual: u32,
    },
    /// The output buffer is too small, or the image exceeds 4 GiB.
    BufferTooSmall,
}

/// A message in parts: the section it is about, what is wrong, and up to
/// two labelled numbers. One formatting routine prints every message
/// (`section 'blob' CRC mismatch (expected 0x.., found 0x..)`), which
/// keeps the hypervisor's code small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The section concerned, if any.
    pub section: Option<SectionKind>,
    /// What is wrong.
    pub what: Text,
    /// Labelled numbers, printed in hexadecimal.
    pub numbers: [Option<(Text, u32)>; 2],
}

impl Explanation {
    /// A message with no section and no numbers.
    pub const fn plain(what: Text) -> Explanation {
        Explanation {
            section: None,
            what,
            numbers: [None, None],
        }
    }

    /// A message with one or two labelled numbers.
    pub const fn with(what: Text, a: (Text, u32), b: Option<(Text, u32)>) -> Explanation {
        Explanation {
            section: None,
            what,
            numbers: [Some(a), b],
        }
    }

    /// The same message about `kind`.
    pub const fn about(mut self, kind: SectionKind) -> Explanation {
        self.section = Some(kind);
        self
    }
}

impl Show for Explanation {
    fn show(&self, o: &mut dyn Out) {
        if let Some(k) = self.section {
            crate::put!(o, "section '{}' ", k.name());
        }
        self.what.write(o);
        let mut sep = " (";
        for (label, value) in self.numbers.iter().flatten() {
            crate::put!(o, "{}{} {}", sep, *label, text::hex(*value));
            sep = ", ";
        }
        if sep == ", " {
            o.str(")");
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

impl FlashError {
    /// The message, in parts.
    // Not inlined: the hypervisor calls it from code built at `s`, where an
    // inlined copy would not get this crate's `z`.
    #[inline(never)]
    pub fn explain(&self) -> Explanation {
        use Explanation as E;
        match *self {
            FlashError::Truncated { need, have } => E::with(
                crate::text!("image truncated"),
                (crate::text!("needs"), need),
                Some((crate::text!("has"), have)),
            ),
            FlashError::BadMagic(m) => E::with(
                crate::text!("bad magic"),
                (crate::text!("expected"), u32::from_le_bytes(MAGIC)),
                Some((crate::text!("found"), u32::from_le_bytes(m))),
            ),
            FlashError::UnsupportedVersion(v) => E::with(
                crate::text!("unsupported format version"),
                (crate::text!("expected"), FORMAT_VERSION as u32),
                Some((crate::text!("found"), v as u32)),
            ),
            FlashError::UnknownFlags(x) => E::with(
                crate::text!("reserved header flags are set"),
                (crate::text!("found"), x as u32),
                None,
            ),
            FlashError::SectionCount(n) => E::with(
                crate::text!("section count out of range"),
                (crate::text!("found"), n as u32),
                None,
            ),
            FlashError::HeaderLength(h) => E::with(
                crate::text!("header length does not match the section count"),
                (crate::text!("found"), h as u32),
                None,
            ),
            FlashError::HeaderCrc { expected, found } => E::with(
                crate::text!("header CRC mismatch"),
                (crate::text!("expected"), expected),
                Some((crate::text!("found"), found)),
            ),
            FlashError::UnknownKind { index, code } => E::with(
                crate::text!("unknown section kind"),
                (crate::text!("entry"), index as u32),
                Some((crate::text!("kind"), code)),
            ),
            FlashError::DuplicateSection(k) => E::plain(crate::text!("appears twice")).about(k),
            FlashError::BadSection { kind, why } => E::plain(why).about(kind),
            FlashError::TotalLength(t) => E::with(
                crate::text!("total length does not end with the last section"),
                (crate::text!("found"), t),
                None,
            ),
            FlashError::SectionCrc {
                kind,
                expected,
                found,
            } => E::with(
                crate::text!("CRC mismatch"),
                (crate::text!("expected"), expected),
                Some((crate::text!("found"), found)),
            )
            .about(kind),
            FlashError::Padding { offset } => E::with(
                crate::text!("padding byte is not 0xff"),
                (crate::text!("at offset"), offset),
                None,
            ),
            FlashError::BodyCrc { expected, found } => E::with(
                crate::text!("body CRC mismatch"),
                (crate::text!("expected"), expected),
                Some((crate::text!("found"), found)),
            ),
            FlashError::MissingSection(k) => E::plain(crate::text!("is missing")).about(k),
            FlashError::WrongBase { header, actual } => E::with(
                crate::text!("image at the wrong address"),
                (crate::text!("built for"), header),
                Some((crate::text!("found at"), actual)),
            ),
            FlashError::BufferTooSmall => E::plain(crate::text!("output buffer too small for the image")),
        }
    }
}

impl fmt::Display for FlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.explain().fmt(f)
    }
}

/// A parsed, self-consistent header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Header length `H` in bytes.
    pub header_len: u32,
    /// Total length `T` in bytes.
    pub total_len: u32,
    /// The flash address the image is built for.
    pub base: u32,
    /// The hypervisor's entry point.
    pub entry: u32,
    /// CRC-32 of the body.
    pub body_crc: u32,
    sections: [Section; MAX_SECTIONS],
    count: u8,
}

/// `N` little-endian bytes at `at`, or `None` past the end.
fn field<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    field(bytes, at).map(u32::from_le_bytes)
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    field(bytes, at).map(u16::from_le_bytes)
}

/// `n` rounded up to the MPU granule (`None` on overflow).
const fn align_up(n: u32) -> Option<u32> {
    match n.checked_add(GRANULE - 1) {
        Some(v) => Some(v & !(GRANULE - 1)),
        None => None,
    }
}

/// Header length of an image with `sections` sections.
pub const fn header_len(sections: usize) -> usize {
    FIXED_LEN + ENTRY_LEN * sections + 4
}

/// Offset of the first section of an image with `sections` sections (the
/// header rounded up to the granule): [`write`] puts the first part there.
pub const fn data_offset(sections: usize) -> u32 {
    let h = header_len(sections) as u32;
    (h + GRANULE - 1) & !(GRANULE - 1)
}

fn truncated(need: usize, have: usize) -> FlashError {
    FlashError::Truncated {
        need: u32::try_from(need).unwrap_or(u32::MAX),
        have: u32::try_from(have).unwrap_or(u32::MAX),
    }
}

impl Header {
    /// The section table, in ascending offset order.
    pub fn sections(&self) -> &[Section] {
        self.sections.get(..self.count as usize).unwrap_or(&[])
    }

    /// The section of kind `kind`, if present.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections().iter().find(|s| s.kind == kind)
    }

    /// The section of kind `kind`, or [`FlashError::MissingSection`].
    pub fn require(&self, kind: SectionKind) -> Result<&Section, FlashError> {
        self.section(kind).ok_or(FlashError::MissingSection(kind))
    }

    /// Flash address of a section's first byte (wraps only for an image
    /// that does not fit the address space, which [`Header::parse`] refuses).
    pub fn address_of(&self, s: &Section) -> u32 {
        self.base.wrapping_add(s.offset)
    }

    /// Parses and checks the header at the start of `bytes`: magic,
    /// version, flags, lengths, header CRC, and a section table where every
    /// section is non-empty, granule aligned, in order, inside the image,
    /// of a known kind appearing once, and (if used in place) loaded at its
    /// own flash address. `bytes` needs only hold the header.
    pub fn parse(bytes: &[u8]) -> Result<Header, FlashError> {
        let fixed = bytes.get(..FIXED_LEN).ok_or(truncated(FIXED_LEN, bytes.len()))?;
        let magic: [u8; 4] = field(fixed, 0).ok_or(truncated(FIXED_LEN, bytes.len()))?;
        if magic != MAGIC {
            return Err(FlashError::BadMagic(magic));
        }
        let t = truncated(FIXED_LEN, bytes.len());
        let version = le16(fixed, 4).ok_or(t)?;
        if version != FORMAT_VERSION {
            return Err(FlashError::UnsupportedVersion(version));
        }
        let header_len16 = le16(fixed, 6).ok_or(t)?;
        let count = le16(fixed, 24).ok_or(t)?;
        if count == 0 || count as usize > MAX_SECTIONS {
            return Err(FlashError::SectionCount(count));
        }
        let h = header_len(count as usize);
        if header_len16 as usize != h {
            return Err(FlashError::HeaderLength(header_len16));
        }
        let header = bytes.get(..h).ok_or(truncated(h, bytes.len()))?;
        let crc_at = h - 4;
        let expected = le32(header, crc_at).ok_or(t)?;
        let found = crc32(header.get(..crc_at).unwrap_or(&[]));
        if expected != found {
            return Err(FlashError::HeaderCrc { expected, found });
        }
        let flags = le16(fixed, 26).ok_or(t)?;
        if flags != 0 {
            return Err(FlashError::UnknownFlags(flags));
        }
        let total_len = le32(fixed, 8).ok_or(t)?;
        let base = le32(fixed, 12).ok_or(t)?;
        let entry = le32(fixed, 16).ok_or(t)?;
        let body_crc = le32(fixed, 20).ok_or(t)?;
        if base.checked_add(total_len).is_none() {
            return Err(FlashError::TotalLength(total_len));
        }
        let mut sections = [Section {
            kind: SectionKind::Hypervisor,
            offset: 0,
            load: 0,
            len: 0,
            crc32: 0,
        }; MAX_SECTIONS];
        // The first section may start right after the header; each next
        // one after the end of the previous.
        let mut next_free = h as u32;
        for (i, slot) in sections.iter_mut().take(count as usize).enumerate() {
            let at = FIXED_LEN + ENTRY_LEN * i;
            let word = |k: usize| le32(header, at + 4 * k).ok_or(t);
            let code = word(0)?;
            let kind =
                SectionKind::from_code(code).ok_or(FlashError::UnknownKind { index: i as u8, code })?;
            let s = Section {
                kind,
                offset: word(1)?,
                load: word(2)?,
                len: word(3)?,
                crc32: word(4)?,
            };
            let bad = |why| Err(FlashError::BadSection { kind, why });
            if s.len == 0 {
                return bad(crate::text!("is empty"));
            }
            if !s.offset.is_multiple_of(GRANULE) {
                return bad(crate::text!("is not aligned to 64 bytes"));
            }
            if s.offset < next_free {
                return bad(crate::text!("overlaps the header or the previous section"));
            }
            let Some(end) = s.offset.checked_add(s.len).filter(|&e| e <= total_len) else {
                return bad(crate::text!("runs past the end of the image"));
            };
            if s.load.checked_add(s.len).is_none() {
                return bad(crate::text!("load range wraps around"));
            }
            if kind.in_place() && Some(s.load) != base.checked_add(s.offset) {
                return bad(crate::text!(
                    "is used in place but its load address is not its flash address"
                ));
            }
            *slot = s;
            next_free = end;
        }
        if let Some(dup) = (1..count as usize).find_map(|i| {
            let k = sections.get(i)?.kind;
            sections.get(..i)?.iter().any(|s| s.kind == k).then_some(k)
        }) {
            return Err(FlashError::DuplicateSection(dup));
        }
        if next_free != total_len {
            return Err(FlashError::TotalLength(total_len));
        }
        Ok(Header {
            header_len: h as u32,
            total_len,
            base,
            entry,
            body_crc,
            sections,
            count: count as u8,
        })
    }

    /// Checks the body against the table: every section's CRC and every
    /// padding byte, in flash order, so the first damaged part is named.
    /// One pass over the image; `image` starts at the image's first byte.
    pub fn check_contents(&self, image: &[u8]) -> Result<(), FlashError> {
        self.check_contents_with(image, crc32)
    }

    /// [`Header::check_contents`] with another implementation of the same
    /// CRC-32 (IEEE): the hypervisor passes the core's CRC32 instructions.
    pub fn check_contents_with(&self, image: &[u8], crc32: impl Fn(&[u8]) -> u32) -> Result<(), FlashError> {
        let body = image
            .get(..self.total_len as usize)
            .ok_or(truncated(self.total_len as usize, image.len()))?;
        let mut at = self.header_len;
        for s in self.sections() {
            let gap = body.get(at as usize..s.offset as usize).unwrap_or(&[]);
            if let Some(i) = gap.iter().position(|&b| b != FILL) {
                return Err(FlashError::Padding {
                    offset: at.saturating_add(i as u32),
                });
            }
            let bytes = body.get(s.offset as usize..s.end() as usize).unwrap_or(&[]);
            let found = crc32(bytes);
            if found != s.crc32 {
                return Err(FlashError::SectionCrc {
                    kind: s.kind,
                    expected: s.crc32,
                    found,
                });
            }
            at = s.end();
        }
        Ok(())
    }

    /// Checks the body CRC alone (what a flashing tool compares).
    pub fn check_body(&self, image: &[u8]) -> Result<(), FlashError> {
        let body = image
            .get(self.header_len as usize..self.total_len as usize)
            .ok_or(truncated(self.total_len as usize, image.len()))?;
        let found = crc32(body);
        if found != self.body_crc {
            return Err(FlashError::BodyCrc {
                expected: self.body_crc,
                found,
            });
        }
        Ok(())
    }

    /// The bytes of section `s` in `image` (empty if `image` is short).
    pub fn bytes_of<'a>(&self, image: &'a [u8], s: &Section) -> &'a [u8] {
        image.get(s.offset as usize..s.end() as usize).unwrap_or(&[])
    }
}

/// Checks a whole image: header, contents (sections and padding) and body
/// CRC. Any single changed bit of the first `total_len` bytes is caught.
pub fn verify(image: &[u8]) -> Result<Header, FlashError> {
    let h = Header::parse(image)?;
    h.check_contents(image)?;
    h.check_body(image)?;
    Ok(h)
}

/// One section to write.
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    /// What it holds.
    pub kind: SectionKind,
    /// Its load address; ignored for kinds used in place (their load
    /// address is their flash address).
    pub load: u32,
    /// Its bytes (not empty).
    pub data: &'a [u8],
}

/// Offsets at which [`write`] places `parts` (in the order given, each on
/// the next granule boundary, the first at [`data_offset`]), and the total
/// length. `None` if there are more than [`MAX_SECTIONS`] parts or the
/// image would exceed 4 GiB.
pub fn plan(parts: &[Part<'_>]) -> Option<([u32; MAX_SECTIONS], u32)> {
    if parts.is_empty() || parts.len() > MAX_SECTIONS {
        return None;
    }
    let mut offsets = [0u32; MAX_SECTIONS];
    let mut end = header_len(parts.len()) as u32;
    for (slot, p) in offsets.iter_mut().zip(parts) {
        let at = align_up(end)?;
        *slot = at;
        end = at.checked_add(u32::try_from(p.data.len()).ok()?)?;
    }
    Some((offsets, end))
}

/// Writes the image of `parts` for flash address `base` with hypervisor
/// entry `entry` into `out` and returns its length (see [`plan`] for the
/// layout). The result is checked with [`verify`] before it is returned,
/// so a part list the format cannot express (empty or duplicate parts)
/// is refused with the error the hypervisor would give.
pub fn write(out: &mut [u8], base: u32, entry: u32, parts: &[Part<'_>]) -> Result<usize, FlashError> {
    let (offsets, total) = plan(parts).ok_or(FlashError::BufferTooSmall)?;
    base.checked_add(total).ok_or(FlashError::BufferTooSmall)?;
    let image = out.get_mut(..total as usize).ok_or(FlashError::BufferTooSmall)?;
    image.fill(FILL);
    let h = header_len(parts.len());
    let mut body_crc = Crc32::new();
    let mut at = h;
    for (p, &off) in parts.iter().zip(offsets.iter()) {
        let off = off as usize;
        let dst = image
            .get_mut(off..off + p.data.len())
            .ok_or(FlashError::BufferTooSmall)?;
        dst.copy_from_slice(p.data);
        // Padding, then the section, so the CRC runs in flash order.
        for _ in at..off {
            body_crc.update(&[FILL]);
        }
        body_crc.update(p.data);
        at = off + p.data.len();
    }
    let header = image.get_mut(..h).ok_or(FlashError::BufferTooSmall)?;
    header[0..4].copy_from_slice(&MAGIC);
    header[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[6..8].copy_from_slice(&(h as u16).to_le_bytes());
    header[8..12].copy_from_slice(&total.to_le_bytes());
    header[12..16].copy_from_slice(&base.to_le_bytes());
    header[16..20].copy_from_slice(&entry.to_le_bytes());
    header[20..24].copy_from_slice(&body_crc.finish().to_le_bytes());
    header[24..26].copy_from_slice(&(parts.len() as u16).to_le_bytes());
    header[26..28].copy_from_slice(&0u16.to_le_bytes());
    for (i, (p, &off)) in parts.iter().zip(offsets.iter()).enumerate() {
        let load = if p.kind.in_place() {
            base.wrapping_add(off)
        } else {
            p.load
        };
        let words = [p.kind.code(), off, load, p.data.len() as u32, crc32(p.data)];
        for (k, w) in words.iter().enumerate() {
            let at = FIXED_LEN + ENTRY_LEN * i + 4 * k;
            header[at..at + 4].copy_from_slice(&w.to_le_bytes());
        }
    }
    let crc = crc32(&header[..h - 4]);
    header[h - 4..h].copy_from_slice(&crc.to_le_bytes());
    verify(image)?;
    Ok(total as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u32 = 0x0800_0000;

    fn sample() -> Vec<u8> {
        let hyp: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let blob = b"RHYP blob bytes".to_vec();
        let images: Vec<u8> = (0..129u32).map(|i| (i ^ 0x5a) as u8).collect();
        let parts = [
            Part {
                kind: SectionKind::Images,
                load: 0,
                data: &images,
            },
            Part {
                kind: SectionKind::Blob,
                load: 0,
                data: &blob,
            },
            Part {
                kind: SectionKind::Hypervisor,
                load: 0x1000_0000,
                data: &hyp,
            },
        ];
        let (_, total) = plan(&parts).unwrap();
        let mut out = vec![0u8; total as usize + 10];
        let n = write(&mut out, BASE, 0x1000_0000, &parts).unwrap();
        assert_eq!(n, total as usize);
        out.truncate(n);
        out
    }

    #[test]
    fn round_trip() {
        let img = sample();
        let h = verify(&img).unwrap();
        assert_eq!(h.base, BASE);
        assert_eq!(h.entry, 0x1000_0000);
        assert_eq!(h.header_len as usize, header_len(3));
        let kinds: Vec<_> = h.sections().iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [SectionKind::Images, SectionKind::Blob, SectionKind::Hypervisor]
        );
        let images = h.require(SectionKind::Images).unwrap();
        assert_eq!(images.offset, data_offset(3));
        assert_eq!(images.load, BASE + data_offset(3));
        let blob = h.require(SectionKind::Blob).unwrap();
        assert_eq!(h.bytes_of(&img, blob), b"RHYP blob bytes");
        assert_eq!(h.address_of(blob), blob.load);
        let hyp = h.require(SectionKind::Hypervisor).unwrap();
        assert_eq!(hyp.load, 0x1000_0000);
        assert_eq!(hyp.end(), h.total_len);
        // Trailing bytes (the rest of the flash bank) are ignored.
        let mut longer = img.clone();
        longer.extend_from_slice(&[0xFF; 100]);
        assert_eq!(verify(&longer), Ok(h));
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let img = sample();
        for byte in 0..img.len() {
            for bit in 0..8 {
                let mut bad = img.clone();
                bad[byte] ^= 1 << bit;
                assert!(
                    verify(&bad).is_err(),
                    "flip of bit {bit} of byte {byte} went unnoticed"
                );
                // The hypervisor's check (header, then contents, no body
                // CRC) catches it too.
                let hyp = Header::parse(&bad).and_then(|h| h.check_contents(&bad));
                assert!(hyp.is_err(), "hypervisor check missed bit {bit} of byte {byte}");
            }
        }
    }

    #[test]
    fn damage_is_named() {
        let img = sample();
        let h = verify(&img).unwrap();
        let blob = *h.require(SectionKind::Blob).unwrap();
        let mut bad = img.clone();
        bad[blob.offset as usize + 3] ^= 0x10;
        let e = Header::parse(&bad).unwrap().check_contents(&bad).unwrap_err();
        assert!(
            matches!(e, FlashError::SectionCrc { kind: SectionKind::Blob, expected, .. } if expected == blob.crc32)
        );
        let text = e.to_string();
        assert!(
            text.starts_with("section 'blob' CRC mismatch (expected 0x"),
            "{text}"
        );
        let mut bad = img.clone();
        bad[h.header_len as usize] = 0;
        assert_eq!(
            Header::parse(&bad).unwrap().check_contents(&bad),
            Err(FlashError::Padding { offset: h.header_len })
        );
        let mut bad = img.clone();
        bad[13] ^= 1;
        assert!(matches!(Header::parse(&bad), Err(FlashError::HeaderCrc { .. })));
        assert_eq!(Header::parse(&[0u8; 64]), Err(FlashError::BadMagic([0; 4])));
    }

    #[test]
    fn truncations_are_refused_without_panic() {
        let img = sample();
        for n in 0..img.len() {
            assert!(verify(&img[..n]).is_err(), "accepted a {n}-byte prefix");
        }
    }

    #[test]
    fn inconsistent_tables_are_refused() {
        let img = sample();
        // Rewrites one header word and fixes the header CRC, so the
        // table check (not the CRC) must refuse it.
        let patch = |at: usize, v: u32| {
            let mut b = img.clone();
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
            let h = header_len(3);
            let crc = crc32(&b[..h - 4]);
            b[h - 4..h].copy_from_slice(&crc.to_le_bytes());
            Header::parse(&b)
        };
        let entry = |i: usize, k: usize| FIXED_LEN + ENTRY_LEN * i + 4 * k;
        assert!(matches!(
            patch(entry(1, 0), 9),
            Err(FlashError::UnknownKind { index: 1, code: 9 })
        ));
        assert!(matches!(
            patch(entry(1, 0), 1),
            Err(FlashError::DuplicateSection(_))
        ));
        assert!(matches!(
            patch(entry(0, 1), 0),
            Err(FlashError::BadSection { .. })
        ));
        assert!(matches!(
            patch(entry(0, 1), 65),
            Err(FlashError::BadSection { .. })
        ));
        assert!(matches!(
            patch(entry(1, 2), 0x1007_0000),
            Err(FlashError::BadSection { .. })
        ));
        assert!(matches!(
            patch(entry(2, 3), 0),
            Err(FlashError::BadSection { .. })
        ));
        assert!(matches!(
            patch(entry(2, 3), u32::MAX),
            Err(FlashError::BadSection { .. })
        ));
        assert!(matches!(patch(8, 0x10_0000), Err(FlashError::TotalLength(_))));
        assert!(matches!(patch(12, u32::MAX), Err(FlashError::TotalLength(_))));
        assert!(matches!(patch(24, 0), Err(FlashError::SectionCount(0))));
    }

    #[test]
    fn writer_refuses_what_the_format_cannot_hold() {
        let data = [1u8; 4];
        let p = |kind| Part {
            kind,
            load: 0,
            data: &data,
        };
        let mut out = [0u8; 512];
        assert_eq!(write(&mut out, BASE, 0, &[]), Err(FlashError::BufferTooSmall));
        assert!(matches!(
            write(&mut out, BASE, 0, &[p(SectionKind::Blob), p(SectionKind::Blob)]),
            Err(FlashError::DuplicateSection(SectionKind::Blob))
        ));
        let empty = Part {
            kind: SectionKind::Blob,
            load: 0,
            data: &[],
        };
        assert!(matches!(
            write(&mut out, BASE, 0, &[empty]),
            Err(FlashError::BadSection { .. })
        ));
        assert_eq!(
            write(&mut out[..67], BASE, 0, &[p(SectionKind::Blob)]),
            Err(FlashError::BufferTooSmall)
        );
        assert_eq!(
            write(&mut out, u32::MAX - 10, 0, &[p(SectionKind::Blob)]),
            Err(FlashError::BufferTooSmall)
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        // A small deterministic generator: no dependency, same cases each run.
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        let img = sample();
        for _ in 0..20_000 {
            let mut b = img.clone();
            let n = (next() % 8) as usize;
            for _ in 0..=n {
                let i = next() as usize % b.len();
                b[i] = next() as u8;
            }
            let cut = next() as usize % (b.len() + 1);
            let _ = verify(&b[..cut]);
            let _ = verify(&b);
        }
    }
}

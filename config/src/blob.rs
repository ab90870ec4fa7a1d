//! The blob the hypervisor boots from: a 16-byte header, then the
//! `postcard` encoding of [`System`].
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic [`MAGIC`] (`b"RHYP"`) |
//! | 4 | 2 | format version [`FORMAT_VERSION`], little-endian |
//! | 6 | 2 | flags, reserved: must be 0 |
//! | 8 | 4 | body length in bytes, little-endian |
//! | 12 | 4 | CRC-32 (IEEE) of the body, little-endian |
//! | 16 | n | body: `postcard` of [`System`] |
//!
//! [`decode`] checks the header, the length (a truncated blob and trailing
//! bytes are both refused), the CRC, the `postcard` body (which must be
//! consumed exactly; read by [`crate::body`], not serde) and then
//! [`System::check`]. It never panics.

use crate::check::CheckError;
use crate::crc32::crc32;
use crate::packed::Text;
use crate::system::System;

/// First four bytes of every blob.
pub const MAGIC: [u8; 4] = *b"RHYP";
/// Version of the header and body layout this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the header in bytes.
pub const HEADER_LEN: usize = 16;

/// Why a blob cannot be written or used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobError {
    /// Fewer bytes than a header.
    Truncated,
    /// The magic is not [`MAGIC`].
    BadMagic,
    /// A format version this build does not read.
    UnsupportedVersion(u16),
    /// Reserved flag bits are set.
    UnknownFlags(u16),
    /// The header's length does not match the bytes that follow it.
    LengthMismatch {
        /// Body length the header announces.
        header: u32,
        /// Bytes actually present after the header.
        actual: usize,
    },
    /// The body's CRC-32 is not the header's.
    BadCrc {
        /// CRC in the header.
        expected: u32,
        /// CRC of the body present.
        actual: u32,
    },
    /// The body is not a `postcard` encoding of a [`System`] (or has
    /// bytes left over after one).
    Malformed,
    /// The output buffer is too small for the blob.
    BufferTooSmall,
    /// The system decodes but breaks an invariant.
    Invalid(CheckError),
}

impl BlobError {
    /// A one-line description for the console (no allocation).
    pub const fn message(&self) -> Text {
        match self {
            BlobError::Truncated => crate::text!("blob shorter than its header"),
            BlobError::BadMagic => crate::text!("not a system blob (bad magic)"),
            BlobError::UnsupportedVersion(_) => crate::text!("unsupported blob format version"),
            BlobError::UnknownFlags(_) => crate::text!("reserved blob flags are set"),
            BlobError::LengthMismatch { .. } => crate::text!("blob length does not match its header"),
            BlobError::BadCrc { .. } => crate::text!("blob body CRC mismatch"),
            BlobError::Malformed => crate::text!("blob body is not a valid system encoding"),
            BlobError::BufferTooSmall => crate::text!("output buffer too small for the blob"),
            BlobError::Invalid(e) => e.message(),
        }
    }
}

impl From<CheckError> for BlobError {
    fn from(e: CheckError) -> Self {
        BlobError::Invalid(e)
    }
}

/// Writes the blob of `system` into `out` and returns its length.
///
/// The system is checked first: an invalid system never becomes a blob.
pub fn encode(system: &System, out: &mut [u8]) -> Result<usize, BlobError> {
    system.check()?;
    let (header, body) = out
        .split_at_mut_checked(HEADER_LEN)
        .ok_or(BlobError::BufferTooSmall)?;
    let body_len = postcard::to_slice(system, body)
        .map_err(|_| BlobError::BufferTooSmall)?
        .len();
    let body = body.get(..body_len).ok_or(BlobError::BufferTooSmall)?;
    let len = u32::try_from(body_len).map_err(|_| BlobError::BufferTooSmall)?;
    let crc = crc32(body);
    header[0..4].copy_from_slice(&MAGIC);
    header[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[6..8].copy_from_slice(&0u16.to_le_bytes());
    header[8..12].copy_from_slice(&len.to_le_bytes());
    header[12..16].copy_from_slice(&crc.to_le_bytes());
    Ok(HEADER_LEN + body_len)
}

/// Little-endian field of `N` bytes at `at` (`None` past the end).
fn field<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The length of the blob at the start of `bytes` (header plus the body
/// length its header announces), for a reader that finds the blob in a
/// larger area; `None` if not even a header fits. [`decode`] still checks
/// everything, the length included.
pub fn blob_len(bytes: &[u8]) -> Option<usize> {
    // The body length field of the header (see `decode`).
    let len = u32::from_le_bytes(field(bytes, 8)?);
    HEADER_LEN.checked_add(usize::try_from(len).ok()?)
}

/// Checks and decodes a blob. Never panics, whatever `bytes` holds.
// Not inlined: the hypervisor calls it once, at boot, from code built at
// `s`, where an inlined copy would not get this crate's `z`.
#[inline(never)]
pub fn decode(bytes: &[u8]) -> Result<System, BlobError> {
    let (header, body) = bytes.split_at_checked(HEADER_LEN).ok_or(BlobError::Truncated)?;
    let magic: [u8; 4] = field(header, 0).ok_or(BlobError::Truncated)?;
    if magic != MAGIC {
        return Err(BlobError::BadMagic);
    }
    let version = u16::from_le_bytes(field(header, 4).ok_or(BlobError::Truncated)?);
    if version != FORMAT_VERSION {
        return Err(BlobError::UnsupportedVersion(version));
    }
    let flags = u16::from_le_bytes(field(header, 6).ok_or(BlobError::Truncated)?);
    if flags != 0 {
        return Err(BlobError::UnknownFlags(flags));
    }
    let len = u32::from_le_bytes(field(header, 8).ok_or(BlobError::Truncated)?);
    let expected = u32::from_le_bytes(field(header, 12).ok_or(BlobError::Truncated)?);
    if usize::try_from(len).ok() != Some(body.len()) {
        return Err(BlobError::LengthMismatch {
            header: len,
            actual: body.len(),
        });
    }
    let actual = crc32(body);
    if actual != expected {
        return Err(BlobError::BadCrc { expected, actual });
    }
    // The body reader follows postcard's rules without serde's code.
    let system = crate::body::decode_system(body).ok_or(BlobError::Malformed)?;
    system.check()?;
    Ok(system)
}

//! The flash image the system boots from (format: [`hypcfg::flash`],
//! layout and boot flow: `docs/image.md`).
//!
//! Core 0 checks the image in the QSPI flash before it loads the system:
//! the header (magic, version, lengths, header CRC, section table), then
//! every section's CRC and the padding between sections, in one pass, so
//! the first damaged part is named. The hypervisor section must be the one
//! that is running (same load address). The blob is then read from its
//! section in flash, in place; the partition images are copied out of
//! their section each time a partition (re)starts. A damaged image is
//! refused with a console line naming what is wrong, and the run ends
//! with exit code 1; no partition starts.
//!
//! Without an image (no `RHIM` magic in flash) the hypervisor looks for a
//! blob loaded on its own in the blob area of its link: the loose parts
//! `hvcfg build` writes (`system.blob` there, `images.bin` at the flash
//! base), or nothing in flash at all (the self tests, `make debug`). That
//! holds only when the flash is blank (first word all `0x00` or all
//! `0xFF`) or a loose blob is there (`RHYP` magic); otherwise what is in
//! flash is taken for an image with a damaged magic and refused.

use core::fmt;

use hypcfg::flash::{Explanation, FlashError, Header, SectionKind};
use hypcfg::packed::Text;
use hypcfg::text::{self, Out, Show};

/// Size of the flash bank the image sits in (the platform's first `rom` bank).
use crate::board::FLASH_SIZE;

/// Why the flash image is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The image itself is damaged or inconsistent.
    Flash(FlashError),
    /// The image is longer than the flash bank.
    TooLong(u32),
    /// The image's hypervisor section is not the running hypervisor.
    OtherHypervisor {
        /// Load address of the section.
        load: u32,
        /// Start of the running hypervisor's text.
        running: u32,
    },
    /// The flash could not be mapped.
    Map(Text),
}

impl From<FlashError> for ImageError {
    fn from(e: FlashError) -> Self {
        ImageError::Flash(e)
    }
}

impl ImageError {
    /// The message, in parts (one formatting routine for all of them).
    pub fn explain(&self) -> Explanation {
        match *self {
            ImageError::Flash(e) => e.explain(),
            ImageError::TooLong(n) => Explanation::with(
                hypcfg::text!("image longer than the flash bank"),
                (hypcfg::text!("length"), n),
                None,
            ),
            ImageError::OtherHypervisor { load, running } => Explanation::with(
                hypcfg::text!("is not this hypervisor's"),
                (hypcfg::text!("loads at"), load),
                Some((hypcfg::text!("running at"), running)),
            )
            .about(SectionKind::Hypervisor),
            ImageError::Map(m) => Explanation::plain(m),
        }
    }
}

impl Show for ImageError {
    fn show(&self, o: &mut dyn Out) {
        self.explain().show(o)
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

/// Whether the flash holds nothing: the first word is erased (`0xFF`) or
/// never written (`0x00`).
pub fn is_blank(first: &[u8]) -> bool {
    match first.get(..4) {
        Some(w) => w.iter().all(|&b| b == 0xFF) || w.iter().all(|&b| b == 0),
        None => true,
    }
}

/// Where the system comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The flash image (to be checked with [`check`]).
    Image,
    /// Loose parts: the blob loaded on its own in the link's blob area.
    Loose,
}

/// Decides from the first bytes of the flash and of the link's blob area
/// where the system comes from; flash that is neither an image, nor blank,
/// nor next to a loose blob is an image with a damaged magic.
pub fn source(flash: &[u8], blob_area: &[u8]) -> Result<Source, ImageError> {
    if flash.get(..4) == Some(&hypcfg::flash::MAGIC[..]) {
        return Ok(Source::Image);
    }
    if is_blank(flash) || blob_area.get(..4) == Some(&hypcfg::blob::MAGIC[..]) {
        return Ok(Source::Loose);
    }
    let mut magic = [0u8; 4];
    for (m, b) in magic.iter_mut().zip(flash) {
        *m = *b;
    }
    Err(FlashError::BadMagic(magic).into())
}

/// Checks the image `bytes` found at address `at` for the hypervisor whose
/// text starts at `running`, and returns where its blob section is, as
/// `(address, length)`. `bytes` may run past the image (the rest of the
/// flash bank). The CRCs are computed with `crc` (the target passes its
/// instruction-accelerated one; tests pass [`crc32`]).
pub fn check_with(
    bytes: &[u8],
    at: u32,
    running: u32,
    crc: fn(&[u8]) -> u32,
) -> Result<(u32, u32), ImageError> {
    let header = Header::parse(bytes)?;
    if header.base != at {
        return Err(FlashError::WrongBase {
            header: header.base,
            actual: at,
        }
        .into());
    }
    if header.total_len > FLASH_SIZE {
        return Err(ImageError::TooLong(header.total_len));
    }
    header.check_contents_with(bytes, crc)?;
    let hyp = header.require(SectionKind::Hypervisor)?;
    if hyp.load != running {
        return Err(ImageError::OtherHypervisor {
            load: hyp.load,
            running,
        });
    }
    let blob = header.require(SectionKind::Blob)?;
    Ok((header.address_of(blob), blob.len))
}

/// [`check_with`] with the table CRC.
pub fn check(bytes: &[u8], at: u32, running: u32) -> Result<(u32, u32), ImageError> {
    check_with(bytes, at, running, crc32)
}

/// CRC-32 (IEEE) of `bytes`, the same function as [`hypcfg::crc32::crc32`]
/// (the table version; the target crate has a faster one with the core's
/// CRC instructions).
pub fn crc32(bytes: &[u8]) -> u32 {
    hypcfg::crc32::crc32(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::FLASH_BASE;
    use hypcfg::flash::{write, Part};

    const HYP: u32 = 0x1000_0000;

    fn image(hyp_load: u32) -> Vec<u8> {
        let hyp = [0xE1u8; 200];
        let blob = [7u8; 70];
        let store = [3u8; 100];
        let parts = [
            Part {
                kind: SectionKind::Images,
                load: 0,
                data: &store,
            },
            Part {
                kind: SectionKind::Blob,
                load: 0,
                data: &blob,
            },
            Part {
                kind: SectionKind::Hypervisor,
                load: hyp_load,
                data: &hyp,
            },
        ];
        let mut out = vec![0u8; 1024];
        let n = write(&mut out, FLASH_BASE, hyp_load, &parts).unwrap();
        out.truncate(n);
        // The rest of the bank is erased.
        out.resize(n + 256, 0xFF);
        out
    }

    #[test]
    fn a_good_image_gives_its_blob_section() {
        let img = image(HYP);
        let (addr, len) = check(&img, FLASH_BASE, HYP).unwrap();
        let h = Header::parse(&img).unwrap();
        let blob = h.require(SectionKind::Blob).unwrap();
        assert_eq!(addr, FLASH_BASE + blob.offset);
        assert_eq!(len, 70);
        assert!(!is_blank(&img));
    }

    #[test]
    fn blank_flash_is_no_image() {
        assert!(is_blank(&[0xFF; 64]));
        assert!(is_blank(&[0; 64]));
        assert!(is_blank(&[]));
        assert!(!is_blank(b"RHIN...."));
    }

    #[test]
    fn the_source_is_the_image_loose_parts_or_a_damaged_magic() {
        let img = image(HYP);
        let none = [0u8; 4];
        assert_eq!(source(&img, &none), Ok(Source::Image));
        assert_eq!(source(&[0xFF; 64], &none), Ok(Source::Loose));
        assert_eq!(source(&[0; 64], &none), Ok(Source::Loose));
        // hvcfg's loose parts: images.bin in flash, the blob in BRAM.
        assert_eq!(source(&[0x11; 64], b"RHYP"), Ok(Source::Loose));
        let mut bad = img.clone();
        bad[2] ^= 4;
        assert!(source(&bad, &none)
            .unwrap_err()
            .to_string()
            .starts_with("bad magic (expected 0x4d494852, found 0x4d4d4852)"));
    }

    #[test]
    fn damage_is_refused_and_named() {
        let img = image(HYP);
        let h = Header::parse(&img).unwrap();
        let blob = *h.require(SectionKind::Blob).unwrap();
        let mut bad = img.clone();
        bad[blob.offset as usize + 5] ^= 0x80;
        let e = check(&bad, FLASH_BASE, HYP).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("section 'blob' CRC mismatch (expected 0x"),
            "{text}"
        );
        let images = *h.require(SectionKind::Images).unwrap();
        let mut bad = img.clone();
        bad[images.offset as usize] ^= 1;
        assert!(check(&bad, FLASH_BASE, HYP)
            .unwrap_err()
            .to_string()
            .starts_with("section 'images' CRC mismatch"));
        let mut bad = img.clone();
        bad[0] = b'X';
        assert!(!is_blank(&bad));
        assert!(check(&bad, FLASH_BASE, HYP)
            .unwrap_err()
            .to_string()
            .starts_with("bad magic"));
        // Every single-bit flip of the image is refused.
        for i in 0..h.total_len as usize * 8 {
            let mut bad = img.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(check(&bad, FLASH_BASE, HYP).is_err(), "bit {i}");
        }
    }

    #[test]
    fn another_hypervisor_or_place_is_refused() {
        let img = image(0x1000_4000);
        assert_eq!(
            check(&img, FLASH_BASE, HYP),
            Err(ImageError::OtherHypervisor {
                load: 0x1000_4000,
                running: HYP
            })
        );
        let img = image(HYP);
        assert!(matches!(
            check(&img, FLASH_BASE + 0x1000, HYP),
            Err(ImageError::Flash(FlashError::WrongBase { .. }))
        ));
    }
}

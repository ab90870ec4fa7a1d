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
//! Flash that holds no image at all (erased: the first word all `0xFF`, or
//! never written: all `0x00`, as in QEMU when only the hypervisor ELF is
//! loaded) is not an error: the hypervisor then looks for a blob loaded on
//! its own in the blob area of its link (the development path of the self
//! tests and `make debug`).

use core::fmt;

use hypcfg::flash::{FlashError, Header, SectionKind};

/// Base of the QSPI flash bank of the MPS3 AN536, where the image sits.
pub const FLASH_BASE: u32 = 0x0800_0000;
/// Size of the QSPI flash bank.
pub const FLASH_SIZE: u32 = 8 << 20;

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
    Map(&'static str),
}

impl From<FlashError> for ImageError {
    fn from(e: FlashError) -> Self {
        ImageError::Flash(e)
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Flash(e) => e.fmt(f),
            ImageError::TooLong(n) => write!(f, "{n:#x} bytes long, more than the flash bank"),
            ImageError::OtherHypervisor { load, running } => write!(
                f,
                "its hypervisor section loads at {load:#010x}, not at this hypervisor's {running:#010x}"
            ),
            ImageError::Map(m) => write!(f, "cannot map the flash: {m}"),
        }
    }
}

/// Whether the flash holds no image at all: the first word is erased
/// (`0xFF`) or never written (`0x00`). Anything else is an image, damaged
/// or not.
pub fn is_blank(first: &[u8]) -> bool {
    match first.get(..4) {
        Some(w) => w.iter().all(|&b| b == 0xFF) || w.iter().all(|&b| b == 0),
        None => true,
    }
}

/// Checks the image `bytes` found at address `at` for the hypervisor whose
/// text starts at `running`, and returns where its blob section is, as
/// `(address, length)`. `bytes` may run past the image (the rest of the
/// flash bank).
pub fn check(bytes: &[u8], at: u32, running: u32) -> Result<(u32, u32), ImageError> {
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
    header.check_contents(bytes)?;
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

/// Core 0, at boot: checks the flash image and returns its blob section
/// as `(address, length)`, or `None` when the flash is blank. Refuses a
/// damaged image on the console and ends the run with exit code 1.
#[cfg(target_arch = "arm")]
pub fn boot_blob_area() -> Option<(u32, u32)> {
    use crate::hprintln;
    match check_flash() {
        Ok(area) => area,
        Err(e) => {
            hprintln!("[hyp] refusing the flash image at {:#010x}: {}", FLASH_BASE, e);
            hprintln!("[hyp] no partition started");
            crate::boot::exit(1)
        }
    }
}

#[cfg(target_arch = "arm")]
fn check_flash() -> Result<Option<(u32, u32)>, ImageError> {
    use hypcfg::mpu::{Access, Attrs, MemType};
    const HYP_READ: Attrs = Attrs {
        access: Access::HypRo,
        xn: true,
        mem: MemType::Normal,
    };
    let ptr = crate::mpu::map_mm_range(FLASH_BASE, FLASH_BASE + FLASH_SIZE, HYP_READ)
        .map_err(|e| ImageError::Map(e.message()))?;
    // SAFETY: the whole flash bank was just mapped readable for the
    // hypervisor and stays mapped until the unmap below; it is ROM.
    let bytes = unsafe { core::slice::from_raw_parts(ptr as *const u8, FLASH_SIZE as usize) };
    let result = if is_blank(bytes) {
        Ok(None)
    } else {
        check(bytes, FLASH_BASE, crate::boot::image_layout().text.0).map(Some)
    };
    let _ = crate::mpu::unmap_mm_range(FLASH_BASE);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
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

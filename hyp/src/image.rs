//! The boot side of the flash image (the format checks are portable:
//! [`hyp_core::image`], `docs/image.md`): core 0 maps the flash through
//! transient mappings and checks it before it loads the system, and the
//! CRC uses the core's own instructions when it has them.

pub use hyp_core::image::*;

use crate::board::{FLASH_BASE, FLASH_SIZE};

/// CRC-32 (IEEE) of `bytes`, the same function as [`hypcfg::crc32::crc32`].
/// On the target it uses the core's `CRC32W`/`CRC32B` instructions when
/// `ID_ISAR5` reports them and they give the standard check value (about
/// half an instruction per byte instead of seven for the table: checking
/// an 80 KiB image costs ~40,000 instructions, not ~550,000); elsewhere, or
/// without them, the table.
pub fn crc32(bytes: &[u8]) -> u32 {
    if hw::usable() {
        return hw::crc32(bytes);
    }
    hypcfg::crc32::crc32(bytes)
}

/// A CRC-32 computed over several pieces ([`crc32`] of their
/// concatenation), with the core's instructions when it has them: a long
/// copy checks its data piece by piece, so it can stop between pieces.
#[derive(Clone, Copy, Debug)]
pub struct Crc32Stream(u32);

impl Crc32Stream {
    /// Nothing hashed yet.
    pub const fn new() -> Self {
        Crc32Stream(!0)
    }

    /// Goes on from the register value of an earlier stream ([`Self::raw`]).
    pub const fn resume(raw: u32) -> Self {
        Crc32Stream(raw)
    }

    /// The register value so far, to resume from later.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0 = if hw::usable() {
            hw::crc32_continue(self.0, bytes)
        } else {
            let mut t = hypcfg::crc32::Crc32::resume(self.0);
            t.update(bytes);
            t.state()
        };
    }

    /// The CRC of everything added.
    pub fn finish(self) -> u32 {
        !self.0
    }
}

impl Default for Crc32Stream {
    fn default() -> Self {
        Self::new()
    }
}

mod hw {
    use core::sync::atomic::{AtomicU8, Ordering};

    /// 0: not probed yet, 1: usable, 2: absent or wrong.
    static STATE: AtomicU8 = AtomicU8::new(0);

    /// Whether the CRC32 instructions exist and compute the IEEE CRC.
    pub fn usable() -> bool {
        match STATE.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => {
                let isar5: u32;
                // SAFETY: reading ID_ISAR5 has no side effects.
                unsafe {
                    core::arch::asm!("mrc p15, 0, {0}, c0, c2, 5", out(reg) isar5, options(nomem, nostack, preserves_flags))
                };
                // ID_ISAR5.CRC32 (bits 19:16), then the standard check value.
                let ok = (isar5 >> 16) & 0xF != 0 && crc32(b"123456789") == 0xCBF4_3926;
                STATE.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
                ok
            }
        }
    }

    fn byte(c: u32, b: u8) -> u32 {
        let mut c = c;
        // SAFETY: CRC32B only computes on registers; callers have checked
        // (or are probing, after ID_ISAR5 said so) that the core has it.
        unsafe {
            core::arch::asm!(".arch_extension crc", "crc32b {c}, {c}, {b}", c = inout(reg) c, b = in(reg) b as u32, options(pure, nomem, nostack, preserves_flags))
        };
        c
    }

    fn word(c: u32, w: u32) -> u32 {
        let mut c = c;
        // SAFETY: as for `byte`, with CRC32W (four bytes, little-endian).
        unsafe {
            core::arch::asm!(".arch_extension crc", "crc32w {c}, {c}, {w}", c = inout(reg) c, w = in(reg) w, options(pure, nomem, nostack, preserves_flags))
        };
        c
    }

    /// The CRC with the instructions: bytes up to a word boundary, words,
    /// then the last bytes.
    pub fn crc32(bytes: &[u8]) -> u32 {
        !crc32_continue(!0, bytes)
    }

    /// The CRC register after `bytes`, from register value `c` (no
    /// inversions: [`crc32`] adds them).
    pub fn crc32_continue(c: u32, bytes: &[u8]) -> u32 {
        // SAFETY: every bit pattern is a valid u32, so viewing the aligned
        // middle of a byte slice as words is sound.
        let (head, words, tail) = unsafe { bytes.align_to::<u32>() };
        let mut c = head.iter().fold(c, |c, &b| byte(c, b));
        let (quads, rest) = words.as_chunks::<4>();
        for &[w0, w1, w2, w3] in quads {
            c = word(word(word(word(c, w0), w1), w2), w3);
        }
        c = rest.iter().fold(c, |c, &w| word(c, w));
        tail.iter().fold(c, |c, &b| byte(c, b))
    }
}

/// Core 0, at boot: checks the flash image and returns its blob section
/// as `(address, length)`, or `None` when the system comes from loose
/// parts ([`Source::Loose`]). Refuses a damaged image on the console and
/// ends the run with exit code 1.
pub fn boot_blob_area() -> Option<(u32, u32)> {
    use crate::hprintln;
    use crate::text::hex8;
    match check_flash() {
        Ok(area) => area,
        Err(e) => {
            hprintln!(
                "[hyp] refusing the flash image at {}: {}\n[hyp] no partition started",
                hex8(FLASH_BASE),
                e
            );
            crate::run::exit(1)
        }
    }
}

fn check_flash() -> Result<Option<(u32, u32)>, ImageError> {
    use hypcfg::mpu::{Access, Attrs, MemType};
    const HYP_READ: Attrs = Attrs {
        access: Access::HypRo,
        xn: true,
        mem: MemType::Normal,
    };
    extern "C" {
        static __config_blob_start: u8;
    }
    let map = |base: u32, len: u32| {
        // The blob area and the flash are the image's own, laid out below 4 GiB.
        crate::mpu::map_cold(base, base.wrapping_add(len), HYP_READ).map_err(|e| ImageError::Map(e.message()))
    };
    // Only the symbol's address is taken (linker.ld: BLOB).
    let blob_area = &raw const __config_blob_start as u32;
    let head = map(blob_area, 4)?;
    // SAFETY: 4 bytes (widened to a granule) of the blob area were just
    // mapped readable for the hypervisor; copied out before `head` goes.
    let loose: [u8; 4] = unsafe { core::ptr::read(head.ptr() as *const [u8; 4]) };
    drop(head);
    let flash = map(FLASH_BASE, FLASH_SIZE)?;
    // SAFETY: the whole flash bank was just mapped readable for the
    // hypervisor and stays mapped until `flash` is dropped below; it is ROM.
    let bytes = unsafe { core::slice::from_raw_parts(flash.ptr() as *const u8, FLASH_SIZE as usize) };
    let result = match source(bytes, &loose) {
        Ok(Source::Image) => {
            check_with(bytes, FLASH_BASE, crate::linker::image_layout().text.0, crc32).map(Some)
        }
        Ok(Source::Loose) => Ok(None),
        Err(e) => Err(e),
    };
    drop(flash);
    result
}

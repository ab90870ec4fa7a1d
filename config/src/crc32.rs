//! CRC-32 (IEEE 802.3, reflected polynomial `0xEDB8_8320`), the checksum of
//! the blob body and of partition images. `no_std`, one 64-byte table built
//! at compile time: a nibble at a time (two lookups a byte) rather than a
//! byte at a time saves the hypervisor 960 bytes; the hypervisor checks
//! long data (images, restarts) with the core's CRC32 instructions when it
//! has them, so only the blob and the image header go through this.

/// The reflected IEEE polynomial.
const POLY: u32 = 0xEDB8_8320;

/// Nibble-at-a-time lookup table, computed by the compiler.
const TABLE: [u32; 16] = {
    let mut table = [0u32; 16];
    let mut n = 0;
    while n < 16 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 4 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// An incremental CRC-32 computation.
#[derive(Clone, Copy, Debug)]
pub struct Crc32 {
    state: u32,
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    /// A fresh computation.
    pub const fn new() -> Crc32 {
        Crc32 { state: !0 }
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.state;
        for &b in bytes {
            c ^= b as u32;
            c = TABLE[(c & 0xF) as usize] ^ (c >> 4);
            c = TABLE[(c & 0xF) as usize] ^ (c >> 4);
        }
        self.state = c;
    }

    /// Goes on from the register value `state` of another computation
    /// (see [`Crc32::state`]), e.g. one that used other means for a part.
    pub const fn resume(state: u32) -> Crc32 {
        Crc32 { state }
    }

    /// The register value so far (not the checksum: [`Crc32::finish`]).
    pub const fn state(&self) -> u32 {
        self.state
    }

    /// The checksum of everything fed so far.
    pub const fn finish(&self) -> u32 {
        !self.state
    }
}

/// CRC-32 (IEEE) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_computation_equals_one_pass() {
        let mut a = Crc32::new();
        a.update(b"12345");
        let mut b = Crc32::resume(a.state());
        b.update(b"6789");
        assert_eq!(b.finish(), 0xCBF4_3926);
    }

    #[test]
    fn every_byte_value_as_the_bitwise_definition() {
        let bitwise = |bytes: &[u8]| {
            let mut c = !0u32;
            for &b in bytes {
                c ^= b as u32;
                for _ in 0..8 {
                    c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
                }
            }
            !c
        };
        let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for n in 0..all.len() {
            assert_eq!(crc32(&all[..n]), bitwise(&all[..n]));
        }
    }

    #[test]
    fn known_vectors() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let mut c = Crc32::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.finish(), crc32(b"123456789"));
    }
}

//! The boot-flags word: how the runner tells the hypervisor what a QEMU
//! run is for (`forever`, `bench`) without semihosting, which would also
//! give every partition a path to the host (`docs/security.md`, "Host").
//!
//! The hypervisor's link reserves 8 bytes at `__boot_flags` (`linker.ld`,
//! section `.boot_flags`, `NOLOAD`, inside its data region): [`MAGIC`] in
//! the first little-endian word, the flags in the second. The runner
//! writes them before the cores start with QEMU's generic loader
//! (`-device loader,addr=<__boot_flags>,data=<u64>,data-len=8`, see
//! [`loader_data`]); nothing writes them on a board. Core 0 reads them
//! once at boot and clears them; without the magic (a board, a run with
//! no flags) there are no flags, so random RAM after power-on is read as
//! "no flags" except with a 2^-32 chance.

/// First word: `"HVFL"` in little-endian byte order.
pub const MAGIC: u32 = u32::from_le_bytes(*b"HVFL");

/// Keep the system up when the run is over (`make qemu FOREVER=1`).
pub const FOREVER: u32 = 1 << 0;

/// Print the hypervisor's own benchmark figures (`BENCH ...` lines) in
/// the end-of-run summary (`make bench`, the windows tests).
pub const BENCH: u32 = 1 << 1;

/// Every flag this version knows; others are ignored.
pub const KNOWN: u32 = FOREVER | BENCH;

/// The linker symbol of the 8-byte boot-flags area.
pub const SYMBOL: &str = "__boot_flags";

/// The `data=` value for QEMU's generic loader (little-endian `u64`:
/// [`MAGIC`] first, then `flags`).
pub const fn loader_data(flags: u32) -> u64 {
    (flags as u64) << 32 | MAGIC as u64
}

/// The flags in the two words read at `__boot_flags`: `0` unless the
/// first is [`MAGIC`]; unknown bits dropped.
pub const fn decode(magic: u32, flags: u32) -> u32 {
    if magic == MAGIC {
        flags & KNOWN
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_data_is_magic_then_flags_in_memory_order() {
        let bytes = loader_data(BENCH).to_le_bytes();
        let magic = u32::from_le_bytes(bytes[..4].try_into().unwrap());
        let flags = u32::from_le_bytes(bytes[4..].try_into().unwrap());
        assert_eq!(&bytes[..4], b"HVFL");
        assert_eq!(decode(magic, flags), BENCH);
    }

    #[test]
    fn without_the_magic_there_are_no_flags() {
        assert_eq!(decode(0, FOREVER), 0);
        assert_eq!(decode(0xFFFF_FFFF, 0xFFFF_FFFF), 0);
        assert_eq!(decode(MAGIC, 0xFFFF_FFFF), KNOWN);
    }
}

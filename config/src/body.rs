//! The blob body reader: the `postcard` encoding of a [`System`], read by
//! hand.
//!
//! The config tool writes the body with `postcard` (serde); the hypervisor
//! reads it with this module instead of serde's `Deserialize`, whose
//! visitor machinery for a dozen struct types cost about 5 KiB of the
//! hypervisor's code against well under 1 KiB here. The rules are
//! `postcard` 1's, field by field in declaration order:
//!
//! - `u8` (and the ids): one raw byte;
//! - `u16`, `u32`: LEB128 varint, at most 3 or 5 bytes, the last one not
//!   carrying bits beyond the type;
//! - lengths (`usize`): a varint read as `u64` (10 bytes at most), then
//!   converted with `as usize`, as `postcard` does;
//! - a sequence (`heapless::Vec`): its length, then its elements; more than
//!   the capacity is refused;
//! - a string: its length, then that many bytes of UTF-8, at most the
//!   capacity;
//! - an enum: its variant index as a `u32` varint, then the variant's
//!   fields; `Option`: a tag byte 0 (`None`) or 1 (`Some`).
//!
//! Any other byte is refused. `tests/blob.rs` checks this reader against
//! `postcard`'s own decoding on valid bodies and on arbitrary bytes.

use heapless::{String, Vec};

use crate::ids::{CoreId, PartitionId};
use crate::mpu::RegionWords;
use crate::system::{
    Channel, FaultPolicy, Hypervisor, Image, Partition, PartitionRegion, Platform, RegionKind, Schedule,
    System, Window,
};

/// Decodes a whole body: `None` unless `bytes` is exactly one [`System`].
#[inline(never)]
pub fn decode_system(bytes: &[u8]) -> Option<System> {
    let mut r = Reader { rest: bytes };
    let system = System::read(&mut r)?;
    r.rest.is_empty().then_some(system)
}

/// The bytes not read yet.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Out of line, like [`Reader::u32`]: one call per field is smaller
    /// than the field read inlined at each of them.
    #[inline(never)]
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.rest.split_at_checked(n)?;
        self.rest = rest;
        Some(taken)
    }

    /// A LEB128 varint of a `bits`-bit integer: at most `ceil(bits / 7)`
    /// bytes, and the last of that many carries no bit above `bits`.
    /// One function for every width, so the hypervisor has one copy.
    #[inline(never)]
    fn varint(&mut self, bits: u32) -> Option<u64> {
        let max = bits.div_ceil(7);
        let mut out = 0u64;
        for i in 0..max {
            let b = self.byte()?;
            out |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                let fits = i + 1 < max || u32::from(b) < 1 << (bits % 7);
                return fits.then_some(out);
            }
        }
        None
    }

    fn u16(&mut self) -> Option<u16> {
        u16::try_from(self.varint(16)?).ok()
    }

    /// Out of line: about twenty fields are `u32`s.
    #[inline(never)]
    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint(32)?).ok()
    }

    /// A length: `postcard` reads a `u64` varint and converts it with `as`.
    fn len(&mut self) -> Option<usize> {
        Some(self.varint(64)? as usize)
    }

    /// An enum's variant index.
    fn variant(&mut self) -> Option<u32> {
        self.u32()
    }
}

/// A value read from a body.
trait Read: Sized {
    fn read(r: &mut Reader<'_>) -> Option<Self>;
}

impl Read for u8 {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        r.byte()
    }
}

impl Read for u16 {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        r.u16()
    }
}

impl<T: Read, const N: usize> Read for Vec<T, N> {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        let len = r.len()?;
        let mut v = Vec::new();
        for _ in 0..len {
            v.push(T::read(r)?).ok()?;
        }
        Some(v)
    }
}

impl<const N: usize> Read for String<N> {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        let len = r.len()?;
        let s = core::str::from_utf8(r.take(len)?).ok()?;
        let mut out = String::new();
        out.push_str(s).ok()?;
        Some(out)
    }
}

impl Read for System {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(System {
            platform: Platform {
                name: Read::read(r)?,
                cores: r.byte()?,
                mpu_regions: r.byte()?,
            },
            hypervisor: Hypervisor {
                console_base: r.u32()?,
                console_size: r.u32()?,
                static_regions: r.byte()?,
                transient_slots: r.byte()?,
            },
            partitions: Read::read(r)?,
            channels: Read::read(r)?,
            schedules: Read::read(r)?,
        })
    }
}

impl Read for Partition {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Partition {
            name: Read::read(r)?,
            core: CoreId(r.byte()?),
            entry: r.u32()?,
            regions: Read::read(r)?,
            irqs: Read::read(r)?,
            fault_policy: match r.variant()? {
                0 => FaultPolicy::Restart { budget: r.byte()? },
                1 => FaultPolicy::Halt,
                2 => FaultPolicy::Log,
                _ => return None,
            },
            image: match r.byte()? {
                0 => None,
                1 => Some(Image {
                    store: r.u32()?,
                    len: r.u32()?,
                    load: r.u32()?,
                    crc32: r.u32()?,
                }),
                _ => return None,
            },
        })
    }
}

impl Read for PartitionRegion {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(PartitionRegion {
            name: Read::read(r)?,
            kind: match r.variant()? {
                0 => RegionKind::Memory,
                1 => RegionKind::Shared,
                2 => RegionKind::Device,
                _ => return None,
            },
            words: RegionWords {
                prbar: r.u32()?,
                prlar: r.u32()?,
            },
        })
    }
}

impl Read for Channel {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Channel {
            name: Read::read(r)?,
            sender: PartitionId(r.byte()?),
            receiver: PartitionId(r.byte()?),
            msg_size: r.u32()?,
            depth: r.u32()?,
            queue_base: r.u32()?,
            queue_size: r.u32()?,
        })
    }
}

impl Read for Schedule {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Schedule {
            core: CoreId(r.byte()?),
            major_frame_us: r.u32()?,
            windows: Read::read(r)?,
        })
    }
}

impl Read for Window {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Window {
            partition: PartitionId(r.byte()?),
            duration_us: r.u32()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(bytes: &[u8], bits: u32) -> Option<u64> {
        let mut r = Reader { rest: bytes };
        r.varint(bits)
    }

    #[test]
    fn varints_follow_postcard() {
        assert_eq!(varint(&[0x05], 32), Some(5));
        assert_eq!(varint(&[0x80, 0x01], 32), Some(128));
        // Non-canonical but accepted by postcard.
        assert_eq!(varint(&[0x80, 0x00], 32), Some(0));
        // u32::MAX: the fifth byte carries 4 bits.
        assert_eq!(
            varint(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F], 32),
            Some(u64::from(u32::MAX))
        );
        assert_eq!(varint(&[0xFF, 0xFF, 0xFF, 0xFF, 0x10], 32), None);
        assert_eq!(varint(&[0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00], 32), None);
        // u16: three bytes, the last with 2 bits.
        assert_eq!(varint(&[0xFF, 0xFF, 0x03], 16), Some(0xFFFF));
        assert_eq!(varint(&[0xFF, 0xFF, 0x04], 16), None);
        // u64: ten bytes, the last with 1 bit.
        let mut max = [0xFF; 10];
        max[9] = 0x01;
        assert_eq!(varint(&max, 64), Some(u64::MAX));
        max[9] = 0x02;
        assert_eq!(varint(&max, 64), None);
        assert_eq!(varint(&[0x80], 32), None);
        assert_eq!(varint(&[], 32), None);
    }
}

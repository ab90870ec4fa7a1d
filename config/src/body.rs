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
///
/// Every table is filled in place (an element is pushed blank, then its
/// fields are read into it): building each value on the stack and moving
/// it into its table took more code and a 20 KiB stack frame.
pub fn decode_system(bytes: &[u8]) -> Option<System> {
    let mut r = Reader { rest: bytes };
    let mut s = System {
        platform: Platform {
            name: String::new(),
            cores: 0,
            mpu_regions: 0,
        },
        hypervisor: Hypervisor {
            console_base: 0,
            console_size: 0,
            static_regions: 0,
            transient_slots: 0,
        },
        partitions: Vec::new(),
        channels: Vec::new(),
        schedules: Vec::new(),
    };
    r.name(&mut s.platform.name)?;
    s.platform.cores = r.byte()?;
    s.platform.mpu_regions = r.byte()?;
    let h = &mut s.hypervisor;
    h.console_base = r.u32()?;
    h.console_size = r.u32()?;
    h.static_regions = r.byte()?;
    h.transient_slots = r.byte()?;
    for _ in 0..r.len()? {
        let p = next(&mut s.partitions, blank_partition())?;
        r.partition(p)?;
    }
    for _ in 0..r.len()? {
        let c = next(&mut s.channels, BLANK_CHANNEL)?;
        r.name(&mut c.name)?;
        c.sender = PartitionId(r.byte()?);
        c.receiver = PartitionId(r.byte()?);
        c.msg_size = r.u32()?;
        c.depth = r.u32()?;
        c.queue_base = r.u32()?;
        c.queue_size = r.u32()?;
    }
    for _ in 0..r.len()? {
        let sc = next(&mut s.schedules, BLANK_SCHEDULE)?;
        sc.core = CoreId(r.byte()?);
        sc.major_frame_us = r.u32()?;
        for _ in 0..r.len()? {
            let w = next(&mut sc.windows, BLANK_WINDOW)?;
            w.partition = PartitionId(r.byte()?);
            w.duration_us = r.u32()?;
        }
    }
    r.rest.is_empty().then_some(s)
}

/// Appends `blank` to `v` and returns it to be filled; `None` when `v` is
/// full (a sequence longer than its table is refused).
fn next<T, const N: usize>(v: &mut Vec<T, N>, blank: T) -> Option<&mut T> {
    v.push(blank).ok()?;
    v.last_mut()
}

/// A blank partition, built where it is pushed. Not a `const` like the
/// other blanks: a constant of this size is kept whole in the image
/// (400 bytes of `.rodata`, nearly all the unused room of its tables) and
/// copied from there, where this writes the few fields that are set.
fn blank_partition() -> Partition {
    Partition {
        name: String::new(),
        core: CoreId(0),
        entry: 0,
        regions: Vec::new(),
        irqs: Vec::new(),
        fault_policy: FaultPolicy::Halt,
        image: None,
    }
}

const BLANK_REGION: PartitionRegion = PartitionRegion {
    name: String::new(),
    kind: RegionKind::Memory,
    words: RegionWords { prbar: 0, prlar: 0 },
};

const BLANK_CHANNEL: Channel = Channel {
    name: String::new(),
    sender: PartitionId(0),
    receiver: PartitionId(0),
    msg_size: 0,
    depth: 0,
    queue_base: 0,
    queue_size: 0,
};

const BLANK_SCHEDULE: Schedule = Schedule {
    core: CoreId(0),
    major_frame_us: 0,
    windows: Vec::new(),
};

const BLANK_WINDOW: Window = Window {
    partition: PartitionId(0),
    duration_us: 0,
};

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
        // The weight of byte `i`, 2^(7i): a multiplication and a constant
        // shift, where `<< (7 * i)` on a u64 calls a shift routine (the
        // only one the hypervisor would need). Bits past 64 are dropped,
        // as the shift drops them.
        let mut weight = 1u64;
        for i in 0..max {
            let b = self.byte()?;
            out |= u64::from(b & 0x7F).wrapping_mul(weight);
            weight <<= 7;
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

    /// A string into `out` (blank): its length, then that many bytes of
    /// UTF-8, at most the capacity.
    fn name<const N: usize>(&mut self, out: &mut String<N>) -> Option<()> {
        let len = self.len()?;
        let s = core::str::from_utf8(self.take(len)?).ok()?;
        out.push_str(s).ok()
    }

    /// One partition into `p` (blank).
    fn partition(&mut self, p: &mut Partition) -> Option<()> {
        self.name(&mut p.name)?;
        p.core = CoreId(self.byte()?);
        p.entry = self.u32()?;
        for _ in 0..self.len()? {
            let g = next(&mut p.regions, BLANK_REGION)?;
            self.name(&mut g.name)?;
            g.kind = match self.variant()? {
                0 => RegionKind::Memory,
                1 => RegionKind::Shared,
                2 => RegionKind::Device,
                _ => return None,
            };
            g.words.prbar = self.u32()?;
            g.words.prlar = self.u32()?;
        }
        for _ in 0..self.len()? {
            let irq = self.u16()?;
            p.irqs.push(irq).ok()?;
        }
        p.fault_policy = match self.variant()? {
            0 => FaultPolicy::Restart { budget: self.byte()? },
            1 => FaultPolicy::Halt,
            2 => FaultPolicy::Log,
            _ => return None,
        };
        p.image = match self.byte()? {
            0 => None,
            1 => Some(Image {
                store: self.u32()?,
                len: self.u32()?,
                load: self.u32()?,
                crc32: self.u32()?,
            }),
            _ => return None,
        };
        Some(())
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

//! Checks of guest pointers against the caller's own memory: bounds,
//! wrap-around, alignment and permissions, before the hypervisor touches a
//! byte. Portable, so every rule is unit-tested on the host.

use hypcfg::abi::Status;
use hypcfg::system::{PartitionRegion, RegionKind, MAX_PARTITION_REGIONS};

/// What the hypervisor will do with a guest buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// Read it (an input buffer).
    Read,
    /// Write it (an output buffer).
    Write,
}

/// A guest buffer the hypervisor may read: `[addr, addr + len)` lies in
/// one of the caller's own readable memory regions. Only [`check_read`]
/// makes one, so holding one is proof of the check; it names the memory,
/// it does not borrow it (the adapter that copies is the only code that
/// turns it into a pointer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestRead {
    addr: u32,
    len: u32,
}

/// A guest buffer the hypervisor may write: `[addr, addr + len)` lies in
/// one of the caller's own writable memory regions. Only [`check_write`]
/// makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestWrite {
    addr: u32,
    len: u32,
}

impl GuestRead {
    /// First guest address of the buffer.
    pub fn addr(&self) -> u32 {
        self.addr
    }
    /// Length in bytes.
    pub fn len(&self) -> u32 {
        self.len
    }
    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl GuestWrite {
    /// First guest address of the buffer.
    pub fn addr(&self) -> u32 {
        self.addr
    }
    /// Length in bytes (the capacity the guest offered).
    pub fn len(&self) -> u32 {
        self.len
    }
    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The first `n` bytes of the buffer, or `None` if it is shorter: a
    /// sub-buffer of a checked buffer is checked too.
    pub fn prefix(&self, n: u32) -> Option<GuestWrite> {
        (n <= self.len).then_some(GuestWrite {
            addr: self.addr,
            len: n,
        })
    }
}

/// Where a partition's hypercall buffers may lie: its memory and
/// shared-memory regions as inclusive address ranges with what they allow,
/// derived once from its band ([`BufferMap::of`]) so that a check is a
/// short scan of plain words instead of decoding region words on every
/// call (a channel send checks one buffer, a receive another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferMap {
    /// The writable ranges first (most buffers lie there, so a scan stops
    /// early), then the read-only ones, then [`BufferRange::NONE`].
    ranges: [BufferRange; MAX_PARTITION_REGIONS],
}

/// One region of a [`BufferMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BufferRange {
    base: u32,
    last: u32,
    /// Writable by the guest (every range is readable by it).
    writable: bool,
}

impl BufferRange {
    /// An unused entry: no range has a first byte of `u32::MAX` and a last
    /// byte of 0 (a buffer's last byte is at or above its first).
    const NONE: BufferRange = BufferRange {
        base: u32::MAX,
        last: 0,
        writable: false,
    };
}

impl BufferMap {
    /// No buffer anywhere (a partition before its band is known).
    pub const EMPTY: BufferMap = BufferMap {
        ranges: [BufferRange::NONE; MAX_PARTITION_REGIONS],
    };

    /// The buffer map of a partition whose band is `regions`. Device
    /// regions never hold buffers: the hypervisor does not do MMIO on a
    /// guest's behalf; nor do regions the guest cannot read, or whose
    /// memory type the hypervisor does not use, so they are left out (a
    /// buffer there is not found: [`Status::BadPointer`]). Regions past
    /// [`MAX_PARTITION_REGIONS`] (which the system check rules out) are
    /// left out too.
    pub fn of(regions: &[PartitionRegion]) -> BufferMap {
        let mut map = BufferMap::EMPTY;
        let usable = regions.iter().filter_map(|r| {
            // `None` for a memory type the hypervisor does not use.
            let access = r.words.attrs()?.access;
            (r.kind != RegionKind::Device && access.guest_visible()).then_some(BufferRange {
                base: r.words.base(),
                last: r.words.limit(),
                writable: access.writable(),
            })
        });
        let writable_first = usable
            .clone()
            .filter(|r| r.writable)
            .chain(usable.filter(|r| !r.writable));
        for (slot, range) in map.ranges.iter_mut().zip(writable_first) {
            *slot = range;
        }
        map
    }
}

/// Checks that `[ptr, ptr + len)` lies inside one of the caller's memory or
/// shared-memory regions and is readable by it, and that `ptr` is a
/// multiple of `align` (a power of two). See [`check`].
#[inline]
pub fn check_read(map: &BufferMap, ptr: u32, len: u32, align: u32) -> Result<GuestRead, Status> {
    check(map, ptr, len, Need::Read, align)?;
    Ok(GuestRead { addr: ptr, len })
}

/// As [`check_read`], and the caller may write the buffer.
#[inline]
pub fn check_write(map: &BufferMap, ptr: u32, len: u32, align: u32) -> Result<GuestWrite, Status> {
    check(map, ptr, len, Need::Write, align)?;
    Ok(GuestWrite { addr: ptr, len })
}

/// The rules behind [`check_read`] and [`check_write`]: `[ptr, ptr + len)`
/// inside one of the caller's memory or shared-memory regions with the
/// permission `need`, and `ptr` a multiple of `align` (a power of two). A
/// zero-length buffer is valid wherever it points (nothing is accessed),
/// but is still alignment-checked.
#[inline]
fn check(map: &BufferMap, ptr: u32, len: u32, need: Need, align: u32) -> Result<(), Status> {
    if align == 0 || !align.is_power_of_two() {
        return Err(Status::InvalidArgument);
    }
    if ptr & align.wrapping_sub(1) != 0 {
        return Err(Status::Misaligned);
    }
    if len == 0 {
        return Ok(());
    }
    let last = ptr.checked_add(len.wrapping_sub(1)).ok_or(Status::Wraparound)?; // len != 0
                                                                                // An unused entry never matches (`BufferRange::NONE`).
    let r = map
        .ranges
        .iter()
        .find(|r| r.base <= ptr && last <= r.last)
        .ok_or(Status::BadPointer)?;
    if need == Need::Write && !r.writable {
        return Err(Status::Permission);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};

    fn region(base: u32, size: u32, access: Access, xn: bool, kind: RegionKind) -> PartitionRegion {
        let mem = if kind == RegionKind::Device {
            MemType::Device
        } else {
            MemType::Normal
        };
        PartitionRegion {
            name: "r".try_into().unwrap(),
            kind,
            words: RegionWords::encode(base, base + size - 1, Attrs { access, xn, mem }).unwrap(),
        }
    }

    fn regions() -> [PartitionRegion; 3] {
        [
            region(0x2000_0000, 0x1_0000, Access::GuestRo, false, RegionKind::Memory),
            region(0x2001_0000, 0x1_0000, Access::GuestRw, true, RegionKind::Memory),
            region(0xE020_6000, 0x1000, Access::GuestRw, true, RegionKind::Device),
        ]
    }

    #[test]
    fn buffer_inside_own_rw_memory_is_accepted() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2001_0000, 0x1_0000, Need::Write, 1),
            Ok(())
        );
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2000_0100, 16, Need::Read, 4),
            Ok(())
        );
    }

    #[test]
    fn buffer_outside_own_memory_is_bad_pointer() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x1000_0000, 4, Need::Read, 1),
            Err(Status::BadPointer)
        );
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2010_0000, 4, Need::Read, 1),
            Err(Status::BadPointer)
        );
    }

    #[test]
    fn buffer_straddling_the_end_of_memory_is_bad_pointer() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2001_FFF0, 0x20, Need::Read, 1),
            Err(Status::BadPointer)
        );
    }

    #[test]
    fn wrap_around_length_is_refused() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2001_0000, u32::MAX, Need::Read, 1),
            Err(Status::Wraparound)
        );
        assert_eq!(
            check(&BufferMap::of(&regions()), 0xFFFF_FFF0, 0x20, Need::Read, 1),
            Err(Status::Wraparound)
        );
    }

    #[test]
    fn misaligned_pointer_is_refused() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2001_0002, 16, Need::Write, 4),
            Err(Status::Misaligned)
        );
    }

    #[test]
    fn writing_read_only_memory_is_a_permission_error() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2000_0000, 4, Need::Write, 1),
            Err(Status::Permission)
        );
    }

    #[test]
    fn device_regions_are_never_buffers() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0xE020_6000, 4, Need::Read, 1),
            Err(Status::BadPointer)
        );
    }

    #[test]
    fn zero_length_is_valid_but_alignment_still_counts() {
        assert_eq!(check(&BufferMap::of(&regions()), 0, 0, Need::Read, 1), Ok(()));
        assert_eq!(
            check(&BufferMap::of(&regions()), 3, 0, Need::Read, 4),
            Err(Status::Misaligned)
        );
    }

    #[test]
    fn checked_buffers_carry_the_checked_range() {
        let r = check_read(&BufferMap::of(&regions()), 0x2000_0100, 16, 4).unwrap();
        assert_eq!((r.addr(), r.len()), (0x2000_0100, 16));
        let w = check_write(&BufferMap::of(&regions()), 0x2001_0000, 32, 1).unwrap();
        assert_eq!((w.addr(), w.len()), (0x2001_0000, 32));
        assert_eq!(
            check_write(&BufferMap::of(&regions()), 0x2000_0000, 4, 1),
            Err(Status::Permission)
        );
    }

    #[test]
    fn a_prefix_of_a_writable_buffer_never_grows_it() {
        let w = check_write(&BufferMap::of(&regions()), 0x2001_0000, 32, 1).unwrap();
        assert_eq!(w.prefix(8).map(|p| (p.addr(), p.len())), Some((0x2001_0000, 8)));
        assert_eq!(w.prefix(32).map(|p| p.len()), Some(32));
        assert_eq!(w.prefix(33), None);
    }

    #[test]
    fn every_ap_and_attr_index_gets_the_verdict_its_attrs_imply() {
        // Every AP[2:1] and AttrIndx value, read and write: the check's
        // verdict is the one `RegionWords::attrs` implies.
        for ap in 0..4u32 {
            for idx in 0..8u32 {
                let mut r = region(0x2000_0000, 0x1000, Access::GuestRw, true, RegionKind::Memory);
                r.words.prbar = (r.words.prbar & !0b110) | (ap << 1);
                r.words.prlar = (r.words.prlar & !0b1110) | (idx << 1);
                for need in [Need::Read, Need::Write] {
                    let want = match r.words.attrs() {
                        None => Err(Status::BadPointer),
                        Some(a) if !a.access.guest_visible() => Err(Status::BadPointer),
                        Some(a) if need == Need::Write && !a.access.writable() => Err(Status::Permission),
                        Some(_) => Ok(()),
                    };
                    assert_eq!(
                        check(&BufferMap::of(&[r.clone()]), 0x2000_0010, 4, need, 1),
                        want,
                        "ap {ap} idx {idx} {need:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn bad_alignment_argument_is_invalid() {
        assert_eq!(
            check(&BufferMap::of(&regions()), 0x2001_0000, 4, Need::Read, 3),
            Err(Status::InvalidArgument)
        );
    }
}

//! PMSAv8-32 EL2 MPU region encoding (`HPRBAR`/`HPRLAR`), the single owner of
//! the bit layout used by the config tool and by the hypervisor.
//!
//! `HPRBAR`: base\[31:6\], SH\[4:3\], AP\[2:1\], XN\[0\].
//! `HPRLAR`: limit\[31:6\] (inclusive, low six bits read as `0x3F`),
//! AttrIndx\[3:1\], EN\[0\].

use serde::{Deserialize, Serialize};

/// The PMSAv8 MPU granule: every region base and limit+1 is a multiple of it.
pub const GRANULE: u32 = 64;

/// `HMAIR0` value the hypervisor programs; [`MemType`] indexes into it.
///
/// Attr0 = Normal, write-back read/write-allocate (0xFF); Attr1 = Device-nGnRE
/// (0x04); Attr2 = Normal non-cacheable (0x44).
pub const HMAIR0_VALUE: u32 = 0x0044_04FF;

/// Who may access a region and how (the `AP[2:1]` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Access {
    /// Read/write at EL2 only (the hypervisor's own data).
    HypRw,
    /// Read-only at EL2 only (the hypervisor's code and constants).
    HypRo,
    /// Read/write at EL2 and EL1/EL0 (a partition's writable memory).
    GuestRw,
    /// Read-only at EL2 and EL1/EL0 (a partition's code or read-only data).
    GuestRo,
}

impl Access {
    /// The `AP[2:1]` bits of this access level.
    pub const fn ap_bits(self) -> u32 {
        match self {
            Access::HypRw => 0b00,
            Access::GuestRw => 0b01,
            Access::HypRo => 0b10,
            Access::GuestRo => 0b11,
        }
    }

    /// Decodes `AP[2:1]`.
    pub const fn from_ap_bits(bits: u32) -> Access {
        match bits & 0b11 {
            0b00 => Access::HypRw,
            0b01 => Access::GuestRw,
            0b10 => Access::HypRo,
            _ => Access::GuestRo,
        }
    }

    /// Whether the region can be written.
    pub const fn writable(self) -> bool {
        matches!(self, Access::HypRw | Access::GuestRw)
    }

    /// Whether EL1 (a partition) can reach the region at all.
    pub const fn guest_visible(self) -> bool {
        matches!(self, Access::GuestRw | Access::GuestRo)
    }
}

/// Memory type: an index into [`HMAIR0_VALUE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemType {
    /// Normal memory, write-back cacheable (Attr0).
    Normal,
    /// Device-nGnRE (Attr1): MMIO.
    Device,
    /// Normal memory, non-cacheable (Attr2).
    NormalUncached,
}

impl MemType {
    /// The `AttrIndx` value for this type.
    pub const fn attr_index(self) -> u32 {
        match self {
            MemType::Normal => 0,
            MemType::Device => 1,
            MemType::NormalUncached => 2,
        }
    }

    /// Decodes `AttrIndx`; indices the hypervisor never programs give `None`.
    pub const fn from_attr_index(idx: u32) -> Option<MemType> {
        match idx {
            0 => Some(MemType::Normal),
            1 => Some(MemType::Device),
            2 => Some(MemType::NormalUncached),
            _ => None,
        }
    }
}

/// The attributes of one MPU region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attrs {
    /// Access permissions.
    pub access: Access,
    /// Execute-never.
    pub xn: bool,
    /// Memory type.
    pub mem: MemType,
}

impl Attrs {
    /// Hypervisor code: read-only, executable, EL2 only.
    pub const HYP_TEXT: Attrs = Attrs {
        access: Access::HypRo,
        xn: false,
        mem: MemType::Normal,
    };
    /// Hypervisor constants: read-only, execute-never, EL2 only.
    pub const HYP_RODATA: Attrs = Attrs {
        access: Access::HypRo,
        xn: true,
        mem: MemType::Normal,
    };
    /// Hypervisor data, bss and stacks: read/write, execute-never, EL2 only.
    pub const HYP_DATA: Attrs = Attrs {
        access: Access::HypRw,
        xn: true,
        mem: MemType::Normal,
    };
    /// A device the hypervisor drives: read/write, execute-never, EL2 only.
    pub const HYP_DEVICE: Attrs = Attrs {
        access: Access::HypRw,
        xn: true,
        mem: MemType::Device,
    };

    /// Whether the region would be both writable and executable.
    pub const fn is_wx(&self) -> bool {
        self.access.writable() && !self.xn
    }
}

/// Shareability written for normal memory: outer shareable, so both cores
/// see one coherent copy (the Cortex-R52 treats shareable normal memory as
/// non-cacheable in L1, which keeps exclusives on the global monitor).
const SH_OUTER: u32 = 0b10;

/// The two register words of one enabled region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegionWords {
    /// `HPRBAR` value.
    pub prbar: u32,
    /// `HPRLAR` value, with `EN` set.
    pub prlar: u32,
}

/// Why a region cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// `base` is not a multiple of [`GRANULE`].
    UnalignedBase,
    /// `limit + 1` is not a multiple of [`GRANULE`].
    UnalignedLimit,
    /// `base > limit`: an empty or inverted region.
    Empty,
    /// Writable and executable at once.
    WriteExecute,
}

impl RegionWords {
    /// Encodes `[base, limit]` (both inclusive) with `attrs`.
    pub const fn encode(base: u32, limit: u32, attrs: Attrs) -> Result<RegionWords, EncodeError> {
        if !base.is_multiple_of(GRANULE) {
            return Err(EncodeError::UnalignedBase);
        }
        if limit % GRANULE != GRANULE - 1 {
            return Err(EncodeError::UnalignedLimit);
        }
        if base > limit {
            return Err(EncodeError::Empty);
        }
        if attrs.is_wx() {
            return Err(EncodeError::WriteExecute);
        }
        let sh = match attrs.mem {
            MemType::Device => 0,
            _ => SH_OUTER,
        };
        let prbar = base | (sh << 3) | (attrs.access.ap_bits() << 1) | attrs.xn as u32;
        let prlar = (limit & !(GRANULE - 1)) | (attrs.mem.attr_index() << 1) | 1;
        Ok(RegionWords { prbar, prlar })
    }

    /// First byte covered by the region.
    pub const fn base(&self) -> u32 {
        self.prbar & !(GRANULE - 1)
    }

    /// Last byte covered by the region (inclusive).
    pub const fn limit(&self) -> u32 {
        self.prlar | (GRANULE - 1)
    }

    /// Whether `EN` is set.
    pub const fn enabled(&self) -> bool {
        self.prlar & 1 == 1
    }

    /// The attributes, or `None` if `AttrIndx` is one the hypervisor never uses.
    pub const fn attrs(&self) -> Option<Attrs> {
        let access = Access::from_ap_bits(self.prbar >> 1);
        let xn = self.prbar & 1 == 1;
        match MemType::from_attr_index((self.prlar >> 1) & 0b111) {
            Some(mem) => Some(Attrs { access, xn, mem }),
            None => None,
        }
    }

    /// Whether the region covers every byte of `[base, limit]`.
    pub const fn covers(&self, base: u32, limit: u32) -> bool {
        self.base() <= base && limit <= self.limit()
    }

    /// Whether the region shares at least one byte with `[base, limit]`.
    pub const fn overlaps(&self, base: u32, limit: u32) -> bool {
        self.base() <= limit && base <= self.limit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_hyp_text_region() {
        let w = RegionWords::encode(0x1000_0000, 0x1000_3FFF, Attrs::HYP_TEXT).unwrap();
        assert_eq!(w.prbar, 0x1000_0000 | (0b10 << 3) | (0b10 << 1));
        assert_eq!(w.prlar, 0x1000_3FC0 | 1);
        assert_eq!(w.base(), 0x1000_0000);
        assert_eq!(w.limit(), 0x1000_3FFF);
        assert_eq!(w.attrs(), Some(Attrs::HYP_TEXT));
    }

    #[test]
    fn device_is_non_shareable_and_attr1() {
        let w = RegionWords::encode(0xE020_5000, 0xE020_5FFF, Attrs::HYP_DEVICE).unwrap();
        assert_eq!((w.prbar >> 3) & 0b11, 0);
        assert_eq!((w.prlar >> 1) & 0b111, 1);
        assert_eq!(w.attrs(), Some(Attrs::HYP_DEVICE));
    }

    #[test]
    fn refuses_unaligned_empty_and_wx() {
        let rwx = Attrs {
            access: Access::GuestRw,
            xn: false,
            mem: MemType::Normal,
        };
        assert_eq!(
            RegionWords::encode(0x20, 0x3F, Attrs::HYP_DATA),
            Err(EncodeError::UnalignedBase)
        );
        assert_eq!(
            RegionWords::encode(0x0, 0x3E, Attrs::HYP_DATA),
            Err(EncodeError::UnalignedLimit)
        );
        assert_eq!(
            RegionWords::encode(0x80, 0x3F, Attrs::HYP_DATA),
            Err(EncodeError::Empty)
        );
        assert_eq!(
            RegionWords::encode(0x0, 0x3F, rwx),
            Err(EncodeError::WriteExecute)
        );
    }

    #[test]
    fn covers_and_overlaps_are_inclusive() {
        let w = RegionWords::encode(0x1000, 0x1FFF, Attrs::HYP_DATA).unwrap();
        assert!(w.covers(0x1000, 0x1FFF));
        assert!(!w.covers(0xFC0, 0x1FFF));
        assert!(w.overlaps(0x1FFF, 0x2FFF));
        assert!(!w.overlaps(0x2000, 0x2FFF));
    }
}

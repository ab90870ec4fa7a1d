//! Why a map, unmap, ioremap or band load was refused.

use core::fmt;

use hypcfg::mpu::Attrs;
use hypcfg::put;
use hypcfg::text::{self, Out, Show};

use super::Band;

/// Which attributes of an existing region differ from the ones asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrDiff {
    /// The access permissions (`AP[2:1]`) differ.
    pub access: bool,
    /// Execute-never (`XN`) differs.
    pub xn: bool,
    /// The memory type (`AttrIndx`) differs.
    pub mem: bool,
}

impl AttrDiff {
    /// What differs between the attributes a region `has` and those `wanted`.
    pub fn between(has: Attrs, wanted: Attrs) -> AttrDiff {
        AttrDiff {
            access: has.access != wanted.access,
            xn: has.xn != wanted.xn,
            mem: has.mem != wanted.mem,
        }
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        !(self.access || self.xn || self.mem)
    }
}

impl Show for AttrDiff {
    /// Lists the differing fields, e.g. `AP (access permissions), XN (execute-never)`.
    fn show(&self, o: &mut dyn Out) {
        let names = [
            (self.access, "AP (access permissions)"),
            (self.xn, "XN (execute-never)"),
            (self.mem, "AttrIndx (memory type)"),
        ];
        let mut first = true;
        for (_, name) in names.iter().filter(|(differs, _)| *differs) {
            if !first {
                o.str(", ");
            }
            o.str(name);
            first = false;
        }
        if first {
            o.str("nothing");
        }
    }
}

impl fmt::Display for AttrDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

/// Why an MPU map operation was refused. Every refusal leaves the table and
/// the hardware exactly as they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The attributes are writable and executable at once (W^X).
    WriteExecute,
    /// The attributes give EL1 (a partition) access: a transient mapping is
    /// EL2-only, because the EL2 MPU is also the running partition's stage 2.
    GuestVisible,
    /// `base >= limit` (or a zero length): nothing to map.
    EmptyRange,
    /// The range, widened to the 64-byte granule, runs past 4 GiB.
    AddressOverflow,
    /// The range is inside an existing region whose attributes differ.
    AttrMismatch {
        /// The band of that region.
        band: Band,
        /// Which attributes differ.
        diff: AttrDiff,
    },
    /// The range overlaps an existing region without being inside it.
    PartialOverlap {
        /// The band of the region it overlaps.
        band: Band,
    },
    /// Every slot of the transient band is in use on this core.
    NoFreeSlot,
    /// Unmap: no region covers the address on this core.
    NotMapped,
    /// Unmap: the address is in a static or partition region, which unmap
    /// never removes.
    NotTransient {
        /// The band of that region.
        band: Band,
    },
    /// Unmap: the address is inside a transient region but no mapping was
    /// returned for it (an unmap of part of a region).
    PartOfRegion,
    /// The transient region already has as many users as it can count.
    TooManyUsers,
    /// ioremap: the attributes are not device memory.
    NotDevice,
    /// This core's table has not been set up (`init` not run).
    NotInitialised,
    /// This core's table is already set up: a second `init` would drop the
    /// live transient mappings (and their guards' unmaps would then fail).
    AlreadyInitialised,
    /// The core number has no table.
    NoSuchCore,
    /// This core is already inside its table (a map or unmap re-entered
    /// from something that interrupted one on the same core).
    Busy,
    /// No partition band is registered under that id.
    NoSuchBand,
    /// A static or partition region given to `init`/`load_partition_band`
    /// cannot be used (disabled, unknown memory type, inverted, or W+X).
    BadRegionWords {
        /// The band it was given for.
        band: Band,
        /// Its position in the list given.
        index: usize,
    },
    /// The bands do not fit the MPU: static + transient exceeds the region
    /// count, or more partition regions than the partition band holds.
    BandsDoNotFit,
    /// A static or partition region given to `init`/`load_partition_band`
    /// overlaps another region.
    BandOverlap {
        /// The band of the region being loaded.
        band: Band,
        /// The band of the region it overlaps.
        other: Band,
    },
}

impl MapError {
    /// A sentence a person can act on: what was refused and what to do.
    pub fn message(&self) -> &'static str {
        match self {
            MapError::WriteExecute => {
                "refused: a mapping may not be writable and executable at once (W^X); \
                 map code read-only or data execute-never"
            }
            MapError::GuestVisible => {
                "refused: the attributes give EL1 access, and the EL2 MPU is also the \
                 running partition's stage 2, so the partition could reach the range while \
                 it is mapped; map with EL2-only access (HypRw or HypRo, e.g. \
                 Attrs::HYP_DATA) and give partitions memory in the system config"
            }
            MapError::EmptyRange => {
                "refused: the range is empty (base >= limit, or length 0); the limit is \
                 exclusive and must be above the base"
            }
            MapError::AddressOverflow => {
                "refused: the range runs past 4 GiB once widened to the 64-byte MPU \
                 granule; the last granule of the address space cannot be mapped"
            }
            MapError::AttrMismatch { .. } => {
                "refused: the range is already mapped with different attributes; ask for \
                 the existing region's attributes or use another range"
            }
            MapError::PartialOverlap { .. } => {
                "refused: the range partially overlaps an existing MPU region; map a range \
                 wholly inside one region or clear of all of them"
            }
            MapError::NoFreeSlot => {
                "refused: every transient MPU slot of this core is in use; unmap a \
                 transient mapping first or reserve more transient slots"
            }
            MapError::NotMapped => {
                "unmap refused: nothing is mapped at this address on this core; unmap only \
                 through the Mapping map_mm_range returned, on the core that mapped it"
            }
            MapError::NotTransient { .. } => {
                "unmap refused: the address is in a static or partition region, which unmap \
                 never removes; map_mm_range returned that region as is, so there is \
                 nothing to undo"
            }
            MapError::PartOfRegion => {
                "unmap refused: the address is inside a transient region but is not the \
                 base of any mapping of it; unmap only through the Mapping map_mm_range \
                 returned"
            }
            MapError::TooManyUsers => {
                "refused: the existing transient region has as many users as it can count; \
                 unmap some of its mappings first"
            }
            MapError::NotDevice => {
                "ioremap refused: ioremap maps devices, so the memory type must be \
                 MemType::Device; use map_mm_range for memory"
            }
            MapError::NotInitialised => {
                "refused: this core's MPU table is not set up yet; boot must run mpu init \
                 on every core before mapping"
            }
            MapError::AlreadyInitialised => {
                "refused: this core's MPU table is already set up, and setting it up again \
                 would drop its live transient mappings; init runs once per core at boot \
                 (load a partition band to change the partition's regions)"
            }
            MapError::NoSuchBand => {
                "refused: no partition band is registered under this id; boot registers \
                 each partition's band on its core before the first switch"
            }
            MapError::Busy => {
                "refused: this core is already changing its MPU table (a map or unmap was \
                 re-entered from an interrupt on the same core); map and unmap only with \
                 interrupts masked at EL2"
            }
            MapError::NoSuchCore => {
                "refused: there is no MPU table for this core number; the image supports \
                 board::CORES cores"
            }
            MapError::BadRegionWords { .. } => {
                "refused: a static or partition region is disabled, inverted, writable and \
                 executable, or uses a memory type the hypervisor never programs; \
                 regenerate the system tables"
            }
            MapError::BandsDoNotFit => {
                "refused: the regions do not fit the MPU (static + partition + transient \
                 must not exceed the region count); shrink the partition or the \
                 transient reserve"
            }
            MapError::BandOverlap { .. } => {
                "refused: a static or partition region overlaps another region; regions \
                 must be disjoint (unmap transient mappings before switching partitions)"
            }
        }
    }
}

impl Show for MapError {
    /// The [`message`](MapError::message), with the band, attributes or
    /// index involved where there are any.
    fn show(&self, o: &mut dyn Out) {
        o.str(self.message());
        match *self {
            MapError::AttrMismatch { band, diff } => {
                put!(o, " [{} region; differing: {}]", band.name(), diff)
            }
            MapError::PartialOverlap { band } => put!(o, " [overlaps a {} region]", band.name()),
            MapError::NotTransient { band } => put!(o, " [{} region]", band.name()),
            MapError::BadRegionWords { band, index } => {
                put!(o, " [{} region #{} of the list given]", band.name(), index)
            }
            MapError::BandOverlap { band, other } => {
                put!(
                    o,
                    " [a {} region overlaps a {} region]",
                    band.name(),
                    other.name()
                )
            }
            _ => {}
        }
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

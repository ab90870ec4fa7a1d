//! Why a map, unmap, ioremap or band load was refused.

use core::fmt;

use hypcfg::mpu::Attrs;
use hypcfg::packed::Text;
use hypcfg::text::{self, Arg, Out, Show};

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
                hypcfg::text!(", ").write(o);
            }
            o.str(name);
            first = false;
        }
        if first {
            hypcfg::text!("nothing").write(o);
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
        /// Its position in the list given (below [`MAX_REGIONS`], so a
        /// byte: it keeps a `MapError` to 4 bytes, and a map's result
        /// without its address, `Result<Placed, MapError>`, to one
        /// register).
        ///
        /// [`MAX_REGIONS`]: super::MAX_REGIONS
        index: u8,
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
    pub fn message(&self) -> Text {
        match self {
            MapError::WriteExecute => {
                hypcfg::text!("refused: writable and executable at once (W^X); map code read-only or data XN")
            }
            MapError::GuestVisible => {
                hypcfg::text!(
                    "refused: the attributes give EL1 access, so the running partition could reach the \
                 range (the EL2 MPU is its stage 2); map EL2-only (HypRw or HypRo)"
                )
            }
            MapError::EmptyRange => {
                hypcfg::text!(
                    "refused: the range is empty; the limit is exclusive and must be above the base"
                )
            }
            MapError::AddressOverflow => {
                hypcfg::text!(
                    "refused: the range runs past 4 GiB once widened to the 64-byte granule; the last \
                 granule cannot be mapped"
                )
            }
            MapError::AttrMismatch { .. } => {
                hypcfg::text!(
                    "refused: the range is mapped with other attributes; use those or another range"
                )
            }
            MapError::PartialOverlap { .. } => {
                hypcfg::text!(
                    "refused: the range partially overlaps an MPU region; map inside one or clear of all"
                )
            }
            MapError::NoFreeSlot => {
                hypcfg::text!(
                    "refused: every transient MPU slot of this core is in use; unmap one or reserve more"
                )
            }
            MapError::NotMapped => {
                hypcfg::text!(
                    "unmap refused: nothing is mapped at this address on this core; unmap the Mapping \
                 map_mm_range returned, on its core"
                )
            }
            MapError::NotTransient { .. } => {
                hypcfg::text!(
                    "unmap refused: the address is in a static or partition region, which unmap never \
                 removes; nothing to undo"
                )
            }
            MapError::PartOfRegion => {
                hypcfg::text!(
                    "unmap refused: the address is not the base of a mapping; unmap the Mapping \
                 map_mm_range returned"
                )
            }
            MapError::TooManyUsers => {
                hypcfg::text!("refused: the transient region has all the users it can count; unmap some")
            }
            MapError::NotDevice => {
                hypcfg::text!("ioremap refused: the memory type is not Device; use map_mm_range for memory")
            }
            MapError::NotInitialised => {
                hypcfg::text!(
                    "refused: this core's MPU table is not set up; boot runs mpu init on every core first"
                )
            }
            MapError::AlreadyInitialised => {
                hypcfg::text!("refused: this core's MPU table is already set up; init runs once per core")
            }
            MapError::NoSuchBand => {
                hypcfg::text!(
                    "refused: no partition band is registered under this id; register it on its core \
                 first"
                )
            }
            MapError::Busy => {
                hypcfg::text!(
                    "refused: this core's MPU table is busy (re-entered); map and unmap with interrupts \
                 masked"
                )
            }
            MapError::NoSuchCore => {
                hypcfg::text!(
                    "refused: no MPU table for this core number; the image supports board::CORES cores"
                )
            }
            MapError::BadRegionWords { .. } => {
                hypcfg::text!(
                    "refused: a static or partition region is disabled, inverted, W+X or of an unknown \
                 memory type; regenerate the system tables"
                )
            }
            MapError::BandsDoNotFit => {
                hypcfg::text!(
                    "refused: static + partition + transient regions exceed the MPU's; shrink the \
                 partition or the transient reserve"
                )
            }
            MapError::BandOverlap { .. } => {
                hypcfg::text!(
                    "refused: a static or partition region overlaps another; regions must be disjoint \
                 (unmap transient mappings before a switch)"
                )
            }
        }
    }
}

impl Show for MapError {
    /// The [`message`](MapError::message), with the band, attributes or
    /// index involved where there are any.
    fn show(&self, o: &mut dyn Out) {
        self.message().write(o);
        let (template, a, b): (Text, Arg<'_>, Arg<'_>) = match self {
            MapError::AttrMismatch { band, diff } => (
                hypcfg::text!(" [{} region; differing: {}]"),
                Arg::Text(band.name()),
                diff.into(),
            ),
            MapError::PartialOverlap { band } => (
                hypcfg::text!(" [overlaps a {} region]"),
                Arg::Text(band.name()),
                Arg::Text(hypcfg::text!("")),
            ),
            MapError::NotTransient { band } => (
                hypcfg::text!(" [{} region]"),
                Arg::Text(band.name()),
                Arg::Text(hypcfg::text!("")),
            ),
            MapError::BadRegionWords { band, index } => (
                hypcfg::text!(" [{} region #{} of the list given]"),
                Arg::Text(band.name()),
                index.into(),
            ),
            MapError::BandOverlap { band, other } => (
                hypcfg::text!(" [a {} region overlaps a {} region]"),
                Arg::Text(band.name()),
                Arg::Text(other.name()),
            ),
            _ => return,
        };
        text::write(o, template, &[a, b]);
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

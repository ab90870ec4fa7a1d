//! One core's EL2 MPU table: the model of its regions and the logic of map,
//! unmap, ioremap and the partition band load, driving the hardware through
//! [`MpuHw`].

use core::ops::Range;

use hypcfg::mpu::{Attrs, MemType, RegionWords, GRANULE};

use super::{AttrDiff, MapError, Mapped, MpuHw};

/// Capacity of the table: the architecture's maximum for the regions that
/// `HPRENR` mirrors (0-31). QEMU's Cortex-R52 has 16, silicon up to 24;
/// regions past this (none exist on the R52) are disabled and left alone.
pub const MAX_REGIONS: usize = hypcfg::limits::MAX_MPU_REGIONS;

/// How many distinct mapping bases one transient region can hand out (the
/// creator's plus inclusive matches at other bases inside it).
pub const MAX_HANDLES: usize = 4;

/// Who owns a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// The hypervisor's own regions, set once at boot.
    Static,
    /// The running partition's regions, reloaded on a partition switch.
    Partition,
    /// Made by `map_mm_range`/`ioremap`; the only band unmap removes.
    Transient,
}

impl Band {
    /// The band's name in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Band::Static => "static",
            Band::Partition => "partition",
            Band::Transient => "transient",
        }
    }
}

impl core::fmt::Display for Band {
    /// The band's [`name`](Band::name).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One mapping base of a transient region and how many maps returned it
/// that have not been unmapped yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handle {
    /// The granule-aligned base the map asked for (its address rounded down).
    pub base: u32,
    /// Outstanding maps at that base (0 = this handle is free).
    pub count: u16,
}

/// One enabled region of the table (the table holds `None` for disabled ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte covered (granule-aligned).
    pub base: u32,
    /// Last byte covered, inclusive (so a region may end at 0xFFFF_FFFF).
    pub last: u32,
    /// Its attributes.
    pub attrs: Attrs,
    /// Who owns it.
    pub band: Band,
    /// The register words programmed for it.
    pub words: RegionWords,
    /// For transient regions: the outstanding maps, per base.
    handles: [Handle; MAX_HANDLES],
}

impl Region {
    /// A static or partition region from its register words.
    fn from_words(words: RegionWords, band: Band) -> Option<Region> {
        let attrs = words.attrs()?;
        if !words.enabled() || attrs.is_wx() || words.base() > words.limit() {
            return None;
        }
        Some(Region {
            base: words.base(),
            last: words.limit(),
            attrs,
            band,
            words,
            handles: [Handle::default(); MAX_HANDLES],
        })
    }

    /// How many maps of this region are outstanding (0 unless transient).
    pub fn users(&self) -> u32 {
        self.handles.iter().map(|h| u32::from(h.count)).sum()
    }

    /// The outstanding maps per base (all free unless transient).
    pub fn handles(&self) -> &[Handle; MAX_HANDLES] {
        &self.handles
    }

    /// Whether the region covers every byte of `[base, last]`.
    pub fn covers(&self, base: u32, last: u32) -> bool {
        self.base <= base && last <= self.last
    }

    /// Whether the region shares a byte with `[base, last]`.
    pub fn overlaps(&self, base: u32, last: u32) -> bool {
        self.base <= last && base <= self.last
    }

    /// Counts one more map at `base`.
    fn add_user(&mut self, base: u32) -> Result<(), MapError> {
        if let Some(h) = self.handles.iter_mut().find(|h| h.count > 0 && h.base == base) {
            h.count = h.count.checked_add(1).ok_or(MapError::TooManyUsers)?;
            return Ok(());
        }
        let free = self
            .handles
            .iter_mut()
            .find(|h| h.count == 0)
            .ok_or(MapError::TooManyUsers)?;
        *free = Handle { base, count: 1 };
        Ok(())
    }

    /// Counts one map at `base` less; `PartOfRegion` if none is outstanding.
    fn drop_user(&mut self, base: u32) -> Result<(), MapError> {
        let h = self
            .handles
            .iter_mut()
            .find(|h| h.count > 0 && h.base == base)
            .ok_or(MapError::PartOfRegion)?;
        h.count = h.count.saturating_sub(1);
        Ok(())
    }
}

/// Where the three bands are in a core's MPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bands {
    /// The hypervisor's own regions, from index 0.
    pub static_band: Range<usize>,
    /// The running partition's regions, right after the static band.
    pub partition: Range<usize>,
    /// The slots `map_mm_range` uses: the top indices of the MPU.
    pub transient: Range<usize>,
}

/// The widened, checked form of a map request.
struct Request {
    /// Granule-aligned first byte.
    base: u32,
    /// Last byte, inclusive, one below a granule boundary.
    last: u32,
}

/// Checks a request and widens `[base, limit)` to whole granules.
fn widen(base: u32, limit: u32, attrs: Attrs) -> Result<Request, MapError> {
    if attrs.is_wx() {
        return Err(MapError::WriteExecute);
    }
    if attrs.access.guest_visible() {
        return Err(MapError::GuestVisible);
    }
    if base >= limit {
        return Err(MapError::EmptyRange);
    }
    let mask = !(GRANULE - 1);
    let down = base & mask;
    let up = limit.checked_add(GRANULE - 1).ok_or(MapError::AddressOverflow)? & mask;
    if down >= up {
        return Err(MapError::EmptyRange);
    }
    let last = up.checked_sub(1).ok_or(MapError::EmptyRange)?;
    Ok(Request { base: down, last })
}

/// The bit of slot `index` in [`MpuMap::enabled`] (0 past bit 31).
const fn bit(index: usize) -> u32 {
    if index < 32 {
        1 << index
    } else {
        0
    }
}

/// The enabled-slot mask of `slots`.
fn mask_of(slots: &[Option<Region>; MAX_REGIONS]) -> u32 {
    slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_some())
        .fold(0, |m, (i, _)| m | bit(i))
}

/// What already sits at a range.
enum Lookup {
    /// Nothing overlaps it.
    Free,
    /// The region at this index covers it whole.
    Covered(usize),
    /// A region of this band overlaps it without covering it.
    Overlap(Band),
}

/// One core's EL2 MPU: the table of its regions and the hardware it mirrors.
///
/// Invariants, kept by every method and checked by the tests: the enabled
/// regions are pairwise disjoint; slot `i` of the table is `Some` exactly
/// when hardware region `i` is enabled, with the same words; static regions
/// sit in [`Bands::static_band`], partition regions in [`Bands::partition`],
/// transient ones in [`Bands::transient`] with at least one user; map and
/// unmap write only transient slots.
pub struct MpuMap<H> {
    hw: H,
    slots: [Option<Region>; MAX_REGIONS],
    /// Regions managed: `min(hw.region_count(), MAX_REGIONS)`; 0 = not set up.
    total: usize,
    /// End of the static band (= start of the partition band).
    static_end: usize,
    /// Start of the transient band (= end of the partition band).
    transient_start: usize,
    /// Bit `i` set when slot `i` holds a region (what `lookup` walks, so a
    /// map or unmap looks at the live regions only, not every slot).
    enabled: u32,
    /// Partition bands checked once ([`MpuMap::register_band`]) and kept
    /// here, so a switch loads them without checking them again.
    bands: [Option<RegisteredBand>; MAX_BANDS],
}

/// Most partition bands a table keeps (one per partition of a system).
pub const MAX_BANDS: usize = 8;
/// Most regions in one kept band.
pub const MAX_BAND_REGIONS: usize = 8;

/// A partition band that passed the checks, copied into the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RegisteredBand {
    words: [RegionWords; MAX_BAND_REGIONS],
    len: usize,
}

impl<H: MpuHw> MpuMap<H> {
    /// An empty table over `hw`; [`init`](MpuMap::init) sets it up.
    pub const fn new(hw: H) -> Self {
        MpuMap {
            hw,
            slots: [None; MAX_REGIONS],
            total: 0,
            static_end: 0,
            transient_start: 0,
            enabled: 0,
            bands: [None; MAX_BANDS],
        }
    }

    /// Programs the static band with `static_band` (indices from 0),
    /// disables every other region of the MPU, and reserves the top
    /// `transient_slots` regions for transient mappings; the partition band
    /// is what lies between (empty until
    /// [`load_partition_band`](MpuMap::load_partition_band)). Validates
    /// everything before writing anything. Runs once: a table already set
    /// up is [`MapError::AlreadyInitialised`] and stays as it is.
    pub fn init(&mut self, static_band: &[RegionWords], transient_slots: usize) -> Result<(), MapError> {
        if self.total != 0 {
            return Err(MapError::AlreadyInitialised);
        }
        let hw_count = self.hw.region_count();
        let total = hw_count.min(MAX_REGIONS);
        let static_end = static_band.len();
        let reserved = static_end
            .checked_add(transient_slots)
            .ok_or(MapError::BandsDoNotFit)?;
        if reserved > total {
            return Err(MapError::BandsDoNotFit);
        }
        let mut slots = [None; MAX_REGIONS];
        for (index, (words, slot)) in static_band.iter().zip(slots.iter_mut()).enumerate() {
            let region = Region::from_words(*words, Band::Static).ok_or(MapError::BadRegionWords {
                band: Band::Static,
                index,
            })?;
            if static_band
                .iter()
                .take(index)
                .any(|w| region.overlaps(w.base(), w.limit()))
            {
                return Err(MapError::BandOverlap {
                    band: Band::Static,
                    other: Band::Static,
                });
            }
            *slot = Some(region);
        }
        for index in 0..hw_count {
            match slots.get(index).copied().flatten() {
                Some(r) => self.hw.write_region(index, r.words),
                None => self.hw.disable_region(index),
            }
        }
        self.slots = slots;
        self.enabled = mask_of(&slots);
        self.total = total;
        self.static_end = static_end;
        self.transient_start = total.saturating_sub(transient_slots);
        Ok(())
    }

    /// Loads a partition's regions into the partition band (in order, from
    /// its first index) and disables the rest of the band. Validates first
    /// (each region usable, all fit, none overlaps another, the static band
    /// or a live transient mapping) and writes nothing if any check fails.
    ///
    /// While it runs, an old partition region at a higher index may overlap
    /// a new one for a few instructions; neither the hypervisor nor a
    /// partition touches partition memory during a switch.
    pub fn load_partition_band(&mut self, words: &[RegionWords]) -> Result<(), MapError> {
        self.check_band(words)?;
        self.install_band(words);
        Ok(())
    }

    /// Checks partition band `words` once (as [`load_partition_band`]
    /// does) and keeps a copy under `id`, for
    /// [`load_registered_band`](MpuMap::load_registered_band).
    pub fn register_band(&mut self, id: usize, words: &[RegionWords]) -> Result<(), MapError> {
        if words.len() > MAX_BAND_REGIONS {
            return Err(MapError::BandsDoNotFit);
        }
        self.check_band(words)?;
        let slot = self.bands.get_mut(id).ok_or(MapError::NoSuchBand)?;
        let mut kept = RegisteredBand {
            words: [RegionWords { prbar: 0, prlar: 0 }; MAX_BAND_REGIONS],
            len: 0,
        };
        for (k, w) in kept.words.iter_mut().zip(words) {
            *k = *w;
        }
        kept.len = words.len();
        *slot = Some(kept);
        Ok(())
    }

    /// Loads the band registered under `id`. It was checked against the
    /// static band (which never changes) when registered, so it is checked
    /// again only if transient mappings are live, the one thing that can
    /// have changed since.
    pub fn load_registered_band(&mut self, id: usize) -> Result<(), MapError> {
        let kept = self
            .bands
            .get(id)
            .copied()
            .flatten()
            .ok_or(MapError::NoSuchBand)?;
        let words = kept.words.get(..kept.len).ok_or(MapError::NoSuchBand)?;
        if self.transient_live() {
            self.check_band(words)?;
        }
        self.install_band(words);
        Ok(())
    }

    /// Checks a partition band: each region usable, all fit, none overlaps
    /// another, the static band or a live transient mapping.
    fn check_band(&self, words: &[RegionWords]) -> Result<(), MapError> {
        if self.total == 0 {
            return Err(MapError::NotInitialised);
        }
        let band = self.static_end..self.transient_start;
        if words.len() > band.len() {
            return Err(MapError::BandsDoNotFit);
        }
        for (index, w) in words.iter().enumerate() {
            let r = Region::from_words(*w, Band::Partition).ok_or(MapError::BadRegionWords {
                band: Band::Partition,
                index,
            })?;
            if words.iter().take(index).any(|o| r.overlaps(o.base(), o.limit())) {
                return Err(MapError::BandOverlap {
                    band: Band::Partition,
                    other: Band::Partition,
                });
            }
            if let Some(other) = self
                .live_regions()
                .find(|o| o.band != Band::Partition && o.overlaps(r.base, r.last))
            {
                return Err(MapError::BandOverlap {
                    band: Band::Partition,
                    other: other.band,
                });
            }
        }
        Ok(())
    }

    /// Writes a checked band into the partition band, disabling the rest.
    fn install_band(&mut self, words: &[RegionWords]) {
        let band = self.static_end..self.transient_start;
        let mut given = words.iter();
        for index in band {
            let new = given.next().and_then(|w| Region::from_words(*w, Band::Partition));
            let Some(slot) = self.slots.get_mut(index) else {
                break;
            };
            match new {
                Some(r) => {
                    self.hw.write_region(index, r.words);
                    *slot = Some(r);
                    self.enabled |= bit(index);
                }
                None => {
                    if slot.take().is_some() {
                        self.hw.disable_region(index);
                    }
                    self.enabled &= !bit(index);
                }
            }
        }
    }

    /// Maps `[base, limit)` (limit exclusive) with `attrs` on this core and
    /// returns `base`, the address to use, with the band of the region that
    /// holds it (only a [`Band::Transient`] map is counted and needs an
    /// unmap). See the module documentation for the rules (granule
    /// widening, W^X, inclusive match, overlap, counts).
    pub fn map_range(&mut self, base: u32, limit: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        let req = widen(base, limit, attrs)?;
        if self.total == 0 {
            return Err(MapError::NotInitialised);
        }
        match self.lookup(req.base, req.last) {
            Lookup::Overlap(band) => Err(MapError::PartialOverlap { band }),
            Lookup::Covered(index) => {
                let region = self
                    .slots
                    .get_mut(index)
                    .and_then(Option::as_mut)
                    .ok_or(MapError::NotMapped)?;
                let diff = AttrDiff::between(region.attrs, attrs);
                if !diff.is_empty() {
                    return Err(MapError::AttrMismatch {
                        band: region.band,
                        diff,
                    });
                }
                if region.band == Band::Transient {
                    region.add_user(req.base)?;
                }
                Ok(Mapped {
                    addr: base,
                    band: region.band,
                })
            }
            Lookup::Free => {
                let index = self
                    .slots
                    .get(self.transient_start..self.total)
                    .and_then(|band| band.iter().position(Option::is_none))
                    .and_then(|i| i.checked_add(self.transient_start))
                    .ok_or(MapError::NoFreeSlot)?;
                let words = RegionWords::encode(req.base, req.last, attrs).map_err(|e| match e {
                    hypcfg::mpu::EncodeError::WriteExecute => MapError::WriteExecute,
                    _ => MapError::EmptyRange,
                })?;
                let mut handles = [Handle::default(); MAX_HANDLES];
                if let Some(first) = handles.first_mut() {
                    *first = Handle {
                        base: req.base,
                        count: 1,
                    };
                }
                let region = Region {
                    base: req.base,
                    last: req.last,
                    attrs,
                    band: Band::Transient,
                    words,
                    handles,
                };
                let slot = self.slots.get_mut(index).ok_or(MapError::NoFreeSlot)?;
                self.hw.write_region(index, words);
                *slot = Some(region);
                self.enabled |= bit(index);
                Ok(Mapped {
                    addr: base,
                    band: Band::Transient,
                })
            }
        }
    }

    /// Undoes one [`map_range`](MpuMap::map_range) that returned `addr` (any
    /// address in the same granule is accepted); the region goes when its
    /// last map does.
    pub fn unmap_range(&mut self, addr: u32) -> Result<(), MapError> {
        if self.total == 0 {
            return Err(MapError::NotInitialised);
        }
        let granule = addr & !(GRANULE - 1);
        let covers = |s: &Option<Region>| s.as_ref().is_some_and(|r| r.covers(granule, granule));
        // The transient band first (the normal case); the rest only to say
        // which band an address that is not transient belongs to.
        let index = self
            .slots
            .get(self.transient_start..self.total)
            .and_then(|band| band.iter().position(covers))
            .and_then(|i| i.checked_add(self.transient_start))
            .or_else(|| self.live().iter().position(covers))
            .ok_or(MapError::NotMapped)?;
        let Some(slot) = self.slots.get_mut(index) else {
            return Err(MapError::NotMapped);
        };
        let Some(region) = slot.as_mut() else {
            return Err(MapError::NotMapped);
        };
        if region.band != Band::Transient {
            return Err(MapError::NotTransient { band: region.band });
        }
        region.drop_user(granule)?;
        if region.users() == 0 {
            self.hw.disable_region(index);
            *slot = None;
            self.enabled &= !bit(index);
        }
        Ok(())
    }

    /// Maps a device the hypervisor drives itself: `len` bytes from `base`,
    /// with device, EL2-only `attrs`; returns `base` as
    /// [`map_range`](MpuMap::map_range) does. A device already in the
    /// static band (the console) comes back as is, without using a slot.
    pub fn ioremap(&mut self, base: u32, len: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        if attrs.mem != MemType::Device {
            return Err(MapError::NotDevice);
        }
        if attrs.access.guest_visible() {
            return Err(MapError::GuestVisible);
        }
        if len == 0 {
            return Err(MapError::EmptyRange);
        }
        let limit = base.checked_add(len).ok_or(MapError::AddressOverflow)?;
        self.map_range(base, limit, attrs)
    }

    fn lookup(&self, base: u32, last: u32) -> Lookup {
        let mut live = self.enabled;
        while live != 0 {
            let index = live.trailing_zeros() as usize;
            live &= live.wrapping_sub(1);
            let Some(Some(r)) = self.slots.get(index) else {
                continue;
            };
            if r.covers(base, last) {
                return Lookup::Covered(index);
            }
            if r.overlaps(base, last) {
                return Lookup::Overlap(r.band);
            }
        }
        Lookup::Free
    }

    /// The enabled regions, walked through the enabled-slot mask.
    fn live_regions(&self) -> impl Iterator<Item = &Region> {
        let mut live = self.enabled;
        core::iter::from_fn(move || {
            while live != 0 {
                let index = live.trailing_zeros() as usize;
                live &= live.wrapping_sub(1);
                if let Some(Some(r)) = self.slots.get(index) {
                    return Some(r);
                }
            }
            None
        })
    }

    /// The slots of the regions the table manages.
    fn live(&self) -> &[Option<Region>] {
        self.slots.get(..self.total).unwrap_or(&self.slots)
    }

    /// The region in slot `index`, if enabled.
    pub fn region(&self, index: usize) -> Option<&Region> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    /// Every enabled region with its index.
    pub fn regions(&self) -> impl Iterator<Item = (usize, &Region)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|r| (i, r)))
    }

    /// Number of regions the table manages (0 before [`init`](MpuMap::init)).
    pub fn region_count(&self) -> usize {
        self.total
    }

    /// Where the bands are.
    pub fn bands(&self) -> Bands {
        Bands {
            static_band: 0..self.static_end,
            partition: self.static_end..self.transient_start,
            transient: self.transient_start..self.total,
        }
    }

    /// Number of transient slots in use.
    /// Whether any transient region is live (from the enabled mask).
    fn transient_live(&self) -> bool {
        let all = 1u64.checked_shl(self.total as u32).unwrap_or(0).wrapping_sub(1);
        let below = 1u64
            .checked_shl(self.transient_start as u32)
            .unwrap_or(0)
            .wrapping_sub(1);
        u64::from(self.enabled) & (all & !below) != 0
    }

    /// How many transient regions are live.
    pub fn transient_in_use(&self) -> usize {
        self.regions().filter(|(_, r)| r.band == Band::Transient).count()
    }

    /// The hardware behind the table.
    pub fn hw(&self) -> &H {
        &self.hw
    }

    /// The hardware behind the table, to edit a fake's log in tests.
    #[cfg(test)]
    pub fn hw_mut(&mut self) -> &mut H {
        &mut self.hw
    }
}

//! One core's EL2 MPU table: the model of its regions and the logic of map,
//! unmap, ioremap and the partition band load, driving the hardware through
//! [`MpuHw`].

use core::num::NonZeroU32;
use core::ops::Range;

use hypcfg::mpu::{Attrs, MemType, RegionWords, GRANULE};
use hypcfg::packed::Text;
use hypcfg::text::{self, Out, Show};

use super::{AttrDiff, MapError, Mapped, MpuHw, Placed};

/// Capacity of the table: the architecture's maximum for the regions that
/// `HPRENR` mirrors (0-31). QEMU's Cortex-R52 has 16, silicon up to 24;
/// regions past this (none exist on the R52) are disabled and left alone.
pub const MAX_REGIONS: usize = hypcfg::limits::MAX_MPU_REGIONS;

const _: () = assert!(
    MAX_REGIONS.is_power_of_two(),
    "unmap_at masks a slot hint with MAX_REGIONS - 1"
);

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
    pub const fn name(self) -> Text {
        match self {
            Band::Static => hypcfg::text!("static"),
            Band::Partition => hypcfg::text!("partition"),
            Band::Transient => hypcfg::text!("transient"),
        }
    }
}

impl Show for Band {
    /// The band's [`name`](Band::name).
    fn show(&self, o: &mut dyn Out) {
        self.name().write(o)
    }
}

impl core::fmt::Display for Band {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        text::display(self.into(), f)
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

/// Bits of one handle's count in [`Uses::counts`].
const LANE_BITS: u32 = 16;
/// One handle's count at lane 0 of a word of [`Uses::counts`].
const LANE: u32 = (1 << LANE_BITS) - 1;
/// Lanes (handles' counts) in a word of [`Uses::counts`].
const LANES: usize = (u32::BITS / LANE_BITS) as usize;

const _: () = assert!(
    MAX_HANDLES == 2 * LANES,
    "Uses::counts is two words of lanes, one per handle"
);

/// The outstanding maps of one slot, per base: what a [`Handle`] array
/// holds, laid out for the map and unmap paths. Handle `i` is `bases[i]`
/// and the 16-bit lane `i % 2` of `counts[i / 2]`, so "no map outstanding
/// at any base" (the region goes) is both words zero, and a map that
/// makes a region sets its creator's handle with two stores.
///
/// Only a live transient slot has a non-zero count: a map sets counts only
/// on the transient slot it enables or matches, and the unmap that brings
/// them to zero disables the slot ([`MpuMap::uses_exact`] checks it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
struct Uses {
    /// Lane `i % 2` (bits `16 (i % 2)..16 (i % 2) + 16`) of word `i / 2`:
    /// the count of handle `i`.
    counts: [u32; 2],
    /// The base of handle `i` (stale while its count is zero).
    bases: [u32; MAX_HANDLES],
}

impl Uses {
    /// No map outstanding.
    const FREE: Uses = Uses {
        counts: [0; 2],
        bases: [0; MAX_HANDLES],
    };

    /// Where handle `i`'s count is: a word of `counts` and a shift.
    #[inline(always)]
    fn lane(i: usize) -> (usize, u32) {
        (i / LANES, LANE_BITS.wrapping_mul((i % LANES) as u32))
    }

    /// The count of handle `i`.
    #[inline(always)]
    fn count(&self, i: usize) -> u16 {
        let (word, shift) = Self::lane(i);
        self.counts
            .get(word)
            .map_or(0, |w| (w.wrapping_shr(shift) & LANE) as u16)
    }

    /// Adds `delta` (+1 or -1) to handle `i`'s count, which must neither
    /// overflow nor go below zero (no carry or borrow into the next lane).
    #[inline(always)]
    fn add(&mut self, i: usize, delta: u32) {
        let (word, shift) = Self::lane(i);
        if let Some(w) = self.counts.get_mut(word) {
            *w = w.wrapping_add(delta.wrapping_shl(shift));
        }
    }

    /// Whether no map is outstanding at any base.
    #[inline(always)]
    fn is_free(&self) -> bool {
        let [a, b] = self.counts;
        a | b == 0
    }

    /// The handle with maps outstanding at `base`, if any (the first one,
    /// the creator's, is the usual one).
    #[inline(always)]
    fn outstanding(&self, base: u32) -> Option<usize> {
        (0..MAX_HANDLES).find(|&i| self.bases.get(i) == Some(&base) && self.count(i) != 0)
    }

    /// The handles, as reports show them.
    fn handles(&self) -> [Handle; MAX_HANDLES] {
        let mut handles = [Handle::default(); MAX_HANDLES];
        for (i, (h, base)) in handles.iter_mut().zip(self.bases).enumerate() {
            *h = Handle {
                base,
                count: self.count(i),
            };
        }
        handles
    }
}

/// One slot of the table: its region's register words and its maps, 32
/// bytes together, so a map or unmap finds all of a slot at `index << 5`
/// (no multiply, one address for both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
struct Slot {
    /// The register words of the region (see [`MpuMap::slots`]).
    words: RegionWords,
    /// The outstanding maps, per base (all free unless a live transient
    /// slot).
    uses: Uses,
}

const _: () = assert!(core::mem::size_of::<Slot>() == 32);

/// One enabled region of the table, as [`MpuMap::region`] reports it (built
/// from the table's compact per-slot words and counts on demand; the hot
/// paths never copy it).
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
}

/// Whether `words` can sit in the table: enabled, attributes the
/// hypervisor uses, not W+X, not inverted.
fn usable(words: RegionWords) -> bool {
    match words.attrs() {
        Some(attrs) => words.enabled() && !attrs.is_wx() && words.base() <= words.limit(),
        None => false,
    }
}

/// `index`, a position in a list of regions already checked to fit the
/// MPU (so below [`MAX_REGIONS`]), as a byte.
fn position(index: usize) -> u8 {
    u8::try_from(index).unwrap_or(u8::MAX)
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

/// Checks a request's range and widens `[base, limit)` to whole granules
/// (the attributes were checked before, by [`TransientAttrs::check`]).
#[inline(always)]
fn widen(base: u32, limit: u32) -> Result<Request, MapError> {
    if base >= limit {
        return Err(MapError::EmptyRange);
    }
    // limit > base >= 0, so limit - 1 does not wrap. Its granule's last
    // byte is the last byte of the widened range (the limit rounded up to
    // a granule, less one), unless that granule is the last of the
    // address space: then rounding the limit up runs past 4 GiB.
    let last = limit.wrapping_sub(1) | (GRANULE - 1);
    if last == u32::MAX {
        return Err(MapError::AddressOverflow);
    }
    Ok(Request {
        base: base & !(GRANULE - 1),
        last,
    })
}

/// Attributes a transient map may use, already checked: EL2-only and not
/// writable and executable at once. Only [`TransientAttrs::check`] makes
/// one, so a map that takes it skips no rule. It carries the attribute
/// bits of the region's `HPRBAR` and `HPRLAR`, so the map path neither
/// decodes nor encodes attributes.
///
/// The check is split from the map so that a caller with constant
/// attributes (every caller in the hypervisor) folds it away at compile
/// time while the map itself stays one out-of-line copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransientAttrs {
    bits: AttrBits,
}

impl TransientAttrs {
    /// `attrs` checked for a transient map: [`MapError::WriteExecute`] for
    /// writable + executable attributes, then [`MapError::GuestVisible`]
    /// for attributes that give EL1 any access.
    #[inline(always)]
    pub fn check(attrs: Attrs) -> Result<TransientAttrs, MapError> {
        if attrs.is_wx() {
            return Err(MapError::WriteExecute);
        }
        if attrs.access.guest_visible() {
            return Err(MapError::GuestVisible);
        }
        Ok(TransientAttrs {
            bits: AttrBits::of(attrs),
        })
    }

    /// The attributes, decoded back from their bits.
    pub fn attrs(self) -> Option<Attrs> {
        self.bits.words(0, GRANULE - 1).attrs()
    }
}

/// The attribute bits of a region's two words, as [`RegionWords::encode`]
/// writes them for some attributes, packed in one word so a checked
/// attribute set is one argument register: `HPRLAR[5:0]` (AttrIndx, EN)
/// in bits `[5:0]`, `HPRBAR[5:0]` (SH, AP, XN) in bits `[31:26]`. A region
/// is `base | prbar()`, `(last & !63) | prlar()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AttrBits(u32);

/// Where `HPRBAR`'s attribute bits sit in an [`AttrBits`].
const PRBAR_SHIFT: u32 = 26;

/// `HPRBAR.AP[2:1]`, the bits [`RegionWords::attrs`] decodes the access
/// from.
const PRBAR_AP: u32 = 0b110;
/// `HPRBAR.XN`.
const PRBAR_XN: u32 = 0b1;
/// The bits of `HPRBAR` and `HPRLAR` that [`RegionWords::attrs`] decodes
/// (AP, XN; AttrIndx): two regions have the same attributes exactly when
/// these agree.
const PRBAR_ATTRS: u32 = PRBAR_AP | PRBAR_XN;
/// See [`PRBAR_ATTRS`]: `HPRLAR.AttrIndx`.
const PRLAR_ATTRS: u32 = 0b1110;

/// [`AttrBits`] of every EL2-only, non-W+X attribute set, indexed by
/// [`AttrBits::slot`]; made at compile time by [`RegionWords::encode`], the
/// one owner of the bit layout.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "evaluated at compile time: an index out of range or an overflow fails the build"
)]
const ATTR_BITS: [AttrBits; 16] = {
    let mut table = [AttrBits(0); 16];
    let accesses = [hypcfg::mpu::Access::HypRw, hypcfg::mpu::Access::HypRo];
    let mems = [MemType::Normal, MemType::Device, MemType::NormalUncached];
    let mut a = 0;
    while a < accesses.len() {
        let mut m = 0;
        while m < mems.len() {
            let mut xn = 0;
            while xn < 2 {
                let attrs = Attrs {
                    access: accesses[a],
                    xn: xn == 1,
                    mem: mems[m],
                };
                if let Ok(w) = RegionWords::encode(0, GRANULE - 1, attrs) {
                    // A region at 0 ending below one granule: its words
                    // are the attribute bits alone.
                    assert!(w.prbar < GRANULE && w.prlar < GRANULE);
                    table[AttrBits::slot(attrs)] = AttrBits((w.prbar << PRBAR_SHIFT) | w.prlar);
                }
                xn += 1;
            }
            m += 1;
        }
        a += 1;
    }
    table
};

impl AttrBits {
    /// Where `attrs` sits in [`ATTR_BITS`]: AP\[2\] (read-only), XN,
    /// AttrIndx; below 16 for every attribute set.
    #[inline(always)]
    const fn slot(attrs: Attrs) -> usize {
        let ro = (attrs.access.ap_bits() >> 1) & 1;
        ((ro << 3) | ((attrs.xn as u32) << 2) | (attrs.mem.attr_index() & 0b11)) as usize
    }

    /// The bits of `attrs`, which must be EL2-only and not W+X (checked by
    /// [`TransientAttrs::check`] before).
    #[inline(always)]
    fn of(attrs: Attrs) -> AttrBits {
        ATTR_BITS.get(Self::slot(attrs)).copied().unwrap_or(AttrBits(0))
    }

    /// The attribute bits of `HPRBAR`.
    #[inline(always)]
    fn prbar(self) -> u32 {
        self.0 >> PRBAR_SHIFT
    }

    /// The attribute bits of `HPRLAR`.
    #[inline(always)]
    fn prlar(self) -> u32 {
        self.0 & (GRANULE - 1)
    }

    /// The words of the region `[base, last]` with these attributes.
    #[inline(always)]
    fn words(self, base: u32, last: u32) -> RegionWords {
        RegionWords {
            prbar: base | self.prbar(),
            prlar: (last & !(GRANULE - 1)) | self.prlar(),
        }
    }

    /// Whether a region with `words` has these attributes.
    #[inline(always)]
    fn matches(self, words: RegionWords) -> bool {
        (words.prbar ^ self.prbar()) & PRBAR_ATTRS == 0 && (words.prlar ^ self.prlar()) & PRLAR_ATTRS == 0
    }

    /// Which attributes of a region with `words` differ from these: each
    /// is decoded from its own bits ([`RegionWords::attrs`]), so it
    /// differs exactly when they do.
    fn diff(self, words: RegionWords) -> AttrDiff {
        let (prbar, prlar) = (words.prbar ^ self.prbar(), words.prlar ^ self.prlar());
        AttrDiff {
            access: prbar & PRBAR_AP != 0,
            xn: prbar & PRBAR_XN != 0,
            mem: prlar & PRLAR_ATTRS != 0,
        }
    }
}

/// The bit of slot `index` in [`MpuMap::enabled`] (0 past bit 31).
#[inline(always)]
const fn bit(index: usize) -> u32 {
    if index < 32 {
        1 << index
    } else {
        0
    }
}

/// The bits of slots `[from, to)`.
const fn bits(from: usize, to: usize) -> u32 {
    let below_to = match 1u32.checked_shl(to as u32) {
        Some(b) => b.wrapping_sub(1),
        None => u32::MAX,
    };
    let below_from = match 1u32.checked_shl(from as u32) {
        Some(b) => b.wrapping_sub(1),
        None => u32::MAX,
    };
    below_to & !below_from
}

/// log2 of the size of one chunk of the address space in the chunk index
/// ([`MpuMap::chunks`]): 128 MiB, so 32 chunks cover 4 GiB.
const CHUNK_SHIFT: u32 = 27;
/// Chunks in the index.
const CHUNKS: usize = 32;

/// The chunk holding `addr`.
#[inline(always)]
const fn chunk(addr: u32) -> usize {
    (addr >> CHUNK_SHIFT) as usize
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
/// Each slot is its register words and counts, one 32-byte `Slot`; a
/// [`Region`] is built from them only for reports. The band
/// of a slot is where its index lies. A chunk index (one slot mask per
/// 128 MiB of address space) narrows a lookup to the regions that can
/// touch the range, so a map or unmap looks at a region or two, not every
/// live one.
///
/// Invariants, kept by every method and checked by the tests: the enabled
/// regions are pairwise disjoint; slot `i` is enabled in the table exactly
/// when hardware region `i` is enabled, with the same words; bit `i` of
/// `chunks[c]` is set exactly when slot `i` is a static or partition slot
/// that is enabled, or holds a preloaded band, and its region touches
/// chunk `c` (every reader masks it with `enabled`; transient slots are
/// never in the index: lookups scan the live ones, at most
/// `transient_slots`, directly, so a map or unmap never updates it); static regions sit in [`Bands::static_band`],
/// partition regions in [`Bands::partition`], transient ones in
/// [`Bands::transient`] with at least one user (a non-zero count in
/// `slots[i]`), and every other slot's handles are free; map
/// and unmap write only transient slots. With the bands preloaded, the
/// hardware also holds every registered band's words, `EN` = 0, in its
/// slots of the partition band, and so do their slots' words; only the
/// loaded band's are enabled, in the table as in `HPRENR`.
///
/// The fields are in a fixed order (`repr(C)`) for the map and unmap
/// paths: the chunk index first, so a chunk's entry is one load from the
/// table's address, then the slots, each at one shifted index from it.
#[repr(C)]
pub struct MpuMap<H> {
    /// Bit `i` of entry `c`: static or partition slot `i` is enabled (or
    /// preloaded) and touches chunk `c`; read masked with `enabled`.
    /// Transient slots are never in it.
    chunks: [u32; CHUNKS],
    /// Each slot's register words (meaningful for an enabled slot and,
    /// while the bands are preloaded, a preloaded one) and outstanding
    /// maps, per base (all free unless a live transient slot).
    slots: [Slot; MAX_REGIONS],
    /// Bit `i` set when slot `i` holds a region.
    enabled: u32,
    /// The bits of the transient band's slots.
    transient: u32,
    /// Regions managed: `min(hw.region_count(), MAX_REGIONS)`; 0 = not set up.
    total: usize,
    /// End of the static band (= start of the partition band).
    static_end: usize,
    /// Start of the transient band (= end of the partition band).
    transient_start: usize,
    /// Whether every registered band sits preloaded, disabled, in its own
    /// fixed slots of the partition band ([`RegisteredBand::at`]), so a
    /// switch is one `HPRENR` write. Cleared for good (the rewrite
    /// strategy) when a band does not fit beside the others, a band is
    /// registered again, or [`MpuMap::load_partition_band`] writes
    /// regions of its own into the band.
    preload: bool,
    /// End of the preloaded slots: the next band is preloaded from here.
    preload_end: usize,
    /// Partition bands checked once ([`MpuMap::register_band`]) and kept
    /// here, so a switch loads them without checking them again.
    bands: [Option<RegisteredBand>; MAX_BANDS],
    hw: H,
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
    /// Its first slot while [`MpuMap::preload`] holds: its regions sit,
    /// disabled, in `[at, at + len)`.
    at: usize,
}

/// Words of a disabled slot.
const OFF: RegionWords = RegionWords { prbar: 0, prlar: 0 };

impl<H: MpuHw> MpuMap<H> {
    /// An empty table over `hw`; [`init`](MpuMap::init) sets it up.
    pub const fn new(hw: H) -> Self {
        MpuMap {
            hw,
            slots: [Slot {
                words: OFF,
                uses: Uses::FREE,
            }; MAX_REGIONS],
            chunks: [0; CHUNKS],
            total: 0,
            static_end: 0,
            transient_start: 0,
            enabled: 0,
            transient: 0,
            bands: [None; MAX_BANDS],
            preload: true,
            preload_end: 0,
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
        for (index, w) in static_band.iter().enumerate() {
            if !usable(*w) {
                return Err(MapError::BadRegionWords {
                    band: Band::Static,
                    index: position(index),
                });
            }
            if static_band
                .iter()
                .take(index)
                .any(|o| overlaps(*o, w.base(), w.limit()))
            {
                return Err(MapError::BandOverlap {
                    band: Band::Static,
                    other: Band::Static,
                });
            }
        }
        for index in 0..hw_count {
            match static_band.get(index) {
                Some(w) => self.set_slot(index, *w),
                None => {
                    self.hw.disable_region(index);
                    self.forget_slot(index);
                }
            }
        }
        self.total = total;
        self.static_end = static_end;
        self.transient_start = total.saturating_sub(transient_slots);
        self.transient = bits(self.transient_start, total);
        self.preload = true;
        self.preload_end = static_end;
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
    ///
    /// With the bands preloaded, no regions (clearing the band) is one
    /// `HPRENR` write that keeps the preloaded words; any regions end the
    /// preload (they overwrite preloaded slots), so every later switch
    /// rewrites the band.
    pub fn load_partition_band(&mut self, words: &[RegionWords]) -> Result<(), MapError> {
        self.check_band(words)?;
        if self.preload {
            if words.is_empty() {
                // Clearing the band: the preloaded regions stay programmed
                // (disabled), only the loaded band is switched off.
                self.enable_band(0, 0);
                return Ok(());
            }
            // Regions of its own overwrite preloaded slots: from now on
            // every switch rewrites the band.
            self.end_preload();
        }
        self.install_band(words);
        Ok(())
    }

    /// Checks partition band `words` once (as [`load_partition_band`](MpuMap::load_partition_band)
    /// does) and keeps a copy under `id`, for
    /// [`load_registered_band`](MpuMap::load_registered_band). While all
    /// registered bands fit in the partition band side by side, the band is
    /// also programmed now, disabled, into its own slots after the ones
    /// before it (the preload strategy); otherwise every switch rewrites
    /// the band (the rewrite strategy), for all bands from then on.
    pub fn register_band(&mut self, id: usize, words: &[RegionWords]) -> Result<(), MapError> {
        if words.len() > MAX_BAND_REGIONS {
            return Err(MapError::BandsDoNotFit);
        }
        self.check_band(words)?;
        let again = self.bands.get(id).ok_or(MapError::NoSuchBand)?.is_some();
        let at = self.preload_end;
        let end = at.saturating_add(words.len());
        if again || end > self.transient_start {
            self.end_preload();
        }
        let mut kept = RegisteredBand {
            words: [OFF; MAX_BAND_REGIONS],
            len: 0,
            at,
        };
        for (k, w) in kept.words.iter_mut().zip(words) {
            *k = *w;
        }
        kept.len = words.len();
        if self.preload {
            // Slots from `preload_end` up have never been enabled since
            // init (only preloaded slots below it are, one band at a
            // time), so they are disabled; `EN` = 0 keeps them so until a
            // switch to this band sets their `HPRENR` bits.
            for (index, w) in (at..end).zip(words) {
                self.hw.enable_region(
                    index,
                    RegionWords {
                        prbar: w.prbar,
                        prlar: w.prlar & !1,
                    },
                );
                // Recorded now, disabled, so a switch only flips bits.
                if let Some(slot) = self.slots.get_mut(index).map(|s| &mut s.words) {
                    *slot = *w;
                }
                self.mark_chunks(*w, bit(index), true);
            }
            self.preload_end = end;
        }
        if let Some(slot) = self.bands.get_mut(id) {
            *slot = Some(kept);
        }
        Ok(())
    }

    /// Loads the band registered under `id`. It was checked against the
    /// static band (which never changes) when registered, so it is checked
    /// again only if transient mappings are live, the one thing that can
    /// have changed since. Preloaded, it is one `HPRENR` write (the static
    /// band, this band's slots and the live transient regions enabled,
    /// every other region disabled); otherwise the band is rewritten.
    pub fn load_registered_band(&mut self, id: usize) -> Result<(), MapError> {
        // Read in place: a preloaded switch needs `at` and `len` alone, a
        // rewrite copies the words alone (below).
        let kept = self
            .bands
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(MapError::NoSuchBand)?;
        let words = kept.words.get(..kept.len).ok_or(MapError::NoSuchBand)?;
        if self.transient_live() {
            self.check_band(words)?;
        }
        if self.preload {
            let (at, len) = (kept.at, kept.len);
            self.enable_band(at, len);
        } else {
            // The table is written while they are read: a copy.
            let (words, len) = (kept.words, kept.len);
            self.install_band(words.get(..len).unwrap_or(&[]));
        }
        Ok(())
    }

    /// The preload strategy's switch: enables exactly the preloaded slots
    /// `[at, at + len)` of the partition band (none for `len` = 0), in the
    /// table and, with one `HPRENR` write, in the hardware. Their words
    /// and chunk bits were recorded when the band was registered.
    #[inline(always)]
    fn enable_band(&mut self, at: usize, len: usize) {
        let band = bits(self.static_end, self.transient_start);
        let mine = bits(at, at.saturating_add(len)) & band;
        self.enabled = (self.enabled & !band) | mine;
        self.hw.set_enabled(self.enabled);
    }

    /// Ends the preload: the chunk bits of preloaded slots that are not
    /// enabled go, so the chunk index again holds enabled slots only.
    fn end_preload(&mut self) {
        if !self.preload {
            return;
        }
        self.preload = false;
        for index in self.static_end..self.preload_end {
            if self.enabled & bit(index) == 0 {
                if let Some(w) = self.slots.get(index).map(|s| s.words) {
                    self.mark_chunks(w, bit(index), false);
                }
            }
        }
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
        let others = self.enabled & !bits(self.static_end, self.transient_start);
        for (index, w) in words.iter().enumerate() {
            if !usable(*w) {
                return Err(MapError::BadRegionWords {
                    band: Band::Partition,
                    index: position(index),
                });
            }
            let (base, last) = (w.base(), w.limit());
            if words.iter().take(index).any(|o| overlaps(*o, base, last)) {
                return Err(MapError::BandOverlap {
                    band: Band::Partition,
                    other: Band::Partition,
                });
            }
            if let Some(other) = self.first_overlap(others, base, last) {
                return Err(MapError::BandOverlap {
                    band: Band::Partition,
                    other: self.band_of(other),
                });
            }
        }
        Ok(())
    }

    /// The lowest slot in `mask` whose region overlaps `[base, last]`.
    fn first_overlap(&self, mut mask: u32, base: u32, last: u32) -> Option<usize> {
        while mask != 0 {
            let index = mask.trailing_zeros() as usize;
            mask &= mask.wrapping_sub(1);
            if self
                .slots
                .get(index)
                .is_some_and(|s| overlaps(s.words, base, last))
            {
                return Some(index);
            }
        }
        None
    }

    /// Writes a checked band into the partition band, disabling the rest.
    fn install_band(&mut self, words: &[RegionWords]) {
        let band = self.static_end..self.transient_start;
        let mut given = words.iter();
        for index in band {
            match given.next() {
                Some(w) if usable(*w) => {
                    self.forget_slot(index);
                    self.set_slot(index, *w);
                }
                _ => {
                    if self.enabled & bit(index) != 0 {
                        self.hw.disable_region(index);
                        self.forget_slot(index);
                    }
                }
            }
        }
    }

    /// Programs slot `index` (disabled in the table) with `words` and
    /// records it.
    #[inline(always)]
    fn set_slot(&mut self, index: usize, words: RegionWords) {
        self.hw.write_region(index, words);
        self.record_slot(index, words);
    }

    /// Records `words` in slot `index` (disabled in the table), whose
    /// hardware region was just programmed with them.
    #[inline(always)]
    fn record_slot(&mut self, index: usize, words: RegionWords) {
        if let Some(slot) = self.slots.get_mut(index).map(|s| &mut s.words) {
            *slot = words;
        }
        self.enabled |= bit(index);
        if self.transient & bit(index) == 0 {
            self.mark_chunks(words, bit(index), true);
        }
    }

    /// Drops slot `index` from the table (its hardware region is already
    /// disabled or about to be rewritten).
    #[inline(always)]
    fn forget_slot(&mut self, index: usize) {
        if self.enabled & bit(index) == 0 {
            return;
        }
        if self.transient & bit(index) == 0 {
            if let Some(w) = self.slots.get(index).map(|s| s.words) {
                self.mark_chunks(w, bit(index), false);
            }
        }
        self.enabled &= !bit(index);
    }

    /// Sets (`on`) or clears `mask` in the chunk index entries of the
    /// chunks the region `words` touches.
    #[inline(always)]
    fn mark_chunks(&mut self, words: RegionWords, mask: u32, on: bool) {
        let (mut c, last) = (chunk(words.base()), chunk(words.limit()));
        if c == last {
            // The usual case: a region inside one chunk.
            if let Some(entry) = self.chunks.get_mut(c) {
                *entry = if on { *entry | mask } else { *entry & !mask };
            }
            return;
        }
        loop {
            if let Some(entry) = self.chunks.get_mut(c) {
                if on {
                    *entry |= mask;
                } else {
                    *entry &= !mask;
                }
            }
            if c >= last {
                break;
            }
            c = c.wrapping_add(1);
        }
    }

    /// Maps `[base, limit)` (limit exclusive) with `attrs` on this core and
    /// returns `base`, the address to use, with the band of the region that
    /// holds it (only a [`Band::Transient`] map is counted and needs an
    /// unmap). See the module documentation for the rules (granule
    /// widening, W^X, inclusive match, overlap, counts).
    #[inline(always)]
    pub fn map_range(&mut self, base: u32, limit: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        let attrs = TransientAttrs::check(attrs)?;
        self.map_checked(base, limit, attrs)
    }

    /// [`map_range`](MpuMap::map_range) with attributes already checked
    /// ([`TransientAttrs::check`]): the rest of the rules, in the same
    /// order.
    ///
    /// The usual case, a range nothing covers, is a lookup (the regions of
    /// the range's chunk and the live transient regions, usually none, in
    /// one scan), the lowest free transient slot's two words and one
    /// `DSB`+`ISB`, and four stores into the table (the slot's words and
    /// creator's handle, the enabled mask); it touches no chunk index
    /// entry, as transient slots are kept out of the index.
    #[inline(always)]
    pub fn map_checked(&mut self, base: u32, limit: u32, attrs: TransientAttrs) -> Result<Mapped, MapError> {
        let placed = self.place(base, limit, attrs)?;
        Ok(placed.at(base))
    }

    /// [`map_checked`](MpuMap::map_checked) without the address in its
    /// result: where the range went. (The address is `base`; a caller
    /// that keeps it has a result of 4 bytes.)
    #[inline(always)]
    pub fn place(&mut self, base: u32, limit: u32, attrs: TransientAttrs) -> Result<Placed, MapError> {
        let req = widen(base, limit)?;
        match self.lookup(req.base, req.last) {
            Lookup::Free => match self.take_free_slot(&req, attrs) {
                Some(slot) => Ok(Placed {
                    band: Band::Transient,
                    slot,
                }),
                // Not set up, the transient band is empty too.
                None if self.total == 0 => Err(MapError::NotInitialised),
                None => Err(MapError::NoFreeSlot),
            },
            Lookup::Covered(index) => self.map_covered(index, &req, attrs),
            Lookup::Overlap(band) => Err(MapError::PartialOverlap { band }),
        }
    }

    /// The usual case of [`place`](MpuMap::place) alone: a range that
    /// widens without error and that nothing overlaps goes into the lowest
    /// free transient slot, whose index it returns; anything else (an
    /// error, an inclusive match, an overlap, no free slot) is `None`,
    /// with nothing changed, for `place` to handle. So `place_new`, then
    /// `place` if it was `None`, is `place`: the target's map runs this
    /// much inline and calls the whole of `place` only when it fails.
    #[inline(always)]
    pub fn place_new(&mut self, base: u32, limit: u32, attrs: TransientAttrs) -> Option<u8> {
        let req = widen(base, limit).ok()?;
        match self.lookup(req.base, req.last) {
            Lookup::Free => self.take_free_slot(&req, attrs),
            _ => None,
        }
    }

    /// Programs the lowest free transient slot with `req` and `attrs`, the
    /// creator's handle counted, and returns its index; `None`, with
    /// nothing changed, when no slot is free. `req` must overlap no region.
    #[inline(always)]
    fn take_free_slot(&mut self, req: &Request, attrs: TransientAttrs) -> Option<u8> {
        let free = NonZeroU32::new(self.transient & !self.enabled)?;
        let index = free.trailing_zeros() as usize;
        let words = attrs.bits.words(req.base, req.last);
        // The table first, then the hardware: nothing can fail from here
        // on, and the busy borrow covers both.
        // A disabled slot's handles are all free: the first one is the
        // creator's.
        if let Some(u) = self.slots.get_mut(index).map(|s| &mut s.uses) {
            u.counts = Uses::FREE.counts;
            u.add(0, 1);
            if let Some(b) = u.bases.first_mut() {
                *b = req.base;
            }
        }
        if let Some(slot) = self.slots.get_mut(index).map(|s| &mut s.words) {
            *slot = words;
        }
        // The lowest set bit of `free`: `bit(index)`.
        self.enabled |= free.get() & free.get().wrapping_neg();
        // The slot is off, so nothing is in flight through it.
        self.hw.enable_region(index, words);
        // Below 32: a bit of a `u32`.
        Some(free.trailing_zeros() as u8)
    }

    /// Whether `[base, last]` (inclusive) meets no region of the static
    /// band: what a [`open_window`](MpuMap::open_window) range needs, checked
    /// once when the range is set up (a channel queue, when the system is
    /// loaded). The static band never changes after `init`.
    pub fn clear_of_static(&self, base: u32, last: u32) -> bool {
        base <= last
            && self
                .first_overlap(bits(0, self.static_end) & self.enabled, base, last)
                .is_none()
    }

    /// Runs `f` on `[base, limit)` mapped for a copy that maps nothing
    /// else while it runs (a channel slot), and unmaps it when `f`
    /// returns: a window in the first transient slot, programmed without
    /// the chunk lookup, when no transient region is live. `Err(f)`, with
    /// nothing changed and `f` not run, otherwise (or for an empty range):
    /// the caller then takes the whole map. `f` gets
    /// `base` and cannot reach the table, so the window is gone before
    /// anything else can look at it.
    ///
    /// The lookup is skipped because its answer is known: with no live
    /// transient region, only static and partition regions could overlap
    /// the range, and the caller passes only ranges checked clear of both
    /// ([`clear_of_static`](MpuMap::clear_of_static) once; partition
    /// regions by the blob check of channel queues). Had a caller got that
    /// wrong, PMSAv8 faults an access to the overlap: the window region
    /// is EL2-only, so it cannot widen what a partition reaches.
    #[inline(always)]
    pub fn with_window<R, F: FnOnce(u32) -> R>(
        &mut self,
        base: u32,
        limit: u32,
        attrs: TransientAttrs,
        f: F,
    ) -> Result<R, F> {
        if self.enabled & self.transient != 0 || self.transient == 0 {
            return Err(f);
        }
        if base >= limit {
            return Err(f);
        }
        // Widened to whole granules; a last granule at the top of the
        // address space is fine here (the region's limit is inclusive).
        let (first, last) = (base & !(GRANULE - 1), limit.wrapping_sub(1) | (GRANULE - 1));
        let index = self.transient_start;
        let words = attrs.bits.words(first, last);
        // Neither the slot's record nor `enabled` is written: nothing
        // reads the table while the window is open (`f` cannot reach it),
        // and the slot is disabled again after it, which is what they say.
        // The slot is off, so nothing is in flight through it.
        self.hw.enable_region(index, words);
        let r = f(base);
        // Orders the copy's accesses before the region goes.
        self.hw.disable_region(index);
        Ok(r)
    }

    /// An inclusive match on slot `index`.
    fn map_covered(
        &mut self,
        index: usize,
        req: &Request,
        attrs: TransientAttrs,
    ) -> Result<Placed, MapError> {
        let band = self.band_of(index);
        let words = self
            .slots
            .get(index)
            .map(|s| s.words)
            .ok_or(MapError::NotMapped)?;
        if !attrs.bits.matches(words) {
            return Err(MapError::AttrMismatch {
                band,
                diff: attrs.bits.diff(words),
            });
        }
        if band == Band::Transient {
            self.add_user(index, req.base)?;
        }
        Ok(Placed {
            band,
            slot: position(index),
        })
    }

    /// Counts one more map of transient slot `index` at `base`.
    fn add_user(&mut self, index: usize, base: u32) -> Result<(), MapError> {
        let u = self
            .slots
            .get_mut(index)
            .map(|s| &mut s.uses)
            .ok_or(MapError::NotMapped)?;
        let handle = match u.outstanding(base) {
            Some(i) if u.count(i) == u16::MAX => return Err(MapError::TooManyUsers),
            Some(i) => i,
            None => {
                let i = (0..MAX_HANDLES)
                    .find(|&i| u.count(i) == 0)
                    .ok_or(MapError::TooManyUsers)?;
                if let Some(b) = u.bases.get_mut(i) {
                    *b = base;
                }
                i
            }
        };
        // The lane is below `u16::MAX`: no carry into the next one.
        u.add(handle, 1);
        Ok(())
    }

    /// Undoes one [`map_range`](MpuMap::map_range) that returned `addr` (any
    /// address in the same granule is accepted); the region goes when its
    /// last map does.
    ///
    /// Only a live transient region can be undone, so the search looks at
    /// those alone (usually one); the chunk index is consulted only to
    /// name the refusal of an address that is not in one.
    #[inline(always)]
    pub fn unmap_range(&mut self, addr: u32) -> Result<(), MapError> {
        let granule = addr & !(GRANULE - 1);
        // Regions are disjoint: at most one covers the granule.
        let Some(index) = self.first_overlap(self.enabled & self.transient, granule, granule) else {
            return Err(self.unmap_refusal(granule));
        };
        let u = self
            .slots
            .get_mut(index)
            .map(|s| &mut s.uses)
            .ok_or(MapError::NotMapped)?;
        let handle = u.outstanding(granule).ok_or(MapError::PartOfRegion)?;
        // The lane is not zero: no borrow from the next one.
        u.add(handle, u32::MAX);
        if u.is_free() {
            self.enabled &= !bit(index);
            self.hw.disable_region(index);
        }
        Ok(())
    }

    /// [`unmap_range`](MpuMap::unmap_range) of `addr`, looking first at
    /// `slot`, the slot its map returned ([`Mapped::slot`]): what dropping
    /// a [`Mapping`](super::Mapping) does.
    ///
    /// When `slot`'s first handle (the creator's) is outstanding at
    /// `addr`'s granule, `slot` is a live transient slot (only those have
    /// counts) whose region covers the granule (a handle's
    /// base lies in its region), and regions are disjoint, so it is the
    /// one [`unmap_range`] would find, with the same handle: the same
    /// unmap, without the search. Anything else is [`unmap_range`] itself,
    /// with its refusals.
    ///
    /// [`unmap_range`]: MpuMap::unmap_range
    #[inline(always)]
    pub fn unmap_at(&mut self, slot: usize, addr: u32) -> Result<(), MapError> {
        if self.unmap_hinted(slot, addr) {
            return Ok(());
        }
        self.unmap_searched(addr)
    }

    /// The first half of [`unmap_at`](MpuMap::unmap_at): the unmap of
    /// `addr` at `slot` if that slot's first handle is outstanding at
    /// `addr`'s granule (then `true`); `false`, with nothing changed,
    /// otherwise, and the unmap is [`unmap_range`](MpuMap::unmap_range)'s.
    #[inline(always)]
    pub fn unmap_hinted(&mut self, slot: usize, addr: u32) -> bool {
        let granule = addr & !(GRANULE - 1);
        // A hint past the table folds onto a slot of it, which the check
        // below then accepts or not; the bounds checks fold away.
        let slot = slot & (MAX_REGIONS - 1);
        let Some(u) = self.slots.get_mut(slot).map(|s| &mut s.uses) else {
            return false;
        };
        if u.bases.first() != Some(&granule) || u.count(0) == 0 {
            return false;
        }
        u.add(0, u32::MAX);
        if u.is_free() {
            self.enabled &= !bit(slot);
            self.hw.disable_region(slot);
        }
        true
    }

    /// [`unmap_range`](MpuMap::unmap_range), out of line: the fallback of
    /// [`unmap_at`](MpuMap::unmap_at), which the guard's unmap, always
    /// hinted right, never takes, so each guard's inlined unmap carries a
    /// call instead of the search.
    #[cold]
    #[inline(never)]
    pub fn unmap_searched(&mut self, addr: u32) -> Result<(), MapError> {
        self.unmap_range(addr)
    }

    /// Why `granule`, in no live transient region, cannot be unmapped.
    #[cold]
    #[inline(never)]
    fn unmap_refusal(&self, granule: u32) -> MapError {
        if self.total == 0 {
            return MapError::NotInitialised;
        }
        let candidates = self.chunks.get(chunk(granule)).copied().unwrap_or(0) & self.enabled;
        match self.first_overlap(candidates, granule, granule) {
            Some(index) => MapError::NotTransient {
                band: self.band_of(index),
            },
            None => MapError::NotMapped,
        }
    }

    /// Maps a device the hypervisor drives itself: `len` bytes from `base`,
    /// with device, EL2-only `attrs`; returns `base` as
    /// [`map_range`](MpuMap::map_range) does. A device already in the
    /// static band (the console) comes back as is, without using a slot.
    pub fn ioremap(&mut self, base: u32, len: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        let limit = ioremap_limit(base, len, attrs)?;
        self.map_range(base, limit, attrs)
    }

    /// What sits at `[base, last]`: only the regions the chunk index puts in
    /// the chunks the range touches, and the live transient regions (kept
    /// out of the index), can overlap it. They are scanned together, in
    /// index order, so the first region found is the lowest-indexed one
    /// that overlaps.
    #[inline(always)]
    fn lookup(&self, base: u32, last: u32) -> Lookup {
        let (mut c, end) = (chunk(base), chunk(last));
        let mut live = self.chunks.get(c).copied().unwrap_or(0);
        // A range across a chunk boundary (rare): the chunks after.
        while c < end {
            c = c.wrapping_add(1);
            live |= self.chunks.get(c).copied().unwrap_or(0);
        }
        // Transient slots are the top indices, above every static and
        // partition slot: one scan in index order looks at the chunks'
        // regions first, then the live transient ones.
        self.scan((live | self.transient) & self.enabled, base, last)
    }

    /// The first slot of `mask`, in index order, whose region overlaps
    /// `[base, last]`, and whether it covers it.
    #[inline(always)]
    fn scan(&self, mut mask: u32, base: u32, last: u32) -> Lookup {
        while mask != 0 {
            let index = mask.trailing_zeros() as usize;
            mask &= mask.wrapping_sub(1);
            let Some(w) = self.slots.get(index).map(|s| &s.words) else {
                continue;
            };
            let (b, l) = (w.base(), w.limit());
            if b <= last && base <= l {
                if b <= base && last <= l {
                    return Lookup::Covered(index);
                }
                return Lookup::Overlap(self.band_of(index));
            }
        }
        Lookup::Free
    }

    /// The band slot `index` belongs to.
    fn band_of(&self, index: usize) -> Band {
        if index < self.static_end {
            Band::Static
        } else if index < self.transient_start {
            Band::Partition
        } else {
            Band::Transient
        }
    }

    /// The region in slot `index`, if enabled.
    pub fn region(&self, index: usize) -> Option<Region> {
        if self.enabled & bit(index) == 0 {
            return None;
        }
        let words = self.slots.get(index).map(|s| s.words)?;
        let band = self.band_of(index);
        let handles = match band {
            Band::Transient => self.slots.get(index)?.uses.handles(),
            _ => [Handle::default(); MAX_HANDLES],
        };
        Some(Region {
            base: words.base(),
            last: words.limit(),
            attrs: words.attrs()?,
            band,
            words,
            handles,
        })
    }

    /// Every enabled region with its index.
    pub fn regions(&self) -> impl Iterator<Item = (usize, Region)> + '_ {
        (0..MAX_REGIONS).filter_map(|i| self.region(i).map(|r| (i, r)))
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

    /// Whether the registered bands are preloaded, so a switch is one
    /// `HPRENR` write (otherwise it rewrites the band).
    pub fn bands_preloaded(&self) -> bool {
        self.preload
    }

    /// Whether any transient region is live (from the enabled mask).
    fn transient_live(&self) -> bool {
        self.enabled & self.transient != 0
    }

    /// How many transient regions are live.
    pub fn transient_in_use(&self) -> usize {
        (self.enabled & self.transient).count_ones() as usize
    }

    /// The hardware behind the table.
    pub fn hw(&self) -> &H {
        &self.hw
    }

    /// Whether the chunk index holds exactly the enabled static and
    /// partition slots and, while the bands are preloaded, the preloaded
    /// ones, and no transient slot (for the tests).
    #[cfg(test)]
    pub fn chunks_exact(&self) -> bool {
        (0..CHUNKS).all(|c| {
            let want = (0..self.total).fold(0u32, |m, i| {
                let preloaded = self.preload && (self.static_end..self.preload_end).contains(&i);
                let indexed = self.enabled & bit(i) != 0 && self.transient & bit(i) == 0;
                let live = indexed || preloaded;
                let w = self.slots[i].words;
                if live && chunk(w.base()) <= c && c <= chunk(w.limit()) {
                    m | bit(i)
                } else {
                    m
                }
            });
            self.chunks[c] == want
        })
    }

    /// Whether every slot other than a live transient one has all its
    /// handles free, and every live transient one has a map outstanding
    /// (the invariant [`unmap_at`](MpuMap::unmap_at) relies on; for the
    /// tests).
    #[cfg(test)]
    pub fn uses_exact(&self) -> bool {
        let live = self.enabled & self.transient;
        (0..MAX_REGIONS).all(|i| self.slots[i].uses.is_free() == (live & bit(i) == 0))
    }

    /// The hardware behind the table, to edit a fake's log in tests.
    #[cfg(test)]
    pub fn hw_mut(&mut self) -> &mut H {
        &mut self.hw
    }
}

/// The checks [`MpuMap::ioremap`] makes before it maps, in order (device
/// memory, EL2-only, not empty, no overflow), and the limit it then maps
/// `[base, limit)` with [`map_range`](MpuMap::map_range) to.
pub fn ioremap_limit(base: u32, len: u32, attrs: Attrs) -> Result<u32, MapError> {
    if attrs.mem != MemType::Device {
        return Err(MapError::NotDevice);
    }
    if attrs.access.guest_visible() {
        return Err(MapError::GuestVisible);
    }
    if len == 0 {
        return Err(MapError::EmptyRange);
    }
    base.checked_add(len).ok_or(MapError::AddressOverflow)
}

/// Whether the region `words` shares a byte with `[base, last]`.
#[inline(always)]
fn overlaps(words: RegionWords, base: u32, last: u32) -> bool {
    words.base() <= last && base <= words.limit()
}

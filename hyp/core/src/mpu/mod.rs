//! The EL2 MPU map: a model of each core's EL2 MPU regions and the
//! transient mapping API on top of it (`map_mm_range` and `ioremap`, which
//! return a [`Mapping`] that unmaps when dropped), after Xen's Armv8-R MPU
//! work, with its review comments and later fixes built in.
//!
//! # Bands
//!
//! Each core's MPU is split into three bands (ARCHITECTURE.md, "EL2 MPU
//! plan"): the **static** band at indices `[0, STATIC_REGIONS)` (the
//! hypervisor's text, rodata, data and console, set at boot), the
//! **partition** band right after it (the running partition's regions),
//! and the **transient** band, the top `transient_slots` indices, which
//! only map and unmap use. The table records the band of every enabled
//! region: the band says who owns a region, and a per-base use count says
//! how many maps of it are outstanding.
//!
//! # Partition switch: two strategies
//!
//! Each partition's band is checked once, at boot
//! ([`MpuMap::register_band`]), and loaded on every switch
//! ([`MpuMap::load_registered_band`]), checked again then only if
//! transient mappings are live.
//!
//! - **Preloaded**, while all registered bands fit in the partition band
//!   side by side: registering a band programs it into its own fixed
//!   slots, after the bands before it, with `EN` = 0; a switch is one
//!   `HPRENR` write ([`MpuHw::set_enabled`]) that enables exactly the
//!   static band, that band's slots and the live transient regions, and
//!   disables the rest. The table stays exact: it keeps every preloaded
//!   band's words and chunk-index bits from registration (so a switch
//!   only flips enable bits), but only the loaded band's slots are enabled
//!   in it, and every lookup masks the chunk index with the enabled
//!   slots, so a disabled preloaded region is never a lookup's match or
//!   overlap; map takes only transient slots, so never a preloaded one.
//!   Ending the preload drops the bits of the disabled preloaded slots. Clearing the band
//!   ([`MpuMap::load_partition_band`] with no regions) is also one
//!   `HPRENR` write, and keeps the preloaded words.
//! - **Rewritten** otherwise: a band that does not fit beside the others,
//!   a band registered again under the same id, or regions of its own
//!   loaded by [`MpuMap::load_partition_band`] end the preload for good
//!   ([`MpuMap::bands_preloaded`]); from then on each switch writes the
//!   band region by region (in order, from its first index) and disables
//!   the rest of it.
//!
//! # Two cores
//!
//! Every Cortex-R52 core has its own EL2 MPU, so there is one table per
//! core ([`MpuMap`]). A core's table is changed and read only by that
//! core. The running hypervisor (`hyp/src/mpu.rs`) keeps each in a cell
//! only its core reaches, with no lock on the map/unmap path: a per-core
//! busy flag refuses a re-entry ([`MapError::Busy`]), and a report about a
//! table is made by its own core. [`Mpu`] is the host-side form, one
//! `spin::Mutex` per core, for tests that share the tables between
//! threads. A transient mapping is programmed into the calling core's MPU
//! only and recorded in that core's table only: the
//! pointer it returns is valid on that core, for the short copy the
//! hypervisor makes there, and must be unmapped on the same core. The other
//! core's table and MPU are never touched, so a map on one core can neither
//! corrupt nor be seen by the other. (The target's `Mapping` is not `Send`,
//! so it is dropped, and unmapped, on the core that made it.) The "already
//! covered" rule looks at the calling core's static, partition and
//! transient regions.
//!
//! # The rules
//!
//! - **Granule**: 64 bytes, the PMSAv8 minimum (Xen uses its 4 KiB page;
//!   the MPU does not need pages, and a tighter window exposes less). The
//!   range `[base, limit)` (limit exclusive) is widened down at the base and
//!   up at the limit to whole granules. The last granule of the address
//!   space (`0xFFFF_FFC0..`) cannot be asked for with an exclusive `u32`
//!   limit: such a request is [`MapError::AddressOverflow`], as is any
//!   widening past 4 GiB. No arithmetic here can overflow or panic.
//! - **Refusals before the table is touched**: writable + executable attributes
//!   ([`MapError::WriteExecute`]), then attributes that give EL1 any access
//!   ([`MapError::GuestVisible`]), then `base >= limit`
//!   ([`MapError::EmptyRange`]), then overflow.
//! - **EL2 only**: a transient mapping is always `HypRw` or `HypRo`. The
//!   EL2 MPU is also the running partition's stage 2 (`HCR.VM`), so a
//!   `GuestRw`/`GuestRo` transient region would let the partition reach
//!   that memory for as long as it lives. Partition regions have EL1
//!   access, so a map inside partition memory while its band is loaded is
//!   an [`MapError::AttrMismatch`]; the hypervisor copies into a partition
//!   with its band cleared (partition load).
//! - **Inclusive match**: a range wholly inside one existing region with the
//!   same attributes is returned as is, with no new region. If the region is
//!   transient its count goes up, so it stays until the matching unmaps; if
//!   it is static or partition nothing is recorded: the map says so (its
//!   [`Mapped::band`]), so its [`Mapping`] has nothing to undo, and a raw
//!   unmap of that address is [`MapError::NotTransient`] (never a silent
//!   no-op). A match on a partition region (only an EL2-only one can match)
//!   lasts as long as that partition's band is loaded: use it within the
//!   hypercall that made it.
//! - **Mismatch**: a range inside a region with different attributes is
//!   [`MapError::AttrMismatch`], naming which of AP, XN and AttrIndx differ.
//! - **Partial overlap**: a range that overlaps a region without being
//!   inside it (including a range spanning two regions) is
//!   [`MapError::PartialOverlap`]: an error under the lock, never a panic or
//!   a hang.
//! - **New region**: otherwise the lowest free transient slot is programmed
//!   ([`MapError::NoFreeSlot`] when none is left).
//! - **Returned address**: `base` as given (not widened), so the caller
//!   points at what it asked for, with the band of the region that holds it
//!   ([`Mapped`]): only a transient one was counted and needs an unmap.
//! - **Unmap** (what dropping a [`Mapping`] does) takes that address (any
//!   address in the same granule is accepted: it is rounded down). It must
//!   fall in a transient region
//!   ([`MapError::NotMapped`], [`MapError::NotTransient`] otherwise), and be
//!   the base of a map of it that is still outstanding
//!   ([`MapError::PartOfRegion`] otherwise). Counts are kept per base (up
//!   to [`MAX_HANDLES`] distinct bases per region), so a map of a sub-range
//!   of a transient region is undone by unmapping its own address, and an
//!   unmap of an address no map returned is refused instead of removing
//!   someone else's mapping. The last unmap removes the region.
//! - **Init** ([`MpuMap::init`]) sets a core's table up once, at boot. A
//!   second init is [`MapError::AlreadyInitialised`] and changes nothing:
//!   it would otherwise drop the live transient mappings, and their guards'
//!   unmaps would fail. A refused init leaves the table unset (maps are
//!   [`MapError::NotInitialised`]), so it can be retried.
//! - **ioremap** is map for the hypervisor's own devices: device memory
//!   ([`MapError::NotDevice`] otherwise, checked first), EL2-only access as
//!   for every map, a length instead of a limit. The console is in the
//!   static band, so its ioremap at boot returns the static window.
//!
//! # The guard
//!
//! `map_mm_range` and `ioremap` on the target return a [`Mapping`]: the
//! address (the target's wrapper gives a pointer) and the unmap it owes,
//! made through an [`Unmap`] (the calling core's table on the target, a
//! fake's table in the host tests). Dropping it unmaps; a failure then goes
//! to [`Unmap::unmap_failed`], which on the target prints a line starting
//! `[hyp] ERROR:` with the base and the error and stops the hypervisor
//! (exit code 1): the table no longer matches what was handed out, so
//! nothing is safe to map. A caller that wants the error instead calls
//! [`Mapping::unmap`]. A map that matched a static or partition region was
//! not counted, so its `Mapping` has nothing to undo;
//! [`Mapping::into_static`] keeps a static window for the whole run (the
//! console). No unmap result is ever discarded: the raw unmap
//! ([`Mpu::unmap`]) is reached on the target only through the guard and the
//! self tests of its refusals.
//!
//! Every error leaves the table and the hardware as they were, and the
//! borrow of a table (lock on the host, busy flag on the target) is a
//! guard, released on every return path. Nothing in this module
//! panics: slices are read with `get`, arithmetic is checked (the lints
//! below enforce it).
//!
//! # Hardware
//!
//! The table reaches the MPU only through [`MpuHw`] (`write_region`,
//! `enable_region`, `disable_region`, `set_enabled`, `region_count`). On
//! the target it is
//! `arch::mpu::El2Mpu` (`HPRSELR`, `ISB` so the selection is seen, then
//! `HPRBAR`/`HPRLAR`; `DSB` before a change to a live region and one
//! `DSB`+`ISB` after each change, so the next instruction sees it; a map
//! into a free, disabled slot skips the leading `DSB`, as nothing is in
//! flight through it; `set_enabled` is one `HPRENR` write, which sets
//! `HPRLAR.EN` of regions 0-31 as PMSAv8-32 defines, between a `DSB`
//! and a `DSB`+`ISB`); on the host a fake records the register writes,
//! `HPRENR` included, so tests can replay them.
//!
//! # Layout
//!
//! A slot of the table is one 32-byte record: its two register words and
//! its per-base counts (the bases, and the counts as 16-bit lanes of two
//! words, all zero unless the slot is a live transient one); its band is
//! where its index lies and its attributes are decoded from the words, so
//! a [`Region`] is built only for reports. Lookups go through a chunk
//! index (one slot mask per 128 MiB of address space of the static and
//! partition slots, kept with every band change, and holding the
//! preloaded bands' slots too, masked out by the enabled mask) and the
//! mask of live transient slots: a map compares the range only with the
//! regions in the chunks it touches and the live transient regions
//! (usually none), in one scan, an unmap looks at the live transient
//! regions only. A map or unmap never updates the index.
//!
//! # The usual map and unmap
//!
//! A map is usually a range nothing maps yet, into a new transient
//! region: [`MpuMap::place_new`] does exactly that (widen, look up, take
//! the lowest free transient slot) and otherwise changes nothing and says
//! so, after which [`MpuMap::place`], the whole map with every rule,
//! decides. The target runs `place_new` first and `place` only when it
//! placed nothing: the same result as `place` alone (the property tests
//! make maps both ways against the model), with a fast path whose result
//! fits two registers. [`Placed`] is a map's result without the address,
//! which is the base the caller gave. The unmap a [`Mapping`] makes goes
//! to the slot its map returned ([`MpuMap::unmap_at`]): if that slot's
//! first handle is outstanding at the address, it is the region a search
//! would find (only a live transient slot has a count), and a search
//! ([`MpuMap::unmap_range`]) with every refusal otherwise.

//! A table is never borrowed while printing or touching mapped memory. Do
//! not call into this module from an interrupt handler that can interrupt
//! a holder on the same core (EL2 runs with IRQs masked today; the target
//! refuses such a re-entry with [`MapError::Busy`]).

mod error;
pub mod hw;
mod mapping;
mod table;

#[cfg(test)]
pub mod fake;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use error::{AttrDiff, MapError};
pub use hw::MpuHw;
pub use hypcfg::mpu::GRANULE;
pub use mapping::{Mapped, Mapping, Placed, Unmap};
pub use table::{
    ioremap_limit, Band, Bands, Handle, MpuMap, Region, TransientAttrs, MAX_BANDS, MAX_BAND_REGIONS,
    MAX_HANDLES, MAX_REGIONS,
};

use hypcfg::mpu::{Attrs, RegionWords};

/// Cores with an MPU table: the board's.
use crate::board::CORES;

/// Transient slots reserved on each core: the one definition the config
/// tool checks systems against (a blob that says otherwise is refused at
/// boot).
pub const DEFAULT_TRANSIENT_SLOTS: usize = hypcfg::limits::TRANSIENT_SLOTS;

/// The MPU tables of all cores, each behind its own lock.
///
/// A core's table is changed only by that core (it drives that core's
/// MPU), so on the hot path the lock a core takes is its own and nobody
/// else's: uncontended, it costs one exclusive load/store pair and a
/// release store. Another core takes it only to read the table for a
/// report or a self test ([`Mpu::inspect`]), and then only waits for (or
/// holds off) the owner's current change; the tables never share a lock.
pub struct Mpu<H> {
    cores: [spin::Mutex<MpuMap<H>>; CORES],
}

impl<H: MpuHw> Mpu<H> {
    /// The tables, one per core, in core order.
    pub fn new(maps: [MpuMap<H>; CORES]) -> Self {
        Mpu {
            cores: maps.map(spin::Mutex::new),
        }
    }

    /// The tables, one per core, each in its lock (for a `static`).
    pub const fn from_locks(cores: [spin::Mutex<MpuMap<H>>; CORES]) -> Self {
        Mpu { cores }
    }

    /// Runs `f` on `core`'s table under that table's lock (released when
    /// `f` returns, whatever it returns). `f` drives that core's hardware
    /// seam, so on the target only the core itself may do this: the
    /// running hypervisor's instance is private to this module and reached
    /// through functions that pass the calling core's number.
    #[inline(always)]
    pub fn with_core<R>(&self, core: usize, f: impl FnOnce(&mut MpuMap<H>) -> R) -> Result<R, MapError> {
        let mut map = self.cores.get(core).ok_or(MapError::NoSuchCore)?.lock();
        Ok(f(&mut map))
    }

    /// Runs `f` on a shared view of `core`'s table under its lock (for
    /// reports and checks; any core may look at any table).
    pub fn inspect<R>(&self, core: usize, f: impl FnOnce(&MpuMap<H>) -> R) -> Result<R, MapError> {
        let map = self.cores.get(core).ok_or(MapError::NoSuchCore)?.lock();
        Ok(f(&map))
    }

    /// [`MpuMap::init`] on `core`'s table.
    pub fn init(
        &self,
        core: usize,
        static_band: &[RegionWords],
        transient_slots: usize,
    ) -> Result<(), MapError> {
        self.with_core(core, |m| m.init(static_band, transient_slots))?
    }

    /// [`MpuMap::load_partition_band`] on `core`'s table.
    pub fn load_partition_band(&self, core: usize, words: &[RegionWords]) -> Result<(), MapError> {
        self.with_core(core, |m| m.load_partition_band(words))?
    }

    /// [`MpuMap::register_band`] on `core`'s table.
    pub fn register_band(&self, core: usize, id: usize, words: &[RegionWords]) -> Result<(), MapError> {
        self.with_core(core, |m| m.register_band(id, words))?
    }

    /// [`MpuMap::load_registered_band`] on `core`'s table.
    pub fn load_registered_band(&self, core: usize, id: usize) -> Result<(), MapError> {
        self.with_core(core, |m| m.load_registered_band(id))?
    }

    /// [`MpuMap::map_range`] on `core`'s table.
    #[inline]
    pub fn map(&self, core: usize, base: u32, limit: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        self.with_core(core, |m| m.map_range(base, limit, attrs))?
    }

    /// [`MpuMap::unmap_range`] on `core`'s table.
    #[inline]
    pub fn unmap(&self, core: usize, addr: u32) -> Result<(), MapError> {
        self.with_core(core, |m| m.unmap_range(addr))?
    }

    /// [`MpuMap::ioremap`] on `core`'s table.
    pub fn ioremap(&self, core: usize, base: u32, len: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        self.with_core(core, |m| m.ioremap(base, len, attrs))?
    }

    /// Whether some core holds a table's lock right now (for tests and
    /// reports).
    pub fn is_locked(&self) -> bool {
        self.cores.iter().any(spin::Mutex::is_locked)
    }
}

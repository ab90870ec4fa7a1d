//! The running hypervisor's instance of the EL2 MPU map
//! ([`hyp_core::mpu`]): one table per core, driven through the
//! [`El2Mpu`] register seam of the calling core.
//!
//! Each core's table sits in a cell only that core ever reaches: every
//! function here works on the calling core's table (its number from
//! `MPIDR`), so no lock is taken on the map/unmap path. A table is never
//! read by another core; a report about a core's table is made by that
//! core. EL2 runs with interrupts masked, so nothing can interrupt a core
//! inside its table; should that ever change, a per-core busy flag refuses
//! the re-entry ([`MapError::Busy`]) instead of handing out a second
//! `&mut` to the table.
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::sync::atomic::{compiler_fence, AtomicBool, Ordering};

use hypcfg::mpu::{Attrs, RegionWords};

use crate::arch::mpu::El2Mpu;
use crate::board::CORES;
pub use hyp_core::mpu::*;

/// One core's table, reached only by that core ([`with_this_core`]).
struct CoreTable {
    /// Set while the owner core is inside its table. Only the owner core
    /// writes it; other cores may read it (a report that a table is in
    /// use), hence the atomic, used with relaxed loads and stores (plain
    /// `LDRB`/`STRB`).
    busy: AtomicBool,
    /// The table.
    map: UnsafeCell<MpuMap<El2Mpu>>,
}

// SAFETY: `map` is only reached through `with_this_core`, which hands it
// out only to the core whose number indexes it, one borrow at a time (the
// busy flag refuses a re-entry on that core); no other core ever touches
// it. `busy` is an atomic.
unsafe impl Sync for CoreTable {}

/// Every core's table; each core only ever works on its own.
static EL2_MPU: [CoreTable; CORES] = [const {
    CoreTable {
        busy: AtomicBool::new(false),
        map: UnsafeCell::new(MpuMap::new(El2Mpu)),
    }
}; CORES];

fn this_core() -> usize {
    crate::arch::cpu::core_id() as usize
}

/// The calling core's table (not borrowed: [`ThisTable::of`] does that).
#[inline(always)]
fn this_table() -> Result<&'static CoreTable, MapError> {
    EL2_MPU.get(this_core()).ok_or(MapError::NoSuchCore)
}

/// The calling core's table, borrowed: the busy flag is set while it
/// lives and cleared when it is dropped.
struct ThisTable {
    table: &'static CoreTable,
    /// Not `Send`: it is the calling core's and stays on it.
    _this_core: PhantomData<*mut u8>,
}

impl ThisTable {
    /// Borrows the calling core's table. The table is the calling core's
    /// alone, so this takes no lock: it only refuses a re-entry
    /// ([`MapError::Busy`]), which EL2's masked interrupts rule out today.
    #[inline(always)]
    fn get() -> Result<ThisTable, MapError> {
        Self::of(this_table()?)
    }

    /// Borrows `table`, which must be the calling core's (what [`get`]
    /// found, or what a [`Mapping`] made on this core kept).
    ///
    /// [`get`]: ThisTable::get
    #[inline(always)]
    fn of(table: &'static CoreTable) -> Result<ThisTable, MapError> {
        if table.busy.load(Ordering::Relaxed) {
            return Err(MapError::Busy);
        }
        table.busy.store(true, Ordering::Relaxed);
        // Only this core touches the table, so program order is enough;
        // the fence keeps the compiler from moving table accesses out of
        // the window the flag marks (what an interrupt on this core would
        // see).
        compiler_fence(Ordering::SeqCst);
        Ok(ThisTable {
            table,
            _this_core: PhantomData,
        })
    }

    /// The table, for as long as this borrow lives.
    #[inline(always)]
    fn map(&mut self) -> &mut MpuMap<El2Mpu> {
        // SAFETY: `table` is the calling core's (indexed by its own MPIDR
        // number; a `ThisTable` is not `Send`, so it stays on that core);
        // no other core reaches it, and the
        // busy flag, checked clear and then set by `get`, guarantees no
        // other `ThisTable` of it lives on this core. The returned borrow
        // is tied to `&mut self`, so it ends before the flag is cleared.
        unsafe { &mut *self.table.map.get() }
    }
}

impl Drop for ThisTable {
    #[inline(always)]
    fn drop(&mut self) {
        compiler_fence(Ordering::SeqCst);
        self.table.busy.store(false, Ordering::Relaxed);
    }
}

/// Runs `f` on the calling core's table (see [`ThisTable::get`]).
#[inline(always)]
fn with_this_core<R>(f: impl FnOnce(&mut MpuMap<El2Mpu>) -> R) -> Result<R, MapError> {
    let mut t = ThisTable::get()?;
    Ok(f(t.map()))
}

/// Runs `f` on a shared view of the calling core's table (for self tests
/// and reports); the table cannot be changed this way. A report about
/// another core's table is made by that core.
pub fn inspect<R>(f: impl FnOnce(&MpuMap<El2Mpu>) -> R) -> Result<R, MapError> {
    with_this_core(|m| f(m))
}

/// Whether some core is inside its table right now.
pub fn table_in_use() -> bool {
    EL2_MPU.iter().any(|t| t.busy.load(Ordering::Relaxed))
}

/// Sets up the calling core's MPU: `static_band` from index 0, every
/// other region off, the top `transient_slots` reserved. Runs at boot on
/// each core before its MPU is enabled.
pub fn init_this_core(static_band: &[RegionWords], transient_slots: usize) -> Result<(), MapError> {
    with_this_core(|m| m.init(static_band, transient_slots))?
}

/// Loads the running partition's regions into the calling core's
/// partition band (see [`MpuMap::load_partition_band`]).
pub fn load_partition_band(words: &[RegionWords]) -> Result<(), MapError> {
    with_this_core(|m| m.load_partition_band(words))?
}

/// Checks partition `id`'s band once on the calling core and keeps it
/// for [`load_registered_band`] (see [`MpuMap::register_band`]).
pub fn register_band(id: usize, words: &[RegionWords]) -> Result<(), MapError> {
    with_this_core(|m| m.register_band(id, words))?
}

/// Loads partition `id`'s registered band on the calling core: the
/// switch path (see [`MpuMap::load_registered_band`]).
pub fn load_registered_band(id: usize) -> Result<(), MapError> {
    with_this_core(|m| m.load_registered_band(id))?
}

/// The table of the core that made a [`Mapping`], as what undoes it. A
/// mapping is made and dropped on one core (`Mapping` is not `Send`), so
/// the table it names is the calling core's when it is dropped: the unmap
/// does not look the core up again.
#[derive(Clone, Copy)]
pub struct ThisCore(&'static CoreTable);

impl core::fmt::Debug for ThisCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ThisCore")
    }
}

impl Unmap for ThisCore {
    #[inline(always)]
    fn unmap(&self, base: u32) -> Result<(), MapError> {
        ThisTable::of(self.0)?.map().unmap_range(base)
    }

    #[inline(always)]
    fn unmap_slot(&self, base: u32, slot: usize) -> Result<(), MapError> {
        // `MpuMap::unmap_at`, in its two halves, so the usual path gives
        // the table back and then returns a constant `Ok` (which the
        // caller's check of the result folds away).
        let mut t = ThisTable::of(self.0)?;
        if t.map().unmap_hinted(slot, base) {
            drop(t);
            return Ok(());
        }
        t.map().unmap_searched(base)
    }

    /// A dropped mapping could not be unmapped: the hypervisor's own table
    /// no longer matches what it handed out, so nothing it maps can be
    /// trusted. Reported, then fail-stop.
    fn unmap_failed(&self, base: u32, error: MapError) {
        crate::hprintln!(
            "[hyp] ERROR: the transient mapping at {} could not be unmapped on core {}: {}",
            crate::text::hex8(base),
            this_core(),
            error
        );
        crate::hprintln!("[hyp] the EL2 MPU table is inconsistent; stopping");
        crate::run::fatal_stop(1)
    }
}

/// A transient mapping on the calling core: [`ptr`](Mapping::ptr) is valid
/// on this core while the `Mapping` lives; dropping it unmaps (fail-stop on
/// an unmap error, see [`ThisCore`]), [`unmap`](Mapping::unmap) returns the
/// error instead.
#[must_use = "dropping a Mapping unmaps it at once"]
#[derive(Debug)]
pub struct Mapping {
    inner: hyp_core::mpu::Mapping<ThisCore>,
    /// Not `Send`: it must be dropped on the core that made it.
    _this_core: PhantomData<*mut u8>,
}

impl Mapping {
    /// The guard of `mapped`, made on the calling core, whose table is
    /// `table`.
    #[inline(always)]
    fn new(mapped: Mapped, table: &'static CoreTable) -> Self {
        Mapping {
            inner: hyp_core::mpu::Mapping::new(mapped, ThisCore(table)),
            _this_core: PhantomData,
        }
    }

    /// The address asked for, as a pointer.
    #[inline]
    pub fn ptr(&self) -> *mut u8 {
        core::ptr::with_exposed_provenance_mut(self.inner.addr() as usize)
    }

    /// The address asked for.
    #[inline]
    pub fn addr(&self) -> u32 {
        self.inner.addr()
    }

    /// Unmaps now and returns the unmap's result (nothing is reported).
    #[inline(always)]
    pub fn unmap(self) -> Result<(), MapError> {
        self.inner.unmap()
    }

    /// The pointer of a window of the static band, which is never
    /// unmapped, to keep for the rest of the run (the console); the mapping
    /// back if it is anything else.
    pub fn into_static(self) -> Result<*mut u8, Mapping> {
        match self.inner.into_static() {
            Ok(addr) => Ok(core::ptr::with_exposed_provenance_mut(addr as usize)),
            Err(inner) => Err(Mapping {
                inner,
                _this_core: PhantomData,
            }),
        }
    }
}

/// Maps `[base, limit)` with `attrs` (EL2-only) on the calling core; the
/// [`Mapping`] gives the pointer to `base` and unmaps when dropped. See the
/// [module documentation](hyp_core::mpu).
///
/// The attribute checks (W^X, EL2-only) are inlined, so they fold away for
/// the constant attributes every caller passes. The map itself is out of
/// line, in two functions: `map_new`, the usual case (a range nothing
/// maps, into a new transient region), whose result comes back in two
/// registers, and, only when that did not apply, `map_any`, the whole
/// map with every rule. (Always inlining the whole map made every caller a
/// copy of it: 6 KB more code.)
#[inline(always)]
pub fn map_mm_range(base: u32, limit: u32, attrs: Attrs) -> Result<Mapping, MapError> {
    let attrs = TransientAttrs::check(attrs)?;
    match map_new(base, limit, attrs) {
        Some((table, slot)) => {
            let placed = Placed {
                band: Band::Transient,
                slot,
            };
            Ok(Mapping::new(placed.at(base), table))
        }
        None => map_any(base, limit, attrs),
    }
}

/// [`map_mm_range`] out of line, for the callers off the hot paths
/// (boot, partition loading, device windows): one copy of the map's call
/// sequence for all of them instead of one inlined into each, at the cost
/// of the attribute checks folding away and of one call.
#[inline(never)]
pub fn map_cold(base: u32, limit: u32, attrs: Attrs) -> Result<Mapping, MapError> {
    map_mm_range(base, limit, attrs)
}

/// [`MpuMap::place_new`] on the calling core's table: that table and the
/// slot of a new transient region for `[base, limit)`, or `None`, with
/// nothing changed, when the map is not that (or there is no table, or it
/// is busy). Arguments and result travel in registers.
#[inline(never)]
fn map_new(base: u32, limit: u32, attrs: TransientAttrs) -> Option<(&'static CoreTable, u8)> {
    let table = this_table().ok()?;
    let slot = ThisTable::of(table).ok()?.map().place_new(base, limit, attrs)?;
    Some((table, slot))
}

/// [`map_mm_range`] with its attributes checked, every rule
/// ([`MpuMap::place`]): what a map is when [`map_new`] did not apply.
#[cold]
#[inline(never)]
fn map_any(base: u32, limit: u32, attrs: TransientAttrs) -> Result<Mapping, MapError> {
    let table = this_table()?;
    let placed = ThisTable::of(table)?.map().place(base, limit, attrs)?;
    // A map returns the base it was given (`Mapped::addr`).
    Ok(Mapping::new(placed.at(base), table))
}

/// Runs `f` on `[base, limit)` mapped with `attrs` (EL2-only) on the
/// calling core, for a copy that maps nothing else while it runs (a
/// channel slot), and unmaps it when `f` returns. `base..limit` must be
/// clear of the static band ([`clear_of_static`]) and of every partition
/// region.
///
/// The usual case is [`MpuMap::with_window`]: no transient region is live,
/// so the range goes into the first transient slot without a lookup, and
/// the unmap is one region disable. Otherwise it is the whole map with
/// every rule (`map_any`, what [`map_mm_range`] falls back to), and its
/// guard.
#[inline(always)]
pub fn with_window<R>(
    base: u32,
    limit: u32,
    attrs: Attrs,
    f: impl FnOnce(*mut u8) -> R,
) -> Result<R, MapError> {
    let checked = TransientAttrs::check(attrs)?;
    let mut t = ThisTable::get()?;
    let windowed = t.map().with_window(base, limit, checked, |at| {
        f(core::ptr::with_exposed_provenance_mut(at as usize))
    });
    drop(t);
    match windowed {
        Ok(r) => Ok(r),
        // Not windowed: `f` (wrapped) runs under a whole map, every rule.
        Err(f) => {
            let m = map_any(base, limit, checked)?;
            Ok(f(m.addr()))
        }
    }
}

/// Whether `[base, last]` (inclusive) meets none of the calling core's
/// static band, the hypervisor's own memory (see
/// [`MpuMap::clear_of_static`]); every core's static band is the same.
pub fn clear_of_static(base: u32, last: u32) -> bool {
    inspect(|m| m.clear_of_static(base, last)).unwrap_or(false)
}

/// Maps `len` bytes of a device the hypervisor drives at `base` (device,
/// EL2-only `attrs`) on the calling core: [`MpuMap::ioremap`]'s checks
/// ([`ioremap_limit`]), then [`map_cold`].
pub fn ioremap(base: u32, len: u32, attrs: Attrs) -> Result<Mapping, MapError> {
    let limit = ioremap_limit(base, len, attrs)?;
    map_cold(base, limit, attrs)
}

/// The raw unmap of `base` on the calling core, for the self tests of its
/// refusals; everything else unmaps by dropping its [`Mapping`].
#[cfg(feature = "selftest")]
pub fn unmap_mm_range(base: u32) -> Result<(), MapError> {
    with_this_core(|m| m.unmap_range(base))?
}

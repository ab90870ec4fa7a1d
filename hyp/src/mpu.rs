//! The running hypervisor's instance of the EL2 MPU map
//! ([`hyp_core::mpu`]): one table per core, driven through the
//! [`El2Mpu`] register seam of the calling core.
use core::marker::PhantomData;

use hypcfg::mpu::{Attrs, RegionWords};

use crate::arch::mpu::El2Mpu;
use crate::board::CORES;
pub use hyp_core::mpu::*;

/// Every core's table; each core only ever works on its own.
static EL2_MPU: Mpu<El2Mpu> = Mpu::from_locks([const { spin::Mutex::new(MpuMap::new(El2Mpu)) }; CORES]);

fn this_core() -> usize {
    crate::arch::cpu::core_id() as usize
}

/// Runs `f` on a shared view of `core`'s table (for self tests and
/// reports); the tables cannot be changed this way.
pub fn inspect<R>(core: usize, f: impl FnOnce(&MpuMap<El2Mpu>) -> R) -> Result<R, MapError> {
    EL2_MPU.inspect(core, f)
}

/// Whether some core holds the MPU lock right now.
pub fn lock_is_held() -> bool {
    EL2_MPU.is_locked()
}

/// Sets up the calling core's MPU: `static_band` from index 0, every
/// other region off, the top `transient_slots` reserved. Runs at boot on
/// each core before its MPU is enabled.
pub fn init_this_core(static_band: &[RegionWords], transient_slots: usize) -> Result<(), MapError> {
    EL2_MPU.init(this_core(), static_band, transient_slots)
}

/// Loads the running partition's regions into the calling core's
/// partition band (see [`MpuMap::load_partition_band`]).
pub fn load_partition_band(words: &[RegionWords]) -> Result<(), MapError> {
    EL2_MPU.load_partition_band(this_core(), words)
}

/// Checks partition `id`'s band once on the calling core and keeps it
/// for [`load_registered_band`] (see [`MpuMap::register_band`]).
pub fn register_band(id: usize, words: &[RegionWords]) -> Result<(), MapError> {
    EL2_MPU.register_band(this_core(), id, words)
}

/// Loads partition `id`'s registered band on the calling core: the
/// switch path (see [`MpuMap::load_registered_band`]).
pub fn load_registered_band(id: usize) -> Result<(), MapError> {
    EL2_MPU.load_registered_band(this_core(), id)
}

/// The calling core's table, as what undoes a [`Mapping`]. A mapping is
/// made and dropped on one core (`Mapping` is not `Send`), so the core that
/// drops it is the one whose table recorded it.
#[derive(Debug)]
pub struct ThisCore;

impl Unmap for ThisCore {
    #[inline]
    fn unmap(&self, base: u32) -> Result<(), MapError> {
        EL2_MPU.unmap(this_core(), base)
    }

    /// A dropped mapping could not be unmapped: the hypervisor's own table
    /// no longer matches what it handed out, so nothing it maps can be
    /// trusted. Reported, then fail-stop.
    fn unmap_failed(&self, base: u32, error: MapError) {
        crate::hprintln!(
            "[hyp] ERROR: the transient mapping at {:#010x} could not be unmapped on core {}: {}",
            base,
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
    #[inline]
    fn new(mapped: Mapped) -> Self {
        Mapping {
            inner: hyp_core::mpu::Mapping::new(mapped, ThisCore),
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
    #[inline]
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
pub fn map_mm_range(base: u32, limit: u32, attrs: Attrs) -> Result<Mapping, MapError> {
    EL2_MPU.map(this_core(), base, limit, attrs).map(Mapping::new)
}

/// Maps `len` bytes of a device the hypervisor drives at `base` (device,
/// EL2-only `attrs`) on the calling core, as [`map_mm_range`] does.
pub fn ioremap(base: u32, len: u32, attrs: Attrs) -> Result<Mapping, MapError> {
    EL2_MPU.ioremap(this_core(), base, len, attrs).map(Mapping::new)
}

/// The raw unmap of `base` on the calling core, for the self tests of its
/// refusals; everything else unmaps by dropping its [`Mapping`].
#[cfg(feature = "selftest")]
pub fn unmap_mm_range(base: u32) -> Result<(), MapError> {
    EL2_MPU.unmap(this_core(), base)
}

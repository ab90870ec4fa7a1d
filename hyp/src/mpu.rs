//! The running hypervisor's instance of the EL2 MPU map
//! ([`hyp_core::mpu`]): one table per core, driven through the
//! [`El2Mpu`] register seam of the calling core.
use hypcfg::mpu::{Attrs, RegionWords};

use crate::arch::mpu::El2Mpu;
use crate::board::CORES;
pub use hyp_core::mpu::*;

/// Every core's table; each core only ever works on its own.
static EL2_MPU: Mpu<El2Mpu> = Mpu::new([const { MpuMap::new(El2Mpu) }; CORES]);

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

/// Maps `[base, limit)` with `attrs` on the calling core and returns a
/// pointer to `base`, valid on this core until the matching
/// [`unmap_mm_range`]. See the [module documentation](hyp_core::mpu).
pub fn map_mm_range(base: u32, limit: u32, attrs: Attrs) -> Result<*mut u8, MapError> {
    let addr = EL2_MPU.map(this_core(), base, limit, attrs)?;
    Ok(core::ptr::with_exposed_provenance_mut(addr as usize))
}

/// Undoes one [`map_mm_range`] that returned `base` on the calling core.
pub fn unmap_mm_range(base: u32) -> Result<(), MapError> {
    EL2_MPU.unmap(this_core(), base)
}

/// Maps `len` bytes of a device the hypervisor drives at `base` (device,
/// EL2-only `attrs`) on the calling core; returns a pointer to `base`.
pub fn ioremap(base: u32, len: u32, attrs: Attrs) -> Result<*mut u8, MapError> {
    let addr = EL2_MPU.ioremap(this_core(), base, len, attrs)?;
    Ok(core::ptr::with_exposed_provenance_mut(addr as usize))
}

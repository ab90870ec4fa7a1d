//! The hardware seam of the EL2 MPU model: what the table logic needs
//! from a core's MPU. The target implementation is
//! `arch::mpu::El2Mpu`; the host tests use the recording fake in
//! `mpu::fake`.

use hypcfg::mpu::RegionWords;

/// One core's EL2 MPU, as the table logic drives it.
///
/// Every call acts on the MPU of the core that makes it (each Cortex-R52
/// core has its own), so an implementation never needs to know which core
/// it is on. Implementations must make each change take effect before they
/// return: finish outstanding memory accesses (`DSB`) before touching a
/// region, and `DSB` + `ISB` after it, so the very next instruction already
/// sees the new map.
pub trait MpuHw {
    /// Number of regions this MPU implements (`HMPUIR.REGION`).
    fn region_count(&self) -> usize;

    /// Programs region `index` with `words` (`HPRSELR`, `HPRBAR`, `HPRLAR`;
    /// the words carry `EN`). `index < region_count()` is the caller's job.
    fn write_region(&mut self, index: usize, words: RegionWords);

    /// Programs region `index`, which is disabled, with `words`: what a
    /// map into a free transient slot does. No access can be in flight
    /// through a disabled region, so an implementation may skip the
    /// leading `DSB` of [`write_region`](MpuHw::write_region) (the trailing
    /// `DSB` + `ISB` stay). By default, `write_region`.
    #[inline(always)]
    fn enable_region(&mut self, index: usize, words: RegionWords) {
        self.write_region(index, words)
    }

    /// Disables region `index` (clears `HPRLAR`, so `EN` = 0).
    fn disable_region(&mut self, index: usize);

    /// Writes `HPRENR`: region `n` (for `n` < 32) is enabled when bit `n`
    /// of `mask` is set and disabled otherwise, as its `HPRLAR.EN` would
    /// make it; the other bits of every region stay. All regions change
    /// at once: `DSB` before (accesses through the old map finish), `DSB`
    /// + `ISB` after.
    fn set_enabled(&mut self, mask: u32);
}

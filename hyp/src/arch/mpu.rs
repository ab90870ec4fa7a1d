//! The EL2 MPU registers (`HPRSELR`/`HPRBAR`/`HPRLAR`, `HMAIR0`, `HSCTLR`),
//! with the barriers the architecture requires around each change, and
//! [`El2Mpu`], the target side of the `mpu::MpuHw` seam.

use aarch32_cpu::asm::{dsb, isb};
use aarch32_cpu::register::{Hmair0, Hmpuir, Hprbar, Hprenr, Hprlar, Hprselr, Hsctlr};
use hypcfg::mpu::{RegionWords, HMAIR0_VALUE};

/// Number of EL2 MPU regions this core implements (`HMPUIR.REGION`).
pub fn region_count() -> usize {
    Hmpuir::read().region() as usize
}

/// Programs region `index` with `words` (which carry `EN`). The leading
/// `DSB` lets accesses through the old region finish before it changes; the
/// trailing `DSB`+`ISB` make the new region apply from the next instruction.
#[inline(always)]
pub fn write_region(index: usize, words: RegionWords) {
    dsb();
    Hprselr::write(Hprselr(index as u32));
    isb();
    Hprbar::write(Hprbar::new_with_raw_value(words.prbar));
    Hprlar::write(Hprlar::new_with_raw_value(words.prlar));
    dsb();
    isb();
}

/// Programs region `index`, which is disabled, with `words`: as
/// [`write_region`] without the leading `DSB`, which only orders accesses
/// through the region before it changes, and there are none through a
/// disabled region (with the background region off they would have
/// faulted). The `ISB` after `HPRSELR` stays: the selection must be seen
/// by the `HPRBAR`/`HPRLAR` writes.
#[inline(always)]
pub fn enable_region(index: usize, words: RegionWords) {
    Hprselr::write(Hprselr(index as u32));
    isb();
    Hprbar::write(Hprbar::new_with_raw_value(words.prbar));
    Hprlar::write(Hprlar::new_with_raw_value(words.prlar));
    dsb();
    isb();
}

/// Disables region `index` (clears `HPRLAR.EN` and the limit), after every
/// access through it has finished (`DSB`), effective from the next
/// instruction (`DSB`+`ISB`).
#[inline(always)]
pub fn disable_region(index: usize) {
    dsb();
    Hprselr::write(Hprselr(index as u32));
    isb();
    Hprlar::write(Hprlar::new_with_raw_value(0));
    dsb();
    isb();
}

/// Writes `HPRENR`: region `n` (0-31) enabled exactly when bit `n` of
/// `mask` is set, as writing its `HPRLAR.EN` would (PMSAv8-32); base, limit
/// and attributes stay. The leading `DSB` lets accesses through the old
/// map finish; the trailing `DSB`+`ISB` make the new one apply from the
/// next instruction. One write changes every region at once, so no mix of
/// two maps is ever live.
#[inline(always)]
pub fn set_enabled(mask: u32) {
    dsb();
    // SAFETY: the caller's mask keeps the static band (the hypervisor's
    // code, data and console) enabled; it only switches partition and
    // transient regions the table has programmed.
    unsafe { Hprenr::write(Hprenr(mask)) };
    dsb();
    isb();
}

/// Reads region `index` back.
pub fn read_region(index: usize) -> RegionWords {
    Hprselr::write(Hprselr(index as u32));
    isb();
    RegionWords {
        prbar: Hprbar::read().raw_value(),
        prlar: Hprlar::read().raw_value(),
    }
}

/// `HPRENR`: bit `n` mirrors `HPRLAR.EN` of region `n`, for regions 0-31.
pub fn enabled_mask() -> u32 {
    Hprenr::read().0
}

/// Sets the memory attributes and turns the EL2 MPU on with the background
/// region off, so anything not covered by a region faults at EL2. Caches
/// are enabled only now, after the regions that give them meaning exist.
pub fn enable() {
    // SAFETY: HMAIR0 only changes how regions programmed by us are cached.
    unsafe { Hmair0::write(Hmair0(HMAIR0_VALUE)) };
    dsb();
    Hsctlr::modify(|r| {
        r.set_br(false);
        r.set_wxn(true);
        r.set_m(true);
        r.set_c(true);
        r.set_i(true);
    });
    dsb();
    isb();
}

/// Whether the EL2 MPU is on and the background region off.
pub fn is_enabled() -> bool {
    let r = Hsctlr::read();
    r.m() && !r.br()
}

/// The calling core's EL2 MPU as the `mpu` table drives it (each core has
/// its own MPU, so one zero-sized value serves every core).
#[derive(Clone, Copy, Debug, Default)]
pub struct El2Mpu;

impl hyp_core::mpu::MpuHw for El2Mpu {
    fn region_count(&self) -> usize {
        region_count()
    }

    fn write_region(&mut self, index: usize, words: RegionWords) {
        write_region(index, words)
    }

    #[inline(always)]
    fn enable_region(&mut self, index: usize, words: RegionWords) {
        enable_region(index, words)
    }

    #[inline(always)]
    fn disable_region(&mut self, index: usize) {
        disable_region(index)
    }

    #[inline(always)]
    fn set_enabled(&mut self, mask: u32) {
        set_enabled(mask)
    }
}

//! The EL2 MPU registers (`HPRSELR`/`HPRBAR`/`HPRLAR`, `HMAIR0`, `HSCTLR`),
//! with the barriers the architecture requires after each change.

use aarch32_cpu::asm::{dsb, isb};
use aarch32_cpu::register::{Hmair0, Hmpuir, Hprbar, Hprlar, Hprselr, Hsctlr};
use hypcfg::mpu::{RegionWords, HMAIR0_VALUE};

/// Number of EL2 MPU regions this core implements (`HMPUIR.REGION`).
pub fn region_count() -> usize {
    Hmpuir::read().region() as usize
}

/// Programs region `index` with `words` (which carry `EN`).
pub fn write_region(index: usize, words: RegionWords) {
    Hprselr::write(Hprselr(index as u32));
    isb();
    Hprbar::write(Hprbar::new_with_raw_value(words.prbar));
    Hprlar::write(Hprlar::new_with_raw_value(words.prlar));
    dsb();
    isb();
}

/// Disables region `index` (clears `HPRLAR.EN` and the limit).
pub fn disable_region(index: usize) {
    Hprselr::write(Hprselr(index as u32));
    isb();
    Hprlar::write(Hprlar::new_with_raw_value(0));
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

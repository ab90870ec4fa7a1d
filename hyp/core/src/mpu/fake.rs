//! The host twin of `arch::mpu::El2Mpu`: records the register writes the
//! target backend would make, in order, so tests can check exactly what the
//! table told the hardware and replay it into a register file.

use std::cell::RefCell;

use hypcfg::mpu::RegionWords;

use super::{MapError, Mpu, MpuHw, Unmap};

/// One register write of the EL2 MPU, as the target backend issues them:
/// `write_region` = `HPRSELR`, `HPRBAR`, `HPRLAR`; `disable_region` =
/// `HPRSELR`, `HPRLAR` = 0 (barriers are not recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegWrite {
    /// `HPRSELR`: selects the region the next two registers address.
    Hprselr(usize),
    /// `HPRBAR` of the selected region.
    Hprbar(u32),
    /// `HPRLAR` of the selected region.
    Hprlar(u32),
    /// `HPRENR`: sets `HPRLAR.EN` of regions 0-31 to the mask's bits.
    Hprenr(u32),
}

/// A recording EL2 MPU with `regions` regions.
#[derive(Clone, Debug)]
pub struct FakeMpu {
    /// What `region_count` reports.
    pub regions: usize,
    /// Every register write so far, oldest first.
    pub log: Vec<RegWrite>,
}

impl FakeMpu {
    /// A fake MPU with `regions` regions and an empty log.
    pub fn new(regions: usize) -> Self {
        FakeMpu {
            regions,
            log: Vec::new(),
        }
    }

    /// Replays `log` into a register file that starts as `initial` (one
    /// entry per region), the way the hardware would apply it.
    pub fn replay(log: &[RegWrite], initial: &[RegionWords]) -> Vec<RegionWords> {
        let mut file = initial.to_vec();
        let mut sel = 0usize;
        for w in log {
            match *w {
                RegWrite::Hprselr(i) => sel = i,
                RegWrite::Hprbar(v) => file[sel].prbar = v,
                RegWrite::Hprlar(v) => file[sel].prlar = v,
                RegWrite::Hprenr(mask) => {
                    for (i, r) in file.iter_mut().enumerate().take(32) {
                        r.prlar = (r.prlar & !1) | ((mask >> i) & 1);
                    }
                }
            }
        }
        file
    }

    /// The region indices a slice of the log wrote to.
    pub fn indices_written(log: &[RegWrite]) -> Vec<usize> {
        log.iter()
            .filter_map(|w| match w {
                RegWrite::Hprselr(i) => Some(*i),
                _ => None,
            })
            .collect()
    }
}

impl MpuHw for FakeMpu {
    fn region_count(&self) -> usize {
        self.regions
    }

    fn write_region(&mut self, index: usize, words: RegionWords) {
        assert!(
            index < self.regions,
            "write to region {index} of {}",
            self.regions
        );
        self.log.push(RegWrite::Hprselr(index));
        self.log.push(RegWrite::Hprbar(words.prbar));
        self.log.push(RegWrite::Hprlar(words.prlar));
    }

    fn disable_region(&mut self, index: usize) {
        assert!(
            index < self.regions,
            "disable of region {index} of {}",
            self.regions
        );
        self.log.push(RegWrite::Hprselr(index));
        self.log.push(RegWrite::Hprlar(0));
    }

    fn set_enabled(&mut self, mask: u32) {
        assert!(
            self.regions >= 32 || mask >> self.regions == 0,
            "HPRENR {mask:#x} enables a region past {}",
            self.regions
        );
        self.log.push(RegWrite::Hprenr(mask));
    }
}

/// The host twin of the target's per-core [`Unmap`]: unmaps on `core` of
/// `mpu` and records, in `failed`, every unmap a dropped mapping could not
/// make (where the target would report it and stop).
#[derive(Clone, Copy)]
pub struct FakeUnmap<'a> {
    /// The tables.
    pub mpu: &'a Mpu<FakeMpu>,
    /// The core the mapping was made on.
    pub core: usize,
    /// `(base, error)` of each failed unmap on drop, oldest first.
    pub failed: &'a RefCell<Vec<(u32, MapError)>>,
}

impl Unmap for FakeUnmap<'_> {
    fn unmap(&self, base: u32) -> Result<(), MapError> {
        self.mpu.unmap(self.core, base)
    }

    fn unmap_slot(&self, base: u32, slot: usize) -> Result<(), MapError> {
        self.mpu.with_core(self.core, |m| m.unmap_at(slot, base))?
    }

    fn unmap_failed(&self, base: u32, error: MapError) {
        self.failed.borrow_mut().push((base, error));
    }
}

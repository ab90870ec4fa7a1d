//! Unit tests of the EL2 MPU map, one per rule, against the recording fake.

use std::cell::RefCell;

use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};

use super::fake::{FakeMpu, FakeUnmap, RegWrite};
use super::*;

const TEXT: (u32, u32) = (0x1000_0000, 0x1000_4000);
const RODATA: (u32, u32) = (0x1000_4000, 0x1000_4800);
const DATA: (u32, u32) = (0x1000_4800, 0x1000_C800);
const CONSOLE: (u32, u32) = (0xE020_5000, 0xE020_6000);
const GUEST_RAM: (u32, u32) = (0x3000_0000, 0x3010_0000);
const GUEST_UART: (u32, u32) = (0xE020_6000, 0xE020_7000);
/// DDR nothing maps.
const FREE: u32 = 0x2F00_0000;

const GUEST_RW: Attrs = Attrs {
    access: Access::GuestRw,
    xn: true,
    mem: MemType::Normal,
};
const GUEST_DEV: Attrs = Attrs {
    access: Access::GuestRw,
    xn: true,
    mem: MemType::Device,
};
const RWX: Attrs = Attrs {
    access: Access::HypRw,
    xn: false,
    mem: MemType::Normal,
};

fn words((start, end): (u32, u32), attrs: Attrs) -> RegionWords {
    RegionWords::encode(start, end - 1, attrs).unwrap()
}

fn static_band() -> [RegionWords; 4] {
    [
        words(TEXT, Attrs::HYP_TEXT),
        words(RODATA, Attrs::HYP_RODATA),
        words(DATA, Attrs::HYP_DATA),
        words(CONSOLE, Attrs::HYP_DEVICE),
    ]
}

fn partition_band() -> [RegionWords; 2] {
    [words(GUEST_RAM, GUEST_RW), words(GUEST_UART, GUEST_DEV)]
}

/// A 16-region core with the static band, a partition loaded, 4 transient
/// slots (12..16), and an empty log.
fn setup() -> MpuMap<FakeMpu> {
    let mut m = MpuMap::new(FakeMpu::new(16));
    m.init(&static_band(), DEFAULT_TRANSIENT_SLOTS).unwrap();
    m.load_partition_band(&partition_band()).unwrap();
    m.hw_log_clear();
    m
}

impl MpuMap<FakeMpu> {
    fn hw_log_clear(&mut self) {
        self.hw_mut().log.clear();
    }
    fn log(&self) -> Vec<RegWrite> {
        self.hw().log.clone()
    }
    fn snapshot(&self) -> Vec<(usize, Region)> {
        self.regions().collect()
    }
}

fn transient(m: &MpuMap<FakeMpu>) -> Vec<(usize, Region)> {
    m.regions().filter(|(_, r)| r.band == Band::Transient).collect()
}

// ---- granule widening ----

#[test]
fn granule_widening_rounds_base_down_and_limit_up() {
    let mut m = setup();
    let p = m.map_range(FREE + 0x10, FREE + 0x81, Attrs::HYP_DATA).unwrap();
    assert_eq!(p.addr, FREE + 0x10, "the pointer is the base asked for");
    let t = transient(&m);
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].1.base, t[0].1.last), (FREE, FREE + 0xBF));
}

#[test]
fn granule_widening_keeps_an_aligned_range_exact() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let t = transient(&m);
    assert_eq!((t[0].1.base, t[0].1.last), (FREE, FREE + 0xFFF));
}

#[test]
fn granule_widening_of_one_byte_maps_one_granule() {
    let mut m = setup();
    m.map_range(FREE + 63, FREE + 64, Attrs::HYP_DATA).unwrap();
    let t = transient(&m);
    assert_eq!((t[0].1.base, t[0].1.last), (FREE, FREE + 63));
}

// ---- refusals before the table is looked at ----

#[test]
fn wx_request_is_refused() {
    let mut m = setup();
    assert_eq!(m.map_range(FREE, FREE + 64, RWX), Err(MapError::WriteExecute));
    let guest_rwx = Attrs {
        access: Access::GuestRw,
        ..RWX
    };
    assert_eq!(
        m.map_range(FREE, FREE + 64, guest_rwx),
        Err(MapError::WriteExecute)
    );
    assert!(m.log().is_empty());
}

#[test]
fn base_equal_to_limit_is_refused() {
    let mut m = setup();
    assert_eq!(
        m.map_range(FREE, FREE, Attrs::HYP_DATA),
        Err(MapError::EmptyRange)
    );
}

#[test]
fn base_above_limit_is_refused() {
    let mut m = setup();
    assert_eq!(
        m.map_range(FREE + 0x1000, FREE, Attrs::HYP_DATA),
        Err(MapError::EmptyRange)
    );
    assert_eq!(m.map_range(1, 0, Attrs::HYP_DATA), Err(MapError::EmptyRange));
    assert!(m.log().is_empty());
}

#[test]
fn limit_wrapping_past_4gib_is_refused() {
    let mut m = setup();
    assert_eq!(
        m.map_range(0xFFFF_FF00, 0xFFFF_FFC1, Attrs::HYP_DATA),
        Err(MapError::AddressOverflow)
    );
    assert_eq!(
        m.map_range(0xFFFF_FFFE, u32::MAX, Attrs::HYP_DATA),
        Err(MapError::AddressOverflow)
    );
    assert!(m.log().is_empty());
}

#[test]
fn top_of_address_space_maps_up_to_the_last_granule() {
    let mut m = setup();
    m.map_range(0xFFFF_FF00, 0xFFFF_FFC0, Attrs::HYP_DATA).unwrap();
    let t = transient(&m);
    assert_eq!((t[0].1.base, t[0].1.last), (0xFFFF_FF00, 0xFFFF_FFBF));
}

// ---- inclusive match ----

#[test]
fn inclusive_match_with_same_attrs_returns_the_existing_transient_mapping() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    m.hw_log_clear();
    let p = m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    assert_eq!(
        p,
        Mapped {
            addr: FREE,
            band: Band::Transient,
            slot: 12
        }
    );
    let t = transient(&m);
    assert_eq!(t.len(), 1, "no new region");
    assert_eq!(t[0].1.users(), 2);
    assert!(m.log().is_empty(), "no register write");
}

#[test]
fn inclusive_match_of_a_sub_range_returns_its_own_base() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let p = m.map_range(FREE + 0x104, FREE + 0x200, Attrs::HYP_DATA).unwrap();
    assert_eq!(p.addr, FREE + 0x104);
    let t = transient(&m);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].1.users(), 2);
}

#[test]
fn inclusive_match_on_a_static_region_returns_it_without_a_slot() {
    let mut m = setup();
    let p = m
        .map_range(DATA.0 + 0x100, DATA.0 + 0x200, Attrs::HYP_DATA)
        .unwrap();
    assert_eq!(
        p,
        Mapped {
            addr: DATA.0 + 0x100,
            band: Band::Static,
            slot: 2
        }
    );
    assert_eq!(m.transient_in_use(), 0);
    assert!(m.log().is_empty());
}

#[test]
fn inclusive_match_on_a_partition_region_returns_it_without_a_slot() {
    let mut m = setup();
    // Only an EL2-only partition region can match an (EL2-only) map.
    let hyp_only = (GUEST_RAM.1, GUEST_RAM.1 + 0x1000);
    m.load_partition_band(&[words(GUEST_RAM, GUEST_RW), words(hyp_only, Attrs::HYP_RODATA)])
        .unwrap();
    m.hw_log_clear();
    let p = m
        .map_range(hyp_only.0, hyp_only.0 + 0x40, Attrs::HYP_RODATA)
        .unwrap();
    assert_eq!(
        p,
        Mapped {
            addr: hyp_only.0,
            band: Band::Partition,
            slot: 5
        }
    );
    assert_eq!(m.transient_in_use(), 0);
    assert!(m.log().is_empty());
}

// ---- EL2 only ----

#[test]
fn map_with_el1_access_is_refused_so_a_partition_never_reaches_a_transient_mapping() {
    let mut m = setup();
    let guest_ro = Attrs {
        access: Access::GuestRo,
        ..Attrs::HYP_RODATA
    };
    for attrs in [GUEST_RW, guest_ro, GUEST_DEV] {
        // Free memory, and the partition's own memory with its own attributes.
        for (base, limit) in [(FREE, FREE + 0x1000), (GUEST_RAM.0, GUEST_RAM.0 + 0x40)] {
            let err = m.map_range(base, limit, attrs).unwrap_err();
            assert_eq!(err, MapError::GuestVisible, "{attrs:?} at {base:#x}");
        }
    }
    let err = MapError::GuestVisible.to_string();
    assert!(err.contains("EL1") && err.contains("HypRw or HypRo"), "{err}");
    assert_eq!(m.transient_in_use(), 0);
    assert!(m.log().is_empty(), "nothing reached the hardware");
    // The same range EL2-only is fine.
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
}

// ---- mismatched attributes ----

#[test]
fn mismatched_access_is_refused_naming_ap() {
    let mut m = setup();
    let err = m.map_range(DATA.0, DATA.0 + 0x40, Attrs::HYP_RODATA).unwrap_err();
    assert_eq!(
        err,
        MapError::AttrMismatch {
            band: Band::Static,
            diff: AttrDiff {
                access: true,
                xn: false,
                mem: false
            }
        }
    );
    assert!(err.to_string().contains("AP (access permissions)"), "{err}");
    assert!(!err.to_string().contains("XN"), "{err}");
}

#[test]
fn mismatched_xn_is_refused_naming_xn() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_RODATA).unwrap();
    let err = m.map_range(FREE, FREE + 0x40, Attrs::HYP_TEXT).unwrap_err();
    assert_eq!(
        err,
        MapError::AttrMismatch {
            band: Band::Transient,
            diff: AttrDiff {
                access: false,
                xn: true,
                mem: false
            }
        }
    );
    assert!(err.to_string().contains("XN (execute-never)"), "{err}");
}

#[test]
fn mismatched_memory_type_is_refused_naming_attrindx() {
    let mut m = setup();
    let uncached = Attrs {
        mem: MemType::NormalUncached,
        ..Attrs::HYP_DATA
    };
    let err = m.map_range(DATA.0, DATA.0 + 0x40, uncached).unwrap_err();
    assert_eq!(
        err,
        MapError::AttrMismatch {
            band: Band::Static,
            diff: AttrDiff {
                access: false,
                xn: false,
                mem: true
            }
        }
    );
    assert!(err.to_string().contains("AttrIndx (memory type)"), "{err}");
    assert!(err.to_string().contains("static region"), "{err}");
}

#[test]
fn mismatched_attributes_name_every_difference() {
    let mut m = setup();
    // The console is HypRw, XN, Device; ask for HypRo, executable, Normal.
    let err = m
        .map_range(CONSOLE.0, CONSOLE.0 + 4, Attrs::HYP_TEXT)
        .unwrap_err();
    let MapError::AttrMismatch { diff, .. } = err else {
        panic!("{err:?}")
    };
    assert!(diff.access && diff.xn && diff.mem);
    let text = err.to_string();
    for name in ["AP", "XN", "AttrIndx"] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn checked_attributes_keep_their_register_bits() {
    // The packed bits of every attribute set a map may use decode back to
    // it, and a map with them programs exactly the words `encode` gives.
    for access in [Access::HypRw, Access::HypRo] {
        for xn in [false, true] {
            for mem in [MemType::Normal, MemType::Device, MemType::NormalUncached] {
                let attrs = Attrs { access, xn, mem };
                let Ok(checked) = TransientAttrs::check(attrs) else {
                    assert!(attrs.is_wx());
                    continue;
                };
                assert_eq!(checked.attrs(), Some(attrs));
                let mut m = setup();
                m.map_range(FREE + 0x10, FREE + 0xFC1, attrs).unwrap();
                let want = RegionWords::encode(FREE, FREE + 0xFFF, attrs).unwrap();
                assert_eq!(transient(&m)[0].1.words, want, "{attrs:?}");
            }
        }
    }
}

#[test]
fn every_attribute_mismatch_names_exactly_the_decoded_differences() {
    // Every usable region attribute set (a partition band region) against
    // every attribute set a map may ask for: a match returns the region,
    // anything else names the fields that differ once decoded.
    let all = |accesses: &[Access]| -> Vec<Attrs> {
        let mut v = Vec::new();
        for &access in accesses {
            for xn in [false, true] {
                for mem in [MemType::Normal, MemType::Device, MemType::NormalUncached] {
                    let a = Attrs { access, xn, mem };
                    if !a.is_wx() {
                        v.push(a);
                    }
                }
            }
        }
        v
    };
    let regions = all(&[Access::HypRw, Access::GuestRw, Access::HypRo, Access::GuestRo]);
    let requests = all(&[Access::HypRw, Access::HypRo]);
    for have in &regions {
        let mut m = MpuMap::new(FakeMpu::new(16));
        m.init(&static_band(), DEFAULT_TRANSIENT_SLOTS).unwrap();
        m.load_partition_band(&[words(GUEST_RAM, *have)]).unwrap();
        for wanted in &requests {
            let got = m.map_range(GUEST_RAM.0, GUEST_RAM.0 + 0x40, *wanted);
            if have == wanted {
                assert_eq!(got.map(|p| p.band), Ok(Band::Partition), "{have:?}");
            } else {
                assert_eq!(
                    got,
                    Err(MapError::AttrMismatch {
                        band: Band::Partition,
                        diff: AttrDiff::between(*have, *wanted),
                    }),
                    "{have:?} asked as {wanted:?}"
                );
            }
        }
    }
}

// ---- partial overlap ----

#[test]
fn partial_overlap_with_a_transient_region_is_an_error() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let before = m.snapshot();
    assert_eq!(
        m.map_range(FREE + 0x800, FREE + 0x1800, Attrs::HYP_DATA),
        Err(MapError::PartialOverlap {
            band: Band::Transient
        })
    );
    assert_eq!(m.snapshot(), before);
}

#[test]
fn partial_overlap_with_a_static_region_is_an_error() {
    let mut m = setup();
    assert_eq!(
        m.map_range(DATA.1 - 0x40, DATA.1 + 0x40, Attrs::HYP_DATA),
        Err(MapError::PartialOverlap { band: Band::Static })
    );
    assert!(m.log().is_empty());
}

#[test]
fn partial_overlap_with_a_partition_region_is_an_error() {
    let mut m = setup();
    assert_eq!(
        m.map_range(GUEST_RAM.0 - 0x40, GUEST_RAM.0 + 0x40, Attrs::HYP_DATA),
        Err(MapError::PartialOverlap {
            band: Band::Partition
        })
    );
}

#[test]
fn range_spanning_two_regions_is_a_partial_overlap() {
    let mut m = setup();
    // text and rodata are adjacent and each covers half of this range.
    assert!(matches!(
        m.map_range(TEXT.1 - 0x40, TEXT.1 + 0x40, Attrs::HYP_RODATA),
        Err(MapError::PartialOverlap { .. })
    ));
}

#[test]
fn superset_of_a_transient_region_is_a_partial_overlap() {
    let mut m = setup();
    m.map_range(FREE + 0x1000, FREE + 0x2000, Attrs::HYP_DATA)
        .unwrap();
    assert_eq!(
        m.map_range(FREE, FREE + 0x3000, Attrs::HYP_DATA),
        Err(MapError::PartialOverlap {
            band: Band::Transient
        })
    );
}

#[test]
fn errors_release_the_lock_on_every_path() {
    let mpu = Mpu::new([MpuMap::new(FakeMpu::new(16)), MpuMap::new(FakeMpu::new(16))]);
    assert_eq!(
        mpu.map(0, FREE, FREE + 64, Attrs::HYP_DATA),
        Err(MapError::NotInitialised)
    );
    assert!(!mpu.is_locked());
    for core in 0..CORES {
        mpu.init(core, &static_band(), 2).unwrap();
    }
    let failing: [&dyn Fn() -> Result<(), MapError>; 12] = [
        &|| mpu.map(0, FREE, FREE + 64, RWX).map(drop),
        &|| mpu.map(0, FREE, FREE, Attrs::HYP_DATA).map(drop),
        &|| mpu.map(0, 0xFFFF_FF00, u32::MAX, Attrs::HYP_DATA).map(drop),
        &|| mpu.map(0, DATA.0, DATA.0 + 64, Attrs::HYP_TEXT).map(drop),
        &|| mpu.map(0, DATA.1 - 64, DATA.1 + 64, Attrs::HYP_DATA).map(drop),
        &|| mpu.map(2, FREE, FREE + 64, Attrs::HYP_DATA).map(drop),
        &|| mpu.unmap(0, FREE),
        &|| mpu.unmap(0, DATA.0),
        &|| mpu.unmap(0, FREE + 0x1040),
        &|| mpu.ioremap(0, FREE, 64, Attrs::HYP_DATA).map(drop),
        &|| mpu.ioremap(0, FREE, 0, Attrs::HYP_DEVICE).map(drop),
        &|| {
            mpu.map(0, FREE + 0x2000, FREE + 0x2040, Attrs::HYP_DATA)
                .map(drop)
        },
    ];
    mpu.map(0, FREE + 0x1000, FREE + 0x2000, Attrs::HYP_DATA).unwrap();
    mpu.map(0, FREE + 0x3000, FREE + 0x4000, Attrs::HYP_DATA).unwrap();
    for (i, f) in failing.iter().enumerate() {
        assert!(f().is_err(), "case {i} should fail");
        assert!(!mpu.is_locked(), "case {i} left the lock held");
    }
    // And the lock still works for a caller that succeeds.
    mpu.unmap(0, FREE + 0x1000).unwrap();
    assert!(!mpu.is_locked());
}

// ---- unmap ----

#[test]
fn unmap_removes_the_region_it_mapped_and_disables_it_in_hardware() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let idx = transient(&m)[0].0;
    m.hw_log_clear();
    m.unmap_range(FREE).unwrap();
    assert_eq!(m.transient_in_use(), 0);
    assert_eq!(m.log(), vec![RegWrite::Hprselr(idx), RegWrite::Hprlar(0)]);
}

#[test]
fn unmap_never_removes_a_static_region_and_says_so() {
    let mut m = setup();
    let before = m.snapshot();
    let err = m.unmap_range(DATA.0).unwrap_err();
    assert_eq!(err, MapError::NotTransient { band: Band::Static });
    assert!(err.to_string().contains("static"), "{err}");
    assert_eq!(m.snapshot(), before);
    assert!(m.log().is_empty());
}

#[test]
fn unmap_never_removes_a_partition_region_and_says_so() {
    let mut m = setup();
    assert_eq!(
        m.unmap_range(GUEST_RAM.0),
        Err(MapError::NotTransient {
            band: Band::Partition
        })
    );
    assert!(m.log().is_empty());
}

#[test]
fn unmap_after_a_static_inclusive_match_is_not_transient() {
    let mut m = setup();
    let p = m
        .map_range(DATA.0 + 0x40, DATA.0 + 0x80, Attrs::HYP_DATA)
        .unwrap();
    assert_eq!(
        m.unmap_range(p.addr),
        Err(MapError::NotTransient { band: Band::Static })
    );
    assert_eq!(m.region(2).map(|r| r.band), Some(Band::Static));
}

#[test]
fn unmap_of_nothing_mapped_is_not_mapped() {
    let mut m = setup();
    assert_eq!(m.unmap_range(FREE), Err(MapError::NotMapped));
    assert!(m.log().is_empty());
}

#[test]
fn unmap_twice_is_not_mapped() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    m.unmap_range(FREE).unwrap();
    assert_eq!(m.unmap_range(FREE), Err(MapError::NotMapped));
}

#[test]
fn unmap_of_part_of_a_region_is_an_error() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let before = m.snapshot();
    assert_eq!(m.unmap_range(FREE + 0x800), Err(MapError::PartOfRegion));
    assert_eq!(m.snapshot(), before);
}

#[test]
fn unmap_accepts_the_unwidened_base_and_any_address_in_its_granule() {
    let mut m = setup();
    let p = m.map_range(FREE + 0x13, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    assert_eq!(p.addr, FREE + 0x13);
    m.map_range(FREE + 0x13, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    m.unmap_range(p.addr).unwrap();
    m.unmap_range(FREE + 0x3F).unwrap();
    assert_eq!(m.transient_in_use(), 0);
}

// ---- nested maps ----

#[test]
fn nested_maps_are_counted_and_the_last_unmap_removes_the_region() {
    let mut m = setup();
    for _ in 0..3 {
        m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    }
    m.hw_log_clear();
    m.unmap_range(FREE).unwrap();
    m.unmap_range(FREE).unwrap();
    assert_eq!(transient(&m)[0].1.users(), 1, "still mapped for the last user");
    assert!(m.log().is_empty(), "no register write before the last unmap");
    m.unmap_range(FREE).unwrap();
    assert_eq!(m.transient_in_use(), 0);
    assert_eq!(m.log().len(), 2);
}

#[test]
fn nested_sub_range_map_is_undone_by_its_own_address() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let inner = m.map_range(FREE + 0x400, FREE + 0x500, Attrs::HYP_DATA).unwrap();
    // The creator unmaps first: the region stays for the inner user.
    m.unmap_range(FREE).unwrap();
    assert_eq!(m.transient_in_use(), 1);
    // The creator's base is no longer a mapping: a second unmap is refused.
    assert_eq!(m.unmap_range(FREE), Err(MapError::PartOfRegion));
    m.unmap_range(inner.addr).unwrap();
    assert_eq!(m.transient_in_use(), 0);
}

#[test]
fn too_many_distinct_users_of_one_region_is_an_error() {
    let mut m = setup();
    for k in 0..MAX_HANDLES as u32 {
        m.map_range(FREE + k * 0x40, FREE + 0x1000, Attrs::HYP_DATA)
            .unwrap();
    }
    let before = m.snapshot();
    assert_eq!(
        m.map_range(FREE + 0x800, FREE + 0x1000, Attrs::HYP_DATA),
        Err(MapError::TooManyUsers)
    );
    assert_eq!(m.snapshot(), before);
    // A repeat of an existing base is still counted.
    m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
}

// ---- exhaustion ----

#[test]
fn slot_exhaustion_is_no_free_slot_and_an_unmap_frees_one() {
    let mut m = setup();
    for k in 0..DEFAULT_TRANSIENT_SLOTS as u32 {
        m.map_range(FREE + k * 0x1000, FREE + k * 0x1000 + 0x40, Attrs::HYP_DATA)
            .unwrap();
    }
    let before = m.snapshot();
    let err = m
        .map_range(FREE + 0x8000, FREE + 0x8040, Attrs::HYP_DATA)
        .unwrap_err();
    assert_eq!(err, MapError::NoFreeSlot);
    assert!(err.message().to_string().contains("unmap"), "{err}");
    assert_eq!(m.snapshot(), before);
    m.unmap_range(FREE + 0x2000).unwrap();
    m.map_range(FREE + 0x8000, FREE + 0x8040, Attrs::HYP_DATA)
        .unwrap();
}

// ---- register writes ----

#[test]
fn map_writes_one_transient_slot_with_the_encoded_words() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let w = words((FREE, FREE + 0x1000), Attrs::HYP_DATA);
    assert_eq!(
        m.log(),
        vec![
            RegWrite::Hprselr(12),
            RegWrite::Hprbar(w.prbar),
            RegWrite::Hprlar(w.prlar)
        ]
    );
    assert_eq!(m.bands().transient, 12..16);
}

#[test]
fn init_programs_the_static_band_and_disables_every_other_region() {
    let mut m = MpuMap::new(FakeMpu::new(16));
    m.init(&static_band(), 4).unwrap();
    let file = FakeMpu::replay(
        &m.log(),
        &[RegionWords {
            prbar: 0xFFFF_FFFF,
            prlar: 0xFFFF_FFFF,
        }; 16],
    );
    for (i, w) in file.iter().enumerate() {
        match static_band().get(i) {
            Some(s) => assert_eq!(w, s),
            None => assert!(!w.enabled(), "region {i} left enabled"),
        }
    }
    assert_eq!(
        m.bands(),
        Bands {
            static_band: 0..4,
            partition: 4..12,
            transient: 12..16
        }
    );
}

#[test]
fn second_init_is_refused_and_existing_mappings_stay_intact() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    m.hw_log_clear();
    let before = m.snapshot();
    let bands = m.bands();
    for slots in [DEFAULT_TRANSIENT_SLOTS, 2] {
        assert_eq!(m.init(&static_band(), slots), Err(MapError::AlreadyInitialised));
    }
    assert_eq!(m.init(&[], 0), Err(MapError::AlreadyInitialised));
    assert_eq!(m.snapshot(), before, "the table is as it was");
    assert_eq!(m.bands(), bands);
    assert!(m.log().is_empty(), "nothing reached the hardware");
    // The live mapping is still counted and unmaps normally.
    m.unmap_range(FREE).unwrap();
    assert_eq!(m.transient_in_use(), 0);
}

#[test]
fn second_init_through_the_lock_leaves_a_live_guard_good() {
    let mpu = two_cores();
    let failed = Failed::default();
    let g = guard(&mpu, &failed, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    assert_eq!(
        mpu.init(0, &static_band(), DEFAULT_TRANSIENT_SLOTS),
        Err(MapError::AlreadyInitialised)
    );
    assert_eq!(mpu.inspect(0, |m| m.transient_in_use()), Ok(1));
    assert_eq!(g.unmap(), Ok(()));
    assert!(failed.borrow().is_empty());
}

#[test]
fn init_after_a_refused_init_is_allowed() {
    let mut m = MpuMap::new(FakeMpu::new(16));
    assert_eq!(m.init(&static_band(), 16), Err(MapError::BandsDoNotFit));
    m.init(&static_band(), DEFAULT_TRANSIENT_SLOTS).unwrap();
    assert_eq!(m.bands().transient, 12..16);
}

#[test]
fn init_refuses_bands_that_do_not_fit() {
    let mut m = MpuMap::new(FakeMpu::new(8));
    assert_eq!(m.init(&static_band(), 5), Err(MapError::BandsDoNotFit));
    assert_eq!(m.init(&static_band(), usize::MAX), Err(MapError::BandsDoNotFit));
    assert!(m.log().is_empty());
    assert_eq!(
        m.map_range(FREE, FREE + 64, Attrs::HYP_DATA),
        Err(MapError::NotInitialised)
    );
}

#[test]
fn init_refuses_disabled_or_overlapping_static_regions() {
    let mut m = MpuMap::new(FakeMpu::new(16));
    let mut band = static_band();
    band[1].prlar &= !1;
    assert_eq!(
        m.init(&band, 4),
        Err(MapError::BadRegionWords {
            band: Band::Static,
            index: 1
        })
    );
    let mut band = static_band();
    band[3] = words((DATA.0, DATA.0 + 0x40), Attrs::HYP_DATA);
    assert_eq!(
        m.init(&band, 4),
        Err(MapError::BandOverlap {
            band: Band::Static,
            other: Band::Static
        })
    );
    assert!(m.log().is_empty());
}

#[test]
fn load_partition_band_writes_the_band_and_disables_the_rest_of_it() {
    let mut m = setup();
    let one = [words((0x3100_0000, 0x3100_1000), GUEST_RW)];
    m.load_partition_band(&one).unwrap();
    assert_eq!(
        m.log(),
        vec![
            RegWrite::Hprselr(4),
            RegWrite::Hprbar(one[0].prbar),
            RegWrite::Hprlar(one[0].prlar),
            RegWrite::Hprselr(5),
            RegWrite::Hprlar(0),
        ]
    );
    assert_eq!(m.region(4).map(|r| r.band), Some(Band::Partition));
    assert!(m.region(5).is_none());
}

#[test]
fn load_partition_band_refuses_bad_input_and_writes_nothing() {
    let mut m = setup();
    m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    m.hw_log_clear();
    let before = m.snapshot();
    let too_many = [words(GUEST_RAM, GUEST_RW); 9];
    assert_eq!(m.load_partition_band(&too_many), Err(MapError::BandsDoNotFit));
    let over_live = [words((FREE, FREE + 0x40), GUEST_RW)];
    assert_eq!(
        m.load_partition_band(&over_live),
        Err(MapError::BandOverlap {
            band: Band::Partition,
            other: Band::Transient
        })
    );
    let over_static = [words(CONSOLE, GUEST_DEV)];
    assert_eq!(
        m.load_partition_band(&over_static),
        Err(MapError::BandOverlap {
            band: Band::Partition,
            other: Band::Static
        })
    );
    let twice = [words(GUEST_RAM, GUEST_RW), words(GUEST_RAM, GUEST_RW)];
    assert!(matches!(
        m.load_partition_band(&twice),
        Err(MapError::BandOverlap { .. })
    ));
    let wx = [RegionWords {
        prbar: GUEST_RAM.0 | (Access::GuestRw.ap_bits() << 1),
        prlar: (GUEST_RAM.1 - 64) | 1,
    }];
    assert_eq!(
        m.load_partition_band(&wx),
        Err(MapError::BadRegionWords {
            band: Band::Partition,
            index: 0
        })
    );
    assert_eq!(m.snapshot(), before);
    assert!(m.log().is_empty());
}

// ---- ioremap ----

#[test]
fn ioremap_of_the_console_returns_the_static_window_without_a_slot() {
    let mut m = setup();
    let p = m
        .ioremap(CONSOLE.0, CONSOLE.1 - CONSOLE.0, Attrs::HYP_DEVICE)
        .unwrap();
    assert_eq!(
        p,
        Mapped {
            addr: CONSOLE.0,
            band: Band::Static,
            slot: 3
        }
    );
    assert_eq!(m.transient_in_use(), 0);
    assert!(m.log().is_empty());
}

#[test]
fn ioremap_of_a_new_device_uses_a_transient_slot() {
    let mut m = setup();
    let p = m.ioremap(0xE020_7000, 0x1000, Attrs::HYP_DEVICE).unwrap();
    assert_eq!(
        p,
        Mapped {
            addr: 0xE020_7000,
            band: Band::Transient,
            slot: 12
        }
    );
    let t = transient(&m);
    assert_eq!(
        (t[0].1.base, t[0].1.last, t[0].1.attrs),
        (0xE020_7000, 0xE020_7FFF, Attrs::HYP_DEVICE)
    );
    m.unmap_range(p.addr).unwrap();
}

#[test]
fn ioremap_refuses_memory_guest_devices_empty_and_wrapping_ranges() {
    let mut m = setup();
    assert_eq!(m.ioremap(FREE, 64, Attrs::HYP_DATA), Err(MapError::NotDevice));
    assert_eq!(m.ioremap(0xE020_7000, 64, GUEST_DEV), Err(MapError::GuestVisible));
    assert_eq!(
        m.ioremap(0xE020_7000, 0, Attrs::HYP_DEVICE),
        Err(MapError::EmptyRange)
    );
    assert_eq!(
        m.ioremap(0xFFFF_F000, 0x1000, Attrs::HYP_DEVICE),
        Err(MapError::AddressOverflow)
    );
    let exec_dev = Attrs {
        xn: false,
        ..Attrs::HYP_DEVICE
    };
    assert_eq!(m.ioremap(0xE020_7000, 64, exec_dev), Err(MapError::WriteExecute));
    assert!(m.log().is_empty());
}

// ---- cores ----

#[test]
fn each_core_has_its_own_table_and_mpu() {
    let mpu = Mpu::new([MpuMap::new(FakeMpu::new(16)), MpuMap::new(FakeMpu::new(16))]);
    for core in 0..CORES {
        mpu.init(core, &static_band(), 4).unwrap();
        mpu.with_core(core, |m| m.hw_log_clear()).unwrap();
    }
    // The same range on both cores: one region in each, counted apart.
    mpu.map(0, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    mpu.map(1, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    mpu.map(1, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    mpu.unmap(0, FREE).unwrap();
    assert_eq!(mpu.with_core(0, |m| m.transient_in_use()), Ok(0));
    assert_eq!(
        mpu.with_core(1, |m| transient(m)[0].1.users()),
        Ok(2),
        "core 0's unmap did not touch core 1"
    );
    // Core 1's fake saw only core 1's map.
    assert_eq!(mpu.with_core(1, |m| m.log().len()), Ok(3));
    assert_eq!(
        mpu.map(CORES, FREE, FREE + 64, Attrs::HYP_DATA),
        Err(MapError::NoSuchCore)
    );
    assert_eq!(mpu.inspect(1, |m| m.transient_in_use()), Ok(1));
    assert_eq!(
        mpu.inspect(CORES, |m| m.transient_in_use()),
        Err(MapError::NoSuchCore)
    );
}

#[test]
fn two_threads_hammering_both_tables_leave_them_consistent() {
    let mpu = Mpu::new([MpuMap::new(FakeMpu::new(16)), MpuMap::new(FakeMpu::new(16))]);
    for core in 0..CORES {
        mpu.init(core, &static_band(), 4).unwrap();
    }
    std::thread::scope(|s| {
        for core in 0..CORES {
            let mpu = &mpu;
            s.spawn(move || {
                for i in 0..2000u32 {
                    let a = FREE + (i % 3) * 0x1000;
                    mpu.map(core, a, a + 0x1000, Attrs::HYP_DATA).unwrap();
                    mpu.map(core, a + 0x100, a + 0x200, Attrs::HYP_DATA).unwrap();
                    assert!(mpu.map(core, a + 0x800, a + 0x1800, Attrs::HYP_DATA).is_err());
                    mpu.unmap(core, a).unwrap();
                    mpu.unmap(core, a + 0x100).unwrap();
                }
            });
        }
    });
    for core in 0..CORES {
        mpu.with_core(core, |m| {
            assert_eq!(m.transient_in_use(), 0);
            let file = FakeMpu::replay(&m.log(), &[RegionWords { prbar: 0, prlar: 0 }; 16]);
            for (i, w) in file.iter().enumerate() {
                match m.region(i) {
                    Some(r) => assert_eq!(*w, r.words),
                    None => assert!(!w.enabled()),
                }
            }
        })
        .unwrap();
    }
}

// ---- errors ----

#[test]
fn every_error_has_its_own_actionable_message() {
    let all = [
        MapError::WriteExecute,
        MapError::GuestVisible,
        MapError::EmptyRange,
        MapError::AddressOverflow,
        MapError::AttrMismatch {
            band: Band::Static,
            diff: AttrDiff::default(),
        },
        MapError::PartialOverlap { band: Band::Static },
        MapError::NoFreeSlot,
        MapError::NotMapped,
        MapError::NotTransient { band: Band::Static },
        MapError::PartOfRegion,
        MapError::TooManyUsers,
        MapError::NotDevice,
        MapError::NotInitialised,
        MapError::AlreadyInitialised,
        MapError::NoSuchCore,
        MapError::Busy,
        MapError::NoSuchBand,
        MapError::BadRegionWords {
            band: Band::Static,
            index: 0,
        },
        MapError::BandsDoNotFit,
        MapError::BandOverlap {
            band: Band::Partition,
            other: Band::Static,
        },
    ];
    let mut seen = std::collections::HashSet::new();
    for e in all {
        let msg = e.message().to_string();
        assert!(seen.insert(msg.clone()), "duplicate message: {msg}");
        assert!(msg.contains(';'), "no advice in: {msg}");
        assert!(e.to_string().starts_with(&msg));
    }
}

#[test]
fn registered_band_loads_exactly_like_a_checked_load() {
    let mut a = setup();
    let mut b = setup();
    a.load_partition_band(&[]).unwrap();
    b.load_partition_band(&[]).unwrap();
    a.register_band(3, &partition_band()).unwrap();
    a.hw_log_clear();
    b.hw_log_clear();
    a.load_registered_band(3).unwrap();
    b.load_partition_band(&partition_band()).unwrap();
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(a.log(), b.log());
}

#[test]
fn registering_a_band_over_the_static_band_is_refused() {
    let mut m = setup();
    let bad = [words(DATA, GUEST_RW)];
    assert_eq!(
        m.register_band(0, &bad),
        Err(MapError::BandOverlap {
            band: Band::Partition,
            other: Band::Static
        })
    );
    assert_eq!(m.load_registered_band(0), Err(MapError::NoSuchBand));
}

#[test]
fn unregistered_or_out_of_range_band_is_no_such_band() {
    let mut m = setup();
    assert_eq!(m.load_registered_band(1), Err(MapError::NoSuchBand));
    assert_eq!(m.register_band(99, &partition_band()), Err(MapError::NoSuchBand));
}

#[test]
fn registered_band_is_checked_again_against_live_transient_mappings() {
    let mut m = setup();
    m.load_partition_band(&[]).unwrap();
    m.register_band(0, &partition_band()).unwrap();
    // A transient mapping now sits where the band wants to go.
    m.map_range(GUEST_RAM.0, GUEST_RAM.0 + 0x40, Attrs::HYP_DATA)
        .unwrap();
    let before = m.snapshot();
    assert_eq!(
        m.load_registered_band(0),
        Err(MapError::BandOverlap {
            band: Band::Partition,
            other: Band::Transient
        })
    );
    assert_eq!(m.snapshot(), before);
}

// ---- the two switch strategies ----

/// A second partition's band, disjoint from [`partition_band`].
fn other_band() -> [RegionWords; 3] {
    [
        words((0x3100_0000, 0x3110_0000), GUEST_RW),
        words((0x3200_0000, 0x3200_1000), Attrs::HYP_RODATA),
        words((0xE020_7000, 0xE020_8000), GUEST_DEV),
    ]
}

/// A 16-region core with the static band, 4 transient slots, nothing in
/// the partition band and nothing registered yet (the log kept, so it
/// replays from an unknown register file).
fn fresh() -> MpuMap<FakeMpu> {
    let mut m = MpuMap::new(FakeMpu::new(16));
    m.init(&static_band(), DEFAULT_TRANSIENT_SLOTS).unwrap();
    m
}

/// The register file the log gives, checked against the table: enabled
/// regions with the table's words, all others disabled.
fn assert_hw_is_table(m: &MpuMap<FakeMpu>) {
    let unknown = RegionWords {
        prbar: 0xDEAD_BEE5,
        prlar: 0xFFFF_FFC1,
    };
    assert!(m.chunks_exact(), "chunk index");
    assert!(m.uses_exact(), "counts outside the live transient slots");
    let file = FakeMpu::replay(&m.hw().log, &[unknown; 16]);
    for (i, w) in file.iter().enumerate() {
        match m.region(i) {
            Some(r) => assert_eq!(*w, r.words, "region {i}"),
            None => assert!(!w.enabled(), "region {i} enabled in hardware only"),
        }
    }
}

#[test]
fn bands_that_fit_are_preloaded_disabled_and_switched_by_one_hprenr_write() {
    let mut m = MpuMap::new(FakeMpu::new(16));
    m.init(&static_band(), DEFAULT_TRANSIENT_SLOTS).unwrap();
    m.register_band(0, &partition_band()).unwrap();
    m.register_band(1, &other_band()).unwrap();
    assert!(m.bands_preloaded());
    // Registered: programmed into 4..6 and 6..9, all disabled.
    assert_eq!(
        FakeMpu::indices_written(&m.hw().log[m.hw().log.len() - 15..]),
        [4, 5, 6, 7, 8]
    );
    assert_eq!(m.regions().count(), 4);
    assert_hw_is_table(&m);
    let statics = 0b1111;
    let pos = m.hw().log.len();
    m.load_registered_band(0).unwrap();
    assert_eq!(
        m.hw().log[pos..].to_vec(),
        [RegWrite::Hprenr(statics | 0b11_0000)]
    );
    assert_eq!(m.region(4).unwrap().words, partition_band()[0]);
    assert_eq!(m.region(5).unwrap().words, partition_band()[1]);
    assert_eq!(m.region(4).unwrap().band, Band::Partition);
    assert_hw_is_table(&m);
    // A transient map stays enabled across a switch.
    let t = m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    assert_eq!(t.band, Band::Transient);
    let pos = m.hw().log.len();
    m.load_registered_band(1).unwrap();
    assert_eq!(
        m.hw().log[pos..].to_vec(),
        [RegWrite::Hprenr(statics | 0b1_1100_0000 | 1 << 12)]
    );
    assert!(m.region(4).is_none() && m.region(5).is_none());
    assert_eq!(m.region(8).unwrap().words, other_band()[2]);
    assert_hw_is_table(&m);
    // Back to band 0: nothing but the enable bits changes.
    let pos = m.hw().log.len();
    m.load_registered_band(0).unwrap();
    assert_eq!(
        m.hw().log[pos..].to_vec(),
        [RegWrite::Hprenr(statics | 0b11_0000 | 1 << 12)]
    );
    assert_hw_is_table(&m);
}

#[test]
fn a_disabled_preloaded_region_covers_nothing() {
    let mut m = fresh();
    m.register_band(0, &partition_band()).unwrap();
    m.register_band(1, &other_band()).unwrap();
    m.load_registered_band(0).unwrap();
    // Band 1's hypervisor-only region is preloaded but disabled: a map
    // of it is a new transient region, not an inclusive match.
    let inside = 0x3200_0000;
    let got = m.map_range(inside, inside + 0x40, Attrs::HYP_RODATA).unwrap();
    assert_eq!(got.band, Band::Transient);
    // Band 1 cannot be loaded over that transient region...
    m.load_partition_band(&[]).unwrap();
    assert_eq!(
        m.load_registered_band(1),
        Err(MapError::BandOverlap {
            band: Band::Partition,
            other: Band::Transient
        })
    );
    assert_hw_is_table(&m);
    // ...until it is gone; then, loaded, the region is a match.
    m.unmap_range(inside).unwrap();
    m.load_registered_band(1).unwrap();
    let got = m.map_range(inside, inside + 0x40, Attrs::HYP_RODATA).unwrap();
    assert_eq!(got.band, Band::Partition);
    assert_hw_is_table(&m);
}

#[test]
fn transient_maps_never_take_a_preloaded_slot() {
    let mut m = fresh();
    m.register_band(0, &partition_band()).unwrap();
    m.register_band(1, &other_band()).unwrap();
    m.load_registered_band(0).unwrap();
    let mut got = Vec::new();
    for k in 0..DEFAULT_TRANSIENT_SLOTS as u32 {
        let base = FREE + k * 0x100;
        got.push(m.map_range(base, base + 0x40, Attrs::HYP_DATA).unwrap());
    }
    assert_eq!(
        m.map_range(FREE + 0x1000, FREE + 0x1040, Attrs::HYP_DATA),
        Err(MapError::NoFreeSlot)
    );
    assert!(transient(&m).iter().all(|(i, _)| *i >= 12));
    m.load_registered_band(1).unwrap();
    assert_eq!(m.region(6).unwrap().words, other_band()[0]);
    assert_eq!(transient(&m).len(), DEFAULT_TRANSIENT_SLOTS);
    assert_hw_is_table(&m);
}

#[test]
fn clearing_a_preloaded_band_keeps_the_preload() {
    let mut m = fresh();
    m.register_band(0, &partition_band()).unwrap();
    m.load_registered_band(0).unwrap();
    let pos = m.hw().log.len();
    m.load_partition_band(&[]).unwrap();
    assert_eq!(m.hw().log[pos..].to_vec(), [RegWrite::Hprenr(0b1111)]);
    assert!(m.bands_preloaded());
    assert_eq!(m.regions().count(), 4);
    let pos = m.hw().log.len();
    m.load_registered_band(0).unwrap();
    assert_eq!(m.hw().log[pos..].to_vec(), [RegWrite::Hprenr(0b11_1111)]);
    assert_hw_is_table(&m);
}

#[test]
fn bands_that_do_not_fit_are_rewritten_on_every_switch() {
    let mut m = fresh();
    m.register_band(0, &other_band()).unwrap();
    m.register_band(1, &other_band()).unwrap();
    // 3 + 3 regions fit in 8 slots; 3 more do not.
    assert!(m.bands_preloaded());
    m.register_band(2, &partition_band()).unwrap();
    m.register_band(3, &other_band()).unwrap();
    assert!(!m.bands_preloaded());
    for id in [0, 3, 2, 1] {
        let pos = m.hw().log.len();
        m.load_registered_band(id).unwrap();
        assert!(!m.hw().log[pos..]
            .to_vec()
            .iter()
            .any(|w| matches!(w, RegWrite::Hprenr(_))));
        assert_eq!(FakeMpu::indices_written(&m.hw().log[pos..])[0], 4);
        assert_hw_is_table(&m);
    }
    let want: Vec<_> = other_band().to_vec();
    let got: Vec<_> = (4..7).map(|i| m.region(i).unwrap().words).collect();
    assert_eq!(got, want);
}

#[test]
fn registering_a_band_again_or_loading_own_regions_ends_the_preload() {
    let mut m = fresh();
    m.register_band(0, &partition_band()).unwrap();
    m.register_band(0, &other_band()).unwrap();
    assert!(!m.bands_preloaded());
    m.load_registered_band(0).unwrap();
    assert_eq!(m.region(4).unwrap().words, other_band()[0]);
    assert_hw_is_table(&m);
    let mut m = fresh();
    m.register_band(0, &other_band()).unwrap();
    m.load_registered_band(0).unwrap();
    m.load_partition_band(&partition_band()).unwrap();
    assert!(!m.bands_preloaded());
    assert_hw_is_table(&m);
    m.load_registered_band(0).unwrap();
    assert_eq!(m.region(4).unwrap().words, other_band()[0]);
    assert_hw_is_table(&m);
}

// ---- the Mapping guard ----

/// Both cores set up as [`setup`] sets up one, behind one lock.
fn two_cores() -> Mpu<FakeMpu> {
    let mpu = Mpu::new([MpuMap::new(FakeMpu::new(16)), MpuMap::new(FakeMpu::new(16))]);
    for core in 0..CORES {
        mpu.init(core, &static_band(), DEFAULT_TRANSIENT_SLOTS).unwrap();
        mpu.load_partition_band(core, &partition_band()).unwrap();
        mpu.with_core(core, |m| m.hw_log_clear()).unwrap();
    }
    mpu
}

type Failed = RefCell<Vec<(u32, MapError)>>;

/// A guarded map of `[base, limit)` on core 0, as the target's
/// `map_mm_range` makes one.
fn guard<'a>(
    mpu: &'a Mpu<FakeMpu>,
    failed: &'a Failed,
    base: u32,
    limit: u32,
    attrs: Attrs,
) -> Result<Mapping<FakeUnmap<'a>>, MapError> {
    let owner = FakeUnmap { mpu, core: 0, failed };
    mpu.map(0, base, limit, attrs).map(|m| Mapping::new(m, owner))
}

#[test]
fn mapping_guard_unmaps_when_dropped() {
    let mpu = two_cores();
    let failed = Failed::default();
    let g = guard(&mpu, &failed, FREE + 0x10, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    assert_eq!(g.addr(), FREE + 0x10, "the address is the base asked for");
    assert_eq!(g.band(), Band::Transient);
    let idx = mpu.inspect(0, |m| transient(m)[0].0).unwrap();
    mpu.with_core(0, |m| m.hw_log_clear()).unwrap();
    drop(g);
    assert_eq!(mpu.inspect(0, |m| m.transient_in_use()), Ok(0));
    assert_eq!(
        mpu.inspect(0, |m| m.log()),
        Ok(vec![RegWrite::Hprselr(idx), RegWrite::Hprlar(0)]),
        "disabled in hardware"
    );
    assert!(failed.borrow().is_empty());
    assert!(!mpu.is_locked());
}

#[test]
fn mapping_guards_of_one_region_unmap_it_when_the_last_is_dropped() {
    let mpu = two_cores();
    let failed = Failed::default();
    let outer = guard(&mpu, &failed, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let inner = guard(&mpu, &failed, FREE + 0x400, FREE + 0x500, Attrs::HYP_DATA).unwrap();
    // The creator goes first: the region stays for the inner user.
    drop(outer);
    assert_eq!(mpu.inspect(0, |m| transient(m)[0].1.users()), Ok(1));
    drop(inner);
    assert_eq!(mpu.inspect(0, |m| m.transient_in_use()), Ok(0));
    assert!(failed.borrow().is_empty());
}

#[test]
fn mapping_guard_explicit_unmap_returns_the_error() {
    let mpu = two_cores();
    let failed = Failed::default();
    let g = guard(&mpu, &failed, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    // Something undid the map behind the guard's back.
    mpu.unmap(0, FREE).unwrap();
    assert_eq!(g.unmap(), Err(MapError::NotMapped));
    assert!(
        failed.borrow().is_empty(),
        "an error returned to the caller is not also reported"
    );

    // A good explicit unmap is the only unmap: the guard owes nothing more.
    let g = guard(&mpu, &failed, FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    mpu.with_core(0, |m| m.hw_log_clear()).unwrap();
    assert_eq!(g.unmap(), Ok(()));
    assert_eq!(
        mpu.inspect(0, |m| m.log().len()),
        Ok(2),
        "one disable, no second unmap"
    );
    assert_eq!(mpu.inspect(0, |m| m.transient_in_use()), Ok(0));
    assert!(failed.borrow().is_empty());
}

#[test]
fn mapping_guard_reports_a_failed_unmap_on_drop() {
    let mpu = two_cores();
    let failed = Failed::default();
    let g = guard(&mpu, &failed, FREE + 0x40, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    mpu.unmap(0, FREE + 0x40).unwrap();
    drop(g);
    assert_eq!(*failed.borrow(), vec![(FREE + 0x40, MapError::NotMapped)]);
    assert!(!mpu.is_locked(), "the lock is free when the failure is reported");
}

#[test]
fn mapping_of_a_static_window_has_nothing_to_undo_and_can_be_kept() {
    let mpu = two_cores();
    let failed = Failed::default();
    let owner = FakeUnmap {
        mpu: &mpu,
        core: 0,
        failed: &failed,
    };
    let console = mpu
        .ioremap(0, CONSOLE.0, CONSOLE.1 - CONSOLE.0, Attrs::HYP_DEVICE)
        .map(|m| Mapping::new(m, owner))
        .unwrap();
    assert_eq!(console.band(), Band::Static);
    assert_eq!(console.into_static().ok(), Some(CONSOLE.0));
    let data = guard(&mpu, &failed, DATA.0, DATA.0 + 0x40, Attrs::HYP_DATA).unwrap();
    drop(data);
    let data = guard(&mpu, &failed, DATA.0, DATA.0 + 0x40, Attrs::HYP_DATA).unwrap();
    assert_eq!(data.unmap(), Ok(()));
    // A transient mapping is not a static window: it comes back, and
    // dropping it unmaps.
    let t = guard(&mpu, &failed, FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    let t = t.into_static().unwrap_err();
    drop(t);
    assert_eq!(mpu.inspect(0, |m| m.transient_in_use()), Ok(0));
    assert!(
        failed.borrow().is_empty(),
        "no unmap of a static window was tried"
    );
    assert_eq!(
        mpu.inspect(0, |m| m.region(2).map(|r| r.band)),
        Ok(Some(Band::Static))
    );
}

#[test]
fn mapping_guard_with_a_zero_sized_unmapper_is_two_words() {
    #[derive(Clone, Copy)]
    struct ThisCore;
    impl Unmap for ThisCore {
        fn unmap(&self, _: u32) -> Result<(), MapError> {
            Ok(())
        }
        fn unmap_failed(&self, _: u32, _: MapError) {}
    }
    assert!(core::mem::size_of::<Mapping<ThisCore>>() <= 8);
}

// ---- the guard's unmap: the slot hint ----

#[test]
fn unmap_at_the_returned_slot_removes_the_region_with_one_disable() {
    let mut m = setup();
    let p = m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    m.hw_log_clear();
    assert_eq!(m.unmap_at(usize::from(p.slot), p.addr), Ok(()));
    assert!(transient(&m).is_empty());
    assert_eq!(
        m.log(),
        vec![RegWrite::Hprselr(usize::from(p.slot)), RegWrite::Hprlar(0)]
    );
    assert!(m.chunks_exact());
    assert!(m.uses_exact());
}

#[test]
fn unmap_at_a_wrong_slot_still_unmaps_the_right_region() {
    let mut m = setup();
    let a = m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    let b = m
        .map_range(FREE + 0x1000, FREE + 0x1040, Attrs::HYP_DATA)
        .unwrap();
    assert_ne!(a.slot, b.slot);
    // Hinted at b's slot (live, transient, but not holding a's base), at a
    // static slot and past the table: each finds a's region by search.
    assert_eq!(m.unmap_at(usize::from(b.slot), a.addr), Ok(()));
    assert_eq!(transient(&m).len(), 1);
    assert_eq!(transient(&m)[0].0, usize::from(b.slot));
    let a = m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    assert_eq!(m.unmap_at(2, a.addr), Ok(()));
    let a = m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    assert_eq!(m.unmap_at(MAX_REGIONS + 7, a.addr), Ok(()));
    assert_eq!(transient(&m).len(), 1);
}

#[test]
fn unmap_at_refuses_what_unmap_range_refuses() {
    let mut m = setup();
    let p = m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    // Nothing mapped there, with the hint of a live transient slot.
    assert_eq!(
        m.unmap_at(usize::from(p.slot), FREE + 0x10_0000),
        Err(MapError::NotMapped)
    );
    // Static and partition regions are not undone, whatever the hint.
    assert_eq!(
        m.unmap_at(usize::from(p.slot), DATA.0),
        Err(MapError::NotTransient { band: Band::Static })
    );
    assert_eq!(
        m.unmap_at(2, DATA.0),
        Err(MapError::NotTransient { band: Band::Static })
    );
    assert_eq!(
        m.unmap_at(5, GUEST_RAM.0),
        Err(MapError::NotTransient {
            band: Band::Partition
        })
    );
    // Part of the region, at the right slot: no map returned that base.
    assert_eq!(
        m.unmap_at(usize::from(p.slot), FREE + 0x40),
        Err(MapError::PartOfRegion)
    );
    // Nothing changed.
    assert_eq!(transient(&m).len(), 1);
    assert_eq!(m.unmap_at(usize::from(p.slot), p.addr), Ok(()));
    // Unmapped twice: the slot is free now, so the hint does not match.
    assert_eq!(m.unmap_at(usize::from(p.slot), p.addr), Err(MapError::NotMapped));
}

#[test]
fn unmap_at_counts_each_base_of_a_shared_region() {
    let mut m = setup();
    let outer = m.map_range(FREE, FREE + 0x1000, Attrs::HYP_DATA).unwrap();
    let inner = m.map_range(FREE + 0x100, FREE + 0x140, Attrs::HYP_DATA).unwrap();
    let again = m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA).unwrap();
    assert_eq!((inner.slot, again.slot), (outer.slot, outer.slot));
    // The creator's base goes first, twice (its handle counts 2); the
    // region stays for the inner map, whose handle is not the first.
    assert_eq!(m.unmap_at(usize::from(outer.slot), outer.addr), Ok(()));
    assert_eq!(m.unmap_at(usize::from(again.slot), again.addr), Ok(()));
    assert_eq!(transient(&m).len(), 1);
    assert_eq!(
        m.unmap_at(usize::from(outer.slot), outer.addr),
        Err(MapError::PartOfRegion)
    );
    assert_eq!(m.unmap_at(usize::from(inner.slot), inner.addr), Ok(()));
    assert!(transient(&m).is_empty());
    // The slot keeps the creator's base, stale, with no count: a hint at
    // it is a search, which finds nothing.
    assert!(m.uses_exact());
    assert_eq!(
        m.unmap_at(usize::from(outer.slot), outer.addr),
        Err(MapError::NotMapped)
    );
}

#[test]
fn unmap_at_before_init_is_not_initialised() {
    let mut m = MpuMap::new(FakeMpu::new(16));
    assert_eq!(m.unmap_at(12, FREE), Err(MapError::NotInitialised));
    assert_eq!(
        m.map_range(FREE, FREE + 0x40, Attrs::HYP_DATA),
        Err(MapError::NotInitialised)
    );
}

/// The attributes a channel slot is mapped with, checked.
fn slot_attrs() -> TransientAttrs {
    TransientAttrs::check(Attrs::HYP_DATA).unwrap()
}

#[test]
fn a_window_maps_its_range_in_the_first_transient_slot_for_the_copy_alone() {
    let mut m = setup();
    let before = m.snapshot();
    let slot = 16 - DEFAULT_TRANSIENT_SLOTS;
    let want = words((FREE, FREE + 0x80), Attrs::HYP_DATA);
    let during = m
        .with_window(FREE + 0x10, FREE + 0x54, slot_attrs(), |at| at)
        .map_err(|_| ())
        .unwrap();
    assert_eq!(during, FREE + 0x10, "the copy gets the address asked for");
    assert_eq!(
        m.log(),
        [
            RegWrite::Hprselr(slot),
            RegWrite::Hprbar(want.prbar),
            RegWrite::Hprlar(want.prlar),
            RegWrite::Hprselr(slot),
            RegWrite::Hprlar(0),
        ],
        "programmed in the first transient slot, then disabled"
    );
    assert_eq!(m.snapshot(), before, "the table is as it was");
    assert!(m.uses_exact());
    // A map afterwards takes that slot as if the window had never been.
    let p = m.map_range(FREE, FREE + 4, Attrs::HYP_DATA).unwrap();
    assert_eq!(p.slot as usize, slot);
}

#[test]
fn a_window_steps_aside_while_a_transient_region_is_live() {
    let mut m = setup();
    m.map_range(FREE + 0x1000, FREE + 0x1040, Attrs::HYP_DATA)
        .unwrap();
    let before = m.snapshot();
    m.hw_log_clear();
    let mut ran = false;
    assert!(m
        .with_window(FREE, FREE + 4, slot_attrs(), |_| ran = true)
        .is_err());
    assert!(!ran, "the copy did not run");
    assert_eq!(m.log(), [], "nothing written");
    assert_eq!(m.snapshot(), before);
}

#[test]
fn a_window_refuses_empty_ranges_and_a_table_without_transient_slots() {
    let mut m = setup();
    let before = m.snapshot();
    assert!(m.with_window(FREE, FREE, slot_attrs(), |_| ()).is_err(), "empty");
    assert!(
        m.with_window(FREE + 8, FREE, slot_attrs(), |_| ()).is_err(),
        "inverted"
    );
    assert_eq!(m.log(), []);
    // The last granule of the address space is a region like any other.
    let top = RegionWords::encode(0xFFFF_FFC0, 0xFFFF_FFFF, Attrs::HYP_DATA).unwrap();
    m.with_window(0xFFFF_FFC4, 0xFFFF_FFFF, slot_attrs(), |_| ())
        .map_err(|_| ())
        .unwrap();
    assert_eq!(
        m.log()[1..3],
        [RegWrite::Hprbar(top.prbar), RegWrite::Hprlar(top.prlar)]
    );
    assert_eq!(top.limit(), 0xFFFF_FFFF);
    assert_eq!(m.snapshot(), before);
    let mut none = MpuMap::new(FakeMpu::new(16));
    none.init(&static_band(), 0).unwrap();
    assert!(none.with_window(FREE, FREE + 4, slot_attrs(), |_| ()).is_err());
}

#[test]
fn clear_of_static_names_ranges_that_meet_the_hypervisors_own_regions() {
    let m = setup();
    assert!(m.clear_of_static(FREE, FREE + 0xFFF));
    assert!(!m.clear_of_static(DATA.0 + 0x100, DATA.0 + 0x1FF), "inside data");
    assert!(
        !m.clear_of_static(TEXT.0 - 0x40, TEXT.0),
        "touches text's first byte"
    );
    assert!(
        !m.clear_of_static(CONSOLE.1 - 1, CONSOLE.1 + 0x40),
        "the console's last byte"
    );
    assert!(
        m.clear_of_static(GUEST_RAM.0, GUEST_RAM.0 + 0xFF),
        "partition regions are not static"
    );
    assert!(!m.clear_of_static(FREE + 1, FREE), "an inverted range");
}

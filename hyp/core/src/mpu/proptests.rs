//! Property test: random sequences of map, unmap and ioremap calls on two
//! cores against a reference model that knows nothing of the hardware (a
//! list of intervals per core, in 64-bit arithmetic), checking after every
//! step that
//! - each call returned what the model says (the same address and band,
//!   which says whether the map was counted, or the same error),
//! - each core's table holds exactly the model's regions, with their bands
//!   and per-base use counts, transient ones in the transient band,
//! - the fake's recorded register writes, replayed from an unknown state,
//!   give exactly the table (enabled regions with their words, all other
//!   regions disabled), and
//! - maps made the target's way (`place_new`, then `place` if that placed
//!   nothing) give the same as `map_range`, and a `place_new` that placed
//!   nothing changed nothing,
//! - no static or partition region was written by a map or unmap, and a
//!   switch of partition band (`load_registered_band`, with the bands
//!   preloaded or rewritten, both strategies are run) wrote only the
//!   partition band, or, preloaded, only `HPRENR`.

use proptest::prelude::*;

use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};

use super::fake::{FakeMpu, RegWrite};
use super::*;

const REGIONS: usize = 16;
const FREE: u32 = 0x2F00_0000;
const DATA: (u32, u32) = (0x1000_4800, 0x1000_C800);
const CONSOLE: (u32, u32) = (0xE020_5000, 0xE020_6000);
const GUEST_RAM: (u32, u32) = (0x2F00_2000, 0x2F00_3000);
const GUEST_RW: Attrs = Attrs {
    access: Access::GuestRw,
    xn: true,
    mem: MemType::Normal,
};

fn words((start, end): (u32, u32), attrs: Attrs) -> RegionWords {
    RegionWords::encode(start, end - 1, attrs).unwrap()
}

fn static_band() -> Vec<RegionWords> {
    vec![
        words((0x1000_0000, 0x1000_4000), Attrs::HYP_TEXT),
        words((0x1000_4000, DATA.0), Attrs::HYP_RODATA),
        words(DATA, Attrs::HYP_DATA),
        words(CONSOLE, Attrs::HYP_DEVICE),
    ]
}

/// Core 0 runs a partition whose memory sits inside the address window the
/// ops use, so matches and overlaps with the partition band happen often.
fn partition_band(core: usize) -> Vec<RegionWords> {
    match core {
        0 => vec![
            words(GUEST_RAM, GUEST_RW),
            words((0x2F00_3000, 0x2F00_3100), Attrs::HYP_RODATA),
        ],
        _ => vec![],
    }
}

/// A second band per core, to switch to: core 0's overlaps the first one
/// (only one is loaded at a time) and sits in the window the ops use.
fn alt_band(core: usize) -> Vec<RegionWords> {
    match core {
        0 => vec![
            words((0x2F00_2800, 0x2F00_3800), GUEST_RW),
            words((0x2F00_0800, 0x2F00_0900), Attrs::HYP_RODATA),
        ],
        _ => vec![words((0x2F00_3000, 0x2F00_3400), Attrs::HYP_DATA)],
    }
}

/// A band of `n` regions far from everything, registered (twice) so
/// that the bands do not fit at once (the rewrite strategy).
fn filler_band(n: usize) -> Vec<RegionWords> {
    (0..n as u32)
        .map(|k| words((0x6000_0000 + k * 0x1000, 0x6000_0800 + k * 0x1000), GUEST_RW))
        .collect()
}

// ---- the reference model ----

#[derive(Clone, Debug, PartialEq)]
struct MRegion {
    base: u64,
    /// Exclusive.
    end: u64,
    attrs: Attrs,
    band: Band,
    /// (granule base, outstanding maps), sorted by base when compared.
    users: Vec<(u32, u16)>,
}

#[derive(Clone, Debug)]
struct MCore {
    regions: Vec<MRegion>,
    slots: usize,
}

fn band_rank(b: Band) -> u8 {
    match b {
        Band::Static => 0,
        Band::Partition => 1,
        Band::Transient => 2,
    }
}

impl MCore {
    fn new(fixed: &[RegionWords], part: &[RegionWords], slots: usize) -> Self {
        let mk = |w: &RegionWords, band| MRegion {
            base: w.base() as u64,
            end: w.limit() as u64 + 1,
            attrs: w.attrs().unwrap(),
            band,
            users: vec![],
        };
        let mut regions: Vec<MRegion> = fixed.iter().map(|w| mk(w, Band::Static)).collect();
        regions.extend(part.iter().map(|w| mk(w, Band::Partition)));
        MCore { regions, slots }
    }

    /// `load_registered_band` of a band that passed `register_band`:
    /// refused if it overlaps a live transient region, else it replaces
    /// the partition regions.
    fn switch(&mut self, band: &[RegionWords]) -> Result<(), MapError> {
        let hit = band.iter().any(|w| {
            let (b, e) = (w.base() as u64, w.limit() as u64 + 1);
            self.regions
                .iter()
                .any(|r| r.band == Band::Transient && r.base < e && b < r.end)
        });
        if hit {
            return Err(MapError::BandOverlap {
                band: Band::Partition,
                other: Band::Transient,
            });
        }
        self.regions.retain(|r| r.band != Band::Partition);
        let fresh = MCore::new(&[], band, self.slots);
        self.regions.extend(fresh.regions);
        Ok(())
    }

    fn map(&mut self, base: u32, limit: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        if attrs.access.writable() && !attrs.xn {
            return Err(MapError::WriteExecute);
        }
        if matches!(attrs.access, Access::GuestRw | Access::GuestRo) {
            return Err(MapError::GuestVisible);
        }
        if base >= limit {
            return Err(MapError::EmptyRange);
        }
        let b = (base as u64 / 64) * 64;
        let e = (limit as u64).div_ceil(64) * 64;
        if e > u32::MAX as u64 {
            return Err(MapError::AddressOverflow);
        }
        if let Some(r) = self.regions.iter_mut().find(|r| r.base <= b && e <= r.end) {
            let diff = AttrDiff {
                access: r.attrs.access != attrs.access,
                xn: r.attrs.xn != attrs.xn,
                mem: r.attrs.mem != attrs.mem,
            };
            if diff.access || diff.xn || diff.mem {
                return Err(MapError::AttrMismatch { band: r.band, diff });
            }
            if r.band == Band::Transient {
                if let Some(u) = r.users.iter_mut().find(|u| u.0 as u64 == b) {
                    if u.1 == u16::MAX {
                        return Err(MapError::TooManyUsers);
                    }
                    u.1 += 1;
                } else if r.users.len() == MAX_HANDLES {
                    return Err(MapError::TooManyUsers);
                } else {
                    r.users.push((b as u32, 1));
                }
            }
            return Ok(Mapped {
                addr: base,
                band: r.band,
                slot: MODEL_SLOT,
            });
        }
        if let Some(r) = self
            .regions
            .iter()
            .filter(|r| r.base < e && b < r.end)
            .min_by_key(|r| band_rank(r.band))
        {
            return Err(MapError::PartialOverlap { band: r.band });
        }
        let in_use = self.regions.iter().filter(|r| r.band == Band::Transient).count();
        if in_use == self.slots {
            return Err(MapError::NoFreeSlot);
        }
        self.regions.push(MRegion {
            base: b,
            end: e,
            attrs,
            band: Band::Transient,
            users: vec![(b as u32, 1)],
        });
        Ok(Mapped {
            addr: base,
            band: Band::Transient,
            slot: MODEL_SLOT,
        })
    }

    fn unmap(&mut self, addr: u32) -> Result<(), MapError> {
        let g = (addr as u64 / 64) * 64;
        let pos = self
            .regions
            .iter()
            .position(|r| r.base <= g && g < r.end)
            .ok_or(MapError::NotMapped)?;
        let r = &mut self.regions[pos];
        if r.band != Band::Transient {
            return Err(MapError::NotTransient { band: r.band });
        }
        let u = r
            .users
            .iter()
            .position(|u| u.0 as u64 == g)
            .ok_or(MapError::PartOfRegion)?;
        r.users[u].1 -= 1;
        if r.users[u].1 == 0 {
            r.users.remove(u);
        }
        if r.users.is_empty() {
            self.regions.remove(pos);
        }
        Ok(())
    }

    fn ioremap(&mut self, base: u32, len: u32, attrs: Attrs) -> Result<Mapped, MapError> {
        if attrs.mem != MemType::Device {
            return Err(MapError::NotDevice);
        }
        if matches!(attrs.access, Access::GuestRw | Access::GuestRo) {
            return Err(MapError::GuestVisible);
        }
        if len == 0 {
            return Err(MapError::EmptyRange);
        }
        if base as u64 + len as u64 > u32::MAX as u64 {
            return Err(MapError::AddressOverflow);
        }
        self.map(base, base + len, attrs)
    }
}

// ---- the operations ----

#[derive(Clone, Debug)]
enum Op {
    Map {
        core: usize,
        base: u32,
        limit: u32,
        attrs: Attrs,
    },
    Unmap {
        core: usize,
        addr: u32,
    },
    /// Unmaps the `pick`-th address a map returned and nothing undid yet.
    UnmapReturned {
        pick: usize,
    },
    /// Maps the `pick`-th range a map returned again (a nested map).
    MapAgain {
        pick: usize,
    },
    /// Maps a sub-range of the `pick`-th range a map returned, `off` bytes
    /// in (modulo its length), at most `len` + 1 bytes long.
    MapInside {
        pick: usize,
        off: u32,
        len: u32,
    },
    Ioremap {
        core: usize,
        base: u32,
        len: u32,
        attrs: Attrs,
    },
    /// Switches `core` to its `band`-th registered band (modulo how many).
    Switch {
        core: usize,
        band: usize,
    },
    /// A channel-slot window (`with_window`) of `len % 0x200` bytes (so
    /// sometimes none) `off` bytes into the pool, clear of every static
    /// and partition region as the channel queues are.
    Window {
        core: usize,
        off: u32,
        len: u32,
    },
}

/// Where window ops map: clear of the static and partition bands, and
/// met by general maps only by chance.
const POOL: u32 = 0x2F10_0000;

// Ops are decoded from plain integers rather than built from nested
// `prop_oneof!` strategies: generating those dominated the run time (about
// 12 s of debug build for 10,000 cases); integers generate fast and still
// shrink towards the simplest op (a map of a free DDR range).

/// Core 1 one time in four.
fn pick_core(c: u32) -> usize {
    usize::from(c % 4 == 3)
}

/// Mostly a window of DDR where everything collides (a partition region
/// sits in it too), then the edges of static regions, the top of the
/// address space, and anything at all.
fn pick_addr(a: u32) -> u32 {
    let k = a >> 8;
    match a % 18 {
        0..=7 => FREE + (k % 64) * 0x100,
        8..=11 => FREE + (k % 256) * 32,
        12 | 13 => DATA.1 - 0x400 + (k % 64) * 32,
        14 => CONSOLE.0 - 0x400 + (k % 64) * 32,
        15 => 0xFFFF_FC00 + (k % 32) * 32,
        16 => [0, u32::MAX, 0xFFFF_FFC0][(k % 3) as usize],
        _ => a.rotate_left(7),
    }
}

/// Mostly whole granules and pages, then any small length, zero, anything.
fn pick_len(l: u32) -> u32 {
    let k = l >> 4;
    match l % 11 {
        0..=5 => [0x40, 0x100, 0x400, 0x1000][(k % 4) as usize],
        6..=8 => k % 0x2000,
        9 => 0,
        _ => l.rotate_left(5),
    }
}

/// Mostly the hypervisor's usual attributes, a third of the time any of
/// the 24 combinations (W+X ones included).
fn pick_attrs(t: u32) -> Attrs {
    let k = t >> 4;
    match t % 16 {
        0..=5 => Attrs::HYP_DATA,
        6 | 7 => Attrs::HYP_RODATA,
        8 | 9 => Attrs::HYP_DEVICE,
        10 => GUEST_RW,
        _ => Attrs {
            access: Access::from_ap_bits(k),
            xn: (k >> 2) & 1 == 1,
            mem: [MemType::Normal, MemType::Device, MemType::NormalUncached][((k >> 3) % 3) as usize],
        },
    }
}

fn decode_op((kind, a, b, c, d): (u32, u32, u32, u32, u32)) -> Op {
    let core = pick_core(c);
    let base = pick_addr(a);
    let attrs = pick_attrs(d);
    if kind >= 27 {
        return Op::Window { core, off: a, len: b };
    }
    if kind >= 24 {
        return Op::Switch {
            core,
            band: a as usize,
        };
    }
    match kind % 24 {
        0..=9 => Op::Map {
            core,
            base,
            limit: base.wrapping_add(pick_len(b)),
            attrs,
        },
        10 | 11 => Op::Map {
            core,
            base,
            limit: b,
            attrs,
        },
        12 | 13 => Op::Unmap { core, addr: base },
        14..=17 => Op::UnmapReturned { pick: a as usize },
        18 | 19 => Op::MapAgain { pick: a as usize },
        20 | 21 => Op::MapInside {
            pick: a as usize,
            off: b,
            len: if c % 2 == 0 { c % 0x100 } else { c },
        },
        22 => Op::Ioremap {
            core,
            base,
            len: pick_len(b),
            attrs: Attrs {
                mem: MemType::Device,
                ..attrs
            },
        },
        _ => Op::Ioremap {
            core,
            base,
            len: pick_len(b),
            attrs,
        },
    }
}

fn op() -> impl Strategy<Value = Op> {
    (0u32..29, any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(decode_op)
}

// ---- the checks ----

fn table_as_model(m: &MpuMap<FakeMpu>) -> Vec<MRegion> {
    let mut v: Vec<MRegion> = m
        .regions()
        .map(|(_, r)| {
            let mut users: Vec<(u32, u16)> = r
                .handles()
                .iter()
                .filter(|h| h.count > 0)
                .map(|h| (h.base, h.count))
                .collect();
            users.sort();
            MRegion {
                base: r.base as u64,
                end: r.last as u64 + 1,
                attrs: r.attrs,
                band: r.band,
                users,
            }
        })
        .collect();
    v.sort_by_key(|r| r.base);
    v
}

fn model_sorted(c: &MCore) -> Vec<MRegion> {
    let mut v = c.regions.clone();
    for r in &mut v {
        r.users.sort();
    }
    v.sort_by_key(|r| r.base);
    v
}

/// What the registers hold before boot: garbage with `EN` set.
const UNKNOWN: RegionWords = RegionWords {
    prbar: 0xDEAD_BEE5,
    prlar: 0xFFFF_FFC1,
};

/// Checks one core after a step; `since` is where its log stood before
/// the step and `switched` whether the step was a band switch on it.
fn check_core(
    m: &MpuMap<FakeMpu>,
    model: &MCore,
    since: usize,
    switched: bool,
    step: usize,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        table_as_model(m),
        model_sorted(model),
        "table != model after step {}",
        step
    );
    prop_assert!(m.chunks_exact(), "chunk index wrong after step {}", step);
    prop_assert!(
        m.uses_exact(),
        "counts on a slot that is not a live transient one after step {}",
        step
    );
    let bands = m.bands();
    for (i, r) in m.regions() {
        let band_range = match r.band {
            Band::Static => &bands.static_band,
            Band::Partition => &bands.partition,
            Band::Transient => &bands.transient,
        };
        prop_assert!(band_range.contains(&i), "{:?} region at index {}", r.band, i);
        prop_assert_eq!(r.words, RegionWords::encode(r.base, r.last, r.attrs).unwrap());
        if r.band == Band::Transient {
            prop_assert!(r.users() > 0, "transient region {} without users", i);
        }
    }
    let log = &m.hw().log;
    let file = FakeMpu::replay(log, &[UNKNOWN; REGIONS]);
    for (i, w) in file.iter().enumerate() {
        match m.region(i) {
            Some(r) => prop_assert_eq!(*w, r.words, "register file != table at {}", i),
            None => prop_assert!(!w.enabled(), "region {} enabled in hardware only", i),
        }
    }
    let written = FakeMpu::indices_written(&log[since..]);
    for &i in &written {
        if switched {
            prop_assert!(
                bands.partition.contains(&i),
                "switch wrote region {} (step {})",
                i,
                step
            );
        } else {
            prop_assert!(
                bands.transient.contains(&i),
                "static/partition region {} written after set-up (step {})",
                i,
                step
            );
        }
    }
    let enables = log[since..]
        .iter()
        .filter(|w| matches!(w, RegWrite::Hprenr(_)))
        .count();
    if switched && m.bands_preloaded() {
        prop_assert!(
            written.is_empty(),
            "preloaded switch wrote regions (step {})",
            step
        );
        prop_assert!(enables <= 1, "{} HPRENR writes (step {})", enables, step);
    } else {
        prop_assert_eq!(enables, 0, "HPRENR written (step {})", step);
    }
    Ok(())
}

/// A map the way the target makes it (`hyp::mpu::map_mm_range`): the
/// attribute checks, then [`MpuMap::place_new`] and, only if that placed
/// nothing, [`MpuMap::place`]. Checks that a `place_new` that placed
/// nothing changed nothing (table and hardware).
fn map_as_target(
    mpu: &Mpu<FakeMpu>,
    core: usize,
    base: u32,
    limit: u32,
    attrs: Attrs,
) -> Result<Result<Mapped, MapError>, TestCaseError> {
    let attrs = match TransientAttrs::check(attrs) {
        Ok(attrs) => attrs,
        Err(e) => return Ok(Err(e)),
    };
    mpu.with_core(core, |m| {
        let (regions, log) = (m.regions().collect::<Vec<_>>(), m.hw().log.len());
        if let Some(slot) = m.place_new(base, limit, attrs) {
            let placed = Placed {
                band: Band::Transient,
                slot,
            };
            return Ok(Ok(placed.at(base)));
        }
        prop_assert_eq!(
            m.regions().collect::<Vec<_>>(),
            regions,
            "place_new changed the table"
        );
        prop_assert_eq!(m.hw().log.len(), log, "place_new wrote a register");
        Ok(m.place(base, limit, attrs).map(|p| p.at(base)))
    })
    .unwrap()
}

/// Runs `ops` on two cores with `slots` transient slots; each core has
/// its bands registered (band 0 loaded): preloaded if `fit`, else with a
/// band that fills the partition band registered too, so every switch
/// rewrites the band.
fn run(slots: usize, fit: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mpu = Mpu::new([
        MpuMap::new(FakeMpu::new(REGIONS)),
        MpuMap::new(FakeMpu::new(REGIONS)),
    ]);
    let mut model = Vec::new();
    let mut registered = Vec::new();
    for core in 0..CORES {
        mpu.init(core, &static_band(), slots).unwrap();
        let mut bands = vec![partition_band(core), alt_band(core)];
        if !fit {
            let band = mpu.with_core(core, |m| m.bands().partition.len()).unwrap();
            // Two of them: more than the band holds on either core.
            bands.push(filler_band(band.min(MAX_BAND_REGIONS)));
            bands.push(filler_band(band.min(MAX_BAND_REGIONS)));
        }
        for (id, b) in bands.iter().enumerate() {
            mpu.register_band(core, id, b).unwrap();
        }
        mpu.load_registered_band(core, 0).unwrap();
        prop_assert_eq!(mpu.with_core(core, |m| m.bands_preloaded()).unwrap(), fit);
        model.push(MCore::new(&static_band(), &partition_band(core), slots));
        registered.push(bands);
    }
    for (c, m) in model.iter().enumerate() {
        mpu.with_core(c, |t| check_core(t, m, t.hw().log.len(), false, 0))
            .unwrap()?;
    }
    // (core, base, limit, attrs, slot) of every map nothing has undone yet.
    let mut returned: Vec<(usize, u32, u32, Attrs, u8)> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let before: Vec<usize> = (0..CORES)
            .map(|c| mpu.with_core(c, |m| m.hw().log.len()).unwrap())
            .collect();
        let mut switched = None;
        let (core, got, want) = match op.clone() {
            Op::Switch { core, band } => {
                let id = band % registered[core].len();
                switched = Some(core);
                let got = mpu.load_registered_band(core, id);
                let want = model[core].switch(&registered[core][id]);
                (core, got.map(|_| None), want.map(|_| None))
            }
            Op::Map {
                core,
                base,
                limit,
                attrs,
            } => {
                // Every other step the target's way, in two halves.
                let got = if step % 2 == 0 {
                    map_as_target(&mpu, core, base, limit, attrs)?
                } else {
                    mpu.map(core, base, limit, attrs)
                };
                let want = model[core].map(base, limit, attrs);
                if let Ok(m) = got {
                    check_slot(&mpu, core, m)?;
                    returned.push((core, base, limit, attrs, m.slot));
                }
                (core, got.map(unslotted), want.map(unslotted))
            }
            Op::MapAgain { pick } | Op::MapInside { pick, .. } => {
                let Some(&(core, b, l, attrs, _)) = returned.get(pick % returned.len().max(1)) else {
                    continue;
                };
                let (base, limit) = match op {
                    Op::MapInside { off, len, .. } => {
                        let base = b + off % (l - b);
                        (base, base + 1 + len % (l - base))
                    }
                    _ => (b, l),
                };
                let got = if step % 2 == 0 {
                    map_as_target(&mpu, core, base, limit, attrs)?
                } else {
                    mpu.map(core, base, limit, attrs)
                };
                let want = model[core].map(base, limit, attrs);
                if let Ok(m) = got {
                    check_slot(&mpu, core, m)?;
                    returned.push((core, base, limit, attrs, m.slot));
                }
                (core, got.map(unslotted), want.map(unslotted))
            }
            Op::Ioremap {
                core,
                base,
                len,
                attrs,
            } => {
                // The target's ioremap: its checks, then a map.
                let got = if step % 2 == 0 {
                    match ioremap_limit(base, len, attrs) {
                        Ok(limit) => map_as_target(&mpu, core, base, limit, attrs)?,
                        Err(e) => Err(e),
                    }
                } else {
                    mpu.ioremap(core, base, len, attrs)
                };
                let want = model[core].ioremap(base, len, attrs);
                if let Ok(m) = got {
                    check_slot(&mpu, core, m)?;
                    returned.push((core, base, base + len, attrs, m.slot));
                }
                (core, got.map(unslotted), want.map(unslotted))
            }
            Op::Window { core, off, len } => {
                let base = POOL + off % 0x4000;
                let limit = base + len % 0x200;
                let live = model[core].regions.iter().any(|r| r.band == Band::Transient);
                let opens = !live && base < limit && slots > 0;
                let attrs = TransientAttrs::check(Attrs::HYP_DATA).unwrap();
                let mut ran = false;
                let (got, first) = mpu
                    .with_core(core, |t| {
                        let got = t.with_window(base, limit, attrs, |at| {
                            ran = true;
                            at
                        });
                        (got.ok(), t.bands().transient.start)
                    })
                    .unwrap();
                prop_assert_eq!(
                    got,
                    opens.then_some(base),
                    "window of step {} on core {}",
                    step,
                    core
                );
                prop_assert_eq!(ran, opens);
                let log = mpu
                    .with_core(core, |t| t.hw().log[before[core]..].to_vec())
                    .unwrap();
                if opens {
                    let w = RegionWords::encode(base & !63, (limit - 1) | 63, Attrs::HYP_DATA).unwrap();
                    prop_assert_eq!(
                        log,
                        vec![
                            RegWrite::Hprselr(first),
                            RegWrite::Hprbar(w.prbar),
                            RegWrite::Hprlar(w.prlar),
                            RegWrite::Hprselr(first),
                            RegWrite::Hprlar(0),
                        ]
                    );
                } else {
                    prop_assert!(log.is_empty(), "a refused window wrote {:?}", log);
                }
                (core, Ok(None), Ok(None))
            }
            Op::Unmap { core, addr } => {
                let got = mpu.unmap(core, addr);
                let want = model[core].unmap(addr);
                (core, got.map(|_| None), want.map(|_| None))
            }
            Op::UnmapReturned { pick } => {
                if returned.is_empty() {
                    continue;
                }
                let (core, addr, _, _, slot) = returned.remove(pick % returned.len());
                // The guard's unmap: with the slot its map returned, or
                // (every third pick) a wrong hint, which must change nothing
                // but the path.
                let hint = if pick % 3 == 0 {
                    pick % MAX_REGIONS
                } else {
                    usize::from(slot)
                };
                let got = mpu.with_core(core, |t| t.unmap_at(hint, addr)).unwrap();
                let want = model[core].unmap(addr);
                (core, got.map(|_| None), want.map(|_| None))
            }
        };
        prop_assert_eq!(got, want, "result of step {} on core {}", step, core);
        prop_assert!(!mpu.is_locked(), "lock held after step {}", step);
        for (c, m) in model.iter().enumerate() {
            let since = before[c];
            let sw = switched == Some(c);
            mpu.with_core(c, |t| check_core(t, m, since, sw, step)).unwrap()?;
        }
    }
    Ok(())
}

/// The slot the model's maps report: it does not place regions, so slots
/// are compared with the table itself ([`check_slot`]), not the model.
const MODEL_SLOT: u8 = u8::MAX;

/// A map's result without its slot, to compare with the model's.
fn unslotted(m: Mapped) -> Option<Mapped> {
    Some(Mapped {
        slot: MODEL_SLOT,
        ..m
    })
}

/// The slot a map returned holds a region of the band it said, covering
/// the address it returned.
fn check_slot(mpu: &Mpu<FakeMpu>, core: usize, m: Mapped) -> Result<(), TestCaseError> {
    let r = mpu.inspect(core, |t| t.region(usize::from(m.slot))).unwrap();
    prop_assert!(
        r.is_some_and(|r| r.band == m.band && r.covers(m.addr & !63, m.addr & !63)),
        "map returned slot {} for {:#x} ({:?}), which holds {:?}",
        m.slot,
        m.addr,
        m.band,
        r
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// 10,000 random sequences of up to 30 calls on two cores.
    #[test]
    fn random_map_unmap_ioremap_sequences_match_the_model(
        slots in 1usize..=6,
        fit in any::<bool>(),
        ops in prop::collection::vec(op(), 1..30),
    ) {
        run(slots, fit, ops)?;
    }
}

#[test]
fn model_and_checks_see_a_known_sequence() {
    // A fixed sequence exercising every rule once, so a broken generator
    // cannot make the property test pass vacuously.
    let ops = vec![
        Op::Map {
            core: 0,
            base: FREE,
            limit: FREE + 0x1000,
            attrs: Attrs::HYP_DATA,
        },
        Op::Map {
            core: 0,
            base: FREE + 0x100,
            limit: FREE + 0x200,
            attrs: Attrs::HYP_DATA,
        },
        Op::Map {
            core: 0,
            base: FREE + 0x800,
            limit: FREE + 0x1800,
            attrs: Attrs::HYP_DATA,
        },
        Op::Map {
            core: 0,
            base: FREE,
            limit: FREE + 0x40,
            attrs: Attrs::HYP_RODATA,
        },
        // EL1 access is refused, even over the partition's own memory.
        Op::Map {
            core: 0,
            base: GUEST_RAM.0,
            limit: GUEST_RAM.0 + 0x40,
            attrs: GUEST_RW,
        },
        // An inclusive match on an (EL2-only) partition region, not counted.
        Op::Map {
            core: 0,
            base: 0x2F00_3000,
            limit: 0x2F00_3040,
            attrs: Attrs::HYP_RODATA,
        },
        Op::Unmap {
            core: 0,
            addr: 0x2F00_3000,
        },
        Op::Unmap {
            core: 0,
            addr: FREE + 0x800,
        },
        Op::Ioremap {
            core: 1,
            base: CONSOLE.0,
            len: 0x1000,
            attrs: Attrs::HYP_DEVICE,
        },
        Op::Ioremap {
            core: 1,
            base: 0xE020_7000,
            len: 0x1000,
            attrs: Attrs::HYP_DEVICE,
        },
        Op::UnmapReturned { pick: 0 },
        Op::UnmapReturned { pick: 0 },
        Op::UnmapReturned { pick: 1 },
        Op::UnmapReturned { pick: 0 },
        Op::Unmap {
            core: 1,
            addr: CONSOLE.0,
        },
        // Switches: refused over a live transient region (FREE + 0x800 is
        // mapped inside core 0's other band), then allowed once it is
        // gone; core 1 switches back and forth.
        Op::Map {
            core: 0,
            base: 0x2F00_0800,
            limit: 0x2F00_0840,
            attrs: Attrs::HYP_DATA,
        },
        Op::Switch { core: 0, band: 1 },
        Op::Unmap {
            core: 0,
            addr: 0x2F00_0800,
        },
        Op::Switch { core: 0, band: 1 },
        Op::Map {
            core: 0,
            base: 0x2F00_0800,
            limit: 0x2F00_0840,
            attrs: Attrs::HYP_RODATA,
        },
        Op::Switch { core: 1, band: 1 },
        Op::Switch { core: 1, band: 0 },
        Op::Switch { core: 0, band: 2 },
        Op::Switch { core: 0, band: 0 },
    ];
    run(2, true, ops.clone()).unwrap();
    run(2, false, ops).unwrap();
}

#[test]
fn replay_catches_a_write_the_table_does_not_know() {
    let mut m = MpuMap::new(FakeMpu::new(REGIONS));
    m.init(&static_band(), 4).unwrap();
    let model = MCore::new(&static_band(), &[], 4);
    let setup = m.hw().log.len();
    check_core(&m, &model, setup, false, 0).unwrap();
    m.hw_mut().log.extend([
        RegWrite::Hprselr(13),
        RegWrite::Hprbar(FREE),
        RegWrite::Hprlar(FREE | 1),
    ]);
    assert!(check_core(&m, &model, setup, false, 0).is_err());
    m.hw_mut().log.truncate(setup);
    m.hw_mut().log.extend([RegWrite::Hprselr(2), RegWrite::Hprlar(0)]);
    assert!(check_core(&m, &model, setup, false, 0).is_err());
    // An HPRENR write that turns a region off, or a garbage one on.
    m.hw_mut().log.truncate(setup);
    m.hw_mut().log.push(RegWrite::Hprenr(0b0111));
    assert!(check_core(&m, &model, setup, true, 0).is_err());
    m.hw_mut().log.truncate(setup);
    m.hw_mut().log.push(RegWrite::Hprenr(0b1_1111));
    assert!(check_core(&m, &model, setup, true, 0).is_err());
    // Even a faithful one, outside a preloaded switch.
    m.hw_mut().log.truncate(setup);
    m.hw_mut().log.push(RegWrite::Hprenr(0b1111));
    assert!(check_core(&m, &model, setup, false, 0).is_err());
}

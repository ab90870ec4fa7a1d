//! Self tests of the EL2 MPU map on the target, and the job mailbox that
//! lets a test run code on core 1.
//!
//! - `mpu-map`: map a DDR range nothing else maps, use it, unmap it, and
//!   show that the next access faults at EL2 (caught and reported through
//!   the parent module's expected-abort hook, never a hang); on the way,
//!   the nested-map count, the refusals and the console's ioremap.
//! - `mpu-guard-fatal`: a `Mapping` whose unmap fails when it is dropped
//!   reports `[hyp] ERROR: ...` and ends the run with exit code 1.
//! - `mpu-concurrent`: both cores hammer map/unmap of their own ranges and
//!   of one range they share, each on its own table; afterwards no slot has
//!   leaked and each core's MPU registers read back equal to its table.
//! - `bench-map`: instructions per map+unmap pair (run under
//!   `-icount shift=0`, where one 62.5 MHz counter tick is 16 instructions),
//!   printed as `BENCH map_unmap <n>`.

use core::sync::atomic::{AtomicU32, Ordering};

use aarch32_cpu::asm::{dsb, sev, wfe};
use aarch32_cpu::register::CntVct;
use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};

use super::{EXPECT_ABORT, SEEN_ADDR, SEEN_HSR};
use crate::arch::{cpu, mpu as regs};
use crate::hprintln;
use crate::hsr::{ExceptionClass, Hsr};
use crate::mpu::{self, Band, MapError};
use crate::text::{hex8, Out, Show};

/// DDR nothing maps: the `mpu-map` test range.
const TEST_BASE: u32 = 0x2F00_0000;
/// Its (exclusive) limit.
const TEST_LIMIT: u32 = 0x2F00_1000;
/// Each core's private ranges in `mpu-concurrent` start here, 1 MiB apart.
const PRIVATE_BASE: u32 = 0x2F10_0000;
/// The range both cores map in `mpu-concurrent`.
const SHARED_BASE: u32 = 0x2F30_0000;
/// Rounds of map/unmap per core in `mpu-concurrent`.
const HAMMER_ROUNDS: u32 = 3000;
/// map+unmap pairs timed by `bench-map`.
const BENCH_PAIRS: u32 = 1000;
/// Counter ticks (62.5 MHz) a test waits for core 1: 20 s.
const CORE1_TIMEOUT_TICKS: u64 = 20 * 62_500_000;

// ---- the core 1 mailbox ----

const JOB_NONE: u32 = 0;
const JOB_HAMMER: u32 = 1;
const JOB_HALT: u32 = 2;

const STATE_IDLE: u32 = 0;
const STATE_BUSY: u32 = 1;
const STATE_OK: u32 = 2;
const STATE_FAILED: u32 = 3;
const STATE_HALTED: u32 = 4;

/// Set by core 1 once it polls the mailbox.
static CORE1_READY: AtomicU32 = AtomicU32::new(0);
/// The job core 0 posts for core 1.
static JOB: AtomicU32 = AtomicU32::new(JOB_NONE);
/// Where core 1 is with the job.
static JOB_STATE: AtomicU32 = AtomicU32::new(STATE_IDLE);
/// Cores inside `hammer` right now.
static HAMMERING: AtomicU32 = AtomicU32::new(0);
/// Rounds that ran while the other core was hammering too.
static OVERLAPPED_ROUNDS: AtomicU32 = AtomicU32::new(0);
/// Why the job failed (written before `STATE_FAILED`).
static JOB_FAILURE: spin::Mutex<&str> = spin::Mutex::new("");

/// Core 1's idle loop in self-test images (called by `boot` where the
/// product halts it): sleeps in `WFE` until core 0 posts a job, runs it,
/// and returns (to halt in `WFI`) when told to.
pub fn secondary_jobs() {
    CORE1_READY.store(1, Ordering::Release);
    dsb();
    sev();
    loop {
        match JOB.swap(JOB_NONE, Ordering::AcqRel) {
            JOB_HAMMER => {
                let state = match hammer() {
                    Ok(()) => STATE_OK,
                    Err(why) => {
                        *JOB_FAILURE.lock() = why;
                        STATE_FAILED
                    }
                };
                JOB_STATE.store(state, Ordering::Release);
                dsb();
                sev();
            }
            JOB_HALT => {
                JOB_STATE.store(STATE_HALTED, Ordering::Release);
                dsb();
                sev();
                return;
            }
            _ => wfe(),
        }
    }
}

fn now() -> u64 {
    CntVct::read().0
}

/// Waits (in `WFE`) until `done` holds or the core-1 timeout passes.
fn wait_for(done: impl Fn() -> bool) -> bool {
    let start = now();
    while !done() {
        if now().wrapping_sub(start) > CORE1_TIMEOUT_TICKS {
            return false;
        }
        wfe();
    }
    true
}

/// Posts `job` to core 1 without waiting for it.
fn post_core1(job: u32) -> Result<(), &'static str> {
    if !wait_for(|| CORE1_READY.load(Ordering::Acquire) == 1) {
        return Err("core 1 never reached its self-test mailbox");
    }
    JOB_STATE.store(STATE_BUSY, Ordering::Release);
    JOB.store(job, Ordering::Release);
    dsb();
    sev();
    Ok(())
}

/// Waits for core 1 to finish the job posted last.
fn wait_core1() -> Result<(), &'static str> {
    if !wait_for(|| JOB_STATE.load(Ordering::Acquire) != STATE_BUSY) {
        return Err("core 1 did not finish its job in time");
    }
    match JOB_STATE.load(Ordering::Acquire) {
        STATE_OK | STATE_HALTED => Ok(()),
        _ => Err(*JOB_FAILURE.lock()),
    }
}

// ---- helpers ----

/// A table entry as `{:?}` shows it: `Some(RegionWords { prbar: .., prlar: .. })`
/// (in decimal) or `None`.
struct DebugWords(Option<RegionWords>);

impl Show for DebugWords {
    fn show(&self, o: &mut dyn Out) {
        match self.0 {
            Some(w) => hypcfg::put!(o, "Some(RegionWords { prbar: {}, prlar: {} })", w.prbar, w.prlar),
            None => o.str("None"),
        }
    }
}

fn this_core() -> usize {
    cpu::core_id() as usize
}

/// The calling core's live transient regions (a core only ever looks at
/// its own table).
fn transient_in_use() -> usize {
    mpu::inspect(|m| m.transient_in_use()).unwrap_or(usize::MAX)
}

/// Prints a refusal the test did not expect and turns it into a failure.
fn report(what: &'static str) -> impl Fn(MapError) -> &'static str {
    move |e| failure(what, e)
}

/// The line of [`report`], and `what` back, out of line: `bench_map` times
/// map+unmap pairs with this in their error path, which should not weigh
/// on the timed code.
#[inline(never)]
fn failure(what: &'static str, e: MapError) -> &'static str {
    hprintln!("[selftest] {} failed on core {}: {}", what, this_core(), e);
    what
}

/// Checks that `got` is the refusal `want` and shows its message.
fn expect_refusal<T>(
    got: Result<T, MapError>,
    want: MapError,
    what: &'static str,
) -> Result<(), &'static str> {
    match got {
        Err(e) if e == want => {
            hprintln!("[selftest] refused as expected ({}): {}", what, e);
            Ok(())
        }
        Err(e) => {
            hprintln!("[selftest] {}: wrong refusal: {}", what, e);
            Err(what)
        }
        Ok(_) => Err(what),
    }
}

/// One `LDR` from `addr` (a single A32 instruction, so the expected-abort
/// hook can skip it).
///
/// # Safety
/// `addr` must be mapped readable for EL2, or a data abort must be expected.
unsafe fn load(addr: u32) -> u32 {
    let value: u32;
    // SAFETY: the caller guarantees the address is readable or the abort
    // is expected; the load has no other effect.
    unsafe {
        core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) value,
            options(nostack, readonly));
    }
    value
}

/// Each enabled region of this core's MPU reads back as its table entry,
/// every other region reads back disabled, and `HPRENR` agrees.
fn check_this_core() -> Result<(), &'static str> {
    mpu::inspect(|m| {
        for i in 0..m.region_count() {
            let hw = regs::read_region(i);
            let ok = match m.region(i) {
                Some(r) => hw == r.words,
                None => !hw.enabled(),
            };
            if !ok {
                hprintln!(
                    "[selftest] core {} region {}: hardware {}/{}, table {}",
                    this_core(),
                    i,
                    hex8(hw.prbar),
                    hex8(hw.prlar),
                    DebugWords(m.region(i).map(|r| r.words))
                );
                return Err("an MPU region differs from the table");
            }
        }
        // HPRENR mirrors every region's EN bit.
        let want = m
            .regions()
            .filter(|(i, _)| *i < 32)
            .fold(0u32, |mask, (i, _)| mask | 1 << i);
        if regs::enabled_mask() != want {
            hprintln!(
                "[selftest] core {}: HPRENR {}, table {}",
                this_core(),
                hex8(regs::enabled_mask()),
                hex8(want)
            );
            return Err("HPRENR differs from the table");
        }
        Ok(())
    })
    .map_err(|_| "no MPU table for this core")?
}

// ---- mpu-map ----

/// Map, use, unmap, and fault on the next access.
pub(super) fn map_test() -> Result<(), &'static str> {
    check_this_core()?;
    let slots_before = transient_in_use();
    expect_refusal(
        mpu::unmap_mm_range(TEST_BASE),
        MapError::NotMapped,
        "unmap before map",
    )?;

    let outer = mpu::map_mm_range(TEST_BASE, TEST_LIMIT, Attrs::HYP_DATA).map_err(report("map"))?;
    if outer.addr() != TEST_BASE || transient_in_use() != slots_before.wrapping_add(1) {
        return Err("map did not return the range in a new transient slot");
    }
    hprintln!(
        "[selftest] mapped {}..{} RW XN EL2-only in a transient slot",
        hex8(TEST_BASE),
        hex8(TEST_LIMIT)
    );
    check_this_core()?;
    let words = outer.ptr().cast::<u32>();
    let count = ((TEST_LIMIT - TEST_BASE) / 4) as usize;
    for i in 0..count {
        // SAFETY: `words` points at the 4 KiB `outer` maps RW for EL2.
        unsafe { words.wrapping_add(i).write_volatile(0xA5A5_0000 ^ i as u32) };
    }
    for i in 0..count {
        // SAFETY: as above.
        if unsafe { words.wrapping_add(i).read_volatile() } != 0xA5A5_0000 ^ i as u32 {
            return Err("the pattern written through the mapping did not read back");
        }
    }

    // A nested map of a sub-range: same region, counted, its own address.
    let inner = mpu::map_mm_range(TEST_BASE + 0x100, TEST_BASE + 0x200, Attrs::HYP_DATA)
        .map_err(report("nested map"))?;
    if inner.addr() != TEST_BASE + 0x100 || transient_in_use() != slots_before.wrapping_add(1) {
        return Err("a nested map made a new region");
    }
    outer.unmap().map_err(report("first unmap"))?;
    // SAFETY: the nested map keeps the region mapped.
    if unsafe { load(TEST_BASE + 0x100) } != 0xA5A5_0000 ^ 0x40 {
        return Err("the region went with the first of two unmaps");
    }
    // The raw unmap's refusals change nothing, so `inner` stays good.
    expect_refusal(
        mpu::unmap_mm_range(TEST_BASE + 0x800),
        MapError::PartOfRegion,
        "unmap of part of a region",
    )?;
    inner.unmap().map_err(report("last unmap"))?;
    if transient_in_use() != slots_before {
        return Err("the last unmap did not free the slot");
    }
    check_this_core()?;

    // Refusals, each with its message.
    expect_refusal(mpu::unmap_mm_range(TEST_BASE), MapError::NotMapped, "unmap twice")?;
    let rwx = Attrs {
        access: Access::HypRw,
        xn: false,
        mem: MemType::Normal,
    };
    expect_refusal(
        mpu::map_mm_range(TEST_BASE, TEST_LIMIT, rwx),
        MapError::WriteExecute,
        "W+X map",
    )?;
    let guest_rw = Attrs {
        access: Access::GuestRw,
        xn: true,
        mem: MemType::Normal,
    };
    expect_refusal(
        mpu::map_mm_range(TEST_BASE, TEST_LIMIT, guest_rw),
        MapError::GuestVisible,
        "map with EL1 access",
    )?;
    let data = crate::linker::image_layout().data;
    match mpu::map_mm_range(data.0, data.0.wrapping_add(64), Attrs::HYP_TEXT) {
        Err(
            e @ MapError::AttrMismatch {
                band: Band::Static,
                diff,
            },
        ) if diff.access && diff.xn => {
            hprintln!(
                "[selftest] refused as expected (executable map of hypervisor data): {}",
                e
            );
        }
        _ => return Err("an executable map of hypervisor data was not refused"),
    }
    let console = (crate::board::CONSOLE_BASE, crate::board::CONSOLE_SIZE);
    expect_refusal(
        mpu::unmap_mm_range(console.0),
        MapError::NotTransient { band: Band::Static },
        "unmap of the console",
    )?;
    let uart = mpu::ioremap(console.0, console.1, Attrs::HYP_DEVICE).map_err(report("ioremap"))?;
    if uart.addr() != console.0 || transient_in_use() != slots_before {
        return Err("ioremap of the console did not return its static window");
    }
    hprintln!(
        "[selftest] ioremap of the console returned its static window {}",
        hex8(uart.addr())
    );
    // A static window has nothing to undo: dropping it leaves the console.
    drop(uart);
    check_this_core()?;

    // The unmapped range now faults at EL2.
    SEEN_ADDR.store(0, Ordering::Release);
    EXPECT_ABORT.store(1, Ordering::Release);
    // SAFETY: the load is expected to fault; the hook skips it.
    let _ = unsafe { load(TEST_BASE) };
    if EXPECT_ABORT.swap(0, Ordering::AcqRel) != 0 {
        return Err("the access after unmap did not fault");
    }
    let hsr = Hsr(SEEN_HSR.load(Ordering::Acquire));
    let addr = SEEN_ADDR.load(Ordering::Acquire);
    if addr != TEST_BASE || hsr.class() != ExceptionClass::DataAbortHyp || hsr.is_write() {
        return Err("the fault after unmap was not a read data abort at EL2 on the range");
    }
    hprintln!(
        "[selftest] access after unmap faulted at EL2: HDFAR={} ({})",
        hex8(addr),
        hsr.fault_name()
    );
    Ok(())
}

// ---- mpu-guard-fatal ----

/// A mapping whose region went behind its back (a raw unmap): dropping it
/// must report the failed unmap and stop the run (exit code 1), never carry
/// on with a table that no longer matches the hypervisor's mappings.
pub(super) fn guard_fatal_test() -> Result<(), &'static str> {
    let m = mpu::map_mm_range(TEST_BASE, TEST_LIMIT, Attrs::HYP_DATA).map_err(report("map"))?;
    mpu::unmap_mm_range(TEST_BASE).map_err(report("raw unmap"))?;
    hprintln!(
        "[selftest] unmapped {} behind its Mapping; dropping it must stop the run",
        hex8(m.addr())
    );
    drop(m);
    Err("a failed unmap on drop did not stop the run")
}

// ---- mpu-concurrent ----

/// Each core's own report of its table after `hammer`: live transient
/// regions and outstanding maps (`u32::MAX` until reported). A table is
/// only ever read by its core, so core 1 reports its own here for core 0.
static TABLE_REPORT: [[AtomicU32; 2]; crate::board::CORES] =
    [const { [AtomicU32::new(u32::MAX), AtomicU32::new(u32::MAX)] }; crate::board::CORES];

/// Reads the calling core's table and publishes what `concurrent_test`
/// prints and checks for it.
fn report_table(core: usize) -> Result<(), &'static str> {
    let (leaked, users) = mpu::inspect(|m| {
        let users: u32 = m.regions().map(|(_, r)| r.users()).sum();
        (m.transient_in_use(), users)
    })
    .map_err(|_| "no MPU table for this core")?;
    let slot = TABLE_REPORT.get(core).ok_or("no MPU table for this core")?;
    slot[0].store(u32::try_from(leaked).unwrap_or(u32::MAX), Ordering::Release);
    slot[1].store(users, Ordering::Release);
    Ok(())
}

/// What each core does in `mpu-concurrent`; returns the first failure.
fn hammer() -> Result<(), &'static str> {
    let core = this_core() as u32;
    // `core` < 2 and `round` < HAMMER_ROUNDS: the test addresses below
    // stay inside the test areas, nothing wraps.
    let private = PRIVATE_BASE.wrapping_add(core.wrapping_mul(0x10_0000));
    let slots_before = transient_in_use();
    HAMMERING.fetch_add(1, Ordering::AcqRel);
    let result = hammer_rounds(core, private);
    HAMMERING.fetch_sub(1, Ordering::AcqRel);
    result?;
    check_this_core()?;
    report_table(core as usize)?;
    if transient_in_use() != slots_before {
        return Err("transient slots leaked");
    }
    Ok(())
}

fn hammer_rounds(core: u32, private: u32) -> Result<(), &'static str> {
    for round in 0..HAMMER_ROUNDS {
        if HAMMERING.load(Ordering::Acquire) > 1 {
            OVERLAPPED_ROUNDS.fetch_add(1, Ordering::Relaxed);
        }
        let a = private.wrapping_add((round % 4).wrapping_mul(0x1000));
        let p = mpu::map_mm_range(a, a.wrapping_add(0x1000), Attrs::HYP_DATA).map_err(report("map"))?;
        let s = mpu::map_mm_range(SHARED_BASE, SHARED_BASE + 0x1000, Attrs::HYP_DATA)
            .map_err(report("shared map"))?;
        let mine = (SHARED_BASE + 0x100).wrapping_add(core.wrapping_mul(0x40));
        let n = mpu::map_mm_range(mine, mine.wrapping_add(0x40), Attrs::HYP_DATA)
            .map_err(report("nested shared map"))?;
        let tag = (core << 24) | round;
        let (pw, nw) = (p.ptr().cast::<u32>(), n.ptr().cast::<u32>());
        let pw = pw.wrapping_add((round % 1024) as usize); // inside the 4 KiB `p` maps
                                                           // SAFETY: `p` and `n` map these ranges RW on this core while they
                                                           // live, and no other core writes these words.
        unsafe { pw.write_volatile(tag) };
        // SAFETY: as above.
        unsafe { nw.write_volatile(tag) };
        // SAFETY: as above.
        let back_p = unsafe { pw.read_volatile() };
        // SAFETY: as above.
        let back_n = unsafe { nw.read_volatile() };
        let back = (back_p, back_n);
        if back != (tag, tag) {
            return Err("a word written through a transient mapping did not read back");
        }
        if !matches!(
            mpu::map_mm_range(SHARED_BASE + 0x800, SHARED_BASE + 0x1800, Attrs::HYP_DATA),
            Err(MapError::PartialOverlap {
                band: Band::Transient
            })
        ) {
            return Err("a partial overlap was not refused");
        }
        let order = match round % 3 {
            0 => [p, s, n],
            1 => [n, s, p],
            _ => [s, p, n],
        };
        for m in order {
            m.unmap().map_err(report("unmap"))?;
        }
        if round % 256 == 0 {
            check_this_core()?;
        }
    }
    Ok(())
}

/// Both cores at once, each on its own table; then both tables are clean
/// (each core reports its own).
pub(super) fn concurrent_test() -> Result<(), &'static str> {
    post_core1(JOB_HAMMER)?;
    let mine = hammer();
    let theirs = wait_core1();
    mine?;
    theirs?;
    for core in 0..crate::board::CORES {
        let (leaked, users) = TABLE_REPORT
            .get(core)
            .map(|r| (r[0].load(Ordering::Acquire), r[1].load(Ordering::Acquire)))
            .ok_or("no MPU table for a core")?;
        hprintln!(
            "[selftest] core {}: {} rounds done, {} transient slots in use, {} users",
            core,
            HAMMER_ROUNDS,
            leaked,
            users
        );
        if leaked != 0 || users != 0 {
            return Err("a core's table kept transient regions after the run");
        }
    }
    if mpu::table_in_use() {
        return Err("a core is still inside its MPU table");
    }
    hprintln!(
        "[selftest] {} rounds ran while both cores were hammering",
        OVERLAPPED_ROUNDS.load(Ordering::Acquire)
    );
    Ok(())
}

// ---- bench-map ----

/// Instructions per map+unmap pair under `-icount shift=0`.
pub(super) fn bench_map() -> Result<(), &'static str> {
    // Core 1 must sleep in WFI: under -icount its instructions would count.
    post_core1(JOB_HALT)?;
    wait_core1()?;
    let pair = || -> Result<(), &'static str> {
        let m = mpu::map_mm_range(TEST_BASE, TEST_LIMIT, Attrs::HYP_DATA).map_err(report("map"))?;
        core::hint::black_box(m.ptr());
        m.unmap().map_err(report("unmap"))
    };
    pair()?;
    let t0 = now();
    for _ in 0..BENCH_PAIRS {
        pair()?;
    }
    let t1 = now();
    for i in 0..BENCH_PAIRS {
        core::hint::black_box(i);
    }
    let t2 = now();
    // The counter only goes forward.
    let (pairs, empty) = (t1.saturating_sub(t0), t2.saturating_sub(t1));
    let ticks = pairs.saturating_sub(empty);
    // 16 instructions per tick; one decimal.
    let tenths = ticks
        .saturating_mul(16 * 10)
        .checked_div(u64::from(BENCH_PAIRS))
        .unwrap_or(0);
    hprintln!(
        "[selftest] {} map+unmap pairs: {} ticks, empty loop {} ticks",
        BENCH_PAIRS,
        pairs,
        empty
    );
    hprintln!("BENCH map_unmap {}.{}", tenths / 10, tenths % 10);
    Ok(())
}

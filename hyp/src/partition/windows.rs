//! Temporal partitioning: each core's cyclic schedule, driven by the EL2
//! physical timer (`CNTHP`, PPI 26). At every window boundary the window's
//! partition gets the core, whatever the running one does (spinning with
//! its interrupts masked included: physical IRQs go to EL2). A partition
//! that yields or idles donates the rest of its window to the others of
//! the core; the boundaries never move.

use spin::Mutex;

use hypcfg::system::System;

use crate::arch::timer;
use crate::board::CORES;
use crate::sched::Timetable;

/// One core's position in its schedule and the jitter it has seen.
pub struct CoreWindows {
    table: Timetable,
    index: usize,
    deadline: u64,
    armed: bool,
    /// Windows started so far.
    pub started: u32,
    /// Largest delay from a boundary to the switch, in ticks.
    pub jitter_max: u64,
    /// Sum of those delays, in ticks.
    pub jitter_sum: u64,
}

impl CoreWindows {
    const NEW: CoreWindows = CoreWindows {
        table: Timetable {
            parts: heapless::Vec::new(),
            ticks: heapless::Vec::new(),
            frame_ticks: 0,
        },
        index: 0,
        deadline: 0,
        armed: false,
        started: 0,
        jitter_max: 0,
        jitter_sum: 0,
    };
}

static WINDOWS: [Mutex<CoreWindows>; CORES] = [const { Mutex::new(CoreWindows::NEW) }; CORES];

/// Loads `core`'s schedule and, if it switches between partitions, arms
/// the timer for the end of the first window. Returns the partition of
/// the first window.
pub fn start(s: &System, core: usize) -> Option<u8> {
    let sched = s.schedules.iter().find(|w| w.core as usize == core)?;
    let mut w = WINDOWS.get(core)?.lock();
    w.table = Timetable::new(sched, timer::frequency());
    w.index = 0;
    let first = w.table.parts.first().copied();
    if w.table.needs_timer() {
        w.deadline = timer::counter() + w.table.ticks.first().copied().unwrap_or(0);
        w.armed = true;
        timer::set_hyp_deadline(w.deadline);
    }
    first
}

/// At a window boundary (the `CNTHP` interrupt): moves to the next
/// window, re-arms the timer for its end, and returns its partition and
/// the boundary's deadline (for [`record`]).
pub fn boundary(core: usize) -> Option<(u8, u64)> {
    let mut w = WINDOWS.get(core)?.lock();
    if !w.armed {
        timer::stop_hyp_timer();
        return None;
    }
    let due = w.deadline;
    w.index = w.table.next(w.index);
    let len = w.table.ticks.get(w.index).copied().unwrap_or(0);
    // Boundaries stay on the grid even if this one was served late.
    w.deadline += len;
    timer::set_hyp_deadline(w.deadline);
    w.table.parts.get(w.index).copied().map(|p| (p, due))
}

/// Records how long after its deadline `due` a window's partition got the
/// core back (called just before returning to it; boundaries that keep the
/// running partition or start one for the first time are not recorded).
pub fn record(core: usize, due: u64) {
    if let Some(w) = WINDOWS.get(core) {
        let mut w = w.lock();
        let late = timer::counter().saturating_sub(due);
        w.started += 1;
        w.jitter_max = w.jitter_max.max(late);
        w.jitter_sum += late;
    }
}

/// Window statistics of `core`: (windows started, max jitter, mean jitter)
/// in instructions under `-icount shift=0` (16 per tick).
pub fn stats(core: usize) -> (u32, u64, u64) {
    WINDOWS.get(core).map_or((0, 0, 0), |w| {
        let w = w.lock();
        let mean = if w.started == 0 {
            0
        } else {
            w.jitter_sum / w.started as u64
        };
        (w.started, w.jitter_max * 16, mean * 16)
    })
}

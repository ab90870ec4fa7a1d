//! Temporal partitioning: each core's cyclic schedule, driven by the EL2
//! physical timer (`CNTHP`, PPI 26). At every window boundary the window's
//! partition gets the core, whatever the running one does (spinning with
//! its interrupts masked included: physical IRQs go to EL2). A partition
//! that yields or idles donates the rest of its window to the others of
//! the core; the boundaries never move.

use spin::Mutex;

use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::system::System;

use crate::arch::timer;
use crate::board::CORES as MAX_CORES;
use crate::sched::Timetable;

/// One core's position in its schedule (part of its `CoreBlock`).
pub struct CoreWindows {
    table: Timetable,
    index: usize,
    deadline: u64,
    armed: bool,
}

/// The jitter one core's windows have seen; read by whichever core prints
/// the end-of-run summary.
#[derive(Clone, Copy)]
struct WindowStats {
    started: u32,
    jitter_max: u64,
    jitter_sum: u64,
}

static STATS: [Mutex<WindowStats>; MAX_CORES] = [const {
    Mutex::new(WindowStats {
        started: 0,
        jitter_max: 0,
        jitter_sum: 0,
    })
}; MAX_CORES];

impl CoreWindows {
    /// No schedule loaded.
    pub const NEW: CoreWindows = CoreWindows {
        table: Timetable {
            parts: heapless::Vec::new(),
            ticks: heapless::Vec::new(),
            frame_ticks: 0,
        },
        index: 0,
        deadline: 0,
        armed: false,
    };

    /// Loads `core`'s schedule and returns the partition of its first
    /// window; [`CoreWindows::arm`] starts the clock.
    pub fn start(&mut self, s: &System, core: CoreId) -> Option<PartitionId> {
        let sched = s.schedules.iter().find(|w| w.core == core)?;
        self.table = Timetable::new(sched, timer::frequency());
        self.index = 0;
        self.table.parts.first().copied()
    }

    /// If the schedule switches between partitions, arms the timer for
    /// the end of the first window, from now.
    pub fn arm(&mut self) {
        if self.table.needs_timer() {
            // A 64-bit count does not wrap in the life of the system.
            self.deadline = timer::counter().wrapping_add(self.table.ticks.first().copied().unwrap_or(0));
            self.armed = true;
            timer::set_hyp_deadline(self.deadline);
        }
    }

    /// At a window boundary (the `CNTHP` interrupt): moves to the next
    /// window, re-arms the timer for its end, and returns its partition and
    /// the boundary's deadline (for [`record`]).
    pub fn boundary(&mut self) -> Option<(PartitionId, u64)> {
        if !self.armed {
            timer::stop_hyp_timer();
            return None;
        }
        let due = self.deadline;
        self.index = self.table.next(self.index);
        let len = self.table.ticks.get(self.index).copied().unwrap_or(0);
        // Boundaries stay on the grid even if this one was served late.
        self.deadline = self.deadline.wrapping_add(len); // 64-bit count, as in `start`
        timer::set_hyp_deadline(self.deadline);
        self.table.parts.get(self.index).copied().map(|p| (p, due))
    }
}

/// Records how long after its deadline `due` a window's partition got
/// `core` back (called just before returning to it; boundaries that keep
/// the running partition or start one for the first time are not recorded).
pub fn record(core: CoreId, due: u64) {
    if let Some(w) = STATS.get(core.index()) {
        let mut w = w.lock();
        let late = timer::counter().saturating_sub(due);
        // Statistics only: they would wrap after 2^32 windows, harmlessly.
        w.started = w.started.wrapping_add(1);
        w.jitter_max = w.jitter_max.max(late);
        w.jitter_sum = w.jitter_sum.wrapping_add(late);
    }
}

/// Window statistics of `core`: (windows started, max jitter, mean jitter)
/// in instructions under `-icount shift=0` (16 per tick).
pub fn stats(core: usize) -> (u32, u64, u64) {
    STATS.get(core).map_or((0, 0, 0), |w| {
        let w = *w.lock();
        let mean = hypcfg::div::div(w.jitter_sum, w.started as u64);
        (
            w.started,
            w.jitter_max.saturating_mul(16),
            mean.saturating_mul(16),
        )
    })
}

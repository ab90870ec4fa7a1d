//! Which partition runs next on a core: round robin over the partitions
//! pinned to it, skipping those that are stopped, and each core's window
//! timetable. Portable and tested.

/// Picks the partition to run after the one in slot `current` among the
/// slots `0..len` of a core's partition table (in config order): the next
/// slot after `current` for which `runnable` holds, wrapping around,
/// `current` itself last. `None` if nothing can run.
pub fn next_slot(len: usize, current: Option<usize>, runnable: impl Fn(usize) -> bool) -> Option<usize> {
    // Counting round with a wrap instead of a remainder per candidate:
    // this runs at every partition switch.
    let start = current.map_or(0, |c| c.wrapping_add(1));
    let mut i = start.checked_rem(len).unwrap_or(0);
    for _ in 0..len {
        if runnable(i) {
            return Some(i);
        }
        i = i.wrapping_add(1);
        if i == len {
            i = 0;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_wraps_and_returns_to_self_last() {
        assert_eq!(next_slot(3, Some(0), |_| true), Some(1));
        assert_eq!(next_slot(3, Some(2), |_| true), Some(0));
        assert_eq!(next_slot(3, Some(1), |i| i == 1), Some(1));
    }

    #[test]
    fn stopped_partitions_are_skipped_and_empty_core_gives_none() {
        assert_eq!(next_slot(3, Some(0), |i| i != 1), Some(2));
        assert_eq!(next_slot(3, None, |i| i == 2), Some(2));
        assert_eq!(next_slot(3, Some(0), |_| false), None);
        assert_eq!(next_slot(0, None, |_| true), None);
        // A current slot past the end counts on from where it would wrap to.
        assert_eq!(next_slot(3, Some(3), |_| true), Some(1));
    }
}

/// A core's cyclic schedule in counter ticks, ready for the timer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timetable {
    /// Partition of each window, in order.
    pub parts: heapless::Vec<hypcfg::ids::PartitionId, { hypcfg::system::MAX_WINDOWS }>,
    /// Length of each window in ticks.
    pub ticks: heapless::Vec<u64, { hypcfg::system::MAX_WINDOWS }>,
    /// Ticks of the whole major frame (idle time after the last window
    /// belongs to no partition and is added to the last window).
    pub frame_ticks: u64,
}

impl Timetable {
    /// Converts a core's schedule at counter frequency `hz`. Windows shorter
    /// than one tick are dropped; idle time at the end of the major frame
    /// stretches the last window so the frame keeps its length.
    pub fn new(s: &hypcfg::system::Schedule, hz: u32) -> Timetable {
        // u32 * u32 fits u64; divided without the 64-bit division routine.
        let to_ticks = |us: u32| hypcfg::div::div((us as u64).wrapping_mul(hz as u64), 1_000_000);
        let mut t = Timetable {
            frame_ticks: to_ticks(s.major_frame_us),
            ..Default::default()
        };
        for w in &s.windows {
            let ticks = to_ticks(w.duration_us);
            if ticks > 0 && t.parts.push(w.partition).is_ok() {
                let _ = t.ticks.push(ticks);
            }
        }
        let used: u64 = t.ticks.iter().sum();
        if let Some(last) = t.ticks.last_mut() {
            *last = last.saturating_add(t.frame_ticks.saturating_sub(used));
        }
        t
    }

    /// Whether the core needs window switches at all: more than one
    /// distinct partition in its windows.
    pub fn needs_timer(&self) -> bool {
        self.parts.iter().any(|&p| Some(&p) != self.parts.first())
    }

    /// The window after `index`.
    pub fn next(&self, index: usize) -> usize {
        if self.parts.is_empty() {
            0
        } else {
            index.wrapping_add(1).checked_rem(self.parts.len()).unwrap_or(0)
        }
    }
}

#[cfg(test)]
mod timetable_tests {
    use super::*;
    use hypcfg::ids::{CoreId, PartitionId};
    use hypcfg::system::{Schedule, Window};

    fn schedule(frame: u32, windows: &[(u8, u32)]) -> Schedule {
        Schedule {
            core: CoreId(0),
            major_frame_us: frame,
            windows: windows
                .iter()
                .map(|&(partition, duration_us)| Window {
                    partition: PartitionId(partition),
                    duration_us,
                })
                .collect(),
        }
    }

    #[test]
    fn windows_convert_to_ticks_and_idle_time_stretches_the_last() {
        let t = Timetable::new(&schedule(10_000, &[(0, 5_000), (2, 4_000)]), 62_500_000);
        assert_eq!(t.parts.as_slice(), &[PartitionId(0), PartitionId(2)]);
        assert_eq!(t.ticks.as_slice(), &[312_500, 312_500]);
        assert_eq!(t.frame_ticks, 625_000);
        assert!(t.needs_timer());
        assert_eq!(t.next(1), 0);
    }

    #[test]
    fn one_partition_needs_no_timer() {
        let t = Timetable::new(&schedule(10_000, &[(1, 10_000)]), 62_500_000);
        assert!(!t.needs_timer());
        let t = Timetable::new(&schedule(10_000, &[(1, 5_000), (1, 5_000)]), 62_500_000);
        assert!(!t.needs_timer());
    }
}

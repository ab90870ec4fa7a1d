//! Schedules: one cyclic schedule per core, whose windows run partitions
//! pinned to that core.

use std::collections::HashMap;

use heapless::Vec as HVec;

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::{Cx, RawSchedule};
use crate::front::source::Loc;
use crate::ids::{CoreId, PartitionId};
use crate::system::{Schedule, Window, MAX_WINDOWS};

use super::checks::{err, unknown_name};
use super::State;

/// Checks every `[[schedule]]` and derives its table, then warns about
/// each partition no window runs: such a partition is valid but never
/// gets the CPU, which is almost always an oversight.
pub(super) fn check_schedules(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    let mut scheduled = vec![false; raw.partitions.len()];
    let mut seen_cores: HashMap<u32, Loc> = HashMap::new();
    for s in &raw.schedules {
        if !claim_core(cx, st, s, &mut seen_cores) {
            continue;
        }
        let schedule = check_schedule(cx, st, s, &mut scheduled);
        st.out.schedules.push(schedule);
    }
    warn_unscheduled(st, &scheduled);
}

/// Checks that a schedule's core exists and has no schedule yet (the
/// hypervisor runs one cyclic schedule per core). A schedule that fails
/// is not checked further: its windows would only repeat the error.
fn claim_core(cx: &mut Cx, st: &State<'_>, s: &RawSchedule, seen_cores: &mut HashMap<u32, Loc>) -> bool {
    let p = &st.raw.platform;
    if s.core.v >= p.cores.v {
        err(
            cx,
            codes::CORE,
            s.core.loc,
            &s.core.path,
            format!(
                "schedule for core {} which does not exist: the platform has {} core(s)",
                s.core.v, p.cores.v
            ),
        );
        return false;
    }
    if let Some(first) = seen_cores.get(&s.core.v) {
        cx.push(
            Diagnostic::new(
                codes::SCHEDULE_TWICE,
                Some(s.core.loc),
                &s.core.path,
                format!("core {} has two schedules", s.core.v),
            )
            .note(Some(*first), "first schedule here")
            .hint("put all of a core's windows in one [[schedule]]"),
        );
        return false;
    }
    seen_cores.insert(s.core.v, s.core.loc);
    true
}

/// Checks one core's schedule and derives its table: the major frame is
/// not empty, the windows fit the table, and together they fit the frame
/// (the schedule repeats every frame, so longer windows cannot all run).
/// Marks in `scheduled` each partition a window runs.
fn check_schedule(cx: &mut Cx, st: &State<'_>, s: &RawSchedule, scheduled: &mut [bool]) -> Schedule {
    if s.major_frame_us.v == 0 {
        err(
            cx,
            codes::ZERO,
            s.major_frame_us.loc,
            &s.major_frame_us.path,
            format!("core {} has a major frame of 0 µs", s.core.v),
        );
    }
    if s.windows.len() > MAX_WINDOWS {
        err(
            cx,
            codes::CAPACITY,
            s.core.loc,
            &(s.path.clone() + ".windows"),
            format!(
                "{} windows on core {}; at most {MAX_WINDOWS} fit",
                s.windows.len(),
                s.core.v
            ),
        );
    }
    let (windows, total) = check_windows(cx, st, s, scheduled);
    if total > s.major_frame_us.v as u64 {
        err(
            cx,
            codes::FRAME,
            s.major_frame_us.loc,
            &s.major_frame_us.path,
            format!(
                "windows on core {} add up to {total} µs, more than the {} µs major frame",
                s.core.v, s.major_frame_us.v
            ),
        )
        .hint = Some(format!(
            "lengthen the frame to at least {total} µs or shorten the windows"
        ));
    }
    Schedule {
        core: CoreId(s.core.v as u8),
        major_frame_us: s.major_frame_us.v,
        windows,
    }
}

/// Checks each window of a schedule: it lasts some time and runs a known
/// partition pinned to the schedule's core (a partition only ever runs on
/// its own core). Returns the windows that pass, and the length of all
/// windows written (for the frame check).
fn check_windows(
    cx: &mut Cx,
    st: &State<'_>,
    s: &RawSchedule,
    scheduled: &mut [bool],
) -> (HVec<Window, MAX_WINDOWS>, u64) {
    let raw = st.raw;
    let mut windows = HVec::<Window, MAX_WINDOWS>::new();
    let mut total: u64 = 0;
    for w in &s.windows {
        total += w.duration_us.v as u64;
        if w.duration_us.v == 0 {
            err(
                cx,
                codes::ZERO,
                w.duration_us.loc,
                &w.duration_us.path,
                format!("window for `{}` lasts 0 µs", w.partition.v),
            );
        }
        let Some(&pi) = st.names.partition_index.get(w.partition.v.as_str()) else {
            unknown_name(cx, "partition", &w.partition, &st.names.partitions);
            continue;
        };
        let part = &raw.partitions[pi];
        if part.core.v >= raw.platform.cores.v {
            continue; // its core is already reported
        }
        if part.core.v != s.core.v {
            cx.push(
                Diagnostic::new(
                    codes::WRONG_CORE,
                    Some(w.partition.loc),
                    &w.partition.path,
                    format!(
                        "window on core {} runs `{}`, which is pinned to core {}",
                        s.core.v, part.name.v, part.core.v
                    ),
                )
                .note(Some(part.core.loc), "pinned here")
                .hint(format!("move the window to core {}'s schedule", part.core.v)),
            );
            continue;
        }
        scheduled[pi] = true;
        let _ = windows.push(Window {
            partition: PartitionId(pi as u8),
            duration_us: w.duration_us.v,
        });
    }
    (windows, total)
}

/// Warns about each partition that no schedule window runs.
fn warn_unscheduled(st: &mut State<'_>, scheduled: &[bool]) {
    for (pi, part) in st.raw.partitions.iter().enumerate() {
        if !scheduled[pi] && !part.name.v.starts_with('<') {
            st.out.warnings.push(
                Diagnostic::new(
                    codes::UNSCHEDULED,
                    Some(part.name.loc),
                    &part.name.path,
                    format!(
                        "partition `{}` is in no schedule window: it will never run",
                        part.name.v
                    ),
                )
                .hint(format!(
                    "add a window for it to core {}'s [[schedule]]",
                    part.core.v
                )),
            );
        }
    }
}

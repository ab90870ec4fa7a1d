//! The control blocks: everything the hypervisor keeps about a partition
//! and a core, owned in one place.
//!
//! - A [`PartitionBlock`] (registers, EL1 state, virtual GIC state with
//!   its queued interrupts, console line) belongs to the partition's core: it lives
//!   inside that core's [`CoreBlock`], so no other core can reach it.
//! - A [`CoreBlock`] (its partitions, the running one, its schedule, the
//!   EL1 reset state) is handed to each trap, IRQ and the boot path as one
//!   `&mut` ([`this_core`]), the way Hubris hands its task table to a
//!   syscall: every function below the entry borrows from it, so the
//!   borrow checker, not a comment, keeps two `&mut` off one frame.
//! - What other cores must see (run state, counters, a waiting
//!   notification) is a [`PartitionStatus`] of atomics, shared.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

use heapless::Vec;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::packed::Text;
use hypcfg::system::{System, MAX_PARTITIONS};

use super::windows::CoreWindows;
use crate::arch::context::{self, El1State};
use crate::arch::gic::VgicState;
use crate::arch::vectors::GuestFrame;
use crate::board::CORES as MAX_CORES;
use crate::guest_console::ConsoleLine;
use crate::guest_mem::BufferMap;
use crate::health::Monitor;

/// Where a partition is in its life (kept in [`PartitionStatus::state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Never run yet (its image is loaded when it is first scheduled).
    Unstarted,
    /// Running or waiting for its turn.
    Ready,
    /// Stopped by the health monitor.
    Halted,
    /// Stopped itself; the exit code is in [`PartitionStatus::exit_code`].
    Shutdown,
    /// Being loaded (restart, or a first start that did not finish in its
    /// window): the work goes on in its own windows.
    Loading,
}

impl RunState {
    const fn from_u32(v: u32) -> RunState {
        match v {
            0 => RunState::Unstarted,
            1 => RunState::Ready,
            2 => RunState::Halted,
            3 => RunState::Shutdown,
            _ => RunState::Loading,
        }
    }

    /// Whether the scheduler may pick a partition in this state.
    pub fn runnable(self) -> bool {
        matches!(self, RunState::Unstarted | RunState::Ready | RunState::Loading)
    }

    /// Whether the partition must be (re)loaded before it can run.
    pub fn needs_load(self) -> bool {
        matches!(self, RunState::Unstarted | RunState::Loading)
    }
}

/// What any core may read or signal about a partition.
pub struct PartitionStatus {
    state: AtomicU32,
    /// Exit code given to `SHUTDOWN`.
    pub exit_code: AtomicU32,
    /// Faults the health monitor has seen.
    pub faults: AtomicU32,
    /// Restarts so far (the restart budget counts these).
    pub restarts: AtomicU32,
    /// A channel notification waits (set by the sender's core).
    pub notify: AtomicU32,
}

impl PartitionStatus {
    const fn new() -> PartitionStatus {
        PartitionStatus {
            state: AtomicU32::new(0),
            exit_code: AtomicU32::new(0),
            faults: AtomicU32::new(0),
            restarts: AtomicU32::new(0),
            notify: AtomicU32::new(0),
        }
    }

    /// The partition's run state.
    pub fn state(&self) -> RunState {
        RunState::from_u32(self.state.load(Ordering::Acquire))
    }

    /// Sets the run state.
    pub fn set_state(&self, st: RunState) {
        self.state.store(st as u32, Ordering::Release);
    }

    /// Whether it may be scheduled.
    pub fn runnable(&self) -> bool {
        self.state().runnable()
    }
}

static STATUS: [PartitionStatus; MAX_PARTITIONS] = [const { PartitionStatus::new() }; MAX_PARTITIONS];

/// The shared status of partition `id`; `None` for an id outside the table.
pub fn status(id: PartitionId) -> Option<&'static PartitionStatus> {
    STATUS.get(id.index())
}

/// Whether partition `id` exists and may be scheduled.
pub fn runnable(id: PartitionId) -> bool {
    status(id).is_some_and(PartitionStatus::runnable)
}

/// Everything the hypervisor keeps about one partition on its core.
///
/// `repr(C)` with the frame first: the trap entry hands Rust the running
/// partition's frame pointer, which is then also a pointer to its block
/// ([`PartitionBlock::of_frame`], the hypercall fast path).
#[repr(C)]
pub struct PartitionBlock {
    /// Its registers as the trap entry saved them (the entry writes here
    /// directly; see `arch::vectors`).
    pub frame: GuestFrame,
    /// The partition's id in the system.
    pub id: PartitionId,
    /// The core it is pinned to.
    pub core: CoreId,
    /// Its shared status.
    pub status: &'static PartitionStatus,
    /// Its EL1 system registers while it is not running.
    pub el1: El1State,
    /// Its virtual GIC CPU interface while it is not running.
    pub vgic: VgicState,
    /// Its console: output not yet ended by a newline, and its line budget.
    pub line: ConsoleLine,
    /// Where its hypercall buffers may lie: its band's memory regions,
    /// derived once at boot (`guest_mem::BufferMap`).
    pub buffers: BufferMap,
    /// How far loading it has come (while it is `Loading`).
    pub reload: Reload,
    /// The health monitor's memory of its faults (repeats, FAULT-line
    /// budget); reset when it (re)starts.
    pub health: Monitor,
}

impl PartitionBlock {
    fn new(id: PartitionId, core: CoreId, status: &'static PartitionStatus) -> Self {
        PartitionBlock {
            frame: GuestFrame::at_entry(0),
            id,
            core,
            status,
            el1: El1State::ZERO,
            vgic: VgicState::EMPTY,
            line: ConsoleLine::new(),
            buffers: BufferMap::EMPTY,
            reload: Reload::START,
            health: Monitor::NEW,
        }
    }
}

impl PartitionBlock {
    /// The block whose frame the trap entry passed (the running
    /// partition's), as the one `&mut` of a hypercall that only needs its
    /// own partition.
    ///
    /// # Safety
    /// `frame` must be the pointer the trap entry passed to Rust, and the
    /// caller must not take [`this_core`] while the result lives: the
    /// only frames the hypervisor ever enters are blocks' frames
    /// (`PartitionBlock::frame`, at offset 0 of a `repr(C)` block), and
    /// nothing else refers to the running block during the trap.
    pub unsafe fn of_frame<'a>(frame: *mut GuestFrame) -> &'a mut PartitionBlock {
        // SAFETY: per the contract, `frame` is offset 0 of a live block in
        // a core's static block, and no other reference to it exists.
        unsafe { &mut *frame.cast::<PartitionBlock>() }
    }
}

/// Everything the hypervisor keeps about one core.
pub struct CoreBlock {
    /// This core.
    pub core: CoreId,
    /// The partitions pinned to it, in system order.
    pub parts: Vec<PartitionBlock, MAX_PARTITIONS>,
    /// Index in `parts` of the partition running now.
    pub current: Option<usize>,
    /// Its cyclic schedule.
    pub windows: CoreWindows,
    /// The EL1 state the core had before any partition ran on it.
    pub reset_el1: El1State,
    /// The slot of the partition whose FP state was last loaded into
    /// this core's FP registers (lazy FP, see `arch::context`). Its values
    /// are still there only while its `el1.fp.live` is set: a restart
    /// resets that with the rest of its EL1 state.
    pub fp_owner: Option<usize>,
    ready: bool,
}

/// Why a core's block cannot be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// `init` ran twice on this core.
    AlreadyInitialized,
    /// The system has more partitions than the hypervisor's tables.
    TooManyPartitions,
}

impl BlockError {
    /// The variant's name, as `Debug` writes it.
    pub const fn name(self) -> Text {
        match self {
            BlockError::AlreadyInitialized => hypcfg::text!("AlreadyInitialized"),
            BlockError::TooManyPartitions => hypcfg::text!("TooManyPartitions"),
        }
    }
}

impl CoreBlock {
    const NEW: CoreBlock = CoreBlock {
        core: CoreId(0),
        parts: Vec::new(),
        current: None,
        windows: CoreWindows::NEW,
        reset_el1: El1State::ZERO,
        fp_owner: None,
        ready: false,
    };

    /// Fills the block of `core` from the system: one partition block per
    /// partition pinned to it.
    pub fn init(&mut self, s: &System, core: CoreId, reset_el1: El1State) -> Result<(), BlockError> {
        if self.ready {
            return Err(BlockError::AlreadyInitialized);
        }
        self.core = core;
        self.reset_el1 = reset_el1;
        for (i, p) in s.partitions.iter().enumerate() {
            if p.core == core {
                let id = PartitionId::from_index(i).ok_or(BlockError::TooManyPartitions)?;
                let st = status(id).ok_or(BlockError::TooManyPartitions)?;
                let mut block = PartitionBlock::new(id, core, st);
                block.buffers = BufferMap::of(&p.regions);
                self.parts
                    .push(block)
                    .map_err(|_| BlockError::TooManyPartitions)?;
            }
        }
        self.ready = true;
        Ok(())
    }

    /// The slot in `parts` of partition `id`, if it is on this core.
    pub fn slot_of(&self, id: PartitionId) -> Option<usize> {
        self.parts.iter().position(|b| b.id == id)
    }

    /// The block in slot `slot`.
    pub fn block(&mut self, slot: usize) -> Option<&mut PartitionBlock> {
        self.parts.get_mut(slot)
    }

    /// The running partition's block.
    pub fn running(&mut self) -> Option<&mut PartitionBlock> {
        let slot = self.current?;
        self.parts.get_mut(slot)
    }

    /// The trapped FP access (`HSR.EC` 0x07) of the running partition in
    /// `slot`: hands it the FP registers. The owner's values (another
    /// partition's, stopped or not) are saved into its own block, this
    /// partition's loaded, and the FP unit left open; returns its frame,
    /// to re-execute the instruction that trapped.
    pub fn claim_fp(&mut self, slot: usize) -> *mut GuestFrame {
        context::fp_open();
        if let Some(old) = self.fp_owner.filter(|&o| o != slot) {
            if let Some(o) = self.parts.get_mut(old).filter(|o| o.el1.fp.live) {
                context::fp_save(&mut o.el1.fp);
            }
        }
        self.fp_owner = Some(slot);
        let Some(b) = self.parts.get_mut(slot) else {
            return core::ptr::null_mut();
        };
        if !b.el1.fp.live {
            context::fp_load(&mut b.el1.fp);
        }
        &raw mut b.frame
    }

    /// The slot of the next runnable partition after `from` (round
    /// robin, `from` itself last), or `None` if none can run.
    pub fn next_runnable(&self, from: Option<usize>) -> Option<usize> {
        crate::sched::next_slot(self.parts.len(), from, |i| {
            self.parts.get(i).is_some_and(|b| b.status.runnable())
        })
    }
}

/// One [`CoreBlock`] per core.
struct CoreBlocks([UnsafeCell<CoreBlock>; MAX_CORES]);

// SAFETY: each core reaches only its own entry (`this_core` indexes by the
// calling core's number), so no entry is ever shared between cores.
unsafe impl Sync for CoreBlocks {}

static CORES: CoreBlocks = CoreBlocks([const { UnsafeCell::new(CoreBlock::NEW) }; MAX_CORES]);

/// The calling core's block, as the one `&mut` an exception entry (or the
/// boot path) works with.
///
/// # Safety
/// Call once per entry into the hypervisor (trap, IRQ, or the boot path
/// before it first enters a partition) and drop the reference before
/// returning to a partition. The hypervisor runs with IRQs masked and is
/// never re-entered, so then no other reference to this block exists.
pub unsafe fn this_core() -> &'static mut CoreBlock {
    let Some(cell) = CORES.0.get(crate::arch::cpu::core_id() as usize) else {
        // A core this build has no block for never runs partitions.
        crate::arch::cpu::halt()
    };
    // SAFETY: the caller upholds the contract above, and `cell` is the
    // calling core's own entry.
    unsafe { &mut *cell.get() }
}

/// Where loading a partition stands: its pristine image is copied (and its
/// CRC checked) from `offset` on, then each writable memory region is
/// cleared. Kept in the partition's block, so a restart or first start that
/// does not fit in the partition's window goes on in its next window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reload {
    pub(super) stage: Stage,
    pub(super) offset: u32,
    pub(super) crc: u32,
}

/// A step of loading (see [`Reload`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// Clearing region `n` of the partition's band (memory regions it may
    /// write; the others are skipped). First, so that the image copied
    /// next may put initial data in a writable region.
    Zero(usize),
    /// Copying the image; `crc` is the running CRC register.
    Copy,
    /// Loaded and checked: the entry state is set next (a step of its own,
    /// so a window that ended during the last piece does not wait for it).
    Entry,
}

impl Reload {
    /// Nothing done yet.
    pub const START: Reload = Reload {
        stage: Stage::Zero(0),
        offset: 0,
        crc: !0,
    };
}

//! Loading: the system blob at boot, and a partition's zeroed memory and
//! pristine image each time it starts or restarts. Everything the
//! hypervisor reads or writes here outside its own memory goes through
//! transient mappings.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
use hypcfg::packed::Text;
use hypcfg::system::{RegionKind, System};
use hypcfg::text::{self, hex8, Arg, Out, Show};

use super::block::{PartitionBlock, Reload, RunState, Stage};
use crate::arch::context::El1State;
use crate::arch::vectors::GuestFrame;
use crate::board::CORES;
use crate::mpu;

/// Attributes of the hypervisor's temporary view of memory it reads
/// (blob, pristine images): read-only, execute-never, EL2 only.
const HYP_READ: Attrs = Attrs {
    access: Access::HypRo,
    xn: true,
    mem: MemType::Normal,
};
/// Attributes of the hypervisor's temporary view of memory it writes.
pub(super) const HYP_WRITE: Attrs = Attrs {
    access: Access::HypRw,
    xn: true,
    mem: MemType::Normal,
};

/// The system, written once by core 0 at boot ([`load_system`]) and only
/// read after. What `spin::Once` does, without its poisoning panics (the
/// image aborts on a panic, so nothing is ever poisoned), which were the
/// last panics of the image.
struct SystemCell {
    /// Taken by the one call that writes `value`.
    claimed: AtomicBool,
    /// Set (release) once `value` is written; never cleared.
    ready: AtomicBool,
    value: UnsafeCell<MaybeUninit<System>>,
}

// SAFETY: `value` is written once, by the call that took `claimed`, before
// `ready` is set; it is read only after `ready` is seen set (acquire) and
// never written again, so every reference to it is to initialised,
// immutable data.
unsafe impl Sync for SystemCell {}

impl SystemCell {
    /// The system, once written.
    fn get(&self) -> Option<&System> {
        if !self.ready.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: `ready` is set only after `value` was written, and it is
        // never written again (the `Sync` impl above).
        let value = unsafe { &*self.value.get() };
        // SAFETY: as above, `value` is initialised.
        Some(unsafe { value.assume_init_ref() })
    }

    /// Writes `system` if no call has yet, and returns the system written
    /// (the first one: a second call keeps it, like `Once::call_once`).
    fn set(&self, system: System) -> &System {
        if !self.claimed.swap(true, Ordering::AcqRel) {
            // SAFETY: the swap made this call the only writer, and no
            // reader looks at `value` before `ready` is set below.
            let slot = unsafe { &mut *self.value.get() };
            slot.write(system);
            self.ready.store(true, Ordering::Release);
        }
        loop {
            if let Some(s) = self.get() {
                return s;
            }
            core::hint::spin_loop();
        }
    }
}

static SYSTEM: SystemCell = SystemCell {
    claimed: AtomicBool::new(false),
    ready: AtomicBool::new(false),
    value: UnsafeCell::new(MaybeUninit::uninit()),
};

/// The system description, once [`load_system`] has succeeded.
pub fn system() -> Option<&'static System> {
    SYSTEM.get()
}

/// Why the system cannot start.
#[derive(Clone, Copy, Debug)]
pub enum LoadError {
    /// The blob area could not be mapped.
    Map(mpu::MapError),
    /// The blob is damaged or invalid.
    Blob(hypcfg::blob::BlobError),
    /// The blob describes another board or hypervisor build: `what` the
    /// system says (`system`) is not what this hypervisor has (`here`).
    Mismatch {
        /// The fact, as the system file names it.
        what: Text,
        /// The system's value.
        system: u32,
        /// This hypervisor's (or this core's) value.
        here: u32,
        /// How the two compare and print.
        kind: Fact,
    },
}

/// How a system's fact must relate to this hypervisor's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    /// The same count.
    Count,
    /// At most this hypervisor's count.
    AtMost,
    /// The same address (printed in hex).
    Address,
}

impl Show for LoadError {
    /// A one-line explanation, with both values for a mismatch.
    fn show(&self, o: &mut dyn Out) {
        match *self {
            LoadError::Map(e) => e.message().write(o),
            LoadError::Blob(e) => e.message().write(o),
            LoadError::Mismatch {
                what,
                system,
                here,
                kind,
            } => {
                let (template, system, here) = match kind {
                    Fact::Count => (
                        hypcfg::text!("{} is {} in the system, {} in this hypervisor"),
                        Arg::Dec(system),
                        Arg::Dec(here),
                    ),
                    Fact::AtMost => (
                        hypcfg::text!("{} is {} in the system, at most {} in this hypervisor"),
                        Arg::Dec(system),
                        Arg::Dec(here),
                    ),
                    Fact::Address => (
                        hypcfg::text!("{} is {} in the system, {} in this hypervisor"),
                        hex8(system),
                        hex8(here),
                    ),
                };
                text::write(o, template, &[Arg::Text(what), system, here]);
            }
        }
    }
}

/// Reads and checks the system blob at `[base, base + size)`: header, CRC,
/// decoding, the invariants the hypervisor relies on, and that it was made
/// for this board and this hypervisor build. Core 0, once, at boot.
pub fn load_system(base: u32, size: u32) -> Result<&'static System, LoadError> {
    // A limit that wrapped is below `base`: refused as an empty range.
    let blob = mpu::map_cold(base, base.wrapping_add(size), HYP_READ).map_err(LoadError::Map)?;
    // SAFETY: the range was just mapped readable for the hypervisor and
    // stays mapped until `blob` is dropped below; nothing writes it.
    let bytes = unsafe { core::slice::from_raw_parts(blob.ptr() as *const u8, size as usize) };
    // The blob area is larger than the blob: hand the decoder exactly the
    // blob (it checks the length, the CRC and the rest).
    let used = hypcfg::blob::blob_len(bytes).unwrap_or(0).min(bytes.len());
    let decoded = hypcfg::blob::decode(bytes.get(..used).unwrap_or(&[]));
    drop(blob);
    let system = decoded.map_err(LoadError::Blob)?;
    check_platform(&system)?;
    Ok(SYSTEM.set(system))
}

/// Checks the blob's board facts and fixed counts against this build and
/// this core; the config tool checks the same counts against the same
/// constants (`hypcfg::limits`, `E031`), so only a blob made for another
/// build or board is refused here, with both values.
fn check_platform(s: &System) -> Result<(), LoadError> {
    let h = &s.hypervisor;
    // Counts here are at most 32, u8 or u32: the casts cannot truncate.
    let facts = [
        (
            hypcfg::text!("platform.cores"),
            s.platform.cores as u32,
            CORES as u32,
            Fact::AtMost,
        ),
        (
            hypcfg::text!("platform.mpu_regions (HMPUIR.REGION)"),
            s.platform.mpu_regions as u32,
            crate::arch::mpu::region_count() as u32,
            Fact::Count,
        ),
        (
            hypcfg::text!("hypervisor.static_regions"),
            h.static_regions as u32,
            crate::layout::STATIC_REGIONS as u32,
            Fact::Count,
        ),
        (
            hypcfg::text!("hypervisor.transient_slots"),
            h.transient_slots as u32,
            mpu::DEFAULT_TRANSIENT_SLOTS as u32,
            Fact::Count,
        ),
        (
            hypcfg::text!("the console's base"),
            h.console_base,
            crate::board::CONSOLE_BASE,
            Fact::Address,
        ),
    ];
    // The first fact that does not hold.
    for (what, system, here, kind) in facts {
        let holds = match kind {
            Fact::AtMost => system <= here,
            Fact::Count | Fact::Address => system == here,
        };
        if !holds {
            return Err(LoadError::Mismatch {
                what,
                system,
                here,
                kind,
            });
        }
    }
    Ok(())
}

/// Bytes copied (and CRC-checked) between two looks at the window timer:
/// the longest a window boundary waits for a restart's copy (about 550
/// instructions for 512 bytes). Kept below a quiet window switch, so a
/// restart storm at most doubles the worst window-start delay.
const PIECE: u32 = 512;
/// Bytes cleared between two looks at the window timer (about 400
/// instructions).
const ZERO_PIECE: u32 = 4 * 1024;

/// What a step of loading came to.
pub(super) enum Loaded {
    /// The partition is ready to enter at its entry point.
    Ready,
    /// The window timer expired: the rest waits for the partition's next
    /// window.
    Preempted,
}

/// Marks partition `b` to be loaded from the start: pristine image,
/// cleared memory, entry state (its first start or a restart).
pub(super) fn begin(b: &mut PartitionBlock) {
    b.reload = Reload::START;
    b.status.set_state(RunState::Loading);
}

/// Loads partition `b` completely (its first start at boot).
pub(super) fn prepare(s: &System, b: &mut PartitionBlock, reset_el1: &El1State) -> Result<(), Text> {
    begin(b);
    match resume(s, b, reset_el1, || false)? {
        Loaded::Ready => Ok(()),
        Loaded::Preempted => Err(hypcfg::text!("loading stopped without a reason")),
    }
}

/// Goes on loading partition `b` where it stands, until it is ready (its
/// band loaded, registers at the entry state, virtual interrupts reset) or
/// `preempt()` says the core must move on. Every access to the
/// partition's memory and its image goes through transient mappings with
/// the hypervisor's own attributes, with the partition band cleared.
/// Out of line: the switch path that calls it stays short. `preempt` is a
/// plain function pointer, not a generic, so there is one copy of the
/// loader (it is called once per piece: the indirect call costs nothing
/// next to the 512-byte copy).
#[inline(never)]
pub(super) fn resume(
    s: &System,
    b: &mut PartitionBlock,
    reset_el1: &El1State,
    preempt: fn() -> bool,
) -> Result<Loaded, Text> {
    let p = s
        .partitions
        .get(b.id.index())
        .ok_or(hypcfg::text!("no such partition"))?;
    let img = p.image.ok_or(hypcfg::text!(
        "it has no image (build the system with one per partition)"
    ))?;
    mpu::load_partition_band(&[]).map_err(|e| e.message())?;
    // Clear first, then copy: an ELF may load initial data straight into
    // a writable region (the image is checked to lie in the partition's
    // memory), and clearing after the copy would wipe it.
    loop {
        let r = &mut b.reload;
        let more = match r.stage {
            Stage::Zero(n) => match p.regions.get(n) {
                None => {
                    r.stage = Stage::Copy;
                    r.offset = 0;
                    false
                }
                Some(reg)
                    if reg.kind == RegionKind::Memory
                        && reg.words.attrs().is_some_and(|a| a.access.writable()) =>
                {
                    zero_region(&reg.words, r, preempt)?
                }
                Some(_) => {
                    // At most MAX_PARTITION_REGIONS: no overflow.
                    r.stage = Stage::Zero(n.wrapping_add(1));
                    false
                }
            },
            Stage::Copy => {
                if copy_image(img, r, preempt)? {
                    true
                } else {
                    r.stage = Stage::Entry;
                    preempt()
                }
            }
            Stage::Entry => break,
        };
        if more {
            return Ok(Loaded::Preempted);
        }
    }
    mpu::load_registered_band(b.id.index()).map_err(|e| e.message())?;
    b.frame = GuestFrame::at_entry(p.entry);
    b.el1.set_to(reset_el1);
    b.line.clear();
    b.health = crate::health::Monitor::NEW;
    super::vgic::reset(s, b);
    b.status.set_state(RunState::Ready);
    Ok(Loaded::Ready)
}

/// Copies the rest of the pristine image from `r.offset`, a piece at a
/// time, checking its CRC on the copy; `Ok(true)` if `preempt` stopped it
/// before the end.
fn copy_image(img: hypcfg::system::Image, r: &mut Reload, preempt: fn() -> bool) -> Result<bool, Text> {
    let (store, load) = (
        img.store
            .checked_add(r.offset)
            .ok_or(hypcfg::text!("image store wraps around"))?,
        img.load
            .checked_add(r.offset)
            .ok_or(hypcfg::text!("image load range wraps around"))?,
    );
    let left = img.len.saturating_sub(r.offset);
    if left > 0 {
        let src_end = store
            .checked_add(left)
            .ok_or(hypcfg::text!("image store wraps around"))?;
        let dst_end = load
            .checked_add(left)
            .ok_or(hypcfg::text!("image load range wraps around"))?;
        let src = mpu::map_cold(store, src_end, HYP_READ).map_err(|e| e.message())?;
        let dst = mpu::map_cold(load, dst_end, HYP_WRITE).map_err(|e| e.message())?;
        let mut crc = crate::image::Crc32Stream::resume(r.crc);
        let mut done: u32 = 0;
        while done < left {
            // `done < left`, and `done + n <= left`, which fits (it is the
            // length of a mapped range): no overflow below.
            let n = PIECE.min(left.wrapping_sub(done));
            let d = dst.ptr().wrapping_add(done as usize);
            let sp = src.ptr().wrapping_add(done as usize) as *const u8;
            // SAFETY: both ranges were just mapped for the hypervisor with
            // `left` bytes from their start and stay mapped until `dst` and
            // `src` are dropped; `done + n <= left`; they do not overlap
            // (flash store vs partition RAM, checked by the config tool).
            unsafe { crate::arch::mem::copy(d, sp, n as usize) };
            // SAFETY: the `n` bytes at `d` were just written, and stay
            // mapped while `piece` lives (until `dst` is dropped).
            let piece = unsafe { core::slice::from_raw_parts(d as *const u8, n as usize) };
            crc.update(piece);
            done = done.wrapping_add(n);
            r.offset = r.offset.wrapping_add(n);
            r.crc = crc.raw();
            if done < left && preempt() {
                return Ok(true);
            }
        }
    }
    if crate::image::Crc32Stream::resume(r.crc).finish() != img.crc32 {
        return Err(hypcfg::text!("pristine image is damaged (CRC mismatch)"));
    }
    Ok(false)
}

/// Clears the rest of region `w` from `r.offset`, a piece at a time;
/// `Ok(true)` if `preempt` stopped it before the end.
fn zero_region(w: &RegionWords, r: &mut Reload, preempt: fn() -> bool) -> Result<bool, Text> {
    let Stage::Zero(n) = r.stage else {
        return Ok(false);
    };
    let size = w.limit().wrapping_sub(w.base()).wrapping_add(1);
    let left = size.saturating_sub(r.offset);
    if left > 0 {
        let base = w.base().wrapping_add(r.offset);
        let mem = mpu::map_cold(base, base.wrapping_add(left), HYP_WRITE).map_err(|e| e.message())?;
        let mut done: u32 = 0;
        while done < left {
            // As in `copy_image`: `done + n <= left`, no overflow.
            let n = ZERO_PIECE.min(left.wrapping_sub(done));
            let d = mem.ptr().wrapping_add(done as usize);
            // SAFETY: the rest of the region was just mapped writable for
            // the hypervisor (until `mem` is dropped), `done + n <= left`;
            // the partition that owns it is not running.
            unsafe { crate::arch::mem::zero(d, n as usize) };
            done = done.wrapping_add(n);
            r.offset = r.offset.wrapping_add(n);
            if done < left && preempt() {
                return Ok(true);
            }
        }
    }
    // At most MAX_PARTITION_REGIONS: no overflow.
    r.stage = Stage::Zero(n.wrapping_add(1));
    r.offset = 0;
    Ok(false)
}

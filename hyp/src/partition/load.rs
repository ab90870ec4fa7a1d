//! Loading: the system blob at boot, and a partition's pristine image and
//! zeroed memory each time it starts or restarts. Everything the
//! hypervisor reads or writes here outside its own memory goes through
//! transient mappings.

use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
use hypcfg::system::{RegionKind, System};
use spin::Once;

use super::block::{PartitionBlock, RunState};
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

static SYSTEM: Once<System> = Once::new();

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
    /// The blob describes another board or hypervisor build.
    Mismatch(&'static str),
}

impl LoadError {
    /// A one-line explanation.
    pub fn message(&self) -> &'static str {
        match self {
            LoadError::Map(e) => e.message(),
            LoadError::Blob(e) => e.message(),
            LoadError::Mismatch(m) => m,
        }
    }
}

/// Reads and checks the system blob at `[base, base + size)`: header, CRC,
/// decoding, the invariants the hypervisor relies on, and that it was made
/// for this board and this hypervisor build. Core 0, once, at boot.
pub fn load_system(base: u32, size: u32) -> Result<&'static System, LoadError> {
    let blob = mpu::map_mm_range(base, base + size, HYP_READ).map_err(LoadError::Map)?;
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
    Ok(SYSTEM.call_once(|| system))
}

fn check_platform(s: &System) -> Result<(), LoadError> {
    let h = &s.hypervisor;
    if s.platform.cores as usize > CORES {
        return Err(LoadError::Mismatch(
            "the system has more cores than this hypervisor build",
        ));
    }
    if s.platform.mpu_regions as usize != crate::arch::mpu::region_count() {
        return Err(LoadError::Mismatch(
            "the system's MPU region count is not this core's HMPUIR",
        ));
    }
    if h.static_regions as usize != crate::layout::STATIC_REGIONS {
        return Err(LoadError::Mismatch(
            "the system's static band is not this hypervisor's",
        ));
    }
    if h.transient_slots as usize != mpu::DEFAULT_TRANSIENT_SLOTS {
        return Err(LoadError::Mismatch(
            "the system reserves a different number of transient slots",
        ));
    }
    if h.console_base != crate::board::CONSOLE_BASE {
        return Err(LoadError::Mismatch(
            "the system's console is not the one this hypervisor drives",
        ));
    }
    Ok(())
}

/// Loads the pristine image and zeroes the writable memory of partition
/// `b`, resets its registers to `reset_el1` and its entry state, and
/// loads its MPU band. The band is cleared first, so the copy goes through
/// transient mappings with the hypervisor's own attributes. Runs on the
/// partition's core, with `b` borrowed from that core's block.
pub(super) fn prepare(s: &System, b: &mut PartitionBlock, reset_el1: &El1State) -> Result<(), &'static str> {
    let p = s.partitions.get(b.id.index()).ok_or("no such partition")?;
    mpu::load_partition_band(&[]).map_err(|e| e.message())?;
    let img = p
        .image
        .ok_or("it has no image (build the system with one per partition)")?;
    copy_image(img)?;
    for r in p.regions.iter().filter(|r| r.kind == RegionKind::Memory) {
        if r.words.attrs().is_some_and(|a| a.access.writable()) {
            zero_region(&r.words)?;
        }
    }
    mpu::load_registered_band(b.id.index()).map_err(|e| e.message())?;
    b.frame = GuestFrame::at_entry(p.entry);
    b.el1 = *reset_el1;
    b.line.clear();
    b.health = crate::health::Monitor::NEW;
    super::vgic::reset(s, b);
    b.status.set_state(RunState::Ready);
    Ok(())
}

fn copy_image(img: hypcfg::system::Image) -> Result<(), &'static str> {
    let src_end = img.store.checked_add(img.len).ok_or("image store wraps around")?;
    let dst_end = img
        .load
        .checked_add(img.len)
        .ok_or("image load range wraps around")?;
    let src = mpu::map_mm_range(img.store, src_end, HYP_READ).map_err(|e| e.message())?;
    let dst = mpu::map_mm_range(img.load, dst_end, HYP_WRITE).map_err(|e| e.message())?;
    // SAFETY: both ranges were just mapped for the hypervisor with exactly
    // `len` bytes and stay mapped until `dst` and `src` are dropped below,
    // and they do not overlap (flash store vs partition RAM, checked by the
    // config tool).
    let copied = unsafe {
        crate::arch::mem::copy(dst.ptr(), src.ptr() as *const u8, img.len as usize);
        core::slice::from_raw_parts(dst.ptr() as *const u8, img.len as usize)
    };
    let crc_ok = crate::image::crc32(copied) == img.crc32;
    drop(dst);
    drop(src);
    if crc_ok {
        Ok(())
    } else {
        Err("pristine image is damaged (CRC mismatch)")
    }
}

fn zero_region(w: &RegionWords) -> Result<(), &'static str> {
    let (base, size) = (w.base(), w.limit() - w.base() + 1);
    let mem = mpu::map_mm_range(base, base.wrapping_add(size), HYP_WRITE).map_err(|e| e.message())?;
    // SAFETY: the region was just mapped writable for the hypervisor (until
    // `mem` is dropped); the partition that owns it is not running.
    unsafe { crate::arch::mem::zero(mem.ptr(), size as usize) };
    Ok(())
}

//! Re-validation of a decoded [`System`]: every invariant the hypervisor
//! relies on, checked again on the target before anything is used (defense
//! in depth: the config tool already refused systems that break them).
//!
//! `no_std`, no allocator, no panics: every index is a `get`, every sum is
//! checked.

use crate::limits::MAX_MPU_REGIONS;
use crate::mpu::{RegionWords, GRANULE};
use crate::packed::Text;
use crate::system::{Channel, EntryPoint, Partition, PartitionRegion, RegionKind, System, MAX_CORES};

/// One broken invariant, with the ids needed to name the culprit.
///
/// Ids are indices into [`System::partitions`], [`System::channels`],
/// [`System::schedules`] and the per-element tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// `platform.cores` is 0 or more than [`MAX_CORES`].
    CoreCount,
    /// `static_regions + transient_slots` leave no room, or the platform has
    /// more than [`MAX_MPU_REGIONS`] regions.
    MpuBands,
    /// The console window is not granule aligned, is empty or wraps.
    Console,
    /// A partition is pinned to a core the platform does not have.
    PartitionCore {
        /// Partition id.
        partition: u8,
    },
    /// `static + partition + transient > mpu_regions` for this partition.
    MpuBudget {
        /// Partition id.
        partition: u8,
    },
    /// A region's words are not what [`RegionWords::encode`] would write
    /// (unaligned, `base > limit`, reserved bits, unknown `AttrIndx`, W+X).
    RegionEncoding {
        /// Partition id.
        partition: u8,
        /// Region index in the partition's band.
        region: u8,
    },
    /// A region is disabled or not reachable from EL1.
    RegionNotGuest {
        /// Partition id.
        partition: u8,
        /// Region index in the partition's band.
        region: u8,
    },
    /// A passthrough device region is not device memory or is executable.
    DeviceAttrs {
        /// Partition id.
        partition: u8,
        /// Region index in the partition's band.
        region: u8,
    },
    /// Two regions of one partition overlap (PMSAv8 faults on such accesses).
    RegionOverlapSelf {
        /// Partition id.
        partition: u8,
        /// Region index in the partition's band.
        region: u8,
    },
    /// Regions of two partitions overlap and are not the same shared block.
    RegionOverlap {
        /// Partition id.
        partition: u8,
        /// Region index in the partition's band.
        region: u8,
        /// The other partition.
        other: u8,
    },
    /// A partition region overlaps the hypervisor's console.
    ConsoleOverlap {
        /// Partition id.
        partition: u8,
    },
    /// An interrupt is owned by two partitions (SGIs 0..15 are never owned).
    IrqConflict {
        /// Partition id.
        partition: u8,
        /// The INTID.
        irq: u16,
    },
    /// The entry point is not aligned for its instruction set (A32: 4
    /// bytes; T32, bit 0 set: any) or its address (`entry & !1`) is not in
    /// an executable memory region.
    Entry {
        /// Partition id.
        partition: u8,
    },
    /// The image is empty, wraps, or its load range is not covered by the
    /// partition's own memory regions.
    Image {
        /// Partition id.
        partition: u8,
    },
    /// A channel endpoint is not a partition, or both ends are the same.
    ChannelEndpoint {
        /// Channel id.
        channel: u8,
    },
    /// A channel's queue is unaligned, too small for `depth * (msg_size + 4)`,
    /// or wraps.
    ChannelQueue {
        /// Channel id.
        channel: u8,
    },
    /// A channel's queue overlaps a partition region, the console or
    /// another queue.
    ChannelQueueOverlap {
        /// Channel id.
        channel: u8,
    },
    /// A schedule names a core the platform does not have, or a core twice.
    ScheduleCore {
        /// Schedule index.
        schedule: u8,
    },
    /// A window names no partition, or one pinned to another core, or lasts 0.
    Window {
        /// Schedule index.
        schedule: u8,
        /// Window index.
        window: u8,
    },
    /// The windows add up to more than the major frame, or the frame is 0.
    FrameOverflow {
        /// Schedule index.
        schedule: u8,
    },
}

impl CheckError {
    /// A one-line description for the console (no allocation).
    pub const fn message(&self) -> Text {
        match self {
            CheckError::CoreCount => crate::text!("platform core count is 0 or above the supported maximum"),
            CheckError::MpuBands => {
                crate::text!("static and transient MPU bands leave no room for partitions")
            }
            CheckError::Console => crate::text!("console window is unaligned, empty or wraps"),
            CheckError::PartitionCore { .. } => {
                crate::text!("partition pinned to a core the platform does not have")
            }
            CheckError::MpuBudget { .. } => {
                crate::text!("partition needs more MPU regions than the platform has")
            }
            CheckError::RegionEncoding { .. } => {
                crate::text!("partition region words are not a canonical encoding")
            }
            CheckError::RegionNotGuest { .. } => {
                crate::text!("partition region is disabled or not guest accessible")
            }
            CheckError::DeviceAttrs { .. } => {
                crate::text!("passthrough device region is not device memory or is executable")
            }
            CheckError::RegionOverlapSelf { .. } => crate::text!("two regions of one partition overlap"),
            CheckError::RegionOverlap { .. } => {
                crate::text!("regions of two partitions overlap outside one shared block")
            }
            CheckError::ConsoleOverlap { .. } => {
                crate::text!("partition region overlaps the hypervisor console")
            }
            CheckError::IrqConflict { .. } => crate::text!("interrupt owned by two partitions, or an SGI"),
            CheckError::Entry { .. } => {
                crate::text!("entry point unaligned or outside the partition's executable memory")
            }
            CheckError::Image { .. } => {
                crate::text!("partition image is empty, wraps or loads outside its memory")
            }
            CheckError::ChannelEndpoint { .. } => {
                crate::text!("channel endpoint is not a partition, or sends to itself")
            }
            CheckError::ChannelQueue { .. } => crate::text!("channel queue is unaligned, too small or wraps"),
            CheckError::ChannelQueueOverlap { .. } => {
                crate::text!("channel queue overlaps a partition, the console or a queue")
            }
            CheckError::ScheduleCore { .. } => {
                crate::text!("schedule for a missing core, or two schedules for one core")
            }
            CheckError::Window { .. } => {
                crate::text!("schedule window names a partition not pinned to its core, or is empty")
            }
            CheckError::FrameOverflow { .. } => crate::text!("schedule windows overflow the major frame"),
        }
    }
}

/// `[base, base + size - 1]`, or `None` when `size` is 0 or the range wraps.
const fn inclusive(base: u32, size: u32) -> Option<(u32, u32)> {
    if size == 0 {
        return None;
    }
    match base.checked_add(size - 1) {
        Some(limit) => Some((base, limit)),
        None => None,
    }
}

/// Whether two inclusive ranges share a byte.
const fn ranges_overlap(a: (u32, u32), b: (u32, u32)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Queue bytes a channel needs: `depth * (msg_size + 4)` rounded up to the granule.
pub fn queue_bytes(msg_size: u32, depth: u32) -> Option<u32> {
    let raw = msg_size.checked_add(4)?.checked_mul(depth)?;
    let rounded = raw.checked_add(GRANULE - 1)?;
    Some(rounded & !(GRANULE - 1))
}

/// Whether `[start, end]` is covered by the union of the partition's
/// [`RegionKind::Memory`] regions for which `pick` holds.
fn covered_by(p: &Partition, start: u32, end: u32, pick: impl Fn(&PartitionRegion) -> bool) -> bool {
    let mut pos = start;
    // Each step moves past one region, so the band size bounds the walk.
    for _ in 0..=p.regions.len() {
        let next = p
            .regions
            .iter()
            .filter(|r| r.kind == RegionKind::Memory && pick(r))
            .find(|r| r.words.base() <= pos && pos <= r.words.limit());
        match next {
            None => return false,
            Some(r) => {
                if r.words.limit() >= end {
                    return true;
                }
                pos = r.words.limit() + 1; // limit < end <= u32::MAX
            }
        }
    }
    false
}

impl System {
    /// Checks every invariant the hypervisor relies on. Never panics.
    pub fn check(&self) -> Result<(), CheckError> {
        self.check_platform()?;
        for (pi, p) in self.partitions.iter().enumerate() {
            self.check_partition(pi as u8, p)?;
        }
        self.check_cross_partition()?;
        for (ci, c) in self.channels.iter().enumerate() {
            self.check_channel(ci as u8, c)?;
        }
        self.check_schedules()
    }

    fn console(&self) -> Option<(u32, u32)> {
        inclusive(self.hypervisor.console_base, self.hypervisor.console_size)
    }

    fn check_platform(&self) -> Result<(), CheckError> {
        let cores = self.platform.cores as usize;
        if cores == 0 || cores > MAX_CORES {
            return Err(CheckError::CoreCount);
        }
        let bands = self.hypervisor.static_regions as u32 + self.hypervisor.transient_slots as u32;
        if bands >= self.platform.mpu_regions as u32 || self.platform.mpu_regions as usize > MAX_MPU_REGIONS {
            return Err(CheckError::MpuBands);
        }
        let h = &self.hypervisor;
        match self.console() {
            Some(_) if h.console_base.is_multiple_of(GRANULE) && h.console_size.is_multiple_of(GRANULE) => {
                Ok(())
            }
            _ => Err(CheckError::Console),
        }
    }

    fn check_partition(&self, pi: u8, p: &Partition) -> Result<(), CheckError> {
        if p.core.0 >= self.platform.cores {
            return Err(CheckError::PartitionCore { partition: pi });
        }
        let need = self.hypervisor.static_regions as u32
            + p.regions.len() as u32
            + self.hypervisor.transient_slots as u32;
        if need > self.platform.mpu_regions as u32 {
            return Err(CheckError::MpuBudget { partition: pi });
        }
        for (ri, r) in p.regions.iter().enumerate() {
            let region = ri as u8;
            let w = r.words;
            if !w.enabled() {
                return Err(CheckError::RegionNotGuest {
                    partition: pi,
                    region,
                });
            }
            let attrs = w.attrs().ok_or(CheckError::RegionEncoding {
                partition: pi,
                region,
            })?;
            match RegionWords::encode(w.base(), w.limit(), attrs) {
                Ok(canonical) if canonical == w => {}
                _ => {
                    return Err(CheckError::RegionEncoding {
                        partition: pi,
                        region,
                    })
                }
            }
            if !attrs.access.guest_visible() {
                return Err(CheckError::RegionNotGuest {
                    partition: pi,
                    region,
                });
            }
            if r.kind == RegionKind::Device && (attrs.mem != crate::mpu::MemType::Device || !attrs.xn) {
                return Err(CheckError::DeviceAttrs {
                    partition: pi,
                    region,
                });
            }
            if let Some(console) = self.console() {
                if w.overlaps(console.0, console.1) {
                    return Err(CheckError::ConsoleOverlap { partition: pi });
                }
            }
            let earlier = p.regions.iter().take(ri);
            if earlier.into_iter().any(|o| o.words.overlaps(w.base(), w.limit())) {
                return Err(CheckError::RegionOverlapSelf {
                    partition: pi,
                    region,
                });
            }
        }
        let executable = |r: &PartitionRegion| r.words.attrs().is_some_and(|a| !a.xn);
        let entry = EntryPoint::of(p.entry);
        if !entry.aligned() || !covered_by(p, entry.pc, entry.pc, executable) {
            return Err(CheckError::Entry { partition: pi });
        }
        if let Some(img) = p.image {
            let bad = CheckError::Image { partition: pi };
            let (start, end) = inclusive(img.load, img.len).ok_or(bad)?;
            inclusive(img.store, img.len).ok_or(bad)?;
            if !covered_by(p, start, end, |_| true) {
                return Err(bad);
            }
        }
        for &irq in p.irqs.iter() {
            let dup = p.irqs.iter().filter(|&&i| i == irq).count() > 1;
            if irq < 16 || dup {
                return Err(CheckError::IrqConflict { partition: pi, irq });
            }
        }
        Ok(())
    }

    fn check_cross_partition(&self) -> Result<(), CheckError> {
        for (pi, p) in self.partitions.iter().enumerate() {
            for (oi, o) in self.partitions.iter().enumerate().skip(pi + 1) {
                for (ri, r) in p.regions.iter().enumerate() {
                    // Only the same shared block may appear in two bands.
                    let clash = o.regions.iter().any(|x| {
                        let same_block = x.kind == RegionKind::Shared
                            && r.kind == RegionKind::Shared
                            && x.words.base() == r.words.base()
                            && x.words.limit() == r.words.limit();
                        x.words.overlaps(r.words.base(), r.words.limit()) && !same_block
                    });
                    if clash {
                        return Err(CheckError::RegionOverlap {
                            partition: pi as u8,
                            region: ri as u8,
                            other: oi as u8,
                        });
                    }
                }
                // PPIs (16..31) are banked per core: only a conflict on the same core.
                for &irq in p.irqs.iter() {
                    if o.irqs.contains(&irq) && (irq >= 32 || o.core == p.core) {
                        return Err(CheckError::IrqConflict {
                            partition: oi as u8,
                            irq,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn check_channel(&self, ci: u8, c: &Channel) -> Result<(), CheckError> {
        let n = self.partitions.len();
        if c.sender.index() >= n || c.receiver.index() >= n || c.sender == c.receiver {
            return Err(CheckError::ChannelEndpoint { channel: ci });
        }
        let bad = CheckError::ChannelQueue { channel: ci };
        if c.msg_size == 0
            || c.msg_size > crate::limits::MAX_MSG_SIZE
            || c.depth == 0
            || !c.queue_base.is_multiple_of(GRANULE)
            || !c.queue_size.is_multiple_of(GRANULE)
        {
            return Err(bad);
        }
        let need = queue_bytes(c.msg_size, c.depth).ok_or(bad)?;
        if c.queue_size < need {
            return Err(bad);
        }
        let q = inclusive(c.queue_base, c.queue_size).ok_or(bad)?;
        let overlap = CheckError::ChannelQueueOverlap { channel: ci };
        let hits_partition = self
            .partitions
            .iter()
            .flat_map(|p| p.regions.iter())
            .any(|r| r.words.overlaps(q.0, q.1));
        let hits_console = self.console().is_some_and(|con| ranges_overlap(q, con));
        let hits_queue = self
            .channels
            .iter()
            .take(ci as usize)
            .any(|o| inclusive(o.queue_base, o.queue_size).is_some_and(|oq| ranges_overlap(q, oq)));
        if hits_partition || hits_console || hits_queue {
            return Err(overlap);
        }
        Ok(())
    }

    fn check_schedules(&self) -> Result<(), CheckError> {
        for (si, s) in self.schedules.iter().enumerate() {
            let schedule = si as u8;
            let twice = self.schedules.iter().take(si).any(|o| o.core == s.core);
            if s.core.0 >= self.platform.cores || twice {
                return Err(CheckError::ScheduleCore { schedule });
            }
            let mut total: u32 = 0;
            for (wi, w) in s.windows.iter().enumerate() {
                let bad = CheckError::Window {
                    schedule,
                    window: wi as u8,
                };
                let p = self.partitions.get(w.partition.index()).ok_or(bad)?;
                if p.core != s.core || w.duration_us == 0 {
                    return Err(bad);
                }
                total = total
                    .checked_add(w.duration_us)
                    .ok_or(CheckError::FrameOverflow { schedule })?;
            }
            if s.major_frame_us == 0 || total > s.major_frame_us {
                return Err(CheckError::FrameOverflow { schedule });
            }
        }
        Ok(())
    }
}

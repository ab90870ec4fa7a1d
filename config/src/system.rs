//! The hypervisor's view of a system: what the blob decodes into. `no_std`,
//! no allocator: every table has a fixed capacity.
//!
//! The config tool fills these from the TOML file after validation; the
//! hypervisor only reads them (after re-checking what it relies on).

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use crate::ids::{CoreId, PartitionId};
use crate::mpu::RegionWords;

/// Most partitions a system may have.
pub const MAX_PARTITIONS: usize = 8;
/// Most MPU regions one partition's band may hold (memory, shared memory
/// and devices together).
pub const MAX_PARTITION_REGIONS: usize = 8;
/// Most interrupts one partition may own.
pub const MAX_PARTITION_IRQS: usize = 8;
/// Most channels a system may have.
pub const MAX_CHANNELS: usize = 16;
/// Most cores a system may describe.
pub const MAX_CORES: usize = 4;
/// Most windows in one core's major frame.
pub const MAX_WINDOWS: usize = 16;
/// Longest name of any element.
pub const MAX_NAME: usize = 24;

/// A short name (partition, channel, device...).
pub type Name = String<MAX_NAME>;

/// The whole system as the hypervisor uses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// Board facts the hypervisor checks against the hardware.
    pub platform: Platform,
    /// The hypervisor's own resources.
    pub hypervisor: Hypervisor,
    /// Partitions; a partition's id is its index here.
    pub partitions: Vec<Partition, MAX_PARTITIONS>,
    /// Inter-partition channels; a channel's id is its index here.
    pub channels: Vec<Channel, MAX_CHANNELS>,
    /// One cyclic schedule per core that runs partitions.
    pub schedules: Vec<Schedule, MAX_CORES>,
}

/// Board facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// Platform name, e.g. `mps3-an536`.
    pub name: Name,
    /// Number of cores.
    pub cores: u8,
    /// EL2 MPU regions per core (`HMPUIR.REGION`).
    pub mpu_regions: u8,
}

/// The hypervisor's own resources and MPU band split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hypervisor {
    /// MMIO base of the console UART.
    pub console_base: u32,
    /// Size of the console UART's MMIO window.
    pub console_size: u32,
    /// Regions in the static band (the hypervisor's own).
    pub static_regions: u8,
    /// Regions reserved at the top of the MPU for transient mappings.
    pub transient_slots: u8,
}

/// What a partition region is, for reports and for the hypervisor's checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionKind {
    /// The partition's own memory.
    Memory,
    /// A shared-memory block named in the config.
    Shared,
    /// A passthrough device.
    Device,
}

/// One region of a partition's band: exact register words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRegion {
    /// Name of the memory block, shared block or device.
    pub name: Name,
    /// What it is.
    pub kind: RegionKind,
    /// `HPRBAR`/`HPRLAR` values to load on a switch to the partition.
    pub words: RegionWords,
}

/// What the health monitor does when the partition faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultPolicy {
    /// Restart from the pristine image, at most `budget` times, then halt.
    Restart {
        /// Restarts allowed before the partition is halted.
        budget: u8,
    },
    /// Stop the partition for good.
    Halt,
    /// Report the fault, skip the faulting instruction and go on.
    Log,
}

/// Where a partition's pristine image is kept and where it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Address of the pristine copy (e.g. in flash).
    pub store: u32,
    /// Length in bytes of the pristine copy.
    pub len: u32,
    /// Address it is copied to before the partition starts.
    pub load: u32,
    /// CRC-32 (IEEE) of the pristine copy.
    pub crc32: u32,
}

/// One partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// Name, used as the console prefix.
    pub name: Name,
    /// The core it is pinned to.
    pub core: CoreId,
    /// First instruction (EL1, SVC mode), as an ELF's `e_entry` writes it:
    /// bit 0 set means T32 (Thumb) at `entry & !1`, clear means A32 at
    /// `entry` (see [`EntryPoint`]).
    pub entry: u32,
    /// Its band of the EL2 MPU, in region order.
    pub regions: Vec<PartitionRegion, MAX_PARTITION_REGIONS>,
    /// Interrupts (INTIDs) it owns.
    pub irqs: Vec<u16, MAX_PARTITION_IRQS>,
    /// Fault policy.
    pub fault_policy: FaultPolicy,
    /// Its image, when the system was built with one.
    pub image: Option<Image>,
}

/// Where and in which instruction set a partition starts, decoded from
/// its `entry` the way `BX` and an ELF's `e_entry` encode it: bit 0 selects
/// T32. The hypervisor starts the partition with this (`CPSR.T` and the
/// PC), the config tool checks it with this: one decoding for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryPoint {
    /// Address of the first instruction (`entry & !1`).
    pub pc: u32,
    /// The first instruction is T32 (Thumb).
    pub thumb: bool,
}

impl EntryPoint {
    /// Decodes `entry`.
    pub const fn of(entry: u32) -> Self {
        EntryPoint {
            pc: entry & !1,
            thumb: entry & 1 == 1,
        }
    }

    /// Whether the first instruction is aligned for its instruction set:
    /// A32 instructions are 4-byte aligned, T32 ones 2-byte aligned (which
    /// `entry & !1` always is).
    pub const fn aligned(&self) -> bool {
        self.thumb || self.pc.is_multiple_of(4)
    }
}

/// One channel: the queue storage belongs to no partition's band; the
/// hypervisor reaches it through transient mappings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Name.
    pub name: Name,
    /// Sending partition.
    pub sender: PartitionId,
    /// Receiving partition.
    pub receiver: PartitionId,
    /// Largest message in bytes.
    pub msg_size: u32,
    /// Messages the queue holds.
    pub depth: u32,
    /// Base of the queue storage (granule aligned).
    pub queue_base: u32,
    /// Size of the queue storage (granule multiple, at least
    /// `depth * (msg_size + 4)` rounded up).
    pub queue_size: u32,
}

/// One window of a major frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Partition that runs in it.
    pub partition: PartitionId,
    /// Length in microseconds.
    pub duration_us: u32,
}

/// A core's cyclic schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The core.
    pub core: CoreId,
    /// Length of the major frame in microseconds.
    pub major_frame_us: u32,
    /// Windows in order; they never add up to more than the major frame.
    pub windows: Vec<Window, MAX_WINDOWS>,
}

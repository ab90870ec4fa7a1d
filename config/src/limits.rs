//! The hypervisor's fixed counts that a system must match: one definition
//! for the hypervisor (`hyp_core` re-exports these) and for the config
//! tool, which refuses a system that asks for other values (`E031`) and
//! bases every hint it gives on them, so a system the tool accepts is one
//! the hypervisor accepts at boot (`hyp/src/partition/load.rs`).
//!
//! Board facts (cores, MPU regions, console, GIC) are not here: they come
//! from the board's platform file (`hyp_core::board`).

/// Regions of the hypervisor's static band, set once at boot on every
/// core: its text, rodata, data (with `.bss` and the stacks) and console.
/// A system's `[hypervisor] static_regions` must be exactly this.
pub const STATIC_REGIONS: usize = 4;

/// Regions the hypervisor reserves at the top of each core's EL2 MPU for
/// transient mappings (the blob, partition images and memory while it
/// loads them, channel queues, hypercall buffers). A system's
/// `[hypervisor] transient_slots` must be exactly this.
pub const TRANSIENT_SLOTS: usize = 4;

/// Most EL2 MPU regions the hypervisor's tables manage: the regions
/// `HPRENR` mirrors (0-31). A platform's `mpu_regions` may not exceed it.
pub const MAX_MPU_REGIONS: usize = 32;

/// The fewest EL2 MPU regions a platform needs for this hypervisor: its
/// static band, its transient slots and at least one partition region.
pub const MIN_MPU_REGIONS: usize = STATIC_REGIONS + TRANSIENT_SLOTS + 1;

/// Largest channel message in bytes. A send or a receive copies one
/// message inside one trap, which nothing preempts: this bounds how long
/// a partition's channel call can delay the window start of another
/// partition of its core (4 KiB is about 1,500 instructions to copy).
pub const MAX_MSG_SIZE: u32 = 4096;

// The hypervisor's own regions leave room on the largest MPU it manages.
const _: () = assert!(MIN_MPU_REGIONS <= MAX_MPU_REGIONS);

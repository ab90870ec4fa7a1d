//! Partitions at run time (target only): their control blocks
//! ([`block`]), loading ([`load`]), the trap path and partition switches
//! ([`trap`]), the hypercall environment ([`env`]), and the life cycle
//! below (start, stop, the end-of-run summary).
//!
//! Ownership: each core's [`CoreBlock`] holds the blocks of the partitions
//! pinned to it and is reached as one `&mut` per entry into the
//! hypervisor; what other cores may read (run state, counters) is in the
//! shared [`block::PartitionStatus`] atomics. The system is read-only after
//! boot.

mod block;
mod env;
mod gic_emul;
mod life;
mod load;
mod trap;
mod vgic;
mod windows;

pub use life::{device_interrupts, prepare_system, print_system, run_this_core, HCR_GUEST};
pub use load::{system, Fact, LoadError};

/// Reads and checks the system blob at `base` (`size` bytes), keeps it,
/// and fills the channel table from it, so that no channel call pays for
/// building it. Core 0, once, at boot. Here rather than in `load`, which
/// `env` uses: the two stay in layers.
pub fn load_system(base: u32, size: u32) -> Result<&'static hypcfg::system::System, LoadError> {
    let system = load::load_system(base, size)?;
    env::init_channels(system);
    Ok(system)
}

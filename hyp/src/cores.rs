//! Which cores are up, and what each found about itself when it came
//! online (read by the banner and the boot self test).

use core::sync::atomic::{AtomicU32, Ordering};

use crate::board::CORES;

/// What each core found about itself when it came online.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoreState {
    /// CPSR mode at entry to Rust (0x1A = Hyp).
    pub mode: u32,
    /// Whether the EL2 MPU is on with the background region off.
    pub mpu_on: bool,
}

/// Per-core boot state, written once by each core.
static CORE_MODE: [AtomicU32; CORES] = [const { AtomicU32::new(0) }; CORES];
static CORE_MPU_ON: [AtomicU32; CORES] = [const { AtomicU32::new(0) }; CORES];
static CORES_ONLINE: AtomicU32 = AtomicU32::new(0);

/// What a core recorded when it came online.
pub fn state(core: usize) -> CoreState {
    let load = |a: &[AtomicU32; CORES]| a.get(core).map_or(0, |v| v.load(Ordering::Acquire));
    CoreState {
        mode: load(&CORE_MODE),
        mpu_on: load(&CORE_MPU_ON) != 0,
    }
}

/// How many cores have finished their own set-up.
pub fn online() -> u32 {
    CORES_ONLINE.load(Ordering::Acquire)
}

/// Records the calling core's mode and MPU state; it is now online.
pub fn record_this_core(mode: u32, mpu_on: bool) {
    let core = crate::arch::cpu::core_id() as usize;
    if let (Some(m), Some(on)) = (CORE_MODE.get(core), CORE_MPU_ON.get(core)) {
        m.store(mode, Ordering::Release);
        on.store(mpu_on as u32, Ordering::Release);
    }
    CORES_ONLINE.fetch_add(1, Ordering::AcqRel);
}

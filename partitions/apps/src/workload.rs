//! The benchmark workload shared by the `bench` partition and the native
//! baseline (`partitions/native`): the same code runs under the hypervisor
//! and alone at EL1, so the ratio of the two is the hypervisor's overhead.

/// A compute loop (integer mixing, no memory traffic beyond the stack):
/// `iterations` rounds of an xorshift/multiply mix. Returns a checksum so
/// the work cannot be optimised away.
#[inline(never)]
pub fn compute(iterations: u32) -> u32 {
    let mut x: u32 = 0x1234_5678;
    let mut acc: u32 = 0;
    for i in 0..iterations {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        acc = acc.wrapping_add(x.wrapping_mul(i | 1));
    }
    acc
}

/// Iterations of [`compute`] both sides run.
pub const COMPUTE_ITERATIONS: u32 = 200_000;

/// Reads the virtual counter (`CNTVCT`), readable at EL1 with or without
/// the hypervisor.
#[cfg(target_arch = "arm")]
pub fn ticks() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading CNTVCT has no side effects.
    unsafe { core::arch::asm!("isb", "mrrc p15, 1, {}, {}, c14", out(reg) lo, out(reg) hi) };
    (hi as u64) << 32 | lo as u64
}

/// Instructions per counter tick under `-icount shift=0` (1 ns per
/// instruction, 62.5 MHz counter).
pub const INSTR_PER_TICK: u64 = 16;

/// Instructions per operation from a tick count, rounded.
pub fn per_op(ticks: u64, ops: u64) -> u64 {
    (ticks * INSTR_PER_TICK + ops / 2) / ops.max(1)
}

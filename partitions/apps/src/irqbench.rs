//! The timer-interrupt latency measurement shared by the `bench` partition
//! (`irq_to_guest`) and the native baseline (`irq_native`), so both figures
//! come from the very same code: from the EL1 virtual timer's deadline
//! (`CNTV_CVAL`) to the first instruction of the handler body, the body
//! stepping through 0..15 extra `nop`s before it reads the counter, the
//! mean taken over whole sweeps of the padding so the 16-instruction tick
//! cancels out. The caller installs [`handler_body`] behind its own IRQ
//! entry and unmasks interrupts around [`measure`].
#![cfg(target_arch = "arm")]

use core::sync::atomic::{AtomicU32, Ordering};

use crate::workload::{ticks, INSTR_PER_TICK};

/// Extra `nop`s before the handler reads the counter in the current trial.
static PAD: AtomicU32 = AtomicU32::new(0);
/// Counter value the handler read (0 = not yet).
static SEEN: AtomicU32 = AtomicU32::new(0);

/// Fires the virtual timer when the virtual count reaches `deadline`.
fn set_deadline(deadline: u64) {
    // SAFETY: this core's (or partition's) own EL1 virtual timer.
    unsafe {
        core::arch::asm!("mcrr p15, 3, {}, {}, c14", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32)
    };
    // SAFETY: as above.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 1u32) };
}

/// The measured handler body: `PAD` nops, read the counter, stop the timer.
#[inline(always)]
pub fn handler_body() {
    macro_rules! pad {
        ($($n:literal),*) => {
            match PAD.load(Ordering::Relaxed) {
                $($n => {
                    // SAFETY: `nop`s only.
                    unsafe { core::arch::asm!(concat!(".rept ", $n), "nop", ".endr") };
                })*
                _ => {}
            }
        };
    }
    pad!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    SEEN.store(ticks() as u32, Ordering::Release);
    // SAFETY: stops this core's (or partition's) own EL1 virtual timer.
    unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 0u32) };
}

/// Runs `rounds` sweeps of the padding (interrupts must be unmasked and
/// [`handler_body`] installed) and returns the mean latency in
/// instructions.
pub fn measure(rounds: u32) -> u64 {
    measure_samples(rounds).mean()
}

/// Runs `rounds` sweeps of the padding and returns every trial's latency
/// as one sample: `16 * ticks - pad` instructions, where `ticks` is the
/// counter from the deadline to the read in the handler. Every trial
/// counts, the first included. A sample is within 15 instructions below
/// the trial's true latency; the sweep makes the mean exact and the
/// largest sample the worst case (exact when the latency does not vary).
pub fn measure_samples(rounds: u32) -> crate::benchkit::Samples {
    let mut s = crate::benchkit::Samples::NEW;
    for trial in 0..16 * rounds {
        let pad = trial % 16;
        PAD.store(pad, Ordering::Relaxed);
        SEEN.store(0, Ordering::Release);
        let deadline = ticks() + 64;
        set_deadline(deadline);
        while SEEN.load(Ordering::Acquire) == 0 {}
        let ticks = SEEN.load(Ordering::Acquire).wrapping_sub(deadline as u32) as u64;
        s.record((ticks * INSTR_PER_TICK).saturating_sub(pad as u64));
    }
    s
}

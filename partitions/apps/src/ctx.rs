#![cfg(target_arch = "arm")]
//! EL1 state patterns for the context-switch test (`ctx_a`, `ctx_b`): the
//! state a partition can change (banked registers of another mode, thread
//! ID and context registers, an EL1 MPU region, the virtual timer, FPSCR
//! and VFP registers d8-d31), filled with a pattern and checked.

/// Switches each copy of the test makes.
pub const ROUNDS: u32 = 300;

/// Writes the pattern derived from `seed` into the EL1 state.
pub fn fill(seed: u32) {
    let v = |k: u32| seed.wrapping_mul(0x9E37_79B9).wrapping_add(k);
    // SAFETY: registers of this partition's own EL1 context; none of them
    // is used by the code around (IRQ mode is never entered: IRQs are off,
    // the MPU region stays disabled, the timer stays disabled; d17 and d31
    // are outside what the compiler uses on this target).
    unsafe {
        core::arch::asm!(
            ".fpu neon-fp-armv8",
            "msr sp_irq, {a}", "msr lr_irq, {b}", "msr spsr_irq, {c}",
            "mcr p15, 0, {a}, c13, c0, 2", "mcr p15, 0, {b}, c13, c0, 3", "mcr p15, 0, {c}, c13, c0, 4",
            "mcr p15, 0, {d}, c13, c0, 1",
            "mcr p15, 0, {mpub}, c6, c15, 4", "mcr p15, 0, {mpul}, c6, c15, 5",
            "mcrr p15, 3, {a}, {b}, c14",
            "vmov d9, {a}, {b}", "vmov d17, {c}, {d}", "vmov d31, {b}, {a}",
            "vmsr fpscr, {fp}",
            a = in(reg) v(1), b = in(reg) v(2), c = in(reg) v(3) & 0xF800_01FF | 0x1F, d = in(reg) v(4),
            mpub = in(reg) v(5) & !0x3F, mpul = in(reg) (v(6) & !0x3F) & !1,
            fp = in(reg) (seed & 3) << 22,
            out("d9") _,
        );
    }
}

/// Reads the state back; returns how many of the 16 values differ.
pub fn check(seed: u32) -> u32 {
    let v = |k: u32| seed.wrapping_mul(0x9E37_79B9).wrapping_add(k);
    let mut o = [0u32; 16];
    // SAFETY: reads of this partition's own EL1 registers.
    unsafe {
        core::arch::asm!(
            ".fpu neon-fp-armv8",
            "mrs {t}, sp_irq", "str {t}, [{o}, #0]",
            "mrs {t}, lr_irq", "str {t}, [{o}, #4]",
            "mrs {t}, spsr_irq", "str {t}, [{o}, #8]",
            "mrc p15, 0, {t}, c13, c0, 2", "str {t}, [{o}, #12]",
            "mrc p15, 0, {t}, c13, c0, 3", "str {t}, [{o}, #16]",
            "mrc p15, 0, {t}, c13, c0, 4", "str {t}, [{o}, #20]",
            "mrc p15, 0, {t}, c13, c0, 1", "str {t}, [{o}, #24]",
            "mrc p15, 0, {t}, c6, c15, 4", "str {t}, [{o}, #28]",
            "mrc p15, 0, {t}, c6, c15, 5", "str {t}, [{o}, #32]",
            "mrrc p15, 3, {t}, {u}, c14", "str {t}, [{o}, #36]", "str {u}, [{o}, #40]",
            "vmov {t}, {u}, d9", "str {t}, [{o}, #44]", "str {u}, [{o}, #48]",
            "vmov {t}, {u}, d17", "str {t}, [{o}, #52]", "str {u}, [{o}, #56]",
            "vmrs {t}, fpscr", "str {t}, [{o}, #60]",
            o = in(reg) o.as_mut_ptr(), t = out(reg) _, u = out(reg) _,
        );
    }
    let r = o;
    let want = [
        v(1),
        v(2),
        v(3) & 0xF800_01FF | 0x1F,
        v(1),
        v(2),
        v(3) & 0xF800_01FF | 0x1F,
        v(4),
        v(5) & !0x3F,
        (v(6) & !0x3F) & !1,
        v(1),
        v(2),
        v(1),
        v(2),
        v(3) & 0xF800_01FF | 0x1F,
        v(4),
        (seed & 3) << 22,
    ];
    r.iter().zip(want.iter()).filter(|(a, b)| a != b).count() as u32
}

/// The test's loop: `ROUNDS` times fill the state with this partition's
/// pattern, let the other copy run (`yield_now`), and check the state.
/// Returns the number of mismatches.
pub fn run(id: u32, yield_now: impl Fn()) -> u32 {
    (0..ROUNDS)
        .map(|round| {
            let seed = (id + 1) * 0x1000 + round;
            fill(seed);
            yield_now();
            check(seed)
        })
        .sum()
}

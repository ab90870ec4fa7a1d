//! The priority race (`prioracer`, `prioracer_b`, one per core): each
//! owns some of the four SPIs whose priorities share one distributor word
//! (`GICD_IPRIORITYR10`, INTIDs 40 to 43), and both write their own
//! priorities there 2,000 times at the same time, reading each back. A
//! write emulated as an unlocked read-modify-write of the shared word
//! loses the other core's update; none may be lost.

const GICD: u32 = 0xF000_0000;
const ISENABLER1: u32 = GICD + 0x104;
/// INTIDs 40..43.
const WORD: u32 = GICD + 0x400 + 40;
/// Writes each partition makes.
pub const WRITES: u32 = 2_000;

fn rd(a: u32) -> u32 {
    // SAFETY: a GIC register: trapped and emulated.
    unsafe { (a as *const u32).read_volatile() }
}

fn wr(a: u32, v: u32) {
    // SAFETY: as for `rd`.
    unsafe { (a as *mut u32).write_volatile(v) }
}

/// Runs the race on this core: the number of writes whose value did not
/// read back, or `None` if this partition owns none of INTIDs 40..43.
pub fn run() -> Option<u32> {
    // What reads as enabled is what this partition owns (the hypervisor
    // enables a partition's SPIs when it starts it).
    let owned = rd(ISENABLER1);
    let mask = (0..4u32)
        .filter(|k| owned & (1 << (8 + k)) != 0)
        .fold(0u32, |m, k| m | 0xFF << (8 * k));
    if mask == 0 {
        return None;
    }
    let mut lost = 0;
    let mut x: u32 = mask;
    for _ in 0..WRITES {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let v = x & mask;
        wr(WORD, v);
        if rd(WORD) & mask != v {
            lost += 1;
        }
    }
    Some(lost)
}

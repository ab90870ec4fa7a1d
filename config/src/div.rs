//! 64-bit division without the compiler's 64-bit division routine.
//!
//! A 32-bit Arm core has no 64-bit divide instruction: `u64 / u64` is a
//! call to `compiler_builtins`' general routine, about 0.5 KB of the
//! hypervisor's image, for a handful of divisions that are all off the
//! hot paths (the schedule's tick conversion at boot, printing a 64-bit
//! number, the FAULT-line budget, the end-of-run mean). [`div_rem`] does
//! them in about 200 bytes and a few dozen instructions, with the core's
//! 32-bit division (Hacker's Delight, `divlu` and `divdu`).

use core::num::{NonZeroU32, NonZeroU64};

/// `(n / d, n % d)`, what the operators give; `(0, 0)` when `d` is 0
/// (where they would panic).
// Not inlined: one copy for every caller, at this crate's size level.
#[inline(never)]
pub fn div_rem(n: u64, d: u64) -> (u64, u64) {
    // Divisions by `NonZero` values: no division-by-zero panic in the image.
    let Some(d) = NonZeroU64::new(d) else {
        return (0, 0);
    };
    if let Ok(d) = NonZeroU32::try_from(d) {
        // Long division in two 32-bit digits: the high one by the core's
        // own division, the low one (with the high one's remainder, so
        // the quotient fits 32 bits) by `div_64_32`.
        let (hi, lo) = ((n >> 32) as u32, n as u32);
        let (q_hi, r_hi) = (hi / d, hi % d);
        let (q_lo, r) = div_64_32(r_hi, lo, d);
        return ((u64::from(q_hi) << 32) | u64::from(q_lo), u64::from(r));
    }
    // A divisor above 32 bits (Hacker's Delight, `divdu`): the quotient
    // fits 32 bits; estimate it from the divisor's top 32 bits (normalised)
    // and half the dividend, which is at most one too small or one too big.
    let s = d.leading_zeros(); // below 32
    let d = d.get();
    // At least 2^31 (so `MIN`, never taken, only spares a panic path).
    let d_top = NonZeroU32::new(((d << s) >> 32) as u32).unwrap_or(NonZeroU32::MIN);
    let half = n >> 1; // its top word is below 2^31 <= d_top
    let (q, _) = div_64_32((half >> 32) as u32, half as u32, d_top);
    let mut q = (u64::from(q) << s) >> 31;
    q = q.saturating_sub(1); // now q <= n / d, so q * d <= n
    if n - q * d >= d {
        q += 1;
    }
    (q, n - q * d)
}

/// `(u1 * 2^32 + u0) / v` and its remainder, for `u1 < v` (so that the
/// quotient fits 32 bits), with two 32-bit hardware divisions: Hacker's
/// Delight, `divlu` (the divisor normalised, the dividend taken in 16-bit
/// digits, each estimated quotient digit corrected at most twice).
fn div_64_32(u1: u32, u0: u32, v: NonZeroU32) -> (u32, u32) {
    const B: u32 = 1 << 16;
    let s = v.leading_zeros();
    let v = v.get() << s;
    // At least 2^15: `v` now has its top bit set (`MIN` is never taken).
    let vn1 = NonZeroU32::new(v >> 16).unwrap_or(NonZeroU32::MIN);
    let vn0 = v & 0xFFFF;
    // `u1 < v`, so `u1 << s` still fits; `u0`'s top `s` bits move into it.
    let un32 = if s == 0 { u1 } else { (u1 << s) | (u0 >> (32 - s)) };
    let un10 = u0 << s;
    let (un1, un0) = (un10 >> 16, un10 & 0xFFFF);
    // One quotient digit of `(high * 2^16 + next) / v`, `high < v`.
    let digit = |high: u32, next: u32| {
        let mut q = high / vn1;
        let mut rhat = high - q * vn1.get();
        // `q < B` is checked first, so `q * vn0` fits; `rhat < B` keeps
        // `rhat * B + next` in 32 bits.
        while q >= B || q * vn0 > rhat * B + next {
            q -= 1;
            rhat += vn1.get();
            if rhat >= B {
                break;
            }
        }
        (
            q,
            high.wrapping_mul(B)
                .wrapping_add(next)
                .wrapping_sub(q.wrapping_mul(v)),
        )
    };
    let (q1, un21) = digit(un32, un1);
    let (q0, r) = digit(un21, un0);
    ((q1 << 16) | q0, r >> s)
}

/// `n / d`, or 0 when `d` is 0: `n.checked_div(d).unwrap_or(0)`.
pub fn div(n: u64, d: u64) -> u64 {
    div_rem(n, d).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges_are_the_operators() {
        let values = [
            0u64,
            1,
            2,
            3,
            7,
            10,
            999_999,
            1_000_000,
            1_000_000_000,
            u64::from(u32::MAX) - 1,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            0xFFFF,
            0x1_0000,
            0x1_0001,
            0x7FFF_FFFF,
            0x8000_0000,
            0x8000_0001,
            1 << 32,
            (1 << 32) + 1,
            0x1_FFFF_FFFF,
            1 << 40,
            0xFFFF_FFFF_0000_0000,
            0x8000_0000_FFFF_FFFF,
            (1 << 63) - 1,
            1 << 63,
            (1 << 63) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &n in &values {
            assert_eq!(div_rem(n, 0), (0, 0));
            assert_eq!(div(n, 0), 0);
            for &d in values.iter().filter(|&&d| d != 0) {
                assert_eq!(div_rem(n, d), (n / d, n % d), "{n} / {d}");
                assert_eq!(div(n, d), n / d, "{n} / {d}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_division_is_the_operators(n in any::<u64>(), d in 1..=u64::MAX) {
            prop_assert_eq!(div_rem(n, d), (n / d, n % d));
        }

        #[test]
        fn small_divisors_too(n in any::<u64>(), d in 1..=u64::from(u32::MAX)) {
            prop_assert_eq!(div_rem(n, d), (n / d, n % d));
        }

        #[test]
        fn divisors_near_32_bits(n in any::<u64>(), d in (1u64 << 31)..(1u64 << 33)) {
            prop_assert_eq!(div_rem(n, d), (n / d, n % d));
        }

        #[test]
        fn dividends_of_few_bits(n in 0..=u64::from(u32::MAX), d in 1..=u64::MAX) {
            prop_assert_eq!(div_rem(n, d), (n / d, n % d));
        }
    }
}

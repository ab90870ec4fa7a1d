//! 64-bit division without the compiler's 64-bit division routine.
//!
//! A 32-bit Arm core has no 64-bit divide instruction: `u64 / u64` is a
//! call to `compiler_builtins`' general routine, about 0.5 KB of the
//! hypervisor's image, for a handful of divisions that are all off the
//! hot paths (the schedule's tick conversion at boot, printing a 64-bit
//! number, the FAULT-line budget, the end-of-run mean). [`div_rem`] does
//! them in a few dozen bytes: one hardware 32-bit division when both
//! operands fit 32 bits, else one step per significant bit of the
//! dividend.

/// `(n / d, n % d)`, what the operators give; `(0, 0)` when `d` is 0
/// (where they would panic).
// Not inlined: one copy for every caller, at this crate's size level.
#[inline(never)]
pub fn div_rem(n: u64, d: u64) -> (u64, u64) {
    if d == 0 {
        return (0, 0);
    }
    if let (Ok(n), Ok(d)) = (u32::try_from(n), u32::try_from(d)) {
        // The core's own 32-bit division (d is not 0).
        return (u64::from(n / d), u64::from(n % d));
    }
    // Restoring long division, one dividend bit at a time from the top
    // (shifted out of `n`): `r < d` after every step.
    let bits = u64::BITS - n.leading_zeros();
    let mut n = n.wrapping_shl(n.leading_zeros());
    let (mut q, mut r) = (0u64, 0u64);
    for _ in 0..bits {
        // `2r + bit` may not fit 64 bits when `d` is above 2^63; it is
        // then above `d`, and the wrapped difference is the true one.
        let carry = r >> 63 != 0;
        r = (r << 1) | (n >> 63);
        n <<= 1;
        q <<= 1;
        if carry || r >= d {
            r = r.wrapping_sub(d);
            q |= 1;
        }
    }
    (q, r)
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
            1 << 40,
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
    }
}

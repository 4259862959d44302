//! A tiny seeded pseudo-random generator for synthetic traces:
//! xoshiro256** seeded through SplitMix64. It is not for cryptography. The
//! integer stream depends only on the seed, so a seed names one trace on
//! every platform; `f64` draws are exact functions of that stream, and
//! `exp` goes through `f64::ln`, whose last-bit rounding could in principle
//! differ between C libraries (traces round such draws to milliseconds).

use std::ops::Range;

/// xoshiro256** state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

/// One SplitMix64 step: advances `state` and returns the next output.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut state = seed;
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `range` (without modulo bias); `range.start`
    /// when the range is empty.
    pub fn uniform(&mut self, range: Range<u64>) -> u64 {
        let span = range.end.saturating_sub(range.start);
        if span == 0 {
            return range.start;
        }
        // Reject the top sliver that would make some values more likely.
        let zone = u64::MAX - (u64::MAX - span + 1) % span;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return range.start + x % span;
            }
        }
    }

    /// A uniform float in [0, 1), from the top 53 bits.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An exponentially distributed float with the given mean (≥ 0).
    pub fn exp(&mut self, mean: f64) -> f64 {
        // 1 - u is in (0, 1], so ln never sees 0.
        -mean * (1.0 - self.f64()).ln()
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A standard normal draw (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_vector() {
        // Reference outputs of SplitMix64 seeded with 1234567.
        let mut s = 1234567u64;
        assert_eq!(splitmix64(&mut s), 6457827717110365317);
        assert_eq!(splitmix64(&mut s), 3203168211198807973);
    }

    #[test]
    fn same_seed_same_stream_and_ranges_hold() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        for _ in 0..1000 {
            let u = a.uniform(3..9);
            assert!((3..9).contains(&u));
            let f = a.f64();
            assert!((0.0..1.0).contains(&f));
            assert!(a.exp(10.0) >= 0.0);
        }
        assert_eq!(a.uniform(5..5), 5);
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
        assert!(!a.chance(0.0));
        assert!(a.chance(1.0));
    }

    #[test]
    fn means_are_roughly_right() {
        let mut r = Rng::new(3);
        let n = 20_000;
        let exp_mean: f64 = (0..n).map(|_| r.exp(50.0)).sum::<f64>() / n as f64;
        assert!((exp_mean - 50.0).abs() < 2.0, "{exp_mean}");
        let norm_mean: f64 = (0..n).map(|_| r.normal()).sum::<f64>() / n as f64;
        assert!(norm_mean.abs() < 0.05, "{norm_mean}");
    }
}

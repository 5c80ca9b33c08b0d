//! The simulator's random numbers: SplitMix64, seeded by the user.
//!
//! Why not `rand`: a `seed = 7` in a map file must give the same faults and the same
//! random values next year, on any machine. rand's `SmallRng` is documented as not
//! portable (its algorithm may change between releases and platforms), and its range
//! sampling is not value-stable across versions either. SplitMix64 (Steele, Lea and
//! Flood, 2014) is a published, fixed algorithm of a few lines, good enough for picking
//! faults and test values (it is no cryptographic generator).

use std::hash::{BuildHasher, RandomState};

/// A seeded stream of pseudo-random numbers: the same seed, the same numbers.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// The stream for `seed`.
    pub(crate) fn seeded(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A seed nobody chose: different in every run (from std's per-process random
    /// hashing keys, so no clock is read).
    pub(crate) fn any_seed() -> u64 {
        RandomState::new().hash_one(0x6d73_6d5f_7369_6d00_u64)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniform in `[0, 1)`, from the top 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer uniform in `0..=span` (rejection sampling: no bias).
    pub(crate) fn up_to(&mut self, span: u128) -> u128 {
        if span >= u128::from(u64::MAX) {
            let wide = u128::from(self.next_u64()) << 64 | u128::from(self.next_u64());
            return if span == u128::MAX {
                wide
            } else {
                wide % (span + 1)
            };
        }
        let n = span as u64 + 1;
        // The largest multiple of n that fits: draws at or above it are redrawn.
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return u128::from(x % n);
            }
        }
    }

    /// Fills `bytes` with random bytes.
    pub(crate) fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_published_stream() {
        // SplitMix64's reference outputs for seed 1234567.
        let mut rng = Rng::seeded(1_234_567);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn draws_stay_in_range_and_cover_it() {
        let mut rng = Rng::seeded(7);
        let mut seen = [0u32; 5];
        for _ in 0..5000 {
            let x = rng.up_to(4);
            seen[x as usize] += 1;
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(rng.up_to(0), 0);
        let _ = rng.up_to(u128::MAX);
        assert!(rng.up_to(u128::from(u64::MAX) + 5) <= u128::from(u64::MAX) + 5);
        let mut bytes = [0u8; 11];
        rng.fill(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
    }
}

//! Seeded randomness for the demo: uniforms, bounded normals, Poisson and binomial counts.
//!
//! Everything derives from `ChaCha8Rng`'s 64-bit words with basic arithmetic only, so a seed
//! gives the same stream on every platform; this module must never read an unseeded source.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The demo's only source of randomness.
pub(super) struct Noise(ChaCha8Rng);

impl Noise {
    pub(super) fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in [0, 1), from the top 53 bits of one word.
    pub(super) fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub(super) fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Approximately standard normal (Irwin–Hall with twelve uniforms): bounded at ±6, which
    /// keeps every noisy figure within sane limits without clamping each one.
    pub(super) fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }

    /// A multiplicative wobble around 1 with the given relative spread, never below 0.1.
    pub(super) fn wobble(&mut self, spread: f64) -> f64 {
        (1.0 + spread * self.normal()).max(0.1)
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A uniform index below `n` (which must be positive).
    pub(super) fn index(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }

    /// A Poisson count with mean `lambda`: exact (Knuth) for small means, normal beyond.
    pub(super) fn poisson(&mut self, lambda: f64) -> i64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda >= 40.0 {
            return round(lambda + lambda.sqrt() * self.normal()).max(0);
        }
        let limit = exp_neg(lambda);
        let mut k = 0;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }

    /// A binomial count of `n` trials with probability `p`: exact for small `n`, Poisson or
    /// normal beyond, always within 0..=n.
    pub(super) fn binomial(&mut self, n: i64, p: f64) -> i64 {
        if n <= 0 || p <= 0.0 {
            return 0;
        }
        let p = p.min(1.0);
        if n <= 48 {
            return (0..n).filter(|_| self.chance(p)).count() as i64;
        }
        let mean = n as f64 * p;
        let k = if p < 0.1 {
            self.poisson(mean)
        } else {
            round(mean + (mean * (1.0 - p)).sqrt() * self.normal())
        };
        k.clamp(0, n)
    }
}

/// Rounds half away from zero to a whole number.
pub(super) fn round(x: f64) -> i64 {
    x.round() as i64
}

/// e^(−x) for x ≥ 0 from a Taylor series, because `f64::exp` may differ in its last bit
/// between platforms and the demo must not.
fn exp_neg(x: f64) -> f64 {
    const INV_E: f64 = 0.367_879_441_171_442_33;
    let whole = x.floor();
    let frac = x - whole;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=24 {
        term *= -frac / f64::from(k);
        sum += term;
    }
    (0..whole as i64).fold(sum, |acc, _| acc * INV_E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_noise_is_sane() {
        assert!((exp_neg(0.0) - 1.0).abs() < 1e-15);
        assert!((exp_neg(2.5) - 0.082_084_998_623_898_8).abs() < 1e-14);
        let mut n = Noise::new(1);
        let draws = 4000;
        let mean = (0..draws).map(|_| n.poisson(3.0)).sum::<i64>() as f64 / draws as f64;
        assert!((mean - 3.0).abs() < 0.15, "{mean}");
        let mean = (0..draws).map(|_| n.binomial(200, 0.3)).sum::<i64>() as f64 / draws as f64;
        assert!((mean - 60.0).abs() < 1.0, "{mean}");
        assert!((0..draws).all(|_| (0..10).contains(&n.index(10))));
    }
}

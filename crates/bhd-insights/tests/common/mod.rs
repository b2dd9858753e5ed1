//! Deterministic simulated series with known truth, shared by the integration tests.

#![allow(dead_code)]

use chrono::{Days, NaiveDate};

/// SplitMix64: a small, seeded generator, so the tests need no random crate and never vary.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A weekly pattern (Monday first) of a business that is quiet at weekends.
pub const WEEK: [f64; 7] = [1.1, 1.15, 1.1, 1.05, 1.0, 0.4, 0.3];

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn plus(date: NaiveDate, n: usize) -> NaiveDate {
    date.checked_add_days(Days::new(n as u64)).unwrap()
}

/// Points for consecutive days from `start`.
pub fn dated(start: NaiveDate, values: &[f64]) -> Vec<(NaiveDate, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (plus(start, i), *v))
        .collect()
}

/// Daily revenue that grows by `growth` a day, with the weekly pattern and multiplicative noise
/// of relative size `noise`; `start` is a Monday so that `WEEK` lines up.
pub fn daily_revenue(days: usize, level: f64, growth: f64, noise: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut trend = level;
    (0..days)
        .map(|t| {
            trend *= 1.0 + growth;
            trend * WEEK[t % 7] * (1.0 + noise * rng.normal())
        })
        .collect()
}

/// As `daily_revenue`, with noise drawn uniformly from ±`noise` (no tails, so no day of a
/// clean series is extreme).
pub fn daily_revenue_bounded(
    days: usize,
    level: f64,
    growth: f64,
    noise: f64,
    seed: u64,
) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut trend = level;
    (0..days)
        .map(|t| {
            trend *= 1.0 + growth;
            trend * WEEK[t % 7] * (1.0 + noise * (2.0 * rng.uniform() - 1.0))
        })
        .collect()
}

//! Trend changes: the points where a growth rate moved to a new level.
//!
//! Growth rates (for example month over month) are standardised to mean 0 and variance 1,
//! because the Bayesian online change-point detector's Normal-Gamma prior assumes that scale,
//! and then segmented by augurs' BOCPD. A change is kept only when the segments on both sides
//! are long enough to mean something and their mean growth differs by enough to matter; the
//! weakest change is dropped first and the segments recomputed, until all that remain qualify.

use augurs::changepoint::dist::NormalGamma;
use augurs::changepoint::{Detector, NormalGammaDetector};

/// The settings of `trend_changes`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendOptions {
    /// The prior expected run length between changes, in steps.
    pub hazard_lambda: f64,
    /// The fewest steps on each side of a change.
    pub min_segment: usize,
    /// The smallest difference between the mean growth before and after, in standard
    /// deviations of the growth series.
    pub min_shift_sd: f64,
    /// The smallest difference between the mean growth before and after, as a rate
    /// (0.01 is one percentage point).
    pub min_shift: f64,
}

impl Default for TrendOptions {
    fn default() -> Self {
        Self {
            hazard_lambda: 24.0,
            min_segment: 3,
            min_shift_sd: 0.75,
            min_shift: 0.01,
        }
    }
}

/// A change in the level of a growth series.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendChange {
    /// The first step of the new regime, as a position in the growth series.
    pub index: usize,
    /// The mean growth from the previous change (or the start) up to `index`.
    pub growth_before: f64,
    /// The mean growth from `index` up to the next change (or the end).
    pub growth_after: f64,
    /// Steps in the segment before.
    pub steps_before: usize,
    /// Steps in the segment after.
    pub steps_after: usize,
}

/// The changes in level of `growth` (for example monthly growth rates; `NaN` values are not
/// allowed and yield no change), found on its z-scores by BOCPD and filtered by `options`.
pub fn trend_changes(growth: &[f64], options: &TrendOptions) -> Vec<TrendChange> {
    let n = growth.len();
    if n < 2 * options.min_segment.max(1) || growth.iter().any(|g| !g.is_finite()) {
        return Vec::new();
    }
    let mean = growth.iter().sum::<f64>() / n as f64;
    let sd = (growth.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    if sd <= 0.0 {
        return Vec::new();
    }
    let z: Vec<f64> = growth.iter().map(|g| (g - mean) / sd).collect();
    let mut detector = NormalGammaDetector::normal_gamma(
        options.hazard_lambda,
        NormalGamma::new_unchecked(0.0, 1.0, 1.0, 1.0),
    );
    let mut cuts: Vec<usize> = detector
        .detect_changepoints(&z)
        .into_iter()
        .filter(|&i| i > 0 && i < n)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();

    let min_shift = options.min_shift.max(options.min_shift_sd * sd);
    loop {
        let changes = segments(growth, &cuts);
        let weakest = changes
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let short =
                    c.steps_before < options.min_segment || c.steps_after < options.min_segment;
                let shift = (c.growth_after - c.growth_before).abs();
                (k, short, shift)
            })
            .filter(|(_, short, shift)| *short || *shift < min_shift)
            // Short segments go first, then the smallest shift.
            .min_by(|a, b| b.1.cmp(&a.1).then(a.2.total_cmp(&b.2)));
        match weakest {
            Some((k, _, _)) => {
                cuts.remove(k);
            }
            None => return changes,
        }
    }
}

fn segments(growth: &[f64], cuts: &[usize]) -> Vec<TrendChange> {
    let mean = |a: usize, b: usize| growth[a..b].iter().sum::<f64>() / (b - a) as f64;
    let mut bounds = Vec::with_capacity(cuts.len() + 2);
    bounds.push(0);
    bounds.extend_from_slice(cuts);
    bounds.push(growth.len());
    bounds
        .windows(3)
        .map(|w| TrendChange {
            index: w[1],
            growth_before: mean(w[0], w[1]),
            growth_after: mean(w[1], w[2]),
            steps_before: w[1] - w[0],
            steps_after: w[2] - w[1],
        })
        .collect()
}

/// Growth from each value to the next, `values[i + 1] / values[i] − 1`; `NaN` where the
/// earlier value is not positive.
pub fn growth_rates(values: &[f64]) -> Vec<f64> {
    values
        .windows(2)
        .map(|w| {
            if w[0] > 0.0 && w[1].is_finite() {
                w[1] / w[0] - 1.0
            } else {
                f64::NAN
            }
        })
        .collect()
}

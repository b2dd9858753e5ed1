//! Anomalies: observations far outside their seasonal expectation, judged robustly.
//!
//! A robust MSTL decomposition with the known seasonal period gives each observation its
//! expectation (trend plus season); the residual is what is left. Residuals are scored by their
//! median and MAD rather than mean and standard deviation, so that the anomalies being looked
//! for do not inflate the yardstick that judges them. Strictly positive series are decomposed on
//! the log scale, where a day at three times its usual level is the same size of surprise at
//! any level of the business. Filled gaps are never reported as anomalies.

use crate::InsightError;
use crate::series::fill_gaps;
use augurs::mstl::stlrs;

/// The usual threshold on the robust z-score (Iglewicz and Hoaglin's 3.5).
pub const DEFAULT_THRESHOLD: f64 = 3.5;

/// The MAD of a normal sample times this estimates its standard deviation.
const MAD_TO_SD: f64 = 1.4826;

/// One observation outside its expected range.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    /// Its position in the series.
    pub index: usize,
    /// The value observed.
    pub observed: f64,
    /// The value expected from the trend and the season.
    pub expected: f64,
    /// The lowest value that would not have been an anomaly.
    pub low: f64,
    /// The highest value that would not have been an anomaly.
    pub high: f64,
    /// The residual's distance from the median residual, in robust standard deviations
    /// (positive above the expectation).
    pub robust_z: f64,
}

/// The observations of an evenly spaced `series` (`NaN` for a missing one) whose residual from
/// a robust MSTL fit with the known seasonal `period` lies more than `threshold` robust standard
/// deviations (1.4826 × MAD) from the median residual, in order.
pub fn anomalies(
    series: &[f64],
    period: usize,
    threshold: f64,
) -> Result<Vec<Anomaly>, InsightError> {
    let period = period.max(2);
    let needed = 2 * period + 1;
    let observed = series.iter().filter(|v| v.is_finite()).count();
    if series.len() < needed || observed < needed {
        return Err(InsightError::NotEnoughData {
            needed,
            got: observed,
        });
    }
    let mut y = series.to_vec();
    fill_gaps(&mut y);
    let log = y.iter().all(|v| *v > 0.0);
    // Centre and scale before MSTL's f32 arithmetic; the log scale needs neither.
    let (shift, scale) = if log {
        (0.0, 1.0)
    } else {
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        (mean, if sd > 0.0 { sd } else { 1.0 })
    };
    let to_model = |v: f64| if log { v.ln() } else { (v - shift) / scale };
    let from_model = |v: f64| if log { v.exp() } else { v * scale + shift };
    let x: Vec<f32> = y.iter().map(|&v| to_model(v) as f32).collect();

    // A plain (non-robust) fit: STL's robustness weights let the fit chase the bulk of the
    // points, which shrinks the MAD and flags ordinary days. Instead, the clear outliers (twice
    // the threshold) are replaced by their expectation and the fit repeated, so that a spike
    // does not drag the trend and season of its neighbours and flag them. Borderline points are
    // never replaced: a replaced point no longer pulls the fit towards itself, which would
    // keep it flagged whatever the data say.
    let clear = 2.0 * threshold;
    let mut fit_input = x.clone();
    let mut replaced: Vec<bool> = vec![false; x.len()];
    let mut pass = decompose(&x, &fit_input, period)?;
    for _ in 1..MAX_PASSES {
        let now: Vec<bool> = (0..x.len())
            .map(|i| series[i].is_finite() && pass.z(i).abs() > clear)
            .collect();
        if now == replaced {
            break;
        }
        replaced = now;
        for i in 0..x.len() {
            fit_input[i] = if replaced[i] {
                pass.expected[i] as f32
            } else {
                x[i]
            };
        }
        pass = decompose(&x, &fit_input, period)?;
    }
    let Pass {
        expected,
        residuals,
        med,
        sd,
    } = pass;
    // Below this the residuals are rounding noise of the f32 decomposition, not variation.
    let floor = 1e-5 * median(&x.iter().map(|v| f64::from(*v).abs()).collect::<Vec<_>>());
    if sd <= floor.max(f64::MIN_POSITIVE) {
        return Ok(Vec::new());
    }

    Ok((0..series.len())
        .filter(|&i| series[i].is_finite())
        .filter_map(|i| {
            let z = (residuals[i] - med) / sd;
            (z.abs() > threshold).then(|| {
                let centre = expected[i] + med;
                Anomaly {
                    index: i,
                    observed: series[i],
                    expected: from_model(centre),
                    low: from_model(centre - threshold * sd),
                    high: from_model(centre + threshold * sd),
                    robust_z: z,
                }
            })
        })
        .collect())
}

pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// How many times the fit is repeated with the flagged points replaced.
const MAX_PASSES: usize = 4;

/// One decomposition and the robust scale of its residuals.
#[derive(Debug)]
struct Pass {
    expected: Vec<f64>,
    residuals: Vec<f64>,
    med: f64,
    sd: f64,
}

impl Pass {
    fn z(&self, i: usize) -> f64 {
        if self.sd > 0.0 {
            (self.residuals[i] - self.med) / self.sd
        } else {
            0.0
        }
    }
}

/// Decomposes `fit_input` and measures the residuals of the observations `x` against it.
fn decompose(x: &[f32], fit_input: &[f32], period: usize) -> Result<Pass, InsightError> {
    let mut params = stlrs::MstlParams::new();
    params.stl_params(stlrs::params());
    let fit = params
        .fit(fit_input, &[period])
        .map_err(|e| InsightError::Model(e.to_string()))?;
    let trend = fit.trend();
    let seasonal = &fit.seasonal()[0];
    let expected: Vec<f64> = (0..x.len())
        .map(|i| f64::from(trend[i]) + f64::from(seasonal[i]))
        .collect();
    let residuals: Vec<f64> = x
        .iter()
        .zip(&expected)
        .map(|(v, e)| f64::from(*v) - e)
        .collect();
    let med = median(&residuals);
    let deviations: Vec<f64> = residuals.iter().map(|r| (r - med).abs()).collect();
    let mut sd = MAD_TO_SD * median(&deviations);
    if sd <= 0.0 {
        // More than half the residuals equal: fall back to the mean absolute deviation.
        sd = 1.2533 * deviations.iter().sum::<f64>() / deviations.len() as f64;
    }
    Ok(Pass {
        expected,
        residuals,
        med,
        sd,
    })
}

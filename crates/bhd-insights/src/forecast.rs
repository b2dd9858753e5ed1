//! Point forecasts with prediction intervals: MSTL with a known season, AutoETS for the trend.
//!
//! The seasonal period is always given by the caller (7 for daily data, 12 for monthly): it is
//! known from the calendar, so it is never detected. MSTL removes that season, AutoETS (no
//! seasonal component: augurs does not implement seasonal ETS) forecasts what is left, and the
//! last seasonal cycle is added back. A series too short for two full seasons is forecast by
//! AutoETS alone. A strictly positive series is modelled on the log scale (growth becomes a
//! trend, the season a factor, and the intervals stay positive). The fit works on a
//! standardised copy of the series, because MSTL computes in `f32` and large balances with
//! small movements would otherwise lose their movements.

use crate::InsightError;
use crate::series::fill_gaps;
use augurs::ets::AutoETS;
use augurs::mstl::MSTLModel;
use augurs::{Fit, Predict};

/// The fewest observations a forecast is made from.
pub const MIN_OBSERVATIONS: usize = 10;

/// A forecast of the next `horizon` steps with a prediction interval at `level`.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The expected value of each step.
    pub point: Vec<f64>,
    /// The lower end of each step's prediction interval.
    pub lower: Vec<f64>,
    /// The upper end of each step's prediction interval.
    pub upper: Vec<f64>,
    /// The interval's coverage, such as 0.8.
    pub level: f64,
    /// The seasonal period removed before forecasting, when the series was long enough.
    pub seasonal_period: Option<usize>,
    /// How many missing (`NaN`) observations were filled by interpolation first.
    pub gaps_filled: usize,
    /// Whether the model was fit to the logarithm of the series (strictly positive series),
    /// which makes the season and the intervals proportional to the level.
    pub log_scale: bool,
}

/// Which trends the exponential smoothing may choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrendSpec {
    /// AutoETS chooses among no trend, additive and damped additive trends by AICc.
    Auto,
    /// An additive trend that is not damped: "at the current rate" (cash burn).
    Linear,
}

/// Forecasts `horizon` steps after an evenly spaced `series` (daily or monthly; `NaN` marks a
/// missing observation, filled by interpolation and counted in `gaps_filled`), removing a known
/// seasonal `period` (7 for daily data, 12 for monthly; 1 for none) when the series holds two
/// full seasons, with prediction intervals at `level` (for example 0.8 or 0.95).
pub fn forecast(
    series: &[f64],
    period: usize,
    horizon: usize,
    level: f64,
) -> Result<Forecast, InsightError> {
    forecast_with(series, period, horizon, level, TrendSpec::Auto)
}

pub(crate) fn forecast_with(
    series: &[f64],
    period: usize,
    horizon: usize,
    level: f64,
    trend: TrendSpec,
) -> Result<Forecast, InsightError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(InsightError::Level(level));
    }
    let mut y = series.to_vec();
    let gaps_filled = fill_gaps(&mut y);
    let observed = series.len() - series.iter().filter(|v| !v.is_finite()).count();
    if observed < MIN_OBSERVATIONS {
        return Err(InsightError::NotEnoughData {
            needed: MIN_OBSERVATIONS,
            got: observed,
        });
    }
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd <= 1e-12 * mean.abs().max(1.0) {
        // A constant series: nothing to model, and AutoETS would fail on it.
        return Ok(Forecast {
            point: vec![mean; horizon],
            lower: vec![mean; horizon],
            upper: vec![mean; horizon],
            level,
            seasonal_period: None,
            gaps_filled,
            log_scale: false,
        });
    }
    // Strictly positive series (revenue, costs) grow and swing in proportion to their level:
    // model their logarithm, so growth is a trend and the season a factor.
    let log = trend == TrendSpec::Auto && y.iter().all(|v| *v > 0.0);
    if log {
        y.iter_mut().for_each(|v| *v = v.ln());
    }
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let z: Vec<f64> = y.iter().map(|v| (v - mean) / sd).collect();
    let ets = match trend {
        TrendSpec::Auto => AutoETS::non_seasonal(),
        TrendSpec::Linear => AutoETS::new(1, "ZAN")
            .and_then(|m| m.damped(false))
            .map_err(model_error)?,
    };
    let seasonal = period >= 2 && y.len() / 2 >= period;
    let raw = if seasonal {
        let model = MSTLModel::new(vec![period], ets.into_trend_model());
        let fit = model.fit(&z).map_err(model_error)?;
        fit.predict(horizon, level).map_err(model_error)?
    } else {
        let fit = ets.fit(&z).map_err(model_error)?;
        fit.predict(horizon, level).map_err(model_error)?
    };
    let intervals = raw
        .intervals
        .ok_or_else(|| InsightError::Model("the model gave no prediction intervals".into()))?;
    if raw.point.len() != horizon
        || intervals.lower.len() != horizon
        || intervals.upper.len() != horizon
    {
        return Err(InsightError::Model(format!(
            "the model forecast {} steps instead of {horizon}",
            raw.point.len()
        )));
    }
    let back = |v: &f64| {
        let v = v * sd + mean;
        if log { v.exp() } else { v }
    };
    let point: Vec<f64> = raw.point.iter().map(back).collect();
    let lower: Vec<f64> = intervals.lower.iter().map(back).collect();
    let upper: Vec<f64> = intervals.upper.iter().map(back).collect();
    if point
        .iter()
        .chain(&lower)
        .chain(&upper)
        .any(|v| !v.is_finite())
    {
        return Err(InsightError::Model(
            "the model gave a non-finite forecast".into(),
        ));
    }
    Ok(Forecast {
        point,
        lower,
        upper,
        level,
        seasonal_period: seasonal.then_some(period),
        gaps_filled,
        log_scale: log,
    })
}

fn model_error(e: impl std::fmt::Display) -> InsightError {
    InsightError::Model(e.to_string())
}

//! Forecast accuracy on simulated series whose truth is known: MASE against a seasonal-naive
//! baseline on a held-out horizon, and the coverage of the prediction intervals.

mod common;

use bhd_insights::forecast;
use common::{Rng, daily_revenue};

struct Score {
    /// MAE on the holdout over the in-sample MAE of the seasonal-naive one-season-ahead
    /// forecast (Hyndman and Koehler's MASE).
    mase: f64,
    /// The MASE of the true mean, when it is known: the best any forecast can expect.
    oracle_mase: Option<f64>,
    /// MAE on the holdout over the MAE of the seasonal-naive forecast of the same holdout.
    relative_mae: f64,
    /// Share of held-out values inside the 95 % interval.
    coverage: f64,
}

fn score(series: &[f64], truth: Option<&[f64]>, period: usize, horizon: usize) -> Score {
    let (train, test) = series.split_at(series.len() - horizon);
    let fc = forecast(train, period, horizon, 0.95).expect("forecast");
    assert_eq!(fc.point.len(), horizon);
    assert_eq!(fc.seasonal_period, Some(period));
    let mae = |pred: &[f64]| -> f64 {
        pred.iter()
            .zip(test)
            .map(|(p, y)| (p - y).abs())
            .sum::<f64>()
            / horizon as f64
    };
    let in_sample_naive = train
        .windows(period + 1)
        .map(|w| (w[period] - w[0]).abs())
        .sum::<f64>()
        / (train.len() - period) as f64;
    let last_season = &train[train.len() - period..];
    let naive: Vec<f64> = (0..horizon).map(|h| last_season[h % period]).collect();
    let inside = test
        .iter()
        .zip(fc.lower.iter().zip(&fc.upper))
        .filter(|(y, (lo, hi))| lo <= y && y <= hi)
        .count();
    Score {
        mase: mae(&fc.point) / in_sample_naive,
        oracle_mase: truth.map(|t| mae(&t[t.len() - horizon..]) / in_sample_naive),
        relative_mae: mae(&fc.point) / mae(&naive),
        coverage: inside as f64 / horizon as f64,
    }
}

/// Checks a forecast of the last `horizon` values of `series`. Without the truth, the MASE must
/// be below 1. With it, the MASE must be within 10 % of the true mean's own MASE: on a growing
/// series with noise proportional to the level, MASE's in-sample scale comes mostly from the
/// smaller, quieter past, so even the true mean scores close to 1 there.
fn check(name: &str, series: &[f64], truth: Option<&[f64]>, period: usize, horizon: usize) {
    let s = score(series, truth, period, horizon);
    println!(
        "{name}: MASE {:.3}{}, MAE relative to seasonal naive {:.3}, 95% coverage {:.2}",
        s.mase,
        s.oracle_mase
            .map(|o| format!(" (true mean's MASE {o:.3})"))
            .unwrap_or_default(),
        s.relative_mae,
        s.coverage
    );
    match s.oracle_mase {
        None => assert!(s.mase < 1.0, "{name}: MASE {:.3} is not below 1", s.mase),
        Some(o) => assert!(
            s.mase < 1.1 * o,
            "{name}: MASE {:.3} is more than 10% above the true mean's {o:.3}",
            s.mase
        ),
    }
    assert!(
        s.relative_mae < 1.0,
        "{name}: worse than the seasonal-naive forecast ({:.3})",
        s.relative_mae
    );
    assert!(
        s.coverage >= 0.75,
        "{name}: the 95% interval covered only {:.2}",
        s.coverage
    );
}

#[test]
fn daily_additive_trend_and_weekly_season() {
    let season = [60.0, 80.0, 70.0, 50.0, 20.0, -130.0, -150.0];
    for seed in [1, 2, 3] {
        let mut rng = Rng::new(seed);
        let y: Vec<f64> = (0..728 + 28)
            .map(|t| 500.0 + 0.8 * t as f64 + season[t % 7] + 40.0 * rng.normal())
            .collect();
        check(&format!("daily additive, seed {seed}"), &y, None, 7, 28);
    }
}

#[test]
fn daily_growing_revenue_with_multiplicative_week() {
    for seed in [11, 12, 13] {
        let y = daily_revenue(728 + 28, 1_000.0, 0.0008, 0.08, seed);
        let truth = daily_revenue(728 + 28, 1_000.0, 0.0008, 0.0, seed);
        check(
            &format!("daily multiplicative, seed {seed}"),
            &y,
            Some(&truth),
            7,
            28,
        );
    }
}

#[test]
fn monthly_growth_with_yearly_season() {
    let season = [
        0.9, 0.95, 1.05, 1.0, 1.0, 1.1, 0.95, 0.8, 1.05, 1.1, 1.05, 1.05,
    ];
    for seed in [21, 22, 23] {
        let mut rng = Rng::new(seed);
        let y: Vec<f64> = (0..60 + 12)
            .map(|t| {
                100_000.0 * 1.015f64.powi(t as i32) * season[t % 12] * (1.0 + 0.03 * rng.normal())
            })
            .collect();
        check(&format!("monthly, seed {seed}"), &y, None, 12, 12);
    }
}

#[test]
fn gaps_are_filled_and_reported() {
    let mut y = daily_revenue(200, 1_000.0, 0.001, 0.05, 7);
    y[50] = f64::NAN;
    y[120] = f64::NAN;
    y[121] = f64::NAN;
    let fc = forecast(&y, 7, 14, 0.8).expect("forecast");
    assert_eq!(fc.gaps_filled, 3);
    assert!(fc.point.iter().all(|v| v.is_finite()));
    assert!(fc.lower.iter().zip(&fc.upper).all(|(l, u)| l <= u));
}

#[test]
fn wider_level_gives_wider_interval() {
    let y = daily_revenue(300, 1_000.0, 0.001, 0.05, 8);
    let narrow = forecast(&y, 7, 14, 0.8).unwrap();
    let wide = forecast(&y, 7, 14, 0.95).unwrap();
    for h in 0..14 {
        assert!(wide.upper[h] - wide.lower[h] > narrow.upper[h] - narrow.lower[h]);
        assert!(narrow.lower[h] <= narrow.point[h] && narrow.point[h] <= narrow.upper[h]);
    }
}

#[test]
fn short_and_bad_input_is_refused() {
    assert!(forecast(&[1.0, 2.0, 3.0], 7, 5, 0.8).is_err());
    assert!(forecast(&[1.0; 30], 7, 5, 1.5).is_err());
    // A constant series is forecast as itself.
    let flat = forecast(&[5.0; 30], 7, 3, 0.8).unwrap();
    assert_eq!(flat.point, vec![5.0; 3]);
    // Too short for two seasons: exponential smoothing alone.
    let y: Vec<f64> = (0..12).map(|t| 10.0 + t as f64).collect();
    let fc = forecast(&y, 7, 3, 0.8).unwrap();
    assert_eq!(fc.seasonal_period, None);
    assert!((fc.point[0] - 22.0).abs() < 1.0, "{:?}", fc.point);
}

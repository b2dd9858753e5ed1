//! Trend changes: a growth change injected at a known date is found within a few periods.

mod common;

use bhd_insights::{
    InsightKind, InsightOptions, TrendOptions, growth_rates, insights, trend_changes,
};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use common::{Rng, WEEK, dated, day, plus};
use std::collections::BTreeMap;

/// Monthly totals growing by `before` a month, then by `after` from month `at`.
fn months(n: usize, at: usize, before: f64, after: f64, noise: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut level = 30_000.0;
    (0..n)
        .map(|m| {
            level *= 1.0 + if m < at { before } else { after };
            level * (1.0 + noise * rng.normal())
        })
        .collect()
}

#[test]
fn a_growth_change_is_found_within_two_months() {
    for seed in 0..10 {
        let y = months(60, 30, 0.03, -0.01, 0.02, seed);
        let changes = trend_changes(&growth_rates(&y), &TrendOptions::default());
        assert_eq!(changes.len(), 1, "seed {seed}: {changes:?}");
        let c = &changes[0];
        // growth_rates[i] is the growth into month i + 1: the first new rate is at index 29.
        assert!(
            c.index.abs_diff(29) <= 2,
            "seed {seed}: found at {}",
            c.index
        );
        assert!((c.growth_before - 0.03).abs() < 0.01, "{c:?}");
        assert!((c.growth_after + 0.01).abs() < 0.01, "{c:?}");
    }
}

#[test]
fn steady_growth_has_no_change() {
    for seed in 0..10 {
        let y = months(60, 60, 0.02, 0.02, 0.02, seed + 50);
        let changes = trend_changes(&growth_rates(&y), &TrendOptions::default());
        assert!(changes.is_empty(), "seed {seed}: {changes:?}");
    }
}

#[test]
fn a_single_bad_month_is_not_a_trend_change() {
    let mut y = months(48, 48, 0.02, 0.02, 0.01, 7);
    y[30] *= 0.8;
    let changes = trend_changes(&growth_rates(&y), &TrendOptions::default());
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn the_insight_dates_a_change_in_daily_revenue() {
    // Five years of daily revenue: +3 % a month until 2023-07, then −1 % a month.
    let start = day(2021, 1, 4); // a Monday
    let change = day(2023, 7, 1);
    let mut rng = Rng::new(3);
    let mut level = 1_000.0;
    let y: Vec<f64> = (0..5 * 365)
        .map(|t| {
            let g = if plus(start, t) < change { 0.03 } else { -0.01 };
            level *= (1.0f64 + g).powf(1.0 / 30.4375);
            level * WEEK[t % 7] * (1.0 + 0.05 * rng.normal())
        })
        .collect();
    let series = BTreeMap::from([("revenue".to_string(), dated(start, &y))]);
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
    let all = insights(&series, now, &InsightOptions::default());
    let found: Vec<_> = all
        .iter()
        .filter(|i| i.kind == InsightKind::TrendChange)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let t = found[0];
    let month = NaiveDate::parse_from_str(
        &format!("{}-01", t.evidence["month"].as_str().unwrap()),
        "%Y-%m-%d",
    )
    .unwrap();
    let off = (month.year() - change.year()) * 12 + month.month() as i32 - change.month() as i32;
    assert!(off.abs() <= 2, "found {month}, injected {change}");
    assert!(
        t.title.starts_with("Revenue growth turned negative"),
        "{}",
        t.title
    );
    assert_eq!(t.severity, bhd_insights::Severity::High);
    println!("{}\n{}", t.title, t.body);
}

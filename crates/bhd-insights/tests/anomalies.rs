//! Anomalies: an injected day is found on the right date with a range that explains it, and
//! clean series raise none.

mod common;

use bhd_insights::{InsightKind, InsightOptions, anomalies, insights};
use chrono::{TimeZone, Utc};
use common::{Rng, daily_revenue, daily_revenue_bounded, dated, day, plus};
use std::collections::BTreeMap;

#[test]
fn a_tripled_day_is_found_on_its_date() {
    for seed in 1..=8 {
        let clean = daily_revenue(730, 1_000.0, 0.0008, 0.06, seed);
        let mut y = clean.clone();
        y[400] *= 3.0;
        let found = anomalies(&y, 7, 3.5).unwrap();
        let top = found
            .iter()
            .max_by(|a, b| a.robust_z.abs().total_cmp(&b.robust_z.abs()))
            .expect("the injected day is found");
        assert_eq!(top.index, 400, "seed {seed}: {found:?}");
        assert_eq!(top.observed, y[400]);
        assert!(top.robust_z > 10.0, "seed {seed}: z {}", top.robust_z);
        assert!(top.high < y[400], "the range excludes the tripled value");
        assert!(
            top.low <= clean[400] && clean[400] <= top.high,
            "seed {seed}: the range {}–{} holds the true value {}",
            top.low,
            top.high,
            clean[400]
        );
        // Nothing else is more than borderline: the spike does not spill onto its neighbours.
        for a in found.iter().filter(|a| a.index != 400) {
            assert!(a.robust_z.abs() < 6.0, "seed {seed}: {a:?}");
        }
    }
}

#[test]
fn a_collapsed_day_is_found_low() {
    let mut y = daily_revenue(500, 2_000.0, 0.0005, 0.05, 3);
    y[321] *= 0.3;
    let found = anomalies(&y, 7, 3.5).unwrap();
    let a = found.iter().find(|a| a.index == 321).expect("found");
    assert!(a.robust_z < -10.0);
    assert!(a.observed < a.low);
}

#[test]
fn clean_series_with_bounded_noise_raise_none() {
    for seed in 1..=10 {
        // Proportional noise on the log scale (a positive, growing series).
        let y = daily_revenue_bounded(730, 1_000.0, 0.0008, 0.1, seed);
        let found = anomalies(&y, 7, 3.5).unwrap();
        assert!(found.is_empty(), "seed {seed}: {found:?}");
        // Additive noise on the linear scale (a net flow that changes sign).
        let mut rng = Rng::new(seed + 1_000);
        let week = [300.0, 350.0, 300.0, 250.0, 200.0, -600.0, -800.0];
        let flow: Vec<f64> = (0..730)
            .map(|t| -200.0 + 0.5 * t as f64 + week[t % 7] + 300.0 * (2.0 * rng.uniform() - 1.0))
            .collect();
        assert!(flow.iter().any(|v| *v <= 0.0));
        let found = anomalies(&flow, 7, 3.5).unwrap();
        assert!(found.is_empty(), "seed {seed} (linear scale): {found:?}");
    }
}

#[test]
fn gaussian_noise_flags_about_as_often_as_the_threshold_says() {
    // |z| > 3.5 happens for 0.047 % of normal draws; allow twice that.
    let (mut flagged, mut days) = (0, 0);
    for seed in 100..120 {
        let y = daily_revenue(730, 1_000.0, 0.0008, 0.06, seed);
        flagged += anomalies(&y, 7, 3.5).unwrap().len();
        days += y.len();
    }
    let rate = flagged as f64 / days as f64;
    println!("false-positive rate on clean Gaussian series: {flagged} of {days} days ({rate:.5})");
    assert!(rate < 0.001, "{flagged} of {days} clean days flagged");
}

#[test]
fn filled_gaps_are_never_anomalies() {
    let mut y = daily_revenue(300, 1_000.0, 0.0, 0.05, 9);
    y[150] = f64::NAN;
    y[151] = f64::NAN;
    let found = anomalies(&y, 7, 3.5).unwrap();
    assert!(found.iter().all(|a| a.index != 150 && a.index != 151));
}

#[test]
fn the_insight_names_the_date_the_value_and_the_range() {
    let start = day(2024, 1, 1); // a Monday
    let mut y = daily_revenue_bounded(600, 1_000.0, 0.0008, 0.08, 5);
    let spike = 590;
    y[spike] *= 3.0;
    let series = BTreeMap::from([("revenue".to_string(), dated(start, &y))]);
    let now = Utc.with_ymd_and_hms(2025, 12, 1, 8, 0, 0).unwrap();
    let all = insights(&series, now, &InsightOptions::default());
    let found: Vec<_> = all
        .iter()
        .filter(|i| i.kind == InsightKind::Anomaly)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = found[0];
    let date = plus(start, spike);
    assert_eq!(a.evidence["date"], date.to_string());
    assert_eq!(a.evidence["observed"], y[spike]);
    let (low, high) = (
        a.evidence["expected_range"]["low"].as_f64().unwrap(),
        a.evidence["expected_range"]["high"].as_f64().unwrap(),
    );
    assert!(low < high && high < y[spike]);
    assert!(a.title.contains("Revenue unusually high"), "{}", a.title);
    assert!(a.title.contains(&date.to_string()));
    assert_eq!(a.metrics, vec!["revenue".to_string()]);
    println!("{}\n{}", a.title, a.body);
}

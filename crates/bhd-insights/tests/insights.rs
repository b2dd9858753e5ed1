//! `insights` on thin, short, gappy or partial data: no panic, and what can be said is said.

mod common;

use bhd_insights::{InsightKind, InsightOptions, insights};
use chrono::{TimeZone, Utc};
use common::{daily_revenue, dated, day};
use std::collections::BTreeMap;

#[test]
fn nothing_in_nothing_out() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    assert!(insights(&BTreeMap::new(), now, &InsightOptions::default()).is_empty());
    let one = BTreeMap::from([
        ("revenue".to_string(), vec![(day(2025, 12, 1), 10.0)]),
        ("cash_balance".to_string(), vec![(day(2025, 12, 1), 10.0)]),
        ("expenses".to_string(), vec![]),
    ]);
    assert!(insights(&one, now, &InsightOptions::default()).is_empty());
}

#[test]
fn a_short_history_is_forecast_by_the_week() {
    let start = day(2025, 9, 1);
    let y = daily_revenue(120, 1_000.0, 0.001, 0.05, 4);
    let series = BTreeMap::from([("revenue".to_string(), dated(start, &y))]);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let all = insights(&series, now, &InsightOptions::default());
    let f = all
        .iter()
        .find(|i| i.kind == InsightKind::Forecast)
        .expect("a forecast");
    assert_eq!(f.evidence["granularity"], "week");
    assert_eq!(f.evidence["forecast"].as_array().unwrap().len(), 4);
    assert!(f.title.contains("the week to 2026-01-"), "{}", f.title);
    // Too short for monthly growth: no trend change.
    assert!(all.iter().all(|i| i.kind != InsightKind::TrendChange));
}

#[test]
fn gaps_and_cash_alone_still_give_a_runway() {
    let start = day(2025, 1, 6);
    let mut points: Vec<_> = (0..300)
        .map(|t| {
            let wobble = if t % 7 == 4 { -3_000.0 } else { 500.0 };
            (t, 1_200_000.0 - 3_000.0 * t as f64 + wobble)
        })
        .filter(|(t, _)| t % 17 != 3) // missing days
        .map(|(t, v)| (common::plus(start, t), v))
        .collect();
    points.push((common::plus(start, 40), f64::NAN));
    let series = BTreeMap::from([("cash_balance".to_string(), points)]);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let all = insights(&series, now, &InsightOptions::default());
    let r = all
        .iter()
        .find(|i| i.kind == InsightKind::Runway)
        .expect("a runway");
    assert_eq!(r.evidence["flow_basis"], "daily change of cash_balance");
    assert_eq!(r.evidence["status"], "burning");
    assert_eq!(r.evidence["as_of"], common::plus(start, 299).to_string());
    // 1.2M − 3k a day reaches zero on day 400.
    let zero =
        chrono::NaiveDate::parse_from_str(r.evidence["zero_date"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let truth = common::plus(start, 400);
    assert!((zero - truth).num_days().abs() <= 5, "{zero} vs {truth}");
    println!("{}\n{}", r.title, r.body);
}

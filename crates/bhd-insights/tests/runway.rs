//! Runway: a known linear burn gives the known cash-zero date; positive cash flow is "not
//! burning".

mod common;

use bhd_insights::{
    DailySeries, InsightKind, InsightOptions, RunwayStatus, Severity, insights, runway,
};
use chrono::{TimeZone, Utc};
use common::{Rng, dated, day, plus};
use std::collections::BTreeMap;

/// A year of daily net flow averaging `mean` (weekday outflows, quiet weekends, noise) and the
/// cash balance it produces from `opening`.
fn books(opening: f64, mean: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    // Weekly pattern with mean 1.
    let week = [1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5];
    let flow: Vec<f64> = (0..365)
        .map(|t| mean * week[t % 7] + 0.3 * mean.abs() * rng.normal())
        .collect();
    let mut cash = opening;
    let balance = flow
        .iter()
        .map(|f| {
            cash += f;
            cash
        })
        .collect();
    (flow, balance)
}

#[test]
fn a_linear_burn_runs_out_on_the_expected_day() {
    let start = day(2025, 1, 6);
    for seed in 1..=5 {
        let (flow, cash) = books(3_000_000.0, -5_000.0, seed);
        let cash_s = DailySeries::from_points(&dated(start, &cash)).unwrap();
        let flow_s = DailySeries::from_points(&dated(start, &flow)).unwrap();
        let r = runway(&cash_s, &flow_s, 0.8, 3 * 365).unwrap();
        assert_eq!(r.status, RunwayStatus::Burning);
        assert_eq!(r.as_of, plus(start, 364));
        // The truth: the last balance over the true burn of 5,000 a day.
        let expected = plus(r.as_of, (r.cash / 5_000.0).ceil() as usize);
        let zero = r.zero_date.expect("runs out within the horizon");
        let off = (zero - expected).num_days();
        println!(
            "seed {seed}: cash {:.0} on {}, zero {zero} (truth {expected}, {off:+} days), \
             80% range {:?} – {:?}",
            r.cash, r.as_of, r.zero_date_earliest, r.zero_date_latest
        );
        assert!(off.abs() <= 7, "seed {seed}: {zero} vs {expected}");
        assert!((r.monthly_net_flow + 5_000.0 * 30.4375).abs() < 0.05 * 5_000.0 * 30.4375);
        let (early, late) = (r.zero_date_earliest.unwrap(), r.zero_date_latest.unwrap());
        assert!(early <= zero && zero <= late);
        assert!((late - early).num_days() < 120, "the range is informative");
        let months = r.months.unwrap();
        assert!((months - (zero - r.as_of).num_days() as f64 / 30.4375).abs() < 1e-9);
    }
}

#[test]
fn positive_cash_flow_is_not_burning() {
    let start = day(2025, 1, 6);
    let (flow, cash) = books(500_000.0, 2_000.0, 11);
    let cash_s = DailySeries::from_points(&dated(start, &cash)).unwrap();
    let flow_s = DailySeries::from_points(&dated(start, &flow)).unwrap();
    let r = runway(&cash_s, &flow_s, 0.8, 3 * 365).unwrap();
    assert_eq!(r.status, RunwayStatus::NotBurning);
    assert_eq!(r.zero_date, None);
    assert!(r.monthly_net_flow > 0.0);
}

#[test]
fn an_empty_account_is_out_of_cash() {
    let start = day(2025, 1, 6);
    let (flow, cash) = books(1_000_000.0, -5_000.0, 12);
    let cash: Vec<f64> = cash.iter().map(|c| c - 1_000_000.0).collect();
    let cash_s = DailySeries::from_points(&dated(start, &cash)).unwrap();
    let flow_s = DailySeries::from_points(&dated(start, &flow)).unwrap();
    let r = runway(&cash_s, &flow_s, 0.8, 365).unwrap();
    assert_eq!(r.status, RunwayStatus::OutOfCash);
    assert_eq!(r.zero_date, Some(r.as_of));
}

#[test]
fn the_insight_reads_like_a_sentence() {
    let start = day(2025, 1, 6);
    let (flow, cash) = books(3_000_000.0, -5_000.0, 2);
    // Revenue and expenses whose difference is the flow; the cash balance they produce.
    let revenue: Vec<f64> = (0..365)
        .map(|t| 20_000.0 + 100.0 * (t % 7) as f64)
        .collect();
    let expenses: Vec<f64> = revenue.iter().zip(&flow).map(|(r, f)| r - f).collect();
    let series = BTreeMap::from([
        ("revenue".to_string(), dated(start, &revenue)),
        ("expenses".to_string(), dated(start, &expenses)),
        ("cash_balance".to_string(), dated(start, &cash)),
    ]);
    let now = Utc.with_ymd_and_hms(2026, 1, 6, 12, 0, 0).unwrap();
    let options = InsightOptions {
        currency: Some("USD".into()),
        ..InsightOptions::default()
    };
    let all = insights(&series, now, &options);
    let r = all
        .iter()
        .find(|i| i.kind == InsightKind::Runway)
        .expect("a runway insight");
    println!("{}\n{}", r.title, r.body);
    assert!(
        r.title.starts_with("Cash runs out around 2026-0"),
        "{}",
        r.title
    );
    assert!(r.title.contains("(80% range "), "{}", r.title);
    // About 7.7 months of runway: high severity.
    assert_eq!(r.severity, Severity::High);
    assert_eq!(r.evidence["flow_basis"], "revenue - expenses");
    assert_eq!(r.evidence["status"], "burning");
    assert_eq!(r.metrics, vec!["cash_balance", "revenue", "expenses"]);
    let cash_forecast = all
        .iter()
        .find(|i| i.kind == InsightKind::Forecast && i.metrics[0] == "cash_balance")
        .expect("a cash forecast");
    assert!(
        cash_forecast.title.starts_with("Cash forecast: $"),
        "{}",
        cash_forecast.title
    );
}

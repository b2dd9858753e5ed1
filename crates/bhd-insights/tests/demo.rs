//! The insights on the demo company (`bhd_domain::demo`): every kind appears where the story
//! puts something to find, and everything is well formed.

use bhd_domain::demo::{self, Profile};
use bhd_insights::{DailySeries, Insight, InsightKind, InsightOptions, anomalies, insights};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

const DAYS: u32 = 5 * 365 + 1;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 9, 0, 0).unwrap()
}

fn series(profile: Profile) -> BTreeMap<String, Vec<(NaiveDate, f64)>> {
    let mut map: BTreeMap<String, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for p in demo::simulate(profile, start(), DAYS, 42) {
        map.entry(p.metric.to_string())
            .or_default()
            .push((p.date, p.value_micros as f64 / 1e6));
    }
    map
}

fn months_between(a: NaiveDate, b: NaiveDate) -> i32 {
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

fn month_of(i: &Insight) -> NaiveDate {
    let ym = i.evidence["month"].as_str().unwrap();
    NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d").unwrap()
}

fn print(profile: Profile, all: &[Insight]) {
    println!("=== {profile}");
    for i in all {
        println!(
            "[{} / {:?}] {}\n    {}",
            i.kind, i.severity, i.title, i.body
        );
    }
}

#[test]
fn every_profile_gets_forecasts_and_a_runway() {
    for profile in [Profile::Saas, Profile::Ecommerce, Profile::Services] {
        let all = insights(&series(profile), now(), &InsightOptions::default());
        print(profile, &all);
        for metric in ["revenue", "expenses", "cash_balance"] {
            let f = all
                .iter()
                .find(|i| i.kind == InsightKind::Forecast && i.metrics[0] == metric)
                .unwrap_or_else(|| panic!("{profile}: no {metric} forecast"));
            let first = if metric == "cash_balance" {
                &f.evidence["forecast"][1] // 90 days
            } else {
                &f.evidence["forecast"][0]
            };
            let (lo, p, hi) = (
                first["lower"].as_f64().unwrap(),
                first["point"].as_f64().unwrap(),
                first["upper"].as_f64().unwrap(),
            );
            assert!(
                0.0 < lo && lo <= p && p <= hi,
                "{profile} {metric}: {lo} {p} {hi}"
            );
            assert!(
                hi < 1.5 * lo,
                "{profile} {metric}: a useless range {lo} – {hi}"
            );
        }
        // Revenue next month is within a factor of two of the same month a year earlier.
        let rev = all
            .iter()
            .find(|i| i.kind == InsightKind::Forecast && i.metrics[0] == "revenue")
            .unwrap();
        let change = rev.evidence["change"].as_f64().unwrap();
        assert!((-0.5..1.0).contains(&change), "{profile}: {change}");
        // The demo company makes money at the end of its story: not burning.
        let runway = all
            .iter()
            .find(|i| i.kind == InsightKind::Runway)
            .expect("a runway insight");
        assert_eq!(runway.evidence["status"], "not_burning", "{profile}");
        assert_eq!(runway.evidence["flow_basis"], "operating_cash_flow");
        assert!(runway.title.starts_with("Not burning cash"));
    }
}

#[test]
fn the_bad_quarter_shows_as_a_trend_change() {
    let (bad_from, bad_to) = demo::bad_quarter(start(), DAYS);
    // Every change, not only the recent ones.
    let options = InsightOptions {
        trend_recent_months: 120,
        ..InsightOptions::default()
    };
    for profile in [Profile::Saas, Profile::Ecommerce, Profile::Services] {
        let all = insights(&series(profile), now(), &options);
        let changes: Vec<&Insight> = all
            .iter()
            .filter(|i| i.kind == InsightKind::TrendChange)
            .collect();
        for c in &changes {
            println!("{profile}: {}", c.title);
        }
        assert!(
            changes.iter().any(|c| {
                let m = month_of(c);
                months_between(bad_from, m) >= -2 && months_between(bad_to, m) <= 2
            }),
            "{profile}: no trend change around the bad quarter {bad_from} – {bad_to}"
        );
    }
    // The SaaS revenue slows when the bad quarter starts.
    let saas = insights(&series(Profile::Saas), now(), &options);
    let c = saas
        .iter()
        .find(|i| i.kind == InsightKind::TrendChange && i.metrics[0] == "revenue")
        .expect("a revenue trend change");
    assert!(
        months_between(bad_from, month_of(c)).abs() <= 2,
        "{}",
        c.title
    );
    assert!(c.evidence["growth_after"].as_f64() < c.evidence["growth_before"].as_f64());
}

#[test]
fn the_large_customer_loss_shows_as_an_anomaly() {
    let loss = demo::large_customer_loss(start(), DAYS);
    let s = DailySeries::from_points(&series(Profile::Saas)["revenue"]).unwrap();
    let found = anomalies(&s.values, 7, 3.5).unwrap();
    let near: Vec<_> = found
        .iter()
        .filter(|a| (s.date_at(a.index) - loss).num_days().abs() <= 2)
        .collect();
    println!("around the loss on {loss}: {near:?}");
    assert!(
        near.iter().any(|a| a.robust_z < 0.0),
        "no low revenue day around {loss}"
    );
}

#[test]
fn insights_have_the_api_shape() {
    let all = insights(&series(Profile::Saas), now(), &InsightOptions::default());
    assert!(!all.is_empty());
    for i in &all {
        let v = serde_json::to_value(i).unwrap();
        let obj = v.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "body",
                "evidence",
                "generated_at",
                "id",
                "kind",
                "metrics",
                "severity",
                "title"
            ]
        );
        assert!(
            ["forecast", "runway", "anomaly", "trend_change"]
                .contains(&obj["kind"].as_str().unwrap())
        );
        assert!(
            ["info", "low", "medium", "high", "critical"]
                .contains(&obj["severity"].as_str().unwrap())
        );
        assert!(obj["evidence"].is_object());
        assert!(obj["evidence"]["method"].is_string());
        assert!(!obj["metrics"].as_array().unwrap().is_empty());
        assert_eq!(obj["generated_at"], "2026-01-02T09:00:00Z");
        // Round trip.
        let back: Insight = serde_json::from_value(v).unwrap();
        assert_eq!(&back, i);
    }
    // Most severe first.
    assert!(all.windows(2).all(|w| w[0].severity >= w[1].severity));
    // The same input gives the same insights.
    assert_eq!(
        all,
        insights(&series(Profile::Saas), now(), &InsightOptions::default())
    );
}

#[test]
fn days_from_today_on_are_ignored() {
    let mut map = series(Profile::Saas);
    let today = NaiveDate::from_ymd_opt(2025, 12, 20).unwrap();
    let options = InsightOptions {
        today: Some(today),
        ..InsightOptions::default()
    };
    // A half-recorded today would look like a collapse: it must not be an anomaly.
    map.get_mut("revenue")
        .unwrap()
        .iter_mut()
        .filter(|(d, _)| *d >= today)
        .for_each(|(_, v)| *v *= 0.2);
    let all = insights(&map, now(), &options);
    assert!(
        all.iter()
            .filter(|i| i.kind == InsightKind::Anomaly)
            .all(|i| i.evidence["date"].as_str().unwrap() < "2025-12-20")
    );
    let runway = all.iter().find(|i| i.kind == InsightKind::Runway).unwrap();
    assert_eq!(runway.evidence["as_of"], "2025-12-19");
}

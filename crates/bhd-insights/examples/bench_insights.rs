//! Times `insights` on five years of daily data of three series (revenue, expenses and cash
//! balance of the SaaS demo company): the insights part of an organization's recalculation.
//!
//! Run with `cargo run --release -p bhd-insights --example bench_insights [-- ITERATIONS]`.

use bhd_domain::demo::{self, Profile};
use bhd_insights::{InsightOptions, insights};
use chrono::{NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let start = NaiveDate::from_ymd_opt(2021, 1, 1).expect("a valid date");
    let days = 5 * 365 + 1;
    let mut series: BTreeMap<String, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for p in demo::simulate(Profile::Saas, start, days, 42) {
        if matches!(p.metric, "revenue" | "expenses" | "cash_balance") {
            series
                .entry(p.metric.to_string())
                .or_default()
                .push((p.date, p.value_micros as f64 / 1e6));
        }
    }
    let now = Utc
        .with_ymd_and_hms(2026, 1, 2, 9, 0, 0)
        .single()
        .expect("a valid time");
    let options = InsightOptions::default();

    // Warm up, and show what is produced.
    let produced = insights(&series, now, &options);
    for i in &produced {
        println!("[{} / {:?}] {}", i.kind, i.severity, i.title);
    }

    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            let out = insights(&series, now, &options);
            let elapsed = t.elapsed();
            assert_eq!(out.len(), produced.len());
            elapsed
        })
        .collect();
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len() as f64;
    println!(
        "insights for {} series x {days} days: {} insights; {iterations} runs: mean {:.2} ms, \
         median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        series.len(),
        produced.len(),
        mean,
        ms(times[times.len() / 2]),
        ms(times[(times.len() * 95 / 100).min(times.len() - 1)]),
        ms(times[times.len() - 1]),
    );
}

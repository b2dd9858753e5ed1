//! What the score is computed from: monthly values of canonical metrics, already aggregated by
//! kind, and a builder that makes them from raw points in the organization's time zone.
//!
//! The server builds `ScoreInput` from its monthly roll-ups; tests and the demo use
//! `InputBuilder`, which aggregates with `crate::period` exactly as the roll-ups do (flows summed,
//! stocks' last value, rates averaged). Nothing here reads the clock: `now` is passed in.

use super::weights::CategoryWeights;
use crate::metrics::{Amount, Kind, canonical_def};
use crate::org::Industry;
use crate::period::{Granularity, Partial, bucket_start, local_date, local_midnight};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything one score is computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreInput {
    /// The organization's industry profile: selects curves and factors.
    pub industry: Industry,
    /// The first day of the last complete month in the organization's time zone: KPI windows
    /// end with this month.
    pub as_of: NaiveDate,
    /// When the score is computed (recency of the data is measured against it).
    pub now: DateTime<Utc>,
    /// Monthly values by metric type and month start, aggregated by the metric's kind. Months
    /// after `as_of` are ignored.
    pub months: BTreeMap<String, BTreeMap<NaiveDate, f64>>,
    /// The instant of each metric's latest point (for recency); when a metric is missing here,
    /// the end of its latest month with a value stands in.
    #[serde(default)]
    pub last_seen: BTreeMap<String, DateTime<Utc>>,
    /// The organization's category weights; SCORING.md's defaults when None.
    #[serde(default)]
    pub weights: Option<CategoryWeights>,
    /// Process targets for `process_efficiency` (empty: the factor is absent).
    #[serde(default)]
    pub targets: Vec<ProcessTarget>,
}

/// Which side of a process target is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Lower is better (a fulfilment or resolution time): the KPI is actual / target.
    AtMost,
    /// Higher is better (a throughput): the KPI is target / actual.
    AtLeast,
}

/// A target on a metric, for the `process_efficiency` factor: meeting it scores 100, missing
/// it by a factor of two scores 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessTarget {
    /// The metric type the target is on (canonical or custom).
    pub metric: String,
    /// The target value, in the metric's unit; must be positive.
    pub target: f64,
    /// Which side of the target is good.
    pub goal: Goal,
}

impl ProcessTarget {
    /// Targets to use when an organization has set none: orders fulfilled and support requests
    /// resolved within 24 hours. They only count when the metric has data.
    pub fn defaults() -> Vec<ProcessTarget> {
        ["fulfillment_time_hours", "support_resolution_time_hours"]
            .into_iter()
            .map(|metric| ProcessTarget {
                metric: metric.to_owned(),
                target: 24.0,
                goal: Goal::AtMost,
            })
            .collect()
    }
}

/// The first day of the last complete month at `now` in `tz` (the month before the one `now`
/// falls in).
pub fn last_complete_month(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let current = local_date(bucket_start(now, Granularity::Month, tz), tz);
    month_start(current)
        .checked_sub_months(Months::new(1))
        .unwrap_or(NaiveDate::MIN)
}

/// The first day of `d`'s month.
pub(crate) fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

impl ScoreInput {
    /// An input with no data yet, default weights and the default process targets.
    pub fn new(industry: Industry, as_of: NaiveDate, now: DateTime<Utc>) -> Self {
        Self {
            industry,
            as_of: month_start(as_of),
            now,
            months: BTreeMap::new(),
            last_seen: BTreeMap::new(),
            weights: None,
            targets: ProcessTarget::defaults(),
        }
    }

    /// Sets one monthly value (`month` is moved to its first day).
    pub fn set(&mut self, metric: &str, month: NaiveDate, value: f64) {
        self.months
            .entry(metric.to_owned())
            .or_default()
            .insert(month_start(month), value);
    }
}

/// Builds a `ScoreInput` from raw points: each point goes to its local month in the
/// organization's time zone, and months combine by the metric's kind (`crate::period`).
#[derive(Debug, Clone)]
pub struct InputBuilder {
    industry: Industry,
    tz: Tz,
    now: DateTime<Utc>,
    as_of: NaiveDate,
    kinds: BTreeMap<String, Kind>,
    partials: BTreeMap<(String, NaiveDate), Partial>,
    last_seen: BTreeMap<String, DateTime<Utc>>,
    weights: Option<CategoryWeights>,
    targets: Vec<ProcessTarget>,
}

impl InputBuilder {
    /// A builder for an organization of `industry` in `tz`, scoring at `now`.
    pub fn new(industry: Industry, tz: Tz, now: DateTime<Utc>) -> Self {
        Self {
            industry,
            tz,
            now,
            as_of: last_complete_month(now, tz),
            kinds: BTreeMap::new(),
            partials: BTreeMap::new(),
            last_seen: BTreeMap::new(),
            weights: None,
            targets: ProcessTarget::defaults(),
        }
    }

    /// Declares the kind of a custom metric type (canonical types know theirs).
    #[must_use]
    pub fn kind(mut self, metric: &str, kind: Kind) -> Self {
        self.kinds.insert(metric.to_owned(), kind);
        self
    }

    /// Uses the organization's category weights.
    #[must_use]
    pub fn weights(mut self, weights: CategoryWeights) -> Self {
        self.weights = Some(weights);
        self
    }

    /// Uses the organization's process targets instead of the defaults.
    #[must_use]
    pub fn targets(mut self, targets: Vec<ProcessTarget>) -> Self {
        self.targets = targets;
        self
    }

    fn kind_of(&self, metric: &str) -> Option<Kind> {
        canonical_def(metric)
            .map(|d| d.kind)
            .or_else(|| self.kinds.get(metric).copied())
    }

    /// Adds a point recorded at `at`. Returns false (and ignores it) for a metric of unknown
    /// kind or a point after `now`.
    pub fn push(&mut self, metric: &str, at: DateTime<Utc>, value: Amount) -> bool {
        if at > self.now || self.kind_of(metric).is_none() {
            return false;
        }
        let seen = self.last_seen.entry(metric.to_owned()).or_insert(at);
        *seen = (*seen).max(at);
        let month = month_start(local_date(at, self.tz));
        let p = Partial::from_point(at, value);
        self.partials
            .entry((metric.to_owned(), month))
            .and_modify(|q| *q = q.merge(p))
            .or_insert(p);
        true
    }

    /// Adds the value of a whole local day (as the demo emits them), recorded at the day's
    /// local midnight.
    pub fn push_day(&mut self, metric: &str, day: NaiveDate, value: Amount) -> bool {
        self.push(metric, local_midnight(day, self.tz), value)
    }

    /// The input: complete months only (up to `as_of`), aggregated by kind.
    pub fn build(self) -> ScoreInput {
        let mut months: BTreeMap<String, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
        for ((metric, month), partial) in &self.partials {
            if *month > self.as_of {
                continue;
            }
            let Some(kind) = self.kind_of(metric) else {
                continue;
            };
            if let Some(v) = partial.finish(kind) {
                months
                    .entry(metric.clone())
                    .or_default()
                    .insert(*month, v.to_f64());
            }
        }
        ScoreInput {
            industry: self.industry,
            as_of: self.as_of,
            now: self.now,
            months,
            last_seen: self.last_seen,
            weights: self.weights,
            targets: self.targets,
        }
    }
}

/// A `ScoreInput` from raw points `(metric, recorded_at, value)` in time zone `tz`, with
/// default weights and targets (canonical metric types only).
pub fn input_from_points<'a, I>(
    industry: Industry,
    tz: Tz,
    now: DateTime<Utc>,
    points: I,
) -> ScoreInput
where
    I: IntoIterator<Item = (&'a str, DateTime<Utc>, Amount)>,
{
    let mut b = InputBuilder::new(industry, tz, now);
    for (metric, at, value) in points {
        b.push(metric, at, value);
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn last_complete_month_is_local() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2024-03-01T03:00Z is still February 29 in New York.
        assert_eq!(
            last_complete_month(utc("2024-03-01T03:00:00Z"), ny),
            d("2024-01-01")
        );
        assert_eq!(
            last_complete_month(utc("2024-03-01T06:00:00Z"), ny),
            d("2024-02-01")
        );
        assert_eq!(
            last_complete_month(utc("2024-01-15T00:00:00Z"), chrono_tz::UTC),
            d("2023-12-01")
        );
    }

    #[test]
    fn builder_aggregates_by_kind_in_local_months() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let now = utc("2024-04-10T00:00:00Z");
        let a = |s: &str| Amount::parse(s).unwrap();
        let mut b = InputBuilder::new(Industry::General, tokyo, now);
        // 2024-02-29T16:00Z is March 1 in Tokyo.
        assert!(b.push("revenue", utc("2024-02-29T16:00:00Z"), a("100")));
        assert!(b.push("revenue", utc("2024-03-20T00:00:00Z"), a("50.5")));
        assert!(b.push("revenue", utc("2024-02-10T00:00:00Z"), a("7")));
        assert!(b.push("cash_balance", utc("2024-03-01T00:00:00Z"), a("10")));
        assert!(b.push("cash_balance", utc("2024-03-30T00:00:00Z"), a("30")));
        assert!(b.push("nps", utc("2024-03-02T00:00:00Z"), a("10")));
        assert!(b.push("nps", utc("2024-03-03T00:00:00Z"), a("21")));
        // The current month counts for recency, not for the months.
        assert!(b.push("revenue", utc("2024-04-02T00:00:00Z"), a("1")));
        // Future points and unknown metrics are ignored.
        assert!(!b.push("revenue", utc("2024-05-01T00:00:00Z"), a("1")));
        assert!(!b.push("trial_starts", utc("2024-03-01T00:00:00Z"), a("1")));
        let mut b = b.kind("trial_starts", Kind::Flow);
        assert!(b.push("trial_starts", utc("2024-03-05T00:00:00Z"), a("3")));
        let input = b.build();
        assert_eq!(input.as_of, d("2024-03-01"));
        let rev = &input.months["revenue"];
        assert_eq!(rev.get(&d("2024-03-01")), Some(&150.5));
        assert_eq!(rev.get(&d("2024-02-01")), Some(&7.0));
        assert_eq!(rev.len(), 2);
        assert_eq!(input.months["cash_balance"][&d("2024-03-01")], 30.0);
        assert_eq!(input.months["nps"][&d("2024-03-01")], 15.5);
        assert_eq!(input.months["trial_starts"][&d("2024-03-01")], 3.0);
        assert_eq!(input.last_seen["revenue"], utc("2024-04-02T00:00:00Z"));
        assert_eq!(input.targets, ProcessTarget::defaults());
        // The input travels as JSON too (to the CLI, or a job queue), and reads back the same.
        let json = serde_json::to_string(&input).unwrap();
        assert!(
            json.contains(r#""revenue":{"2024-02-01":7.0,"2024-03-01":150.5}"#),
            "{json}"
        );
        let back: ScoreInput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, input);
    }
}

//! Whether a rule's condition holds over the facts an evaluation gathered (see the module doc of
//! `alerts` for the exact semantics of every op and target).
//!
//! Metric figures are exact: a window is aggregated by merging the days' `Partial`s and finishing
//! them by kind, as the dashboard's series are, so an alert never disagrees with the chart it
//! links to. Binary floating point enters only with the score and its factors, which are `f64`
//! in the score model; they are rounded once when turned into `Decimal`.

use super::spec::{DEFAULT_ANOMALY_WINDOW_DAYS, Op, RuleSpec, ScoreName, Target};
use crate::metrics::{Amount, Kind, canonical_def, rate_parts};
use crate::period::{Partial, ratio};
use crate::score::FactorId;
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::HashMap;

/// The figures of one stored health score (each absent when its coverage was too low).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ScoreFigures {
    /// The overall score.
    pub overall: Option<f64>,
    /// The financial category score.
    pub financial: Option<f64>,
    /// The customer category score.
    pub customer: Option<f64>,
    /// The operational category score.
    pub operational: Option<f64>,
    /// The growth category score.
    pub growth: Option<f64>,
    /// The risk category score.
    pub risk: Option<f64>,
}

impl ScoreFigures {
    /// The figure a rule on `name` watches.
    pub const fn get(&self, name: ScoreName) -> Option<f64> {
        match name {
            ScoreName::Overall => self.overall,
            ScoreName::Financial => self.financial,
            ScoreName::Customer => self.customer,
            ScoreName::Operational => self.operational,
            ScoreName::Growth => self.growth,
            ScoreName::Risk => self.risk,
        }
    }
}

/// Everything an evaluation knows about one organization, gathered by the caller beforehand.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// The evaluation's instant (score windows count back from it).
    pub now: DateTime<Utc>,
    /// Daily roll-ups per metric type, ascending by day, only days with data.
    pub daily: HashMap<String, Vec<(NaiveDate, Partial)>>,
    /// Metric kinds, canonical and custom (a canonical type missing here uses the catalogue's).
    pub kinds: HashMap<String, Kind>,
    /// The latest stored score.
    pub score: Option<ScoreFigures>,
    /// Earlier scores, ascending by time.
    pub score_history: Vec<(DateTime<Utc>, ScoreFigures)>,
    /// The latest score's factor KPI values (finite or ±∞, never NaN).
    pub factors: HashMap<FactorId, f64>,
    /// Days the insights engine flagged as anomalous, per metric type.
    pub anomalies: HashMap<String, Vec<NaiveDate>>,
}

/// The figures a verdict was reached on, for the alert's text and its stored values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Reading {
    /// The watched figure now (for change ops the current window's value, not the change).
    /// A factor KPI of +∞ (no burn: unlimited runway) is `Decimal::MAX`, −∞ `Decimal::MIN`, so
    /// that it compares beyond every threshold.
    #[serde(serialize_with = "decimal_text")]
    pub current: Decimal,
    /// The rule's value (a percent for `change_pct_*`); None for anomaly rules.
    #[serde(serialize_with = "optional_decimal_text")]
    pub threshold: Option<Decimal>,
    /// For change ops: the previous window's value, or the earlier score.
    #[serde(serialize_with = "optional_decimal_text")]
    pub baseline: Option<Decimal>,
}

// Decimal strings whatever rust_decimal's serde features another crate turns on, since a JSON
// number would come back as binary floating point.
fn decimal_text<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.normalize())
}

fn optional_decimal_text<S: serde::Serializer>(
    d: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(&d.normalize()),
        None => s.serialize_none(),
    }
}

impl Reading {
    /// The change a change op compares: `current − baseline`, or the percent change of the
    /// baseline (rounded half-even to 6 places) for `change_pct_*`; None for other ops, without a
    /// baseline, or when the baseline is zero (no percent of nothing).
    pub fn change(&self, op: Op) -> Option<Decimal> {
        if !op.is_change() {
            return None;
        }
        let baseline = self.baseline?;
        let delta = self.current.checked_sub(baseline)?;
        if !op.is_pct() {
            return Some(delta.normalize());
        }
        if baseline.is_zero() {
            return None;
        }
        let pct = delta
            .checked_mul(Decimal::ONE_HUNDRED)?
            .checked_div(baseline.abs())?;
        Some(
            pct.round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven)
                .normalize(),
        )
    }

    /// Whether the reading satisfies `op` (the figure it compares is `current`, or the change
    /// for change ops); false without a threshold, and for anomaly, which has no figure to
    /// compare.
    pub fn crosses(&self, op: Op) -> bool {
        let Some(threshold) = self.threshold else {
            return false;
        };
        let measure = if op.is_change() {
            match self.change(op) {
                Some(c) => c,
                None => return false,
            }
        } else {
            self.current
        };
        match op {
            Op::Anomaly => false,
            _ if op.is_above() => measure > threshold,
            _ => measure < threshold,
        }
    }
}

/// Whether a rule's condition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "verdict", content = "reading", rename_all = "snake_case")]
pub enum Verdict {
    /// The condition holds.
    Holds(Reading),
    /// The condition does not hold.
    Clear(Reading),
    /// The figures are missing; neither fires nor clears.
    NoData,
}

impl Verdict {
    /// The reading, unless there was no data.
    pub const fn reading(&self) -> Option<&Reading> {
        match self {
            Self::Holds(r) | Self::Clear(r) => Some(r),
            Self::NoData => None,
        }
    }

    fn of(holds: bool, reading: Reading) -> Self {
        if holds {
            Self::Holds(reading)
        } else {
            Self::Clear(reading)
        }
    }
}

/// Checks a rule against the facts. Pure and cheap: only the window's days are read.
pub fn check(spec: &RuleSpec, facts: &Facts) -> Verdict {
    let verdict = match &spec.target {
        Target::Metric(m) => check_metric(spec, m, facts),
        Target::Score(s) => check_score(spec, *s, facts),
        Target::Factor(f) => check_factor(spec, *f, facts),
    };
    verdict.unwrap_or(Verdict::NoData)
}

/// The days a metric op aggregates over (the anomaly window for anomaly).
pub(crate) fn window_days(spec: &RuleSpec) -> u32 {
    let c = &spec.condition;
    let default = if c.op == Op::Anomaly {
        DEFAULT_ANOMALY_WINDOW_DAYS
    } else {
        1
    };
    c.window_days.unwrap_or(default).max(1)
}

/// How many days of daily roll-ups the check reads, counting back from (and including) the
/// metric's latest day with data: twice the window for change ops (this window and the one
/// before), the window otherwise, 1 without one. Zero for score and factor targets, which read
/// no roll-ups.
pub fn lookback_days(spec: &RuleSpec) -> u32 {
    match spec.target {
        Target::Metric(_) if spec.condition.op.is_change() => window_days(spec).saturating_mul(2),
        Target::Metric(_) => window_days(spec),
        Target::Score(_) | Target::Factor(_) => 0,
    }
}

/// The metric types whose daily roll-ups the check reads: the target and, for a canonical rate
/// recomputed from its parts (average order value is revenue over orders), those parts.
pub fn daily_metrics(spec: &RuleSpec) -> Vec<&str> {
    let Target::Metric(m) = &spec.target else {
        return Vec::new();
    };
    let mut out = vec![m.as_str()];
    if let Some((num, den)) = rate_parts(m) {
        out.extend([num, den]);
    }
    out
}

type Series<'a> = &'a [(NaiveDate, Partial)];

/// A metric's days and how to aggregate them.
struct MetricView<'a> {
    own: Series<'a>,
    kind: Kind,
    /// Numerator and denominator of a rate the catalogue recomputes from them.
    parts: Option<(Series<'a>, Series<'a>)>,
}

impl MetricView<'_> {
    /// The latest day the metric has a value: its own latest day, or a later day on which both
    /// of its parts have data (the dashboard shows a value there too).
    fn latest(&self) -> Option<NaiveDate> {
        let own = self.own.last().map(|d| d.0);
        let parts = self
            .parts
            .and_then(|(num, den)| latest_common_day(num, den));
        own.max(parts)
    }

    /// The window `from..=to` aggregated: a rate with parts is Σ numerator / Σ denominator when
    /// both have data in the window (as the dashboard's buckets are), otherwise the metric's own
    /// days are merged and finished by kind. None when the window has no data.
    fn value(&self, from: NaiveDate, to: NaiveDate) -> Option<Decimal> {
        if let Some((num, den)) = self.parts
            && let (Some(n), Some(d)) = (merged(num, from, to), merged(den, from, to))
            && let Some(r) = ratio(&n, &d)
        {
            return Some(r.to_decimal().normalize());
        }
        merged(self.own, from, to)?
            .finish(self.kind)
            .map(|a: Amount| a.to_decimal().normalize())
    }
}

/// The days `from..=to` of an ascending series, merged; None if there are none.
///
/// Windows end at or just before the series' latest day, so walking back from the end reads
/// only the days the check needs (in order, from memory that prefetches well), where a binary
/// search would touch cold cache lines across the whole series.
fn merged(series: Series<'_>, from: NaiveDate, to: NaiveDate) -> Option<Partial> {
    let mut acc: Option<Partial> = None;
    for (day, p) in series.iter().rev() {
        if *day > to {
            continue;
        }
        if *day < from {
            break;
        }
        acc = Some(acc.map_or(*p, |a| a.merge(*p)));
    }
    acc
}

/// The latest day present in both ascending series.
fn latest_common_day(a: Series<'_>, b: Series<'_>) -> Option<NaiveDate> {
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        let (x, y) = (a[i - 1].0, b[j - 1].0);
        match x.cmp(&y) {
            std::cmp::Ordering::Equal => return Some(x),
            std::cmp::Ordering::Greater => i -= 1,
            std::cmp::Ordering::Less => j -= 1,
        }
    }
    None
}

fn back(day: NaiveDate, days: u32) -> Option<NaiveDate> {
    day.checked_sub_days(Days::new(u64::from(days)))
}

fn check_metric(spec: &RuleSpec, metric: &str, facts: &Facts) -> Option<Verdict> {
    let kind = facts
        .kinds
        .get(metric)
        .copied()
        .or_else(|| canonical_def(metric).map(|d| d.kind))?;
    let parts = rate_parts(metric).and_then(|(num, den)| {
        Some((
            facts.daily.get(num)?.as_slice(),
            facts.daily.get(den)?.as_slice(),
        ))
    });
    let view = MetricView {
        own: facts.daily.get(metric).map_or(&[], Vec::as_slice),
        kind,
        parts,
    };
    let latest = view.latest()?;
    let n = window_days(spec);
    let op = spec.condition.op;
    if op == Op::Anomaly {
        let current = view.value(latest, latest)?;
        let since = back(latest, n - 1)?;
        let flagged = facts
            .anomalies
            .get(metric)
            .is_some_and(|days| days.iter().any(|d| *d >= since));
        let reading = Reading {
            current,
            threshold: None,
            baseline: None,
        };
        return Some(Verdict::of(flagged, reading));
    }
    let threshold = spec.condition.value?;
    let current = view.value(back(latest, n - 1)?, latest)?;
    let baseline = if op.is_change() {
        Some(view.value(back(latest, 2 * n - 1)?, back(latest, n)?)?)
    } else {
        None
    };
    decide(op, current, threshold, baseline)
}

/// The verdict on a reading; None when a change op's change is undefined (zero baseline).
fn decide(
    op: Op,
    current: Decimal,
    threshold: Decimal,
    baseline: Option<Decimal>,
) -> Option<Verdict> {
    let reading = Reading {
        current,
        threshold: Some(threshold),
        baseline,
    };
    if op.is_change() {
        reading.change(op)?;
    }
    Some(Verdict::of(reading.crosses(op), reading))
}

/// An `f64` figure as a `Decimal` rounded half-even to `places`; ±∞ become `Decimal::MAX`/`MIN`
/// (as does anything beyond them), NaN nothing.
pub(crate) fn decimal_of(v: f64, places: u32) -> Option<Decimal> {
    if v.is_nan() {
        return None;
    }
    // Decimal::MAX is about 7.92e28.
    if v.is_infinite() || v.abs() >= 7.9e28 {
        return Some(if v > 0.0 { Decimal::MAX } else { Decimal::MIN });
    }
    // Only a magnitude far below the places kept can fail the exact conversion: it rounds to 0.
    let d = Decimal::from_f64_retain(v).unwrap_or(Decimal::ZERO);
    Some(
        d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
            .normalize(),
    )
}

/// Scores are shown with at most 2 decimals; comparing the shown figure keeps the text and the
/// verdict in agreement.
const SCORE_PLACES: u32 = 2;
/// Factor KPIs include fractions (churn 0.0312), so they keep an `Amount`'s 6 places: at 2 they
/// would round onto the threshold.
const FACTOR_PLACES: u32 = 6;

fn check_score(spec: &RuleSpec, name: ScoreName, facts: &Facts) -> Option<Verdict> {
    let op = spec.condition.op;
    if op == Op::Anomaly {
        return None;
    }
    let threshold = spec.condition.value?;
    let current = decimal_of(facts.score.as_ref()?.get(name)?, SCORE_PLACES)?;
    let baseline = if op.is_change() {
        let days = i64::from(spec.condition.window_days?);
        let cutoff = facts.now.checked_sub_signed(Duration::try_days(days)?)?;
        let at = facts.score_history.partition_point(|(t, _)| *t <= cutoff);
        let (_, earlier) = facts.score_history.get(at.checked_sub(1)?)?;
        Some(decimal_of(earlier.get(name)?, SCORE_PLACES)?)
    } else {
        None
    };
    decide(op, current, threshold, baseline)
}

fn check_factor(spec: &RuleSpec, factor: FactorId, facts: &Facts) -> Option<Verdict> {
    let op = spec.condition.op;
    if !matches!(op, Op::Above | Op::Below) {
        return None;
    }
    let threshold = spec.condition.value?;
    let current = decimal_of(*facts.factors.get(&factor)?, FACTOR_PLACES)?;
    decide(op, current, threshold, None)
}

//! Explanations built on a score: the drivers of a change between two scores (the exact
//! per-factor decomposition) and recommendations for the weakest factors.

use super::compute::Score;
use super::factors::{FactorId, KpiUnit};
use super::profile::curve;
use crate::metrics::Category;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One factor's part in the change of the overall score between two scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// The factor.
    pub factor: FactorId,
    /// Its category.
    pub category: Category,
    /// Its score before (null when absent then).
    pub previous_score: Option<f64>,
    /// Its score now (null when absent now).
    pub current_score: Option<f64>,
    /// Its contribution to the previous overall.
    pub previous_contribution: f64,
    /// Its contribution to the current overall.
    pub current_contribution: f64,
    /// `current_contribution − previous_contribution`: the overall points it moved. The
    /// changes of all drivers sum to the change of the overall.
    pub change: f64,
}

/// The exact decomposition of the change of the overall from `previous` to `current`: one
/// driver per factor whose contribution changed, largest move first. Empty when either overall
/// is null (there is no change to explain). The changes sum to `current.overall −
/// previous.overall` (to rounding of the last bits). Scores of different model versions are
/// decomposed the same way; factors new in one of them count as absent in the other.
pub fn drivers(previous: &Score, current: &Score) -> Vec<Driver> {
    if previous.overall.is_none() || current.overall.is_none() {
        return Vec::new();
    }
    // (category, previous (score, contribution), current (score, contribution))
    type Side = Option<(Option<f64>, f64)>;
    let mut by: BTreeMap<FactorId, (Category, Side, Side)> = BTreeMap::new();
    for c in &previous.categories {
        for f in &c.factors {
            by.entry(f.name).or_insert((c.name, None, None)).1 = Some((f.score, f.contribution));
        }
    }
    for c in &current.categories {
        for f in &c.factors {
            let e = by.entry(f.name).or_insert((c.name, None, None));
            e.0 = c.name;
            e.2 = Some((f.score, f.contribution));
        }
    }
    let mut out: Vec<Driver> = by
        .into_iter()
        .map(|(factor, (category, prev, cur))| {
            let (previous_score, previous_contribution) = prev.unwrap_or((None, 0.0));
            let (current_score, current_contribution) = cur.unwrap_or((None, 0.0));
            Driver {
                factor,
                category,
                previous_score,
                current_score,
                previous_contribution,
                current_contribution,
                change: current_contribution - previous_contribution,
            }
        })
        .filter(|d| d.change != 0.0)
        .collect();
    out.sort_by(|a, b| {
        b.change
            .abs()
            .total_cmp(&a.change.abs())
            .then(a.factor.cmp(&b.factor))
    });
    out
}

/// A next step for a weak factor, tied to the benchmark it misses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The factor.
    pub factor: FactorId,
    /// Its category.
    pub category: Category,
    /// Its score now.
    pub score: f64,
    /// Its KPI now (null when unbounded).
    pub value: Option<f64>,
    /// How the values read.
    pub unit: KpiUnit,
    /// The benchmark it misses, in words.
    pub benchmark: String,
    /// Where the benchmark comes from.
    pub source: String,
    /// The score aimed for.
    pub target_score: f64,
    /// The KPI value that reaches `target_score` on the factor's curve.
    pub target_value: Option<f64>,
    /// Overall points gained if it reached `target_score`.
    pub potential: f64,
    /// One line for people: where it stands against the benchmark.
    pub title: String,
    /// The concrete next step.
    pub action: String,
}

/// Factors scoring below this get a recommendation.
pub const RECOMMEND_BELOW: f64 = 60.0;
/// The score a recommendation aims for (a "healthy" level on every curve).
pub const RECOMMEND_TARGET: f64 = 75.0;
/// Most recommendations given at once.
pub const MAX_RECOMMENDATIONS: usize = 3;

/// Recommendations for the weakest present factors: those below `RECOMMEND_BELOW`, the ones
/// whose improvement to `RECOMMEND_TARGET` would add most to the overall first, at most
/// `MAX_RECOMMENDATIONS`.
pub fn recommendations(score: &Score) -> Vec<Recommendation> {
    let mut out: Vec<Recommendation> = score
        .categories
        .iter()
        .flat_map(|c| c.factors.iter().map(move |f| (c.name, f)))
        .filter_map(|(category, f)| {
            let s = f.score?;
            if s >= RECOMMEND_BELOW || f.effective_weight <= 0.0 {
                return None;
            }
            let def = f.name.def();
            let target_value = curve(f.name, score.industry).kpi_for(RECOMMEND_TARGET);
            let label = f.name.as_str().replace('_', " ");
            let now = f
                .value
                .map_or_else(|| "unbounded".to_owned(), |v| format_value(def.unit, v));
            let title = match target_value {
                Some(t) => format!(
                    "{label} is {now}; {} would score {RECOMMEND_TARGET:.0} (it scores {s:.0})",
                    format_value(def.unit, t)
                ),
                None => format!("{label} is {now} and scores {s:.0}"),
            };
            Some(Recommendation {
                factor: f.name,
                category,
                score: s,
                value: f.value,
                unit: def.unit,
                benchmark: def.benchmark.to_owned(),
                source: def.source.to_owned(),
                target_score: RECOMMEND_TARGET,
                target_value,
                potential: f.effective_weight * (RECOMMEND_TARGET - s),
                title,
                action: def.action.to_owned(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.potential
            .total_cmp(&a.potential)
            .then(a.score.total_cmp(&b.score))
            .then(a.factor.cmp(&b.factor))
    });
    out.truncate(MAX_RECOMMENDATIONS);
    out
}

/// A KPI value as people read it: `12.5 %`, `4.2 months`, `1.8×`, `52 days`, `85,000`.
pub fn format_value(unit: KpiUnit, v: f64) -> String {
    if !v.is_finite() {
        return "unbounded".to_owned();
    }
    match unit {
        KpiUnit::Ratio => format!("{:.1} %", v * 100.0),
        KpiUnit::Multiple => format!("{v:.2}×"),
        KpiUnit::Months => format!("{v:.1} months"),
        KpiUnit::Days => format!("{v:.0} days"),
        KpiUnit::Points => format!("{v:.1} points"),
        KpiUnit::Index => format!("{v:.2}"),
        KpiUnit::Nps => format!("{v:.0}"),
        KpiUnit::Currency => {
            let whole = v.round() as i64;
            let digits = whole.unsigned_abs().to_string();
            let mut out = String::new();
            for (i, ch) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(ch);
            }
            if whole < 0 {
                out.insert(0, '-');
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_people_expect() {
        assert_eq!(format_value(KpiUnit::Ratio, 0.1234), "12.3 %");
        assert_eq!(format_value(KpiUnit::Currency, 1_234_567.4), "1,234,567");
        assert_eq!(format_value(KpiUnit::Currency, -950.0), "-950");
        assert_eq!(format_value(KpiUnit::Months, 4.25), "4.2 months");
        assert_eq!(format_value(KpiUnit::Multiple, f64::INFINITY), "unbounded");
    }
}

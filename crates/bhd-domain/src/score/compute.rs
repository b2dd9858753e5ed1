//! The arithmetic of SCORING.md: factor scores through their curves, category and overall
//! weighted means over what is present, coverage, confidence, effective weights and
//! contributions.
//!
//! The overall is computed as the sum of the factors' contributions (effective weight × score),
//! so it equals that sum exactly and a change between two scores splits exactly into
//! per-factor parts. An absent factor is left out of every mean: it is never counted as zero.

use super::factors::{FactorId, KpiUnit, factor_defs};
use super::input::{ScoreInput, month_start};
use super::kpi::{Absent, Kpi, Kpis, kpis};
use super::profile::{Applies, applies, curve};
use super::weights::CategoryWeights;
use super::{MIN_COVERAGE, MODEL_VERSION};
use crate::metrics::Category;
use crate::org::Industry;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A health score with its full breakdown: the JSON of `GET /health/score`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0–100, or null when less than `MIN_COVERAGE` of the weight has data (see `reason`).
    pub overall: Option<f64>,
    /// The financial category's score (null without data).
    pub financial: Option<f64>,
    /// The customer category's score.
    pub customer: Option<f64>,
    /// The operational category's score.
    pub operational: Option<f64>,
    /// The growth category's score.
    pub growth: Option<f64>,
    /// The risk category's score (high means low risk).
    pub risk: Option<f64>,
    /// Share (0–1) of the model's weight that had data.
    pub coverage: f64,
    /// 0–1: the factors' confidence (recency × completeness) rolled up by effective weight.
    pub confidence: Option<f64>,
    /// Why `overall` is null, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The version of the model that computed it (`MODEL_VERSION`).
    pub model_version: String,
    /// The industry profile scored against.
    pub industry: Industry,
    /// The last complete month the KPIs end with.
    pub as_of: NaiveDate,
    /// When it was computed.
    pub calculated_at: DateTime<Utc>,
    /// The category weights used.
    pub weights: CategoryWeights,
    /// The breakdown, in SCORING.md's order.
    pub categories: Vec<CategoryScore>,
    /// What moved the score since the previous one (`drivers`), most important first.
    #[serde(default)]
    pub drivers: Vec<super::explain::Driver>,
}

/// One category of the breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryScore {
    /// The category.
    pub name: Category,
    /// Weighted mean of its present factors; null when none is present.
    pub score: Option<f64>,
    /// Its weight (0–100) among the categories.
    pub weight: u32,
    /// Its share of the overall: its weight normalised over the present categories.
    pub effective_weight: f64,
    /// Share (0–1) of its factors' weight that had data.
    pub coverage: f64,
    /// Its present factors' confidence, weighted like its score.
    pub confidence: Option<f64>,
    /// What data would unlock it, when it is null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Metric types whose data would add its missing factors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Its factors (those that apply to the industry).
    pub factors: Vec<FactorScore>,
}

/// One factor of the breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorScore {
    /// The factor.
    pub name: FactorId,
    /// The KPI, in words.
    pub kpi: String,
    /// How `value` reads.
    pub unit: KpiUnit,
    /// The KPI's value; null when absent or unbounded (see `note`).
    pub value: Option<f64>,
    /// 0–100 through the factor's curve; null when absent.
    pub score: Option<f64>,
    /// Its weight within its category.
    pub weight: f64,
    /// Its share of the overall: category weight × factor weight, normalised over what is
    /// present (0 when absent).
    pub effective_weight: f64,
    /// `effective_weight × score`: the points it adds to the overall.
    pub contribution: f64,
    /// The benchmark its curve encodes.
    pub benchmark: String,
    /// Where the benchmark comes from.
    pub source: String,
    /// 0–1: completeness × recency of its data; null when absent.
    pub confidence: Option<f64>,
    /// Whether it only counts when its data is there (not held against coverage).
    pub optional: bool,
    /// Why the value is special (for example "cash-flow positive").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why it is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent_reason: Option<String>,
}

/// The stored form: integers 0–100 (the `health_scores` table); the breakdown keeps decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScore {
    /// Rounded overall.
    pub overall: Option<u8>,
    /// Rounded financial score.
    pub financial: Option<u8>,
    /// Rounded customer score.
    pub customer: Option<u8>,
    /// Rounded operational score.
    pub operational: Option<u8>,
    /// Rounded growth score.
    pub growth: Option<u8>,
    /// Rounded risk score.
    pub risk: Option<u8>,
}

/// A 0–100 score rounded half away from zero to a whole number (clamped, so a NaN can never
/// reach storage as anything but 0).
pub fn round_score(x: f64) -> u8 {
    if x.is_nan() {
        return 0;
    }
    x.clamp(0.0, 100.0).round() as u8
}

impl Score {
    /// The rounded form to store.
    pub fn stored(&self) -> StoredScore {
        let r = |x: Option<f64>| x.map(round_score);
        StoredScore {
            overall: r(self.overall),
            financial: r(self.financial),
            customer: r(self.customer),
            operational: r(self.operational),
            growth: r(self.growth),
            risk: r(self.risk),
        }
    }

    /// The breakdown of `category`.
    pub fn category(&self, category: Category) -> Option<&CategoryScore> {
        self.categories.iter().find(|c| c.name == category)
    }

    /// The breakdown of `factor`, when it applies.
    pub fn factor(&self, factor: FactorId) -> Option<&FactorScore> {
        self.categories
            .iter()
            .flat_map(|c| &c.factors)
            .find(|f| f.name == factor)
    }

    /// Every factor of the breakdown, category by category.
    pub fn factors(&self) -> impl Iterator<Item = &FactorScore> {
        self.categories.iter().flat_map(|c| &c.factors)
    }
}

/// Scores `input`: its KPIs (`kpis`), then `score_kpis`. Drivers are left empty (see
/// `drivers`).
pub fn score(input: &ScoreInput) -> Score {
    score_kpis(
        input.industry,
        month_start(input.as_of),
        input.now,
        input.weights.unwrap_or_default(),
        &kpis(input),
    )
}

/// Factor weights inside a category: equal in v1.
const FACTOR_WEIGHT: f64 = 1.0;

/// Scores already-computed KPIs: the arithmetic alone, for the property tests and for callers
/// that measure KPIs themselves. Factors that do not apply to `industry` are ignored; a factor
/// missing from `kpis` is absent.
pub fn score_kpis(
    industry: Industry,
    as_of: NaiveDate,
    calculated_at: DateTime<Utc>,
    weights: CategoryWeights,
    kpis: &Kpis,
) -> Score {
    // First pass: factor scores, category scores and coverage.
    let mut categories: Vec<CategoryScore> = Vec::new();
    for cat in Category::ALL {
        let mut factors = Vec::new();
        let (mut present_w, mut expected_w, mut sum, mut conf) = (0.0, 0.0, 0.0, 0.0);
        let mut needs: Vec<String> = Vec::new();
        for def in factor_defs().iter().filter(|d| d.category == *cat) {
            let applies = applies(def.id, industry);
            if applies == Applies::No {
                continue;
            }
            let measured = kpis.get(&def.id).map_or_else(
                || {
                    Err(Absent {
                        reason: "not measured".to_owned(),
                        needs: def.inputs.iter().map(|m| (*m).to_owned()).collect(),
                    })
                },
                |k| match k {
                    Ok(k) if k.value.is_nan() => Err(Absent {
                        reason: "the figures give no defined value".to_owned(),
                        needs: Vec::new(),
                    }),
                    other => other.clone(),
                },
            );
            let mut f = FactorScore {
                name: def.id,
                kpi: def.kpi.to_owned(),
                unit: def.unit,
                value: None,
                score: None,
                weight: FACTOR_WEIGHT,
                effective_weight: 0.0,
                contribution: 0.0,
                benchmark: def.benchmark.to_owned(),
                source: def.source.to_owned(),
                confidence: None,
                optional: applies == Applies::Optional,
                note: None,
                absent_reason: None,
            };
            match measured {
                Ok(Kpi {
                    value,
                    confidence,
                    note,
                }) => {
                    let s = curve(def.id, industry).eval(value).clamp(0.0, 100.0);
                    let c = if confidence.is_nan() {
                        0.0
                    } else {
                        confidence.clamp(0.0, 1.0)
                    };
                    f.value = value.is_finite().then_some(value);
                    f.score = Some(s);
                    f.confidence = Some(c);
                    f.note = note;
                    present_w += f.weight;
                    expected_w += f.weight;
                    sum += f.weight * s;
                    conf += f.weight * c;
                }
                Err(a) => {
                    f.absent_reason = Some(a.reason);
                    if applies == Applies::Core {
                        expected_w += f.weight;
                        for m in a.needs {
                            if !needs.contains(&m) {
                                needs.push(m);
                            }
                        }
                    }
                }
            }
            factors.push(f);
        }
        let score = (present_w > 0.0).then(|| (sum / present_w).clamp(0.0, 100.0));
        let hint = score.is_none().then(|| {
            if needs.is_empty() {
                format!("No {cat} factor can be computed from the data yet.")
            } else {
                format!(
                    "Send or backfill {} to unlock the {cat} score.",
                    needs.join(", ")
                )
            }
        });
        categories.push(CategoryScore {
            name: *cat,
            score,
            weight: weights.get(*cat),
            effective_weight: 0.0,
            coverage: if expected_w > 0.0 {
                present_w / expected_w
            } else {
                0.0
            },
            confidence: (present_w > 0.0).then(|| conf / present_w),
            hint,
            needs,
            factors,
        });
    }

    // Second pass: effective weights and contributions over what is present.
    let total: u32 = Category::ALL.iter().map(|c| weights.get(*c)).sum();
    let present_total: f64 = categories
        .iter()
        .filter(|c| c.score.is_some())
        .map(|c| f64::from(c.weight))
        .sum();
    let coverage = if total == 0 {
        0.0
    } else {
        categories
            .iter()
            .map(|c| f64::from(c.weight) * c.coverage)
            .sum::<f64>()
            / f64::from(total)
    };
    let (mut overall_sum, mut confidence_sum, mut any) = (0.0, 0.0, false);
    for c in &mut categories {
        if c.score.is_none() || present_total <= 0.0 {
            continue;
        }
        c.effective_weight = f64::from(c.weight) / present_total;
        let factor_total: f64 = c
            .factors
            .iter()
            .filter(|f| f.score.is_some())
            .map(|f| f.weight)
            .sum();
        for f in &mut c.factors {
            if let (Some(s), Some(conf)) = (f.score, f.confidence) {
                f.effective_weight = c.effective_weight * f.weight / factor_total;
                f.contribution = f.effective_weight * s;
                overall_sum += f.contribution;
                confidence_sum += f.effective_weight * conf;
                any = true;
            }
        }
    }
    let enough = coverage + 1e-12 >= MIN_COVERAGE && present_total > 0.0 && any;
    let overall = enough.then(|| overall_sum.clamp(0.0, 100.0));
    let reason = (!enough).then(|| {
        let mut needs: Vec<&str> = Vec::new();
        for c in &categories {
            for m in &c.needs {
                if !needs.contains(&m.as_str()) {
                    needs.push(m);
                }
            }
        }
        let mut r = format!(
            "Only {:.0} % of the model's weight has data; an overall score needs at least \
             {:.0} %.",
            coverage * 100.0,
            MIN_COVERAGE * 100.0
        );
        if !needs.is_empty() {
            let shown: Vec<&str> = needs.iter().take(8).copied().collect();
            r.push_str(&format!(" Send {} to unlock more.", shown.join(", ")));
        }
        r
    });
    let cat_score = |c: Category| {
        categories
            .iter()
            .find(|x| x.name == c)
            .and_then(|x| x.score)
    };
    Score {
        overall,
        financial: cat_score(Category::Financial),
        customer: cat_score(Category::Customer),
        operational: cat_score(Category::Operational),
        growth: cat_score(Category::Growth),
        risk: cat_score(Category::Risk),
        coverage,
        confidence: any.then_some(confidence_sum.clamp(0.0, 1.0)),
        reason,
        model_version: MODEL_VERSION.to_owned(),
        industry,
        as_of,
        calculated_at,
        weights,
        categories,
        drivers: Vec::new(),
    }
}

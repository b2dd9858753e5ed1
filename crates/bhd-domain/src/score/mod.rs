//! The health-score model (SCORING.md, v1): monthly metric values in, a transparent 0–100 score
//! out, with every point traceable to a factor, the figure it was computed from and a published
//! benchmark.
//!
//! - `input`: what a score is computed from (`ScoreInput`, built by the server from monthly
//!   roll-ups, or by `InputBuilder` from raw points);
//! - `kpi`: each factor's KPI over its window of complete months, or why it is absent;
//! - `factors` and `profile`: what each factor means, its benchmark and source, its curve and
//!   whether it applies to an industry;
//! - `compute`: factor, category and overall scores, coverage, confidence, effective weights and
//!   contributions (`score`, `score_kpis`);
//! - `explain`: the drivers of a change and recommendations.
//!
//! This module must never perform I/O or read the clock (time is in the input), never count
//! missing data as zero, and never change a curve or a rule without bumping `MODEL_VERSION` and
//! updating `docs/scoring.md`.

mod compute;
mod curve;
pub mod example;
mod explain;
mod factors;
mod input;
mod kpi;
mod profile;
#[cfg(test)]
mod tests;
mod weights;

pub use compute::{CategoryScore, FactorScore, Score, StoredScore, round_score, score, score_kpis};
pub use curve::Curve;
pub use explain::{
    Driver, MAX_RECOMMENDATIONS, RECOMMEND_BELOW, RECOMMEND_TARGET, Recommendation, drivers,
    format_value, recommendations,
};
pub use factors::{FactorDef, FactorId, KpiUnit, factor_defs};
pub use input::{
    Goal, InputBuilder, ProcessTarget, ScoreInput, input_from_points, last_complete_month,
};
pub use kpi::{Absent, Kpi, Kpis, kpis};
pub use profile::{Applies, applies, curve};
pub use weights::{CategoryWeights, WeightsError};

/// The version of the model; stored with every score.
pub const MODEL_VERSION: &str = "1.0.0";

/// Below this share of the model's weight with data, the overall is null.
pub const MIN_COVERAGE: f64 = 0.25;

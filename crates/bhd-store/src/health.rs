//! Health scores and insights: the [`HealthStore`] part of [`crate::Store`], and the plain data
//! it reads and writes.
//!
//! Every calculation is kept (`health_scores` is a history, one row per calculation) with the
//! insights generated with it (`insights.score_id`). Scores are stored as whole numbers 0–100
//! (None: not enough data), coverage and confidence as exact basis points, and the full
//! breakdown (every decimal) as JSON. The queries live in `health_sql.rs`, compiled once per
//! engine like `common.rs`.

use crate::{DailyRollup, Debounce, Organization, Result, StreamEvent};
use async_trait::async_trait;
use bhd_domain::{MetricDef, OrgId};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;

/// One basis point is 1/10,000: coverage and confidence (0–1) are stored as 0–10,000.
pub const BASIS_POINTS: f64 = 10_000.0;

/// A fraction 0–1 as whole basis points (rounded half away from zero, clamped; NaN is 0).
pub fn to_basis_points(x: f64) -> i32 {
    if x.is_nan() {
        return 0;
    }
    (x.clamp(0.0, 1.0) * BASIS_POINTS).round() as i32
}

/// Basis points back to a fraction 0–1.
pub fn from_basis_points(bp: i32) -> f64 {
    f64::from(bp) / BASIS_POINTS
}

/// The whole-number scores of one calculation, with coverage and confidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthFigures {
    pub overall: Option<u8>,
    pub financial: Option<u8>,
    pub customer: Option<u8>,
    pub operational: Option<u8>,
    pub growth: Option<u8>,
    pub risk: Option<u8>,
    /// Share of the model's weight with data, in basis points (0–10,000).
    pub coverage_bp: i32,
    /// The confidence rolled up over the present factors, in basis points; None with no factor.
    pub confidence_bp: Option<i32>,
}

/// A calculation to store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHealth {
    pub figures: HealthFigures,
    /// The model version that computed it.
    pub model_version: String,
    /// The full score with its breakdown, decimals included.
    pub breakdown: Value,
    pub calculated_at: DateTime<Utc>,
}

/// A stored calculation with its breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRecord {
    pub id: Uuid,
    pub health: StoredHealth,
}

/// A stored calculation without its breakdown (the history).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthPoint {
    pub id: Uuid,
    pub figures: HealthFigures,
    pub model_version: String,
    pub calculated_at: DateTime<Utc>,
}

/// An insight to store with a calculation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInsight {
    /// What it is about: `driver`, `recommendation`, `forecast`, `runway`, `anomaly`, …
    pub kind: String,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    pub title: String,
    pub body: String,
    /// The figures it rests on (a JSON object).
    pub evidence: Value,
    /// The metric types it rests on.
    pub metrics: Vec<String>,
    pub generated_at: DateTime<Utc>,
}

/// A stored insight.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightRecord {
    pub id: Uuid,
    /// The calculation it was generated with.
    pub score_id: Uuid,
    pub insight: NewInsight,
}

/// A calculation to store, with what goes with it in the same transaction.
#[derive(Debug, Clone)]
pub struct NewScore<'a> {
    pub health: StoredHealth,
    pub insights: &'a [NewInsight],
    /// The stream event that announces it (type and data), logged with it at its
    /// `calculated_at`, so that it is in the log exactly when the score is stored.
    pub event: Option<(&'a str, Value)>,
    /// A debounced job to run after it (the alert evaluation), enqueued with it.
    pub follow_up: Option<FollowUp<'a>>,
}

/// A debounced job enqueued with a calculation.
#[derive(Debug, Clone, Copy)]
pub struct FollowUp<'a> {
    pub kind: &'a str,
    pub dedupe_key: &'a str,
    pub debounce: Debounce,
}

/// A stored calculation: its id and the event logged with it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedScore {
    pub id: Uuid,
    pub event: Option<StreamEvent>,
}

/// Everything a recalculation reads, in one transaction (one connection's round trips, not
/// five transactions': the nightly recomputation does this for every organization).
#[derive(Debug, Clone)]
pub struct ScoreInputs {
    pub organization: Organization,
    /// The organization's custom metric types.
    pub custom_types: Vec<MetricDef>,
    /// Monthly roll-ups of every metric from the month asked for on, by metric then month
    /// (`day` is the month's first day).
    pub monthly: Vec<DailyRollup>,
    /// Daily roll-ups of the metrics asked for over the days asked for, by day within each
    /// metric (each metric's days together).
    pub daily: Vec<DailyRollup>,
    /// The latest stored calculation.
    pub latest: Option<HealthRecord>,
}

/// Most rows `score_history` answers.
pub const MAX_HISTORY: u32 = 5_000;

/// Health scores and their insights. Part of [`crate::Store`].
#[async_trait]
pub trait HealthStore: Send + Sync + 'static {
    /// Stores a calculation, its insights, its event and its follow-up job in one transaction.
    async fn save_score(&self, org: OrgId, score: NewScore<'_>) -> Result<SavedScore>;
    /// What a recalculation reads: the organization, its custom metric types, the monthly
    /// roll-ups of local months from `from_month` (a month's first day) on, the daily roll-ups
    /// of each `(metric, first day)` of `daily` for its local days up to `daily_to`, and the
    /// latest calculation.
    async fn score_inputs(
        &self,
        org: OrgId,
        from_month: NaiveDate,
        daily: &[(&str, NaiveDate)],
        daily_to: NaiveDate,
    ) -> Result<ScoreInputs>;
    /// The latest calculation (by `calculated_at`), if any.
    async fn latest_score(&self, org: OrgId) -> Result<Option<HealthRecord>>;
    /// Calculations with `from <= calculated_at < to`, oldest first; the latest `limit` of
    /// them when there are more (at most `MAX_HISTORY`).
    async fn score_history(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<HealthPoint>>;
    /// The insights of the latest calculation, in the order they were stored.
    async fn insights(&self, org: OrgId) -> Result<Vec<InsightRecord>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_points_are_exact_and_bounded() {
        assert_eq!(to_basis_points(0.775), 7750);
        assert_eq!(to_basis_points(1.0), 10_000);
        assert_eq!(to_basis_points(1.5), 10_000);
        assert_eq!(to_basis_points(-0.1), 0);
        assert_eq!(to_basis_points(f64::NAN), 0);
        assert_eq!(to_basis_points(0.123_45), 1235);
        assert_eq!(from_basis_points(7750), 0.775);
    }
}

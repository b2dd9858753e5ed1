//! The health score over HTTP: computing it from the organization's monthly roll-ups
//! ([`recalculate`]), storing every calculation with its insights, and serving the latest
//! score, the history, the insights and the organization's category weights.
//!
//! - `GET /health/score`: the latest stored calculation. When the organization has none yet,
//!   the first request computes and stores one and answers it (a new organization sees its
//!   `null` scores with the hints of what to send, never a 404).
//! - `GET /health/history?from&to`: stored calculations over time, as whole numbers.
//! - `GET /insights`: the insights of the latest calculation.
//! - `POST /health/recalculate`: 202; the calculation runs in a spawned task.
//! - `GET`/`PUT /health/weights`: the organization's category weights, kept in its settings
//!   as `settings.score_weights`; they apply from the next calculation.
//!
//! Reads need read access, recalculation the member role (or the ingest scope), weights the
//! admin role (or the admin scope).

use crate::audit::Actor;
use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult, FieldError, Fields};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use bhd_domain::metrics::Kind;
use bhd_domain::score::{
    self, CategoryWeights, Driver, Recommendation, Score, ScoreInput, StoredScore,
    last_complete_month,
};
use bhd_domain::{Access, Category, OrgId, TimeZone};
use bhd_store::{
    DailyRollup, FollowUp, HealthFigures, HealthPoint, InsightRecord, NewInsight, NewScore,
    StoredHealth, from_basis_points, to_basis_points,
};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The health routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_score))
        .routes(routes!(history))
        .routes(routes!(list_insights))
        .routes(routes!(request_recalculation))
        .routes(routes!(get_weights, put_weights))
}

/// Complete months read before the last complete one: 24, so that year-over-year windows
/// (3 months against the same 3 a year earlier) and 12-month windows have their history.
pub const HISTORY_MONTHS: u32 = 24;
/// The key of the weights override in the organization's settings.
pub const WEIGHTS_SETTING: &str = "score_weights";
/// Drivers reported as insights (the largest moves).
const MAX_DRIVER_INSIGHTS: usize = 3;
/// Smaller moves of the overall (in points) are not worth an insight.
const MIN_DRIVER_CHANGE: f64 = 0.1;

/// The organization's category weights from its settings: None when it has set none, or when
/// what is stored is not valid (refused by the weights endpoint; the defaults apply).
pub fn weights_from_settings(settings: &Value) -> Option<CategoryWeights> {
    let raw = settings.get(WEIGHTS_SETTING)?;
    match serde_json::from_value::<CategoryWeights>(raw.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "stored score weights are invalid; using the defaults");
            None
        }
    }
}

/// The score input from monthly roll-ups (`rows`, sorted by metric then month): each month's
/// value aggregated by the metric's kind (flow summed, stock the last value, rate averaged),
/// complete months only (up to `as_of`); `last_seen` from each metric's latest point,
/// the running month included. Metrics of unknown kind are skipped.
pub fn input_from_rollups(
    industry: bhd_domain::Industry,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    rows: &[DailyRollup],
    kinds: &HashMap<String, Kind>,
) -> ScoreInput {
    let mut input = ScoreInput::new(industry, as_of, now);
    // Rows come grouped by metric: its kind and last point are looked up once per group (the
    // nightly recomputation does this for every organization).
    for group in rows.chunk_by(|a, b| a.metric_type == b.metric_type) {
        let metric = &group[0].metric_type;
        let Some(kind) = kinds.get(metric) else {
            continue;
        };
        let Some(last_at) = group.iter().map(|r| r.partial.last_at).max() else {
            continue;
        };
        let seen = input.last_seen.entry(metric.clone()).or_insert(last_at);
        *seen = (*seen).max(last_at);
        for r in group.iter().filter(|r| r.day <= as_of) {
            if let Some(v) = r.partial.finish(*kind) {
                input.set(metric, r.day, v.to_f64());
            }
        }
    }
    input
}

/// Computes the organization's score now (`app.clock`), sets its drivers against the
/// previous stored score, stores it with its insights, its `score.updated` event and the alert
/// evaluation that follows it (one transaction), then sends the event and answers the score.
/// Everything it reads comes from one read transaction: the nightly recomputation runs this
/// for every organization, and round trips, not rows, are most of its database time.
pub async fn recalculate(app: &AppState, org: OrgId) -> ApiResult<Score> {
    recalculate_then(app, org, Evaluation::Queued).await
}

/// When the alert rules are evaluated after a stored score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// A debounced `alerts.evaluate` job, queued in the score's transaction (a score after an
    /// ingest: the ingest's own evaluation is merged with it).
    Queued,
    /// Right after the score, by the caller's task (the nightly batches: a job of its own per
    /// organization would cost the queue two more transactions for each one). An evaluation
    /// that fails is queued instead, to be retried.
    Inline,
}

/// [`recalculate`], with the alert evaluation that follows the score run as `evaluation` says.
pub async fn recalculate_then(
    app: &AppState,
    org: OrgId,
    evaluation: Evaluation,
) -> ApiResult<Score> {
    // Microseconds: what both engines keep, so the stored time equals the breakdown's.
    let now = app.clock.now().trunc_subsecs(6);
    // The time zone is only known once the organization is read, in the same transaction as
    // the roll-ups: read a little wide around UTC's dates (every zone is within a day of UTC),
    // then cut to the organization's local months and days below.
    let utc_today = now.date_naive();
    let wide_from_month = utc_today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(HISTORY_MONTHS + 2)))
        .unwrap_or(utc_today);
    let daily: Vec<(&str, NaiveDate)> = INSIGHT_METRICS
        .iter()
        .map(|(m, days)| (*m, utc_today - Duration::days(days + 1)))
        .collect();
    let inputs = app
        .store
        .score_inputs(org, wide_from_month, &daily, utc_today + Duration::days(1))
        .await?;
    let o = inputs.organization;
    let tz = TimeZone::parse(&o.timezone)
        .map(|t| t.tz())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored time zone: {e}")))?;
    let as_of = last_complete_month(now, tz);
    let from = as_of
        .checked_sub_months(Months::new(HISTORY_MONTHS))
        .unwrap_or(as_of);
    let mut monthly = inputs.monthly;
    monthly.retain(|r| r.day >= from);
    let kinds: HashMap<String, Kind> = bhd_domain::metrics::canonical()
        .iter()
        .chain(inputs.custom_types.iter())
        .map(|d| (d.name.to_string(), d.kind))
        .collect();
    let mut input = input_from_rollups(o.industry, as_of, now, &monthly, &kinds);
    input.weights = weights_from_settings(&o.settings);
    let mut current = score::score(&input);
    let previous = inputs.latest.and_then(|r| {
        match serde_json::from_value::<Score>(r.health.breakdown) {
            Ok(s) => Some(s),
            Err(e) => {
                // A breakdown this version cannot read: no drivers this time.
                tracing::warn!(score = %r.id, error = %e, "previous score unreadable");
                None
            }
        }
    });
    if let Some(prev) = &previous {
        current.drivers = score::drivers(prev, &current);
    }
    let recs = score::recommendations(&current);
    let mut insights = score_insights(&current, previous.as_ref(), &recs, now);
    insights.extend(extra_insights(&o, tz, &inputs.daily, now).await?);
    let breakdown = serde_json::to_value(&current)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("serialising a score: {e}")))?;
    let event = serde_json::json!({
        "overall": current.overall,
        "financial": current.financial,
        "customer": current.customer,
        "operational": current.operational,
        "growth": current.growth,
        "risk": current.risk,
        "coverage": current.coverage,
        "confidence": current.confidence,
        "model_version": current.model_version,
        "calculated_at": now,
    });
    let alert_key = crate::alerts::evaluate::key(org);
    let stored_figures = figures(&current);
    let saved = app
        .store
        .save_score(
            org,
            NewScore {
                health: StoredHealth {
                    figures: stored_figures,
                    model_version: current.model_version.clone(),
                    breakdown,
                    calculated_at: now,
                },
                insights: &insights,
                event: Some((crate::realtime::kinds::SCORE_UPDATED, event)),
                follow_up: (evaluation == Evaluation::Queued).then_some(FollowUp {
                    kind: crate::alerts::evaluate::EVALUATE,
                    dedupe_key: &alert_key,
                    debounce: crate::alerts::evaluate::DEBOUNCE,
                }),
            },
        )
        .await?;
    if let Some(event) = saved.event {
        crate::realtime::send_logged(app, event).await;
    }
    match evaluation {
        Evaluation::Queued => crate::jobs::wake(),
        Evaluation::Inline => {
            let known = crate::alerts::evaluate::Known {
                figures: &stored_figures,
                score: &current,
            };
            if let Err(e) = crate::alerts::evaluate::evaluate_after(app, org, Some(known)).await {
                tracing::warn!(error = format!("{e:#}"), org = %org, "alert evaluation after a score failed; queued");
                crate::alerts::evaluate::soon(app, org).await;
            }
        }
    }
    Ok(current)
}

/// Daily history read for the forecasts: three years and a day, so that a yearly season can be
/// removed from growth before looking for trend changes.
const INSIGHT_DAYS: i64 = 3 * 365 + 1;

/// Daily history read for the runway alone (the cash balance and the flows the net cash flow
/// is made from): its fit window before the last cash balance, and a quarter more, so that a
/// balance up to three months old is projected from a whole window. A third of what the
/// flows' forecasts read, and these are four of the six series.
const RUNWAY_DAYS: i64 = bhd_insights::runway::FIT_DAYS as i64 + 92;

/// The daily series the insights read and how many days back each (a few thousand rows, not
/// every metric's history).
const INSIGHT_METRICS: [(&str, i64); 6] = {
    use bhd_insights::insight::names;
    [
        (names::REVENUE, INSIGHT_DAYS),
        (names::EXPENSES, INSIGHT_DAYS),
        (names::COGS, RUNWAY_DAYS),
        (names::OPERATING_CASH_FLOW, RUNWAY_DAYS),
        (names::NET_PROFIT, RUNWAY_DAYS),
        (names::CASH, RUNWAY_DAYS),
    ]
};

/// Insights that do not come from the score itself: forecasts, runway, anomalies and trend
/// changes, computed by `bhd-insights` from the daily roll-ups of [`INSIGHT_METRICS`], each over
/// its number of last local days (off the async runtime: model fitting is CPU work).
pub async fn extra_insights(
    o: &bhd_store::Organization,
    tz: chrono_tz::Tz,
    rows: &[DailyRollup],
    now: DateTime<Utc>,
) -> ApiResult<Vec<NewInsight>> {
    let today = bhd_domain::period::local_date(now, tz);
    let mut series: std::collections::BTreeMap<String, Vec<(NaiveDate, f64)>> =
        std::collections::BTreeMap::new();
    // Rows come grouped by metric: one definition lookup and one map entry per group.
    for group in rows.chunk_by(|a, b| a.metric_type == b.metric_type) {
        let metric = &group[0].metric_type;
        let (Some(def), Some((_, days))) = (
            bhd_domain::metrics::canonical_def(metric),
            INSIGHT_METRICS.iter().find(|(m, _)| m == metric),
        ) else {
            continue;
        };
        let first = today - Duration::days(*days);
        let points: Vec<(NaiveDate, f64)> = group
            .iter()
            .filter(|r| r.day >= first && r.day <= today)
            .filter_map(|r| Some((r.day, r.partial.finish(def.kind)?.to_f64())))
            .collect();
        if !points.is_empty() {
            series.entry(metric.clone()).or_default().extend(points);
        }
    }
    if series.is_empty() {
        return Ok(Vec::new());
    }
    let options = bhd_insights::InsightOptions {
        currency: Some(o.currency.as_str().to_owned()),
        today: Some(today),
        ..bhd_insights::InsightOptions::default()
    };
    let found = tokio::task::spawn_blocking(move || bhd_insights::insights(&series, now, &options))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("insights task: {e}")))?;
    Ok(found
        .into_iter()
        .map(|i| NewInsight {
            kind: i.kind.as_str().to_owned(),
            severity: serde_json::to_value(i.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "info".to_owned()),
            title: i.title,
            body: i.body,
            evidence: i.evidence,
            metrics: i.metrics,
            generated_at: now,
        })
        .collect())
}

/// The whole-number form of a score, with coverage and confidence in basis points.
pub fn figures(s: &Score) -> HealthFigures {
    let StoredScore {
        overall,
        financial,
        customer,
        operational,
        growth,
        risk,
    } = s.stored();
    HealthFigures {
        overall,
        financial,
        customer,
        operational,
        growth,
        risk,
        coverage_bp: to_basis_points(s.coverage),
        confidence_bp: s.confidence.map(to_basis_points),
    }
}

fn label(factor: score::FactorId) -> String {
    factor.as_str().replace('_', " ")
}

fn inputs_of(factor: score::FactorId) -> Vec<String> {
    factor
        .def()
        .inputs
        .iter()
        .map(|m| (*m).to_owned())
        .collect()
}

fn driver_severity(change: f64) -> &'static str {
    if change <= -5.0 {
        "high"
    } else if change <= -2.0 {
        "medium"
    } else if change < 0.0 {
        "low"
    } else {
        "info"
    }
}

fn recommendation_severity(score: f64) -> &'static str {
    if score < 30.0 {
        "high"
    } else if score < 45.0 {
        "medium"
    } else {
        "low"
    }
}

fn fmt_score(s: Option<f64>) -> String {
    s.map_or_else(|| "absent".to_owned(), |v| format!("{v:.0}"))
}

/// The insights a score gives by itself: its largest drivers since `previous` (kind `driver`)
/// and its recommendations (kind `recommendation`), each with its evidence.
pub fn score_insights(
    current: &Score,
    previous: Option<&Score>,
    recs: &[Recommendation],
    now: DateTime<Utc>,
) -> Vec<NewInsight> {
    let mut out = Vec::new();
    let drivers: Vec<&Driver> = current
        .drivers
        .iter()
        .filter(|d| d.change.abs() >= MIN_DRIVER_CHANGE)
        .take(MAX_DRIVER_INSIGHTS)
        .collect();
    for d in drivers {
        let verb = if d.change < 0.0 { "lowered" } else { "raised" };
        let since = previous.map_or_else(String::new, |p| {
            format!(" since the calculation of {}", p.calculated_at.date_naive())
        });
        out.push(NewInsight {
            kind: "driver".into(),
            severity: driver_severity(d.change).into(),
            title: format!(
                "{} {verb} the overall score by {:.1} points",
                label(d.factor),
                d.change.abs()
            ),
            body: format!(
                "Its score went from {} to {}{since}; its contribution to the overall went from \
                 {:.2} to {:.2} points.",
                fmt_score(d.previous_score),
                fmt_score(d.current_score),
                d.previous_contribution,
                d.current_contribution
            ),
            evidence: json!({
                "factor": d.factor,
                "category": d.category,
                "previous_score": d.previous_score,
                "current_score": d.current_score,
                "previous_contribution": d.previous_contribution,
                "current_contribution": d.current_contribution,
                "change": d.change,
                "previous_overall": previous.and_then(|p| p.overall),
                "current_overall": current.overall,
                "previous_calculated_at": previous.map(|p| p.calculated_at),
                "as_of": current.as_of,
            }),
            metrics: inputs_of(d.factor),
            generated_at: now,
        });
    }
    for r in recs {
        out.push(NewInsight {
            kind: "recommendation".into(),
            severity: recommendation_severity(r.score).into(),
            title: r.title.clone(),
            body: format!(
                "{} Benchmark: {}. Reaching a score of {:.0} would add {:.1} points to the \
                 overall.",
                r.action, r.benchmark, r.target_score, r.potential
            ),
            evidence: json!({
                "factor": r.factor,
                "category": r.category,
                "score": r.score,
                "value": r.value,
                "unit": r.unit,
                "target_score": r.target_score,
                "target_value": r.target_value,
                "potential": r.potential,
                "benchmark": r.benchmark,
                "source": r.source,
                "as_of": current.as_of,
            }),
            metrics: inputs_of(r.factor),
            generated_at: now,
        });
    }
    out
}

// --- HTTP ------------------------------------------------------------------------------------

/// The latest score as served: the full breakdown with decimals, its id, the stored whole
/// numbers and the recommendations.
#[derive(Debug, Serialize)]
pub struct ScoreAnswer {
    pub id: Uuid,
    #[serde(flatten)]
    pub score: Score,
    /// The whole numbers 0–100 stored for the history.
    pub stored: StoredScore,
    pub recommendations: Vec<Recommendation>,
}

/// Documents `GET /health/score` (the answer is the domain's `Score` with a few fields more).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct HealthScoreDto {
    id: Uuid,
    /// 0–100 with decimals, or null when less than a quarter of the model's weight has data
    /// (see `reason`).
    overall: Option<f64>,
    financial: Option<f64>,
    customer: Option<f64>,
    operational: Option<f64>,
    growth: Option<f64>,
    /// High means low risk.
    risk: Option<f64>,
    /// Share (0–1) of the model's weight that had data.
    coverage: f64,
    /// 0–1, from the recency and completeness of the data.
    confidence: Option<f64>,
    /// Why `overall` is null, when it is.
    reason: Option<String>,
    #[schema(example = "1.0.0")]
    model_version: String,
    #[schema(example = "saas")]
    industry: String,
    /// The last complete month the KPIs end with.
    as_of: NaiveDate,
    calculated_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    weights: Value,
    categories: Vec<CategoryDoc>,
    /// Per factor, the overall points it moved since the previous calculation; they sum to
    /// the change of the overall.
    #[schema(value_type = Vec<Object>)]
    drivers: Vec<Value>,
    /// The whole numbers stored for the history.
    #[schema(value_type = Object)]
    stored: Value,
    #[schema(value_type = Vec<Object>)]
    recommendations: Vec<Value>,
}

/// One category of the breakdown.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CategoryDoc {
    #[schema(example = "financial")]
    name: String,
    score: Option<f64>,
    weight: u32,
    effective_weight: f64,
    coverage: f64,
    confidence: Option<f64>,
    /// What data would unlock it, when it is null.
    hint: Option<String>,
    needs: Vec<String>,
    factors: Vec<FactorDoc>,
}

/// One factor of the breakdown.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct FactorDoc {
    #[schema(example = "profit_margin")]
    name: String,
    kpi: String,
    unit: String,
    value: Option<f64>,
    score: Option<f64>,
    weight: f64,
    effective_weight: f64,
    contribution: f64,
    benchmark: String,
    source: String,
    confidence: Option<f64>,
    optional: bool,
    note: Option<String>,
    absent_reason: Option<String>,
}

/// The latest health score with its breakdown (computed and stored on the first request when
/// there is none yet).
#[utoipa::path(get, path = "/api/v1/health/score", tag = "health",
    responses((status = 200, body = HealthScoreDto), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn get_score(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<ScoreAnswer>> {
    auth.require(Access::Read)?;
    let org = auth.org();
    let (id, score) = match app.store.latest_score(org).await? {
        Some(r) => {
            let s: Score = serde_json::from_value(r.health.breakdown)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored score {}: {e}", r.id)))?;
            (r.id, s)
        }
        None => {
            recalculate(&app, org).await?;
            let r =
                app.store.latest_score(org).await?.ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("the new score is missing"))
                })?;
            let s: Score = serde_json::from_value(r.health.breakdown)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored score {}: {e}", r.id)))?;
            (r.id, s)
        }
    };
    Ok(Json(ScoreAnswer {
        id,
        stored: score.stored(),
        recommendations: score::recommendations(&score),
        score,
    }))
}

/// History query parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Start (RFC 3339); default a year before `to`.
    from: Option<String>,
    /// End, exclusive (RFC 3339); default just after now.
    to: Option<String>,
}

/// One stored calculation.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    id: Uuid,
    overall: Option<u8>,
    financial: Option<u8>,
    customer: Option<u8>,
    operational: Option<u8>,
    growth: Option<u8>,
    risk: Option<u8>,
    /// 0–1.
    coverage: f64,
    /// 0–1.
    confidence: Option<f64>,
    model_version: String,
    calculated_at: DateTime<Utc>,
}

impl From<HealthPoint> for HistoryItem {
    fn from(p: HealthPoint) -> Self {
        let f = p.figures;
        Self {
            id: p.id,
            overall: f.overall,
            financial: f.financial,
            customer: f.customer,
            operational: f.operational,
            growth: f.growth,
            risk: f.risk,
            coverage: from_basis_points(f.coverage_bp),
            confidence: f.confidence_bp.map(from_basis_points),
            model_version: p.model_version,
            calculated_at: p.calculated_at,
        }
    }
}

/// Stored scores over time.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// Oldest first; the latest 5,000 when there are more.
    items: Vec<HistoryItem>,
}

/// Stored scores over time, as whole numbers 0–100, oldest first.
#[utoipa::path(get, path = "/api/v1/health/history", tag = "health", params(HistoryQuery),
    responses((status = 200, body = HistoryDto), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn history(
    State(app): State<AppState>,
    auth: Auth,
    q: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<HistoryDto>> {
    auth.require(Access::Read)?;
    let Query(q) = q?;
    let mut f = Fields::default();
    let parse_t = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "must be an RFC 3339 timestamp with an offset")
    };
    let to = f
        .check_opt("to", q.to.as_deref().map(parse_t))
        .unwrap_or_else(|| app.clock.now() + Duration::seconds(1));
    let from = f
        .check_opt("from", q.from.as_deref().map(parse_t))
        .unwrap_or_else(|| to - Duration::days(366));
    f.finish()?;
    if from > to {
        return Err(ApiError::field("from", "must not be after to"));
    }
    let items = app
        .store
        .score_history(auth.org(), from, to, bhd_store::MAX_HISTORY)
        .await?;
    Ok(Json(HistoryDto {
        from,
        to,
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// An insight of the latest calculation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsightDto {
    id: Uuid,
    /// driver, recommendation (and, as they arrive, forecast, runway, anomaly, trend_change).
    #[schema(example = "recommendation")]
    kind: String,
    /// info, low, medium, high or critical.
    #[schema(example = "medium")]
    severity: String,
    title: String,
    body: String,
    /// The figures it rests on.
    #[schema(value_type = Object)]
    evidence: Value,
    /// The metric types it rests on.
    metrics: Vec<String>,
    generated_at: DateTime<Utc>,
}

impl From<InsightRecord> for InsightDto {
    fn from(r: InsightRecord) -> Self {
        let i = r.insight;
        Self {
            id: r.id,
            kind: i.kind,
            severity: i.severity,
            title: i.title,
            body: i.body,
            evidence: i.evidence,
            metrics: i.metrics,
            generated_at: i.generated_at,
        }
    }
}

/// The insights of the latest calculation (empty before the first).
#[utoipa::path(get, path = "/api/v1/insights", tag = "health",
    responses((status = 200, body = Vec<InsightDto>)), security(("bearer" = [])))]
async fn list_insights(
    State(app): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<InsightDto>>> {
    auth.require(Access::Read)?;
    let rows = app.store.insights(auth.org()).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// The answer to a recalculation request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    #[schema(example = "accepted")]
    status: String,
}

/// Requests a new calculation (member): queued as a job and answered at once with 202; the
/// new score is stored when it is done and appears in `GET /health/score`.
#[utoipa::path(post, path = "/api/v1/health/recalculate", tag = "health",
    responses((status = 202, body = Accepted), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn request_recalculation(
    State(app): State<AppState>,
    auth: Auth,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    auth.require(Access::Write)?;
    let org = auth.org();
    // Through the durable queue: the calculation survives a restart and is retried on failure.
    let job = bhd_store::NewJob::for_org(crate::jobs::RECALCULATE, org, app.clock.now());
    crate::jobs::enqueue(&app, job)
        .await
        .map_err(ApiError::Internal)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "accepted".into(),
        }),
    ))
}

/// Category weights (whole numbers 0–100 summing to 100).
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightsDto {
    financial: u32,
    customer: u32,
    operational: u32,
    growth: u32,
    risk: u32,
    /// Whether these are the model's defaults (the organization has set none).
    default: bool,
}

impl WeightsDto {
    fn new(w: CategoryWeights, default: bool) -> Self {
        Self {
            financial: w.get(Category::Financial),
            customer: w.get(Category::Customer),
            operational: w.get(Category::Operational),
            growth: w.get(Category::Growth),
            risk: w.get(Category::Risk),
            default,
        }
    }
}

/// The organization's category weights (the defaults when it has set none).
#[utoipa::path(get, path = "/api/v1/health/weights", tag = "health",
    responses((status = 200, body = WeightsDto)), security(("bearer" = [])))]
async fn get_weights(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<WeightsDto>> {
    auth.require(Access::Read)?;
    let o = app.store.organization(auth.org()).await?;
    Ok(Json(match weights_from_settings(&o.settings) {
        Some(w) => WeightsDto::new(w, false),
        None => WeightsDto::new(CategoryWeights::default(), true),
    }))
}

/// New category weights.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct WeightsInput {
    financial: i64,
    customer: i64,
    operational: i64,
    growth: i64,
    risk: i64,
}

/// Checks submitted weights field by field: each present, a whole number from 0 to 100, no
/// other field; then that they sum to 100 (reported on `weights`).
pub fn parse_weights(body: &Value) -> Result<CategoryWeights, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError {
            field: "weights".into(),
            message: "must be an object with financial, customer, operational, growth and risk"
                .into(),
        }]);
    };
    for key in obj.keys() {
        if !Category::ALL.iter().any(|c| c.as_str() == key) {
            errors.push(FieldError {
                field: key.clone(),
                message: "is not a category (financial, customer, operational, growth, risk)"
                    .into(),
            });
        }
    }
    let mut got = [0i64; 5];
    for (slot, c) in got.iter_mut().zip(Category::ALL) {
        let field = c.as_str();
        match obj.get(field) {
            None | Some(Value::Null) => errors.push(FieldError {
                field: field.into(),
                message: "is required".into(),
            }),
            Some(v) => match v.as_i64().filter(|n| (0..=100).contains(n)) {
                Some(n) => *slot = n,
                None => errors.push(FieldError {
                    field: field.into(),
                    message: "must be a whole number from 0 to 100".into(),
                }),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let [financial, customer, operational, growth, risk] = got;
    CategoryWeights::new(financial, customer, operational, growth, risk).map_err(|e| {
        vec![FieldError {
            field: e.field(),
            message: e.to_string(),
        }]
    })
}

/// Sets the organization's category weights (admin): five whole numbers from 0 to 100 that
/// sum to 100. They apply from the next calculation.
#[utoipa::path(put, path = "/api/v1/health/weights", tag = "health", request_body = WeightsInput,
    responses((status = 200, body = WeightsDto), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn put_weights(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<WeightsDto>> {
    auth.require(Access::Admin)?;
    let weights = parse_weights(&body).map_err(ApiError::Validation)?;
    let org = auth.org();
    let o = app.store.organization(org).await?;
    let mut settings = match o.settings {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let stored = serde_json::to_value(weights)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("serialising weights: {e}")))?;
    settings.insert(WEIGHTS_SETTING.to_owned(), stored.clone());
    app.store
        .update_organization(
            org,
            bhd_store::OrgPatch {
                settings: Some(Value::Object(settings)),
                ..bhd_store::OrgPatch::default()
            },
            app.clock.now(),
        )
        .await?;
    app.audit(
        Some(org),
        Actor::from(&auth.0),
        "health.weights_changed",
        None,
        None,
        json!({ "weights": stored }),
    )
    .await?;
    Ok(Json(WeightsDto::new(weights, false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bhd_domain::{Amount, Industry, Partial};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn row(metric: &str, month: &str, points: &[(&str, &str)]) -> DailyRollup {
        let p = points
            .iter()
            .map(|(at, v)| Partial::from_point(t(at), Amount::parse(v).unwrap()))
            .reduce(Partial::merge)
            .unwrap();
        DailyRollup {
            metric_type: metric.into(),
            day: d(month),
            partial: p,
        }
    }

    #[test]
    fn rollups_become_monthly_values_by_kind() {
        let kinds: HashMap<String, Kind> = [
            ("revenue", Kind::Flow),
            ("cash_balance", Kind::Stock),
            ("nps", Kind::Rate),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let rows = vec![
            row(
                "cash_balance",
                "2024-02-01",
                &[
                    ("2024-02-03T00:00:00Z", "10"),
                    ("2024-02-27T00:00:00Z", "30"),
                ],
            ),
            row(
                "nps",
                "2024-02-01",
                &[
                    ("2024-02-03T00:00:00Z", "10"),
                    ("2024-02-04T00:00:00Z", "21"),
                ],
            ),
            row(
                "revenue",
                "2024-02-01",
                &[
                    ("2024-02-03T00:00:00Z", "100"),
                    ("2024-02-04T00:00:00Z", "0.5"),
                ],
            ),
            // The running month: recency only.
            row("revenue", "2024-03-01", &[("2024-03-02T00:00:00Z", "7")]),
            // Unknown kind: skipped.
            row("mystery", "2024-02-01", &[("2024-02-03T00:00:00Z", "1")]),
        ];
        let now = t("2024-03-05T00:00:00Z");
        let input = input_from_rollups(Industry::General, d("2024-02-01"), now, &rows, &kinds);
        assert_eq!(input.months["revenue"][&d("2024-02-01")], 100.5);
        assert_eq!(input.months["revenue"].len(), 1);
        assert_eq!(input.months["cash_balance"][&d("2024-02-01")], 30.0);
        assert_eq!(input.months["nps"][&d("2024-02-01")], 15.5);
        assert!(!input.months.contains_key("mystery"));
        assert_eq!(input.last_seen["revenue"], t("2024-03-02T00:00:00Z"));
        assert_eq!(input.last_seen["cash_balance"], t("2024-02-27T00:00:00Z"));
    }

    #[test]
    fn weights_are_checked_field_by_field() {
        let ok = parse_weights(&json!({"financial": 40, "customer": 20, "operational": 20,
            "growth": 10, "risk": 10}))
        .unwrap();
        assert_eq!(ok.get(Category::Financial), 40);
        let fields = |v: Value| -> Vec<String> {
            parse_weights(&v)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(json!({"financial": 40.5, "customer": -1, "operational": 20, "growth": 10})),
            ["financial", "customer", "risk"]
        );
        assert_eq!(
            fields(
                json!({"financial": 50, "customer": 20, "operational": 20, "growth": 10,
                "risk": 10})
            ),
            ["weights"]
        );
        assert_eq!(
            fields(
                json!({"financial": 40, "customer": 20, "operational": 20, "growth": 10,
                "risk": 10, "luck": 0})
            ),
            ["luck"]
        );
        assert_eq!(fields(json!([1, 2])), ["weights"]);
    }

    #[test]
    fn stored_weights_are_read_back_and_bad_ones_ignored() {
        let w = json!({"score_weights": {"financial": 40, "customer": 20, "operational": 20,
            "growth": 10, "risk": 10}});
        assert_eq!(
            weights_from_settings(&w).map(|w| w.get(Category::Financial)),
            Some(40)
        );
        assert_eq!(weights_from_settings(&json!({})), None);
        assert_eq!(
            weights_from_settings(&json!({"score_weights": {"financial": 100}})),
            None
        );
    }
}

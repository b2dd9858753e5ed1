//! The health queries, written once for both engines and compiled once per engine, like
//! `common.rs` (which declares this module): `super::super` is the engine module.

use super::super::{Db, This, Tx};
use crate::{
    Ctx, HealthFigures, HealthPoint, HealthRecord, InsightRecord, MAX_HISTORY, NewInsight,
    NewScore, Result, SavedScore, ScoreInputs, StoreError, StoredHealth,
};
use async_trait::async_trait;
use bhd_domain::OrgId;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

macro_rules! figure_cols {
    () => {
        "overall, financial, customer, operational, growth, risk, coverage_bp, confidence_bp"
    };
}

#[derive(sqlx::FromRow)]
struct FiguresRow {
    overall: Option<i16>,
    financial: Option<i16>,
    customer: Option<i16>,
    operational: Option<i16>,
    growth: Option<i16>,
    risk: Option<i16>,
    coverage_bp: i32,
    confidence_bp: Option<i32>,
}

impl FiguresRow {
    fn into_model(self) -> Result<HealthFigures> {
        let score = |x: Option<i16>| -> Result<Option<u8>> {
            x.map(|v| {
                u8::try_from(v)
                    .ok()
                    .filter(|v| *v <= 100)
                    .ok_or_else(|| StoreError::Corrupt(format!("health score {v}")))
            })
            .transpose()
        };
        Ok(HealthFigures {
            overall: score(self.overall)?,
            financial: score(self.financial)?,
            customer: score(self.customer)?,
            operational: score(self.operational)?,
            growth: score(self.growth)?,
            risk: score(self.risk)?,
            coverage_bp: self.coverage_bp,
            confidence_bp: self.confidence_bp,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PointRow {
    id: Uuid,
    #[sqlx(flatten)]
    figures: FiguresRow,
    model_version: String,
    calculated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    #[sqlx(flatten)]
    point: PointRow,
    breakdown: Json<Value>,
}

#[derive(sqlx::FromRow)]
struct InsightRow {
    id: Uuid,
    score_id: Uuid,
    kind: String,
    severity: String,
    title: String,
    body: String,
    evidence: Json<Value>,
    metrics: Json<Vec<String>>,
    generated_at: DateTime<Utc>,
}

/// A score as the column type of both engines (SMALLINT / INTEGER).
fn col(x: Option<u8>) -> Option<i16> {
    x.map(i16::from)
}

/// The latest calculation, inside the caller's transaction.
pub(super) async fn latest_score_in(tx: &mut Tx, org: OrgId) -> Result<Option<HealthRecord>> {
    let row = sqlx::query_as::<Db, RecordRow>(concat!(
        "SELECT id, ",
        figure_cols!(),
        ", model_version, calculated_at, breakdown FROM health_scores \
         WHERE organization_id = $1 ORDER BY calculated_at DESC, id DESC LIMIT 1"
    ))
    .bind(org.as_uuid())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(HealthRecord {
            id: r.point.id,
            health: StoredHealth {
                figures: r.point.figures.into_model()?,
                model_version: r.point.model_version,
                breakdown: r.breakdown.0,
                calculated_at: r.point.calculated_at,
            },
        })
    })
    .transpose()
}

/// Calculations with `from <= calculated_at < to`, oldest first (the latest `limit`), inside
/// the caller's transaction.
pub(super) async fn score_history_in(
    tx: &mut Tx,
    org: OrgId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<HealthPoint>> {
    let rows = sqlx::query_as::<Db, PointRow>(concat!(
        "SELECT id, ",
        figure_cols!(),
        ", model_version, calculated_at FROM health_scores \
         WHERE organization_id = $1 AND calculated_at >= $2 AND calculated_at < $3 \
         ORDER BY calculated_at DESC, id DESC LIMIT $4"
    ))
    .bind(org.as_uuid())
    .bind(from)
    .bind(to)
    .bind(i64::from(limit.min(MAX_HISTORY)))
    .fetch_all(&mut **tx)
    .await?;
    let mut out = rows
        .into_iter()
        .map(|r| {
            Ok(HealthPoint {
                id: r.id,
                figures: r.figures.into_model()?,
                model_version: r.model_version,
                calculated_at: r.calculated_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// The insights of the latest calculation, inside the caller's transaction.
pub(super) async fn insights_in(tx: &mut Tx, org: OrgId) -> Result<Vec<InsightRecord>> {
    let rows = sqlx::query_as::<Db, InsightRow>(
        "SELECT i.id, i.score_id, i.kind, i.severity, i.title, i.body, i.evidence, i.metrics, i.generated_at \
         FROM insights i WHERE i.organization_id = $1 AND i.score_id = \
           (SELECT h.id FROM health_scores h WHERE h.organization_id = $1 \
            ORDER BY h.calculated_at DESC, h.id DESC LIMIT 1) \
         ORDER BY i.id",
    )
    .bind(org.as_uuid())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| InsightRecord {
            id: r.id,
            score_id: r.score_id,
            insight: NewInsight {
                kind: r.kind,
                severity: r.severity,
                title: r.title,
                body: r.body,
                evidence: r.evidence.0,
                metrics: r.metrics.0,
                generated_at: r.generated_at,
            },
        })
        .collect())
}

/// A calculation's insights, in one statement on PostgreSQL (a server round trip each would be
/// most of a small transaction's cost); one prepared insert each on SQLite (in-process).
async fn insert_insights(
    tx: &mut Tx,
    org: OrgId,
    score: Uuid,
    insights: &[NewInsight],
) -> Result<()> {
    if insights.is_empty() {
        return Ok(());
    }
    match super::super::ENGINE {
        crate::Engine::Postgres => {
            let rows: Vec<Value> = insights
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "id": Uuid::now_v7(),
                        "kind": i.kind,
                        "severity": i.severity,
                        "title": i.title,
                        "body": i.body,
                        "evidence": i.evidence,
                        "metrics": i.metrics,
                        "generated_at": i.generated_at.trunc_subsecs(6),
                    })
                })
                .collect();
            sqlx::query::<Db>(
                "INSERT INTO insights (organization_id, id, score_id, kind, severity, title, body, evidence, \
                 metrics, generated_at) \
                 SELECT $1, x.id, $2, x.kind, x.severity, x.title, x.body, x.evidence, x.metrics, x.generated_at \
                 FROM jsonb_to_recordset($3) AS x(id uuid, kind text, severity text, title text, body text, \
                   evidence jsonb, metrics jsonb, generated_at timestamptz)",
            )
            .bind(org.as_uuid())
            .bind(score)
            .bind(Json(rows))
            .execute(&mut **tx)
            .await?;
        }
        crate::Engine::Sqlite => {
            for i in insights {
                sqlx::query::<Db>(
                    "INSERT INTO insights (organization_id, id, score_id, kind, severity, title, body, evidence, \
                     metrics, generated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(org.as_uuid())
                .bind(Uuid::now_v7())
                .bind(score)
                .bind(&i.kind)
                .bind(&i.severity)
                .bind(&i.title)
                .bind(&i.body)
                .bind(Json(&i.evidence))
                .bind(Json(&i.metrics))
                .bind(i.generated_at)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

#[async_trait]
impl crate::HealthStore for This {
    async fn save_score(&self, org: OrgId, score: NewScore<'_>) -> Result<SavedScore> {
        let id = Uuid::now_v7();
        let health = &score.health;
        let at = health.calculated_at;
        let f = health.figures;
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(concat!(
            "INSERT INTO health_scores (organization_id, id, ",
            figure_cols!(),
            ", model_version, breakdown, calculated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(org.as_uuid())
        .bind(id)
        .bind(col(f.overall))
        .bind(col(f.financial))
        .bind(col(f.customer))
        .bind(col(f.operational))
        .bind(col(f.growth))
        .bind(col(f.risk))
        .bind(f.coverage_bp)
        .bind(f.confidence_bp)
        .bind(&health.model_version)
        .bind(Json(&health.breakdown))
        .bind(at)
        .execute(&mut *tx)
        .await?;
        insert_insights(&mut tx, org, id, score.insights).await?;
        let event = match &score.event {
            Some((kind, data)) => {
                let e = super::events_sql::append_in(&mut tx, org, kind, data, at).await?;
                super::events_sql::prune(&mut tx, org).await?;
                Some(e)
            }
            None => None,
        };
        if let Some(job) = score.follow_up {
            super::jobs_sql::insert_debounced(
                &mut tx,
                job.kind,
                org,
                job.dedupe_key,
                job.debounce,
                at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SavedScore { id, event })
    }

    async fn score_inputs(
        &self,
        org: OrgId,
        from_month: NaiveDate,
        daily: &[(&str, NaiveDate)],
        daily_to: NaiveDate,
    ) -> Result<ScoreInputs> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let organization = super::organization_in(&mut tx, org).await?;
        let custom_types = super::custom_types_in(&mut tx, org).await?;
        let monthly = sqlx::query_as::<Db, super::DailyRow>(
            "SELECT metric_type, month AS day, sum_micros, count, last_at, last_micros FROM metric_monthly \
             WHERE organization_id = $1 AND month >= $2 ORDER BY metric_type, month",
        )
        .bind(org.as_uuid())
        .bind(from_month)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(super::DailyRow::into_model)
        .collect();
        let daily = super::super::read_days_in(&mut tx, org, daily, daily_to).await?;
        let latest = latest_score_in(&mut tx, org).await?;
        tx.commit().await?;
        Ok(ScoreInputs {
            organization,
            custom_types,
            monthly,
            daily,
            latest,
        })
    }

    async fn latest_score(&self, org: OrgId) -> Result<Option<HealthRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let record = latest_score_in(&mut tx, org).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn score_history(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<HealthPoint>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let points = score_history_in(&mut tx, org, from, to, limit).await?;
        tx.commit().await?;
        Ok(points)
    }

    async fn insights(&self, org: OrgId) -> Result<Vec<InsightRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let insights = insights_in(&mut tx, org).await?;
        tx.commit().await?;
        Ok(insights)
    }
}

//! The alert queries (see `alerts.rs`), written once for both engines and compiled once per
//! engine, like `common.rs` (which declares this module): `super::super` is the engine module.

use super::super::{Db, ENGINE, This, Tx};
use crate::{
    AlertAction, AlertChange, AlertInputs, AlertReads, AlertRecord, AlertRuleRecord, ChannelRecord,
    Ctx, DELIVER_JOB, DELIVERY_ATTEMPTS, DeliveryAttempt, DeliveryRecord, Engine, MAX_ALERTS,
    NewChannel, NewJob, Result, RuleOutcome, RuleStateRecord, RuleUpdate, StoreError,
};
use async_trait::async_trait;
use bhd_domain::alerts::{AlertEvent, AlertStatus};
use bhd_domain::{OrgId, UserId};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::types::Json;
use std::str::FromStr;
use uuid::Uuid;

/// The statement for this engine.
fn pick(postgres: &'static str, sqlite: &'static str) -> &'static str {
    match ENGINE {
        Engine::Postgres => postgres,
        Engine::Sqlite => sqlite,
    }
}

/// Times as both engines keep them (microseconds), so that what is answered after a write
/// equals what is read back later.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

macro_rules! rule_cols {
    () => {
        "r.id, r.name, r.spec, r.is_default, r.streak, r.pending_since, r.last_triggered_at, \
         r.created_at, r.updated_at, a.id AS open_id, a.status AS open_status"
    };
}

macro_rules! rule_from {
    () => {
        " FROM alert_rules r LEFT JOIN alerts a ON a.organization_id = r.organization_id \
          AND a.rule_id = r.id AND a.status <> 'resolved' "
    };
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    name: String,
    spec: Json<Value>,
    is_default: bool,
    streak: i32,
    pending_since: Option<DateTime<Utc>>,
    last_triggered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    open_id: Option<Uuid>,
    open_status: Option<String>,
}

impl RuleRow {
    fn into_model(self) -> AlertRuleRecord {
        AlertRuleRecord {
            id: self.id,
            name: self.name,
            spec: self.spec.0,
            is_default: self.is_default,
            state: RuleStateRecord {
                streak: u32::try_from(self.streak).unwrap_or(0),
                pending_since: self.pending_since,
                last_triggered_at: self.last_triggered_at,
            },
            open_alert: self.open_id.zip(self.open_status),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

macro_rules! alert_cols {
    () => {
        "id, rule_id, status, severity, category, metric_type, target, title, description, \
         threshold_value, current_value, triggered_at, acknowledged_at, acknowledged_by, \
         resolved_at, resolved_by, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: Uuid,
    rule_id: Uuid,
    status: String,
    severity: String,
    category: String,
    metric_type: Option<String>,
    target: Json<Value>,
    title: String,
    description: String,
    threshold_value: Option<String>,
    current_value: Option<String>,
    triggered_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<Uuid>,
    resolved_at: Option<DateTime<Utc>>,
    resolved_by: Option<String>,
    updated_at: DateTime<Utc>,
}

impl AlertRow {
    fn into_model(self) -> AlertRecord {
        AlertRecord {
            id: self.id,
            rule_id: self.rule_id,
            status: self.status,
            severity: self.severity,
            category: self.category,
            metric_type: self.metric_type,
            target: self.target.0,
            title: self.title,
            description: self.description,
            threshold_value: self.threshold_value,
            current_value: self.current_value,
            triggered_at: self.triggered_at,
            acknowledged_at: self.acknowledged_at,
            acknowledged_by: self.acknowledged_by,
            resolved_at: self.resolved_at,
            resolved_by: self.resolved_by,
            updated_at: self.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: Uuid,
    kind: String,
    name: String,
    config: Json<Value>,
    secret: Option<Vec<u8>>,
    secret_hint: Option<String>,
    created_at: DateTime<Utc>,
}

impl ChannelRow {
    fn into_model(self) -> ChannelRecord {
        ChannelRecord {
            id: self.id,
            kind: self.kind,
            name: self.name,
            config: self.config.0,
            secret: self.secret,
            secret_hint: self.secret_hint,
            created_at: self.created_at,
        }
    }
}

macro_rules! delivery_cols {
    () => {
        "id, alert_id, channel_id, channel_name, channel_kind, event, status, attempts, last_error, \
         response_status, created_at, updated_at, delivered_at"
    };
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    alert_id: Uuid,
    channel_id: Uuid,
    channel_name: String,
    channel_kind: String,
    event: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    response_status: Option<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    fn into_model(self) -> DeliveryRecord {
        DeliveryRecord {
            id: self.id,
            alert_id: self.alert_id,
            channel_id: self.channel_id,
            channel_name: self.channel_name,
            channel_kind: self.channel_kind,
            event: self.event,
            status: self.status,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_error: self.last_error,
            response_status: self.response_status.and_then(|s| u16::try_from(s).ok()),
            created_at: self.created_at,
            updated_at: self.updated_at,
            delivered_at: self.delivered_at,
        }
    }
}

async fn rule_in(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<Option<AlertRuleRecord>> {
    let row = sqlx::query_as::<Db, RuleRow>(concat!(
        "SELECT ",
        rule_cols!(),
        rule_from!(),
        "WHERE r.organization_id = $1 AND r.id = $2"
    ))
    .bind(org.as_uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(RuleRow::into_model))
}

async fn alert_in(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<Option<AlertRecord>> {
    let row = sqlx::query_as::<Db, AlertRow>(pick(
        concat!(
            "SELECT ",
            alert_cols!(),
            " FROM alerts WHERE organization_id = $1 AND id = $2 FOR UPDATE"
        ),
        concat!(
            "SELECT ",
            alert_cols!(),
            " FROM alerts WHERE organization_id = $1 AND id = $2"
        ),
    ))
    .bind(org.as_uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(AlertRow::into_model))
}

/// Resolves the rule's open alert, if it has one, and answers it.
async fn resolve_open(
    tx: &mut Tx,
    org: OrgId,
    rule: Uuid,
    by: &str,
    current_value: Option<&str>,
    description: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<AlertRecord>> {
    let row = sqlx::query_as::<Db, AlertRow>(concat!(
        "UPDATE alerts SET status = 'resolved', resolved_at = $3, resolved_by = $4, \
         current_value = COALESCE($5, current_value), description = COALESCE($6, description), \
         updated_at = $3 WHERE organization_id = $1 AND rule_id = $2 AND status <> 'resolved' \
         RETURNING ",
        alert_cols!()
    ))
    .bind(org.as_uuid())
    .bind(rule)
    .bind(now)
    .bind(by)
    .bind(current_value)
    .bind(description)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(AlertRow::into_model))
}

/// A delivery of `event` of `alert` on each of `channels` that still exists, each with the job
/// that sends it.
async fn queue_deliveries(
    tx: &mut Tx,
    org: OrgId,
    alert: Uuid,
    event: &str,
    channels: &[Uuid],
    now: DateTime<Utc>,
) -> Result<()> {
    for &channel in channels {
        let found: Option<(String, String)> = sqlx::query_as::<Db, (String, String)>(
            "SELECT name, kind FROM notification_channels WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.as_uuid())
        .bind(channel)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((name, kind)) = found else {
            continue;
        };
        let id = Uuid::now_v7();
        sqlx::query::<Db>(
            "INSERT INTO alert_deliveries (organization_id, id, alert_id, channel_id, channel_name, \
             channel_kind, event, status, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
        )
        .bind(org.as_uuid())
        .bind(id)
        .bind(alert)
        .bind(channel)
        .bind(&name)
        .bind(&kind)
        .bind(event)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let job = NewJob::for_org(DELIVER_JOB, org, now)
            .payload(json!({ "delivery": id }))
            .max_attempts(DELIVERY_ATTEMPTS);
        super::jobs_sql::insert(tx, &job, now).await?;
    }
    Ok(())
}

async fn delivery_in(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<Option<DeliveryRecord>> {
    let row = sqlx::query_as::<Db, DeliveryRow>(concat!(
        "SELECT ",
        delivery_cols!(),
        " FROM alert_deliveries WHERE organization_id = $1 AND id = $2"
    ))
    .bind(org.as_uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(DeliveryRow::into_model))
}

fn status_of(s: &str) -> Result<AlertStatus> {
    AlertStatus::from_str(s).map_err(|_| StoreError::Corrupt(format!("alert status {s:?}")))
}

#[async_trait]
impl crate::AlertStore for This {
    async fn seed_default_rules(
        &self,
        org: OrgId,
        rules: &[(String, Value)],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let now = micros(now);
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let first = sqlx::query::<Db>(
            "INSERT INTO alert_rule_seeds (organization_id, seeded_at) VALUES ($1, $2) \
             ON CONFLICT (organization_id) DO NOTHING",
        )
        .bind(org.as_uuid())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if first {
            for (name, spec) in rules {
                sqlx::query::<Db>(
                    "INSERT INTO alert_rules (organization_id, id, name, spec, is_default, streak, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
                )
                .bind(org.as_uuid())
                .bind(Uuid::now_v7())
                .bind(name)
                .bind(Json(spec))
                .bind(true)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(first)
    }

    async fn alert_rules(&self, org: OrgId) -> Result<Vec<AlertRuleRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, RuleRow>(concat!(
            "SELECT ",
            rule_cols!(),
            rule_from!(),
            "WHERE r.organization_id = $1 ORDER BY r.created_at, r.id"
        ))
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(RuleRow::into_model).collect())
    }

    async fn alert_rule(&self, org: OrgId, id: Uuid) -> Result<Option<AlertRuleRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rule = rule_in(&mut tx, org, id).await?;
        tx.commit().await?;
        Ok(rule)
    }

    async fn create_alert_rule(
        &self,
        org: OrgId,
        name: &str,
        spec: &Value,
        now: DateTime<Utc>,
    ) -> Result<AlertRuleRecord> {
        let now = micros(now);
        let id = Uuid::now_v7();
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(
            "INSERT INTO alert_rules (organization_id, id, name, spec, is_default, streak, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
        )
        .bind(org.as_uuid())
        .bind(id)
        .bind(name)
        .bind(Json(spec))
        .bind(false)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let rule = rule_in(&mut tx, org, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(rule)
    }

    async fn update_alert_rule(
        &self,
        org: OrgId,
        id: Uuid,
        name: &str,
        spec: &Value,
        now: DateTime<Utc>,
    ) -> Result<AlertRuleRecord> {
        let now = micros(now);
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        // A changed condition starts counting again; the cooldown still runs from the last
        // alert, so editing a rule is not a way around it.
        let n = sqlx::query::<Db>(
            "UPDATE alert_rules SET name = $3, spec = $4, streak = 0, pending_since = NULL, \
             updated_at = $5 WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.as_uuid())
        .bind(id)
        .bind(name)
        .bind(Json(spec))
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let rule = rule_in(&mut tx, org, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(rule)
    }

    async fn delete_alert_rule(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<AlertRecord>> {
        let now = micros(now);
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let n = sqlx::query::<Db>("DELETE FROM alert_rules WHERE organization_id = $1 AND id = $2")
            .bind(org.as_uuid())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let resolved = resolve_open(&mut tx, org, id, "rule_deleted", None, None, now).await?;
        tx.commit().await?;
        Ok(resolved)
    }

    async fn alert_inputs(&self, org: OrgId, reads: &AlertReads) -> Result<AlertInputs> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let organization = super::organization_in(&mut tx, org).await?;
        let (mut daily, mut custom_types) = (Vec::new(), Vec::new());
        if !reads.metrics.is_empty() {
            let tz = bhd_domain::TimeZone::parse(&organization.timezone)
                .map_err(|e| StoreError::Corrupt(format!("time zone: {e}")))?
                .tz();
            let today = bhd_domain::period::local_date(reads.now, tz);
            let from = today - chrono::Days::new(u64::from(reads.days.saturating_sub(1)));
            let names: Vec<&str> = reads.metrics.iter().map(String::as_str).collect();
            daily = super::daily_of_in(&mut tx, org, &names, from, today).await?;
            custom_types = super::custom_types_in(&mut tx, org).await?;
        }
        let latest_score = if reads.latest_score {
            super::health_sql::latest_score_in(&mut tx, org).await?
        } else {
            None
        };
        let history = match reads.history_from {
            Some(from) => {
                super::health_sql::score_history_in(
                    &mut tx,
                    org,
                    from,
                    reads.now + chrono::Duration::seconds(1),
                    crate::MAX_HISTORY,
                )
                .await?
            }
            None => Vec::new(),
        };
        let insights = if reads.insights {
            super::health_sql::insights_in(&mut tx, org).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(AlertInputs {
            organization,
            daily,
            custom_types,
            latest_score,
            history,
            insights,
        })
    }

    async fn apply_evaluation(
        &self,
        org: OrgId,
        updates: &[RuleUpdate],
        render: &crate::RenderAlert,
        now: DateTime<Utc>,
    ) -> Result<Vec<AlertChange>> {
        let now = micros(now);
        let mut changes = Vec::new();
        if updates
            .iter()
            .all(|u| u.state.is_none() && u.outcome == RuleOutcome::Keep)
        {
            return Ok(changes);
        }
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        // Truncated to what both engines keep, so what is stored is what is read back.
        let states: Vec<(Uuid, RuleStateRecord)> = updates
            .iter()
            .filter_map(|u| {
                u.state.map(|s| {
                    let s = RuleStateRecord {
                        pending_since: s.pending_since.map(micros),
                        last_triggered_at: s.last_triggered_at.map(micros),
                        ..s
                    };
                    (u.rule_id, s)
                })
            })
            .collect();
        super::super::write_rule_states(&mut tx, org, &states).await?;
        for u in updates {
            match &u.outcome {
                RuleOutcome::Keep => {}
                RuleOutcome::Trigger { alert, channels } => {
                    let id = Uuid::now_v7();
                    // The partial unique index keeps one open alert per rule even when two
                    // nodes evaluate the organization at once: the second insert does nothing.
                    let row = sqlx::query_as::<Db, AlertRow>(concat!(
                        "INSERT INTO alerts (organization_id, id, rule_id, status, severity, category, \
                         metric_type, target, title, description, threshold_value, current_value, \
                         triggered_at, updated_at) \
                         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
                         ON CONFLICT DO NOTHING RETURNING ",
                        alert_cols!()
                    ))
                    .bind(org.as_uuid())
                    .bind(id)
                    .bind(u.rule_id)
                    .bind(&alert.severity)
                    .bind(&alert.category)
                    .bind(&alert.metric_type)
                    .bind(Json(&alert.target))
                    .bind(&alert.title)
                    .bind(&alert.description)
                    .bind(&alert.threshold_value)
                    .bind(&alert.current_value)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = row {
                        let alert = row.into_model();
                        queue_deliveries(&mut tx, org, alert.id, "alert.triggered", channels, now)
                            .await?;
                        let stream_event = super::events_sql::append_in(
                            &mut tx,
                            org,
                            "alert.triggered",
                            &render(&alert),
                            now,
                        )
                        .await?;
                        changes.push(AlertChange {
                            event: "alert.triggered",
                            alert,
                            stream_event,
                        });
                    }
                }
                RuleOutcome::Resolve {
                    current_value,
                    description,
                    channels,
                } => {
                    let resolved = resolve_open(
                        &mut tx,
                        org,
                        u.rule_id,
                        "auto",
                        current_value.as_deref(),
                        description.as_deref(),
                        now,
                    )
                    .await?;
                    if let Some(alert) = resolved {
                        queue_deliveries(&mut tx, org, alert.id, "alert.resolved", channels, now)
                            .await?;
                        let stream_event = super::events_sql::append_in(
                            &mut tx,
                            org,
                            "alert.resolved",
                            &render(&alert),
                            now,
                        )
                        .await?;
                        changes.push(AlertChange {
                            event: "alert.resolved",
                            alert,
                            stream_event,
                        });
                    }
                }
            }
        }
        if !changes.is_empty() {
            super::events_sql::prune(&mut tx, org).await?;
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn alerts(
        &self,
        org: OrgId,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AlertRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, AlertRow>(concat!(
            "SELECT ",
            alert_cols!(),
            " FROM alerts WHERE organization_id = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
             ORDER BY triggered_at DESC, id DESC LIMIT $3"
        ))
        .bind(org.as_uuid())
        .bind(status)
        .bind(i64::from(limit.min(MAX_ALERTS)))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(AlertRow::into_model).collect())
    }

    async fn alert(&self, org: OrgId, id: Uuid) -> Result<Option<AlertRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let row = sqlx::query_as::<Db, AlertRow>(concat!(
            "SELECT ",
            alert_cols!(),
            " FROM alerts WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.as_uuid())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(AlertRow::into_model))
    }

    async fn alert_counts(&self, org: OrgId) -> Result<(u64, u64, u64)> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows: Vec<(String, i64)> = sqlx::query_as::<Db, (String, i64)>(
            "SELECT status, COUNT(*) FROM alerts WHERE organization_id = $1 GROUP BY status",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let get = |s: &str| {
            rows.iter()
                .find(|(k, _)| k == s)
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
        };
        Ok((get("active"), get("acknowledged"), get("resolved")))
    }

    async fn change_alert(
        &self,
        org: OrgId,
        id: Uuid,
        action: AlertAction,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<AlertRecord> {
        let now = micros(now);
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let alert = alert_in(&mut tx, org, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let event = match action {
            AlertAction::Acknowledge => AlertEvent::Acknowledge,
            AlertAction::Resolve => AlertEvent::Resolve,
        };
        let to = bhd_domain::alerts::transition(status_of(&alert.status)?, event)
            .map_err(|e| StoreError::Illegal(e.to_string()))?;
        let row = match to {
            AlertStatus::Acknowledged => sqlx::query_as::<Db, AlertRow>(concat!(
                "UPDATE alerts SET status = 'acknowledged', acknowledged_at = $3, acknowledged_by = $4, \
                 updated_at = $3 WHERE organization_id = $1 AND id = $2 RETURNING ",
                alert_cols!()
            )),
            AlertStatus::Resolved => sqlx::query_as::<Db, AlertRow>(concat!(
                "UPDATE alerts SET status = 'resolved', resolved_at = $3, resolved_by = 'user', \
                 acknowledged_by = COALESCE(acknowledged_by, $4), updated_at = $3 \
                 WHERE organization_id = $1 AND id = $2 RETURNING ",
                alert_cols!()
            )),
            AlertStatus::Active => {
                return Err(StoreError::Illegal("an alert cannot become active again".into()));
            }
        }
        .bind(org.as_uuid())
        .bind(id)
        .bind(now)
        .bind(by.map(|u| u.as_uuid()))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into_model())
    }

    async fn notification_channels(&self, org: OrgId) -> Result<Vec<ChannelRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, ChannelRow>(
            "SELECT id, kind, name, config, secret, secret_hint, created_at FROM notification_channels \
             WHERE organization_id = $1 ORDER BY created_at, id",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(ChannelRow::into_model).collect())
    }

    async fn notification_channel(&self, org: OrgId, id: Uuid) -> Result<Option<ChannelRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let row = sqlx::query_as::<Db, ChannelRow>(
            "SELECT id, kind, name, config, secret, secret_hint, created_at FROM notification_channels \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.as_uuid())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(ChannelRow::into_model))
    }

    async fn create_notification_channel(
        &self,
        org: OrgId,
        channel: &NewChannel,
        now: DateTime<Utc>,
    ) -> Result<ChannelRecord> {
        let now = micros(now);
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(
            "INSERT INTO notification_channels (organization_id, id, kind, name, config, secret, \
             secret_hint, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(org.as_uuid())
        .bind(channel.id)
        .bind(&channel.kind)
        .bind(&channel.name)
        .bind(Json(&channel.config))
        .bind(&channel.secret)
        .bind(&channel.secret_hint)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ChannelRecord {
            id: channel.id,
            kind: channel.kind.clone(),
            name: channel.name.clone(),
            config: channel.config.clone(),
            secret: channel.secret.clone(),
            secret_hint: channel.secret_hint.clone(),
            created_at: now,
        })
    }

    async fn update_notification_channel(
        &self,
        org: OrgId,
        channel: &NewChannel,
    ) -> Result<ChannelRecord> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let row = sqlx::query_as::<Db, ChannelRow>(
            "UPDATE notification_channels SET name = $3, config = $4, secret = $5, secret_hint = $6 \
             WHERE organization_id = $1 AND id = $2 \
             RETURNING id, kind, name, config, secret, secret_hint, created_at",
        )
        .bind(org.as_uuid())
        .bind(channel.id)
        .bind(&channel.name)
        .bind(Json(&channel.config))
        .bind(&channel.secret)
        .bind(&channel.secret_hint)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(row.into_model())
    }

    async fn delete_notification_channel(&self, org: OrgId, id: Uuid) -> Result<bool> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let n = sqlx::query::<Db>(
            "DELETE FROM notification_channels WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.as_uuid())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn alert_deliveries(&self, org: OrgId, alert_id: Uuid) -> Result<Vec<DeliveryRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, DeliveryRow>(concat!(
            "SELECT ",
            delivery_cols!(),
            " FROM alert_deliveries WHERE organization_id = $1 AND alert_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(org.as_uuid())
        .bind(alert_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(DeliveryRow::into_model).collect())
    }

    async fn delivery(&self, org: OrgId, id: Uuid) -> Result<Option<DeliveryRecord>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let delivery = delivery_in(&mut tx, org, id).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    async fn record_delivery(
        &self,
        org: OrgId,
        id: Uuid,
        attempt: &DeliveryAttempt,
        now: DateTime<Utc>,
    ) -> Result<DeliveryRecord> {
        let now = micros(now);
        let (status, error, code, delivered_at) = match attempt {
            DeliveryAttempt::Delivered { response_status } => {
                ("delivered", None, *response_status, Some(now))
            }
            DeliveryAttempt::Failed {
                error,
                response_status,
                last,
            } => (
                if *last { "failed" } else { "pending" },
                Some(error.chars().take(2000).collect::<String>()),
                *response_status,
                None,
            ),
        };
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let row = sqlx::query_as::<Db, DeliveryRow>(concat!(
            "UPDATE alert_deliveries SET status = $3, attempts = attempts + 1, \
             last_error = COALESCE($4, last_error), response_status = COALESCE($5, response_status), \
             delivered_at = $6, updated_at = $7 \
             WHERE organization_id = $1 AND id = $2 AND status <> 'delivered' RETURNING ",
            delivery_cols!()
        ))
        .bind(org.as_uuid())
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(code.map(i32::from))
        .bind(delivered_at)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let delivery = match row {
            Some(r) => r.into_model(),
            // Already delivered: answered as it is.
            None => delivery_in(&mut tx, org, id)
                .await?
                .ok_or(StoreError::NotFound)?,
        };
        tx.commit().await?;
        Ok(delivery)
    }
}

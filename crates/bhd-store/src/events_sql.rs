//! The stream's queries (see `events.rs`), written once for both engines and compiled once per
//! engine, like `common.rs` (which declares this module): `super::super` is the engine module.

use super::super::{Db, This, Tx};
use crate::{Ctx, EVENT_LOG_PER_ORG, Replay, Result, StoreError, StreamEvent};
use async_trait::async_trait;
use bhd_domain::OrgId;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    data: Json<Value>,
    created_at: DateTime<Utc>,
}

impl EventRow {
    fn into_model(self, org: OrgId) -> StreamEvent {
        StreamEvent {
            id: self.id,
            org,
            kind: self.kind,
            data: self.data.0,
            at: self.created_at,
        }
    }
}

/// Keeps the organization's last [`EVENT_LOG_PER_ORG`] events and remembers the highest id
/// pruned, so that resuming from before it is a gap.
pub(crate) async fn prune(tx: &mut Tx, org: OrgId) -> Result<()> {
    let cut: Option<i64> = sqlx::query_scalar::<Db, i64>(
        "SELECT id FROM stream_events WHERE organization_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
    )
    .bind(org.as_uuid())
    .bind(EVENT_LOG_PER_ORG)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(cut) = cut else { return Ok(()) };
    sqlx::query::<Db>("DELETE FROM stream_events WHERE organization_id = $1 AND id <= $2")
        .bind(org.as_uuid())
        .bind(cut)
        .execute(&mut **tx)
        .await?;
    sqlx::query::<Db>(
        "INSERT INTO stream_event_marks (organization_id, pruned_through) VALUES ($1, $2) \
         ON CONFLICT (organization_id) DO UPDATE SET pruned_through = \
           CASE WHEN excluded.pruned_through > stream_event_marks.pruned_through \
             THEN excluded.pruned_through ELSE stream_event_marks.pruned_through END",
    )
    .bind(org.as_uuid())
    .bind(cut)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends an event to the organization's log inside the caller's transaction, so that an
/// event is stored with the change it announces (the caller prunes once, after its appends).
pub(crate) async fn append_in(
    tx: &mut Tx,
    org: OrgId,
    kind: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<StreamEvent> {
    let id: i64 = sqlx::query_scalar::<Db, i64>(
        "INSERT INTO stream_events (organization_id, kind, data, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(org.as_uuid())
    .bind(kind)
    .bind(Json(data))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(StreamEvent {
        id,
        org,
        kind: kind.to_owned(),
        data: data.clone(),
        at: now,
    })
}

#[async_trait]
impl crate::EventStore for This {
    async fn append_event(
        &self,
        org: OrgId,
        kind: &str,
        data: &Value,
        now: DateTime<Utc>,
    ) -> Result<StreamEvent> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let event = append_in(&mut tx, org, kind, data, now).await?;
        prune(&mut tx, org).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn events_after(&self, org: OrgId, after: i64) -> Result<Replay> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let pruned: Option<i64> = sqlx::query_scalar::<Db, i64>(
            "SELECT pruned_through FROM stream_event_marks WHERE organization_id = $1",
        )
        .bind(org.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        if pruned.is_some_and(|p| p > after) {
            return Ok(Replay::Gap);
        }
        let rows: Vec<EventRow> = sqlx::query_as::<Db, EventRow>(
            "SELECT id, kind, data, created_at FROM stream_events \
             WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(org.as_uuid())
        .bind(after)
        .bind(EVENT_LOG_PER_ORG)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Replay::Events(
            rows.into_iter().map(|r| r.into_model(org)).collect(),
        ))
    }

    async fn notify_event(&self, event: &StreamEvent) -> Result<()> {
        super::super::notify_event(self, event).await
    }

    async fn listen_events(&self) -> Result<Option<crate::EventFeed>> {
        super::super::listen_events(self).await
    }

    async fn latest_event_id(&self, org: OrgId) -> Result<Option<i64>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let id: Option<i64> = sqlx::query_scalar::<Db, i64>(
            "SELECT id FROM stream_events WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(org.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn spend_ticket(
        &self,
        org: OrgId,
        ticket: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(
            "DELETE FROM stream_ticket_uses WHERE organization_id = $1 AND expires_at < $2",
        )
        .bind(org.as_uuid())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let spent = sqlx::query::<Db>(
            "INSERT INTO stream_ticket_uses (organization_id, ticket_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (organization_id, ticket_id) DO NOTHING",
        )
        .bind(org.as_uuid())
        .bind(ticket)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(spent == 1)
    }
}

/// Reads one event back (a notification too large to carry it named it). Only PostgreSQL
/// notifies, so the SQLite build does not use it.
#[allow(dead_code)]
pub(crate) async fn event_by_id(store: &This, org: OrgId, id: i64) -> Result<StreamEvent> {
    let mut tx = store.read_tx(Ctx::org(org)).await?;
    let row: Option<EventRow> = sqlx::query_as::<Db, EventRow>(
        "SELECT id, kind, data, created_at FROM stream_events WHERE organization_id = $1 AND id = $2",
    )
    .bind(org.as_uuid())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|r| r.into_model(org)).ok_or(StoreError::NotFound)
}

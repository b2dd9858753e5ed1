//! The real-time stream's storage: the [`EventStore`] part of [`crate::Store`].
//!
//! Every event the server pushes to stream clients is first appended to a bounded recent-event
//! log (`stream_events`, the last [`EVENT_LOG_PER_ORG`] events of each organization), which
//! gives it its id; a client that reconnects with `Last-Event-ID` is replayed what it missed
//! from there, or told to resync when what it missed has already been pruned.
//!
//! On PostgreSQL, [`EventStore::notify_event`] sends a logged event as `NOTIFY bhd_events` and
//! [`EventStore::listen_events`] receives what every node sends; SQLite is one process, where
//! the server delivers in-process.
//!
//! Stream tickets are spent here too: a ticket's random id is recorded once; spending it again
//! finds the record. The queries live in `events_sql.rs`, compiled once per engine.

use crate::Result;
use async_trait::async_trait;
use bhd_domain::OrgId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// How many recent events of an organization the log keeps for replay.
pub const EVENT_LOG_PER_ORG: i64 = 1000;

/// The PostgreSQL notification channel events are published on.
pub const EVENT_CHANNEL: &str = "bhd_events";

/// The events other nodes (and this one) notify, as they arrive.
pub type EventFeed = futures_util::stream::BoxStream<'static, Result<StreamEvent>>;

/// One event of the real-time stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamEvent {
    /// Increasing across organizations and nodes; what `Last-Event-ID` names.
    pub id: i64,
    /// The organization it concerns (only its members' streams receive it).
    pub org: OrgId,
    /// Its type: `score.updated`, `metrics.ingested`, …
    pub kind: String,
    /// The payload.
    pub data: Value,
    /// When it was published.
    pub at: DateTime<Utc>,
}

/// What a resuming client missed.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// The events after the one named, oldest first (possibly none).
    Events(Vec<StreamEvent>),
    /// Some of what was missed has been pruned: the client must refetch what it shows.
    Gap,
}

/// The recent-event log and spent stream tickets. Part of [`crate::Store`].
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends an event (giving it its id) and prunes the organization's log to its bound.
    async fn append_event(
        &self,
        org: OrgId,
        kind: &str,
        data: &Value,
        now: DateTime<Utc>,
    ) -> Result<StreamEvent>;
    /// The organization's events after `after` (at most [`EVENT_LOG_PER_ORG`]), or
    /// [`Replay::Gap`] if some of them were pruned.
    async fn events_after(&self, org: OrgId, after: i64) -> Result<Replay>;
    /// Sends a logged event to every listening node (PostgreSQL `NOTIFY`); nothing on SQLite,
    /// which has no other process to tell.
    async fn notify_event(&self, event: &StreamEvent) -> Result<()>;
    /// The events every node notifies, from now on; `None` on SQLite (in-process delivery).
    async fn listen_events(&self) -> Result<Option<EventFeed>>;
    /// The id of the organization's latest event, if any.
    async fn latest_event_id(&self, org: OrgId) -> Result<Option<i64>>;
    /// Spends a stream ticket: true the first time, false if it was spent before. Expired
    /// records of the organization are removed on the way.
    async fn spend_ticket(
        &self,
        org: OrgId,
        ticket: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

/// The notification payload: the event itself when it fits (PostgreSQL caps payloads just
/// under 8000 bytes), otherwise only what names it, and listeners read it from the log.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Notice {
    /// The whole event.
    Full(StreamEvent),
    /// Too large to send: the listener reads it back.
    Named {
        /// The event's id.
        id: i64,
        /// Its organization.
        org: OrgId,
    },
}

/// The largest payload sent whole.
pub const NOTICE_LIMIT: usize = 7000;

impl Notice {
    /// The payload for an event.
    pub fn for_event(e: &StreamEvent) -> String {
        let full = serde_json::to_string(&Notice::Full(e.clone())).unwrap_or_default();
        if !full.is_empty() && full.len() <= NOTICE_LIMIT {
            full
        } else {
            serde_json::to_string(&Notice::Named {
                id: e.id,
                org: e.org,
            })
            .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_events_are_named_not_sent() {
        let mut e = StreamEvent {
            id: 7,
            org: OrgId::generate(),
            kind: "score.updated".into(),
            data: serde_json::json!({"overall": 71}),
            at: Utc::now(),
        };
        let small: Notice = serde_json::from_str(&Notice::for_event(&e)).unwrap();
        assert!(matches!(small, Notice::Full(ref f) if *f == e));
        e.data = serde_json::json!({"blob": "x".repeat(NOTICE_LIMIT)});
        let big: Notice = serde_json::from_str(&Notice::for_event(&e)).unwrap();
        assert!(matches!(big, Notice::Named { id: 7, .. }));
    }
}

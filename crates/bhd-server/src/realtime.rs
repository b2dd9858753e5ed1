//! Real time: `POST /stream/ticket`, `GET /stream` (Server-Sent Events) and `GET /ws`
//! (WebSocket), carrying the events of API.md (`score.updated`, `metrics.ingested`, …).
//!
//! How an event travels: [`publish`] appends it to the store's bounded recent-event log, which
//! gives it its id, then hands it to the [`PubSub`]. In one process (SQLite) that is
//! [`InProcess`], which delivers straight to this node's [`Hub`]; on PostgreSQL it is
//! [`Notify`], which sends it as `NOTIFY bhd_events`, and every node's listener (started by
//! [`start`]) delivers what it hears to its own hub, so that an ingest on one node reaches the
//! clients of all of them.
//!
//! The hub keeps one bounded broadcast channel per organization with listeners. Sending never
//! waits for a receiver, so a slow client never slows the others: it falls behind in its
//! channel, and once it is more than `stream_buffer` events behind, it gets a `resync` event
//! (refetch what you show) and continues from the newest events. A client that reconnects with
//! `Last-Event-ID` (or `?last_event_id=`) is first replayed what it missed from the log, or told
//! to resync when that was pruned. Idle streams carry a heartbeat every `stream_heartbeat_secs`.
//!
//! Browsers cannot set headers on an EventSource, and a long-lived token must never sit in a
//! URL: `POST /stream/ticket` gives a signed ticket valid `stream_ticket_ttl_secs` that opens
//! one stream once (its id is recorded in the database when spent, so a second use on any node
//! is refused). Other clients may instead send their bearer credential as usual.

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use async_trait::async_trait;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bhd_domain::{Access, OrgId, Principal};
use bhd_store::{Replay, Store, StreamEvent};
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Event types (API.md, Health, insights, real time).
pub mod kinds {
    /// A new health score was stored.
    pub const SCORE_UPDATED: &str = "score.updated";
    /// Points were written (API batch or import).
    pub const METRICS_INGESTED: &str = "metrics.ingested";
    /// Not an event of the log: the client missed events and must refetch what it shows.
    pub const RESYNC: &str = "resync";
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ticket))
        .routes(routes!(sse))
        .routes(routes!(websocket))
}

// ---------------------------------------------------------------------------------------------
// Fan-out on one node

/// One node's fan-out: a bounded broadcast channel per organization that has listeners.
pub struct Hub {
    channels: Mutex<HashMap<OrgId, broadcast::Sender<Arc<StreamEvent>>>>,
    capacity: usize,
    closed: watch::Sender<bool>,
}

impl Hub {
    /// A hub whose clients may fall `capacity` events behind before they must resync.
    pub fn new(capacity: usize) -> Self {
        Self {
            channels: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            closed: watch::Sender::new(false),
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<OrgId, broadcast::Sender<Arc<StreamEvent>>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Listens to the organization's events from now on.
    pub fn subscribe(&self, org: OrgId) -> broadcast::Receiver<Arc<StreamEvent>> {
        self.lock()
            .entry(org)
            .or_insert_with(|| broadcast::Sender::new(self.capacity))
            .subscribe()
    }

    /// Hands an event to the organization's listeners on this node; never waits.
    pub fn deliver(&self, event: StreamEvent) {
        let mut channels = self.lock();
        if let Some(tx) = channels.get(&event.org) {
            if tx.receiver_count() == 0 {
                channels.remove(&event.org);
            } else {
                let _ = tx.send(Arc::new(event));
            }
        }
    }

    /// Open streams on this node.
    pub fn connections(&self) -> usize {
        self.lock()
            .values()
            .map(broadcast::Sender::receiver_count)
            .sum()
    }

    /// Ends every stream (server shutdown), so that draining connections finishes.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }
}

// ---------------------------------------------------------------------------------------------
// Publishing across nodes

/// Gets logged events to the hubs of every node that serves the organization.
#[async_trait]
pub trait PubSub: Send + Sync + 'static {
    /// Sends an event (already in the log, with its id) on its way.
    async fn publish(&self, event: StreamEvent) -> anyhow::Result<()>;
}

/// One process (SQLite): straight to this node's hub.
pub struct InProcess(pub Arc<Hub>);

#[async_trait]
impl PubSub for InProcess {
    async fn publish(&self, event: StreamEvent) -> anyhow::Result<()> {
        self.0.deliver(event);
        Ok(())
    }
}

/// Several processes on one PostgreSQL: `NOTIFY`, heard by every node's listener ([`start`]),
/// this one included.
pub struct Notify(pub Arc<dyn Store>);

#[async_trait]
impl PubSub for Notify {
    async fn publish(&self, event: StreamEvent) -> anyhow::Result<()> {
        Ok(self.0.notify_event(&event).await?)
    }
}

/// The pub/sub that suits the store: in-process for SQLite, `NOTIFY` for PostgreSQL.
pub fn pubsub_for(store: &Arc<dyn Store>, hub: &Arc<Hub>) -> Arc<dyn PubSub> {
    match store.engine() {
        bhd_store::Engine::Sqlite => Arc::new(InProcess(hub.clone())),
        bhd_store::Engine::Postgres => Arc::new(Notify(store.clone())),
    }
}

/// Starts delivering what other nodes notify to this node's hub (nothing to do on SQLite).
/// Returns once listening, so that nothing notified after the server is up is missed.
pub async fn start(app: &AppState) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(mut feed) = app.store.listen_events().await? else {
        return Ok(None);
    };
    let (store, hub) = (app.store.clone(), app.hub.clone());
    Ok(Some(tokio::spawn(async move {
        loop {
            while let Some(next) = feed.next().await {
                match next {
                    Ok(event) => hub.deliver(event),
                    Err(e) => tracing::warn!(error = %e, "event listener"),
                }
            }
            // The listener ended: listen again (clients resume what they missed from the log).
            tokio::time::sleep(Duration::from_secs(1)).await;
            match store.listen_events().await {
                Ok(Some(f)) => feed = f,
                Ok(None) => return,
                Err(e) => tracing::warn!(error = %e, "event listener: reconnecting"),
            }
        }
    })))
}

/// Logs an event for the organization and sends it to every node's streams. Failures are
/// logged, not returned: what triggered the event is already committed, and a client that
/// missed it resyncs.
pub async fn publish(app: &AppState, org: OrgId, kind: &str, data: Value) {
    let now = app.clock.now();
    let result = async {
        let event = app.store.append_event(org, kind, &data, now).await?;
        app.pubsub.publish(event).await
    }
    .await;
    match result {
        Ok(()) => metrics::counter!("bhd_stream_events_published_total", "type" => kind.to_owned())
            .increment(1),
        Err(e) => tracing::warn!(error = %e, org = %org, kind, "could not publish an event"),
    }
}

// ---------------------------------------------------------------------------------------------
// One client's events

/// What a stream sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// An event of the log.
    Event(Arc<StreamEvent>),
    /// The client missed events: refetch everything.
    Resync(&'static str),
}

/// The JSON every event is sent as (the SSE `data:` line, a WebSocket text message).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Envelope {
    /// The event's id (absent on `resync`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `score.updated`, `metrics.ingested`, `alert.triggered`, `alert.resolved`,
    /// `integration.synced`, or `resync`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was published (absent on `resync`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// The payload.
    pub data: Value,
}

impl Outgoing {
    fn envelope(&self) -> Envelope {
        match self {
            Outgoing::Event(e) => Envelope {
                id: Some(e.id),
                kind: e.kind.clone(),
                at: Some(e.at),
                data: e.data.clone(),
            },
            Outgoing::Resync(reason) => Envelope {
                id: None,
                kind: kinds::RESYNC.into(),
                at: None,
                data: json!({ "reason": reason }),
            },
        }
    }
}

struct Follow {
    pending: VecDeque<Outgoing>,
    replayed: HashSet<i64>,
    rx: broadcast::Receiver<Arc<StreamEvent>>,
    closed: watch::Receiver<bool>,
    _gauge: Gauge,
}

/// Counts open streams for `/metrics`.
struct Gauge;

impl Gauge {
    fn new() -> Self {
        metrics::gauge!("bhd_stream_connections").increment(1.0);
        Gauge
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        metrics::gauge!("bhd_stream_connections").decrement(1.0);
    }
}

/// The organization's events for one client: first what it missed after `last` (from the log),
/// then live ones, until the server shuts down.
pub async fn follow(
    app: &AppState,
    org: OrgId,
    last: Option<i64>,
) -> ApiResult<impl Stream<Item = Outgoing> + Send + 'static> {
    // Subscribe before reading the log, so nothing falls between the two.
    let rx = app.hub.subscribe(org);
    let mut pending = VecDeque::new();
    let mut replayed = HashSet::new();
    if let Some(last) = last {
        match app.store.events_after(org, last).await? {
            Replay::Events(events) => {
                for e in events {
                    replayed.insert(e.id);
                    pending.push_back(Outgoing::Event(Arc::new(e)));
                }
            }
            Replay::Gap => pending.push_back(Outgoing::Resync("gap")),
        }
    }
    let state = Follow {
        pending,
        replayed,
        rx,
        closed: app.hub.closed(),
        _gauge: Gauge::new(),
    };
    Ok(stream::unfold(state, |mut s| async move {
        loop {
            if let Some(out) = s.pending.pop_front() {
                return Some((out, s));
            }
            if *s.closed.borrow() {
                return None;
            }
            tokio::select! {
                _ = s.closed.changed() => return None,
                next = s.rx.recv() => match next {
                    // Already sent from the log.
                    Ok(e) if s.replayed.remove(&e.id) => {}
                    Ok(e) => return Some((Outgoing::Event(e), s)),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Outgoing::Resync("lagged"), s));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }))
}

// ---------------------------------------------------------------------------------------------
// Routes

/// A stream ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketDto {
    /// Opens one stream, once: `GET /stream?ticket=…` or `GET /ws?ticket=…`.
    pub ticket: String,
    /// Seconds it stays valid.
    pub expires_in: i64,
}

/// Gives a single-use, short-lived ticket to open the organization's event stream.
#[utoipa::path(post, path = "/api/v1/stream/ticket", tag = "realtime",
    responses((status = 200, body = TicketDto), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn ticket(State(app): State<AppState>, auth: Auth) -> ApiResult<axum::Json<TicketDto>> {
    auth.require(Access::Read)?;
    let caller = match auth.0 {
        Principal::User { user_id, .. } => user_id.as_uuid(),
        Principal::ApiKey { key_id, .. } => key_id.as_uuid(),
    };
    let ttl = i64::try_from(app.config.stream_ticket_ttl_secs).unwrap_or(30);
    let (ticket, _) = app
        .tokens
        .issue_ticket(caller, auth.org(), app.clock.now(), ttl)
        .map_err(ApiError::Internal)?;
    Ok(axum::Json(TicketDto {
        ticket,
        expires_in: ttl,
    }))
}

/// How a stream is opened.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StreamQuery {
    /// A ticket from `POST /stream/ticket` (or send a bearer credential instead).
    ticket: Option<String>,
    /// Resume after this event (what the `Last-Event-ID` header says, for clients that
    /// cannot set it).
    last_event_id: Option<String>,
}

/// The organization whose stream the request may open: by ticket (spent now), or by bearer.
async fn stream_org(app: &AppState, q: &StreamQuery, auth: Option<Auth>) -> ApiResult<OrgId> {
    if let Some(t) = &q.ticket {
        let now = app.clock.now();
        let claims = app
            .tokens
            .verify_ticket(t, now)
            .ok_or(ApiError::Unauthorized("invalid or expired stream ticket"))?;
        let org = OrgId::from_uuid(claims.org);
        let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        if !app
            .store
            .spend_ticket(org, claims.jti, expires, now)
            .await?
        {
            return Err(ApiError::Unauthorized(
                "this stream ticket was already used",
            ));
        }
        return Ok(org);
    }
    let auth = auth.ok_or(ApiError::Unauthorized(
        "a stream needs a ticket (POST /api/v1/stream/ticket) or a bearer credential",
    ))?;
    auth.require(Access::Read)?;
    Ok(auth.org())
}

/// `Last-Event-ID` (header) or `last_event_id` (query), if any.
fn last_event_id(headers: &HeaderMap, q: &StreamQuery) -> ApiResult<Option<i64>> {
    let raw = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .or_else(|| q.last_event_id.clone());
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::BadRequest(format!(
                "Last-Event-ID must be an event id (a whole number), not {v:?}"
            ))
        }),
    }
}

/// The organization's events as Server-Sent Events.
#[utoipa::path(get, path = "/api/v1/stream", tag = "realtime", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = Envelope,
        description = "events with `id`, `event` (the type) and `data` (the envelope)"),
        (status = 401, body = crate::error::Problem)))]
async fn sse(
    State(app): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    who: Option<axum::Extension<Principal>>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let last = last_event_id(&headers, &q)?;
    let org = stream_org(&app, &q, who.map(|w| Auth(w.0))).await?;
    let events = follow(&app, org, last).await?.map(|out| {
        let env = out.envelope();
        let data = serde_json::to_string(&env).unwrap_or_else(|_| "{}".into());
        let mut ev = Event::default().event(env.kind).data(data);
        if let Some(id) = env.id {
            ev = ev.id(id.to_string());
        }
        Ok::<_, Infallible>(ev)
    });
    let beat = Duration::from_secs(app.config.stream_heartbeat_secs.max(1));
    let mut res = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(beat).text("heartbeat"))
        .into_response();
    // Proxies (nginx) must not buffer the stream.
    res.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(res)
}

/// The same events over a WebSocket: each a text message holding the envelope.
#[utoipa::path(get, path = "/api/v1/ws", tag = "realtime", params(StreamQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"),
        (status = 401, body = crate::error::Problem)))]
async fn websocket(
    State(app): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    who: Option<axum::Extension<Principal>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let upgrade =
        upgrade.map_err(|e| ApiError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let last = last_event_id(&headers, &q)?;
    let org = stream_org(&app, &q, who.map(|w| Auth(w.0))).await?;
    let events = follow(&app, org, last).await?;
    let beat = Duration::from_secs(app.config.stream_heartbeat_secs.max(1));
    Ok(upgrade.on_upgrade(move |socket| pump(socket, events, beat)))
}

/// Sends events to a WebSocket until either side stops; pings when idle. While a slow client
/// holds `send`, its events wait in the hub's channel, and past the bound it is told to resync.
async fn pump(mut socket: WebSocket, events: impl Stream<Item = Outgoing> + Send, beat: Duration) {
    let mut events = std::pin::pin!(events);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
    loop {
        tokio::select! {
            out = events.next() => {
                let Some(out) = out else { break };
                let text = serde_json::to_string(&out.envelope()).unwrap_or_else(|_| "{}".into());
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            _ = tick.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(org: OrgId, id: i64) -> StreamEvent {
        StreamEvent {
            id,
            org,
            kind: kinds::SCORE_UPDATED.into(),
            data: json!({"n": id}),
            at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_slow_receiver_is_told_to_resync_and_never_holds_up_the_others() {
        let hub = Hub::new(4);
        let org = OrgId::generate();
        let mut slow = hub.subscribe(org);
        let mut fast = hub.subscribe(org);
        for id in 1..=10 {
            hub.deliver(event(org, id));
            assert_eq!(fast.recv().await.unwrap().id, id, "delivered at once");
        }
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
        assert_eq!(slow.recv().await.unwrap().id, 7, "then the newest kept");
    }

    #[tokio::test]
    async fn organizations_are_kept_apart_and_idle_channels_go() {
        let hub = Hub::new(8);
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let mut ra = hub.subscribe(a);
        let rb = hub.subscribe(b);
        hub.deliver(event(b, 1));
        hub.deliver(event(a, 2));
        assert_eq!(ra.recv().await.unwrap().id, 2);
        assert_eq!(hub.connections(), 2);
        drop(rb);
        hub.deliver(event(b, 3));
        assert_eq!(hub.connections(), 1);
        assert!(
            !hub.lock().contains_key(&b),
            "a channel nobody listens to is dropped"
        );
    }
}

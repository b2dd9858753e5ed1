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
//! to resync when that was pruned. A stream quiet for `stream_heartbeat_secs` carries a heartbeat.
//!
//! Browsers cannot set headers on an EventSource, and a long-lived token must never sit in a
//! URL: `POST /stream/ticket` gives a signed ticket valid `stream_ticket_ttl_secs` that opens
//! one stream once (its id is recorded in the database when spent, so a second use on any node
//! is refused). Other clients may instead send their bearer credential as usual.

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, header};
use axum::response::{IntoResponse, Response};
use bhd_domain::{Access, OrgId, Principal};
use bhd_store::{Replay, Store, StreamEvent};
use futures_util::stream::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
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
    channels: Mutex<HashMap<OrgId, broadcast::Sender<Arc<Rendered>>>>,
    capacity: usize,
    closed: AtomicBool,
}

impl Hub {
    /// A hub whose clients may fall `capacity` events behind before they must resync.
    pub fn new(capacity: usize) -> Self {
        Self {
            channels: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrgId, broadcast::Sender<Arc<Rendered>>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Listens to the organization's events from now on (closed at once after [`Hub::close`]).
    pub fn subscribe(&self, org: OrgId) -> broadcast::Receiver<Arc<Rendered>> {
        let mut channels = self.lock();
        if self.closed.load(Ordering::Acquire) {
            return broadcast::Sender::new(1).subscribe();
        }
        channels
            .entry(org)
            .or_insert_with(|| broadcast::Sender::new(self.capacity))
            .subscribe()
    }

    /// Hands an event to the organization's listeners on this node; never waits. It is
    /// rendered once here, not once per client.
    pub fn deliver(&self, event: StreamEvent) {
        let mut channels = self.lock();
        if let Some(tx) = channels.get(&event.org) {
            if tx.receiver_count() == 0 {
                channels.remove(&event.org);
            } else {
                let _ = tx.send(Arc::new(Rendered::new(event)));
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

    /// Ends every stream (server shutdown), so that draining connections finishes: dropping
    /// the channels' senders closes every receiver.
    pub fn close(&self) {
        let mut channels = self.lock();
        self.closed.store(true, Ordering::Release);
        channels.clear();
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
    match app.store.append_event(org, kind, &data, now).await {
        Ok(event) => send_logged(app, event).await,
        Err(e) => tracing::warn!(error = %e, org = %org, kind, "could not log an event"),
    }
}

/// Sends an event that is already in the log (stored in the transaction of the change it
/// announces) to the streams of every node.
pub async fn send_logged(app: &AppState, event: StreamEvent) {
    let (org, kind) = (event.org, event.kind.clone());
    match app.pubsub.publish(event).await {
        Ok(()) => {
            metrics::counter!("bhd_stream_events_published_total", "type" => kind).increment(1)
        }
        Err(e) => tracing::warn!(error = %e, org = %org, kind, "could not publish an event"),
    }
}

// ---------------------------------------------------------------------------------------------
// One client's events

/// An event with its envelope rendered as JSON and as an SSE frame, once, shared by every
/// client that sends it (fan-out to thousands of clients then costs a reference count each).
#[derive(Debug, PartialEq)]
pub struct Rendered {
    /// The event.
    pub event: StreamEvent,
    /// Its [`Envelope`] as JSON text.
    pub json: String,
    /// `id:`, `event:` and `data:` lines and the blank line that ends the frame.
    pub sse: Bytes,
}

impl Rendered {
    /// Renders the event's envelope.
    pub fn new(event: StreamEvent) -> Self {
        let envelope = Envelope {
            id: Some(event.id),
            kind: event.kind.clone(),
            at: Some(event.at),
            data: event.data.clone(),
        };
        let json = serde_json::to_string(&envelope).unwrap_or_else(|_| "{}".into());
        let sse = sse_frame(Some(event.id), &event.kind, &json);
        Self { event, json, sse }
    }
}

/// One SSE frame. The JSON has no raw newlines (serde_json escapes them in strings), so it
/// fits one `data:` line; the type is one of ours.
fn sse_frame(id: Option<i64>, kind: &str, json: &str) -> Bytes {
    let mut f = String::with_capacity(json.len() + kind.len() + 40);
    if let Some(id) = id {
        f.push_str("id: ");
        f.push_str(&id.to_string());
        f.push('\n');
    }
    f.push_str("event: ");
    f.push_str(kind);
    f.push_str("\ndata: ");
    f.push_str(json);
    f.push_str("\n\n");
    Bytes::from(f)
}

/// What a stream sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// An event of the log.
    Event(Arc<Rendered>),
    /// The client missed events: refetch everything.
    Resync(&'static str),
    /// Nothing happened for a while: proves the connection alive (SSE comment, WebSocket ping).
    Heartbeat,
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

fn resync_json(reason: &str) -> String {
    let envelope = Envelope {
        id: None,
        kind: kinds::RESYNC.into(),
        at: None,
        data: json!({ "reason": reason }),
    };
    serde_json::to_string(&envelope).unwrap_or_else(|_| "{}".into())
}

impl Outgoing {
    /// As a Server-Sent Events frame.
    fn sse(&self) -> Bytes {
        match self {
            Outgoing::Event(r) => r.sse.clone(),
            Outgoing::Resync(reason) => sse_frame(None, kinds::RESYNC, &resync_json(reason)),
            Outgoing::Heartbeat => Bytes::from_static(b": heartbeat\n\n"),
        }
    }

    /// As a WebSocket message.
    fn ws(&self) -> Message {
        match self {
            Outgoing::Event(r) => Message::Text(r.json.clone().into()),
            Outgoing::Resync(reason) => Message::Text(resync_json(reason).into()),
            Outgoing::Heartbeat => Message::Ping(Bytes::new()),
        }
    }
}

/// One client's events: what the log replayed first, then live ones, and a heartbeat whenever
/// the stream was quiet for a beat. A hand-written stream, polled once per event: it keeps its
/// receiver's wait and its heartbeat timer between polls instead of rebuilding them.
struct Follow {
    pending: VecDeque<Outgoing>,
    replayed: HashSet<i64>,
    rx: BroadcastStream<Arc<Rendered>>,
    beat: tokio::time::Interval,
    _gauge: Gauge,
}

impl Stream for Follow {
    type Item = Outgoing;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Outgoing>> {
        let s = &mut *self;
        if let Some(out) = s.pending.pop_front() {
            return Poll::Ready(Some(out));
        }
        loop {
            match s.rx.poll_next_unpin(cx) {
                // Already sent from the log.
                Poll::Ready(Some(Ok(e))) if s.replayed.remove(&e.event.id) => {}
                Poll::Ready(Some(Ok(e))) => {
                    s.beat.reset();
                    return Poll::Ready(Some(Outgoing::Event(e)));
                }
                Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(_)))) => {
                    return Poll::Ready(Some(Outgoing::Resync("lagged")));
                }
                // The hub closed (shutdown): the stream ends.
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        s.beat.poll_tick(cx).map(|_| Some(Outgoing::Heartbeat))
    }
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
/// then live ones, with a heartbeat whenever `stream_heartbeat_secs` pass without an event,
/// until the server shuts down.
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
                    pending.push_back(Outgoing::Event(Arc::new(Rendered::new(e))));
                }
            }
            Replay::Gap => pending.push_back(Outgoing::Resync("gap")),
        }
    }
    let every = Duration::from_secs(app.config.stream_heartbeat_secs.max(1));
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Ok(Follow {
        pending,
        replayed,
        rx: BroadcastStream::new(rx),
        beat,
        _gauge: Gauge::new(),
    })
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
    let frames = follow(&app, org, last)
        .await?
        .map(|out| Ok::<_, Infallible>(out.sse()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            // Proxies (nginx) must not buffer the stream.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(frames),
    )
        .into_response())
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
    Ok(upgrade.on_upgrade(move |socket| pump(socket, events)))
}

/// Sends events to a WebSocket until either side stops; heartbeats are pings. While a slow
/// client holds `send`, its events wait in the hub's channel, and past the bound it is told to
/// resync.
async fn pump(mut socket: WebSocket, events: impl Stream<Item = Outgoing> + Send) {
    let mut events = std::pin::pin!(events);
    loop {
        tokio::select! {
            out = events.next() => {
                let Some(out) = out else { break };
                if socket.send(out.ws()).await.is_err() {
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
            assert_eq!(fast.recv().await.unwrap().event.id, id, "delivered at once");
        }
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
        assert_eq!(
            slow.recv().await.unwrap().event.id,
            7,
            "then the newest kept"
        );
    }

    #[tokio::test]
    async fn organizations_are_kept_apart_and_idle_channels_go() {
        let hub = Hub::new(8);
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let mut ra = hub.subscribe(a);
        let rb = hub.subscribe(b);
        hub.deliver(event(b, 1));
        hub.deliver(event(a, 2));
        assert_eq!(ra.recv().await.unwrap().event.id, 2);
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

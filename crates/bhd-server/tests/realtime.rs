//! Real time on both engines: tickets (single-use, short-lived), the SSE stream and the
//! WebSocket carrying `metrics.ingested` and `score.updated`, `Last-Event-ID` replay from the
//! log (and resync past what it keeps), heartbeats, and tenant isolation. Two server
//! processes on one PostgreSQL are in `crates/bhd/tests/nodes.rs`.

mod common;

use bhd_domain::OrgId;
use common::{Engine, Session, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;

on_both_engines!(
    an_ingest_produces_metrics_ingested_then_score_updated,
    last_event_id_replays_what_was_missed,
    resuming_from_before_the_log_is_told_to_resync,
    a_ticket_opens_one_stream_once_and_expires,
    bad_stream_requests_are_refused_clearly,
    streams_carry_only_their_organizations_events,
    an_idle_stream_carries_heartbeats,
    a_busy_stream_carries_no_heartbeats,
    the_websocket_carries_the_same_events,
);

fn org_of(s: &Session) -> OrgId {
    OrgId::from_uuid(uuid::Uuid::parse_str(&s.org_id).unwrap())
}

/// One Server-Sent Events frame.
#[derive(Debug, Default, Clone)]
struct Frame {
    id: Option<String>,
    event: Option<String>,
    data: String,
    comment: Option<String>,
}

impl Frame {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// A minimal SSE reader over a streaming response.
struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(app: &TestApp, query: &str, last_event_id: Option<&str>) -> Self {
        let mut req = app.http.get(format!("{}/api/v1/stream?{query}", app.base));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "stream opened");
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            res,
            buf: String::new(),
        }
    }

    /// Opens the session's organization's stream with a fresh ticket.
    async fn with_ticket(app: &TestApp, s: &Session, last_event_id: Option<&str>) -> Self {
        let t = ticket(app, &s.access).await;
        Self::open(app, &format!("ticket={t}"), last_event_id).await
    }

    /// The next frame (event or comment) within `secs`.
    async fn frame(&mut self, secs: u64) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut f = Frame::default();
                for line in raw.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        f.comment = Some(c.trim().to_owned());
                    } else if let Some((k, v)) = line.split_once(':') {
                        let v = v.strip_prefix(' ').unwrap_or(v);
                        match k {
                            "id" => f.id = Some(v.to_owned()),
                            "event" => f.event = Some(v.to_owned()),
                            "data" => f.data.push_str(v),
                            _ => {}
                        }
                    }
                }
                return Some(f);
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event (heartbeats skipped) within `secs`.
    async fn event(&mut self, secs: u64) -> Frame {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self
                .frame(left.as_secs().max(1))
                .await
                .expect("an event in time");
            if f.event.is_some() {
                return f;
            }
        }
    }

    /// Asserts no event arrives within `millis`.
    async fn quiet(&mut self, millis: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(millis);
        while let Ok(Some(f)) = tokio::time::timeout_at(deadline, self.frame(10)).await {
            assert!(f.event.is_none(), "no event expected, got {f:?}");
        }
    }
}

async fn ticket(app: &TestApp, token: &str) -> String {
    let r = app
        .post("/api/v1/stream/ticket", Some(token), json!({}))
        .await;
    let b = r.ok(200);
    assert_eq!(b["expires_in"], 30);
    b["ticket"].as_str().unwrap().to_owned()
}

async fn push(app: &TestApp, s: &Session, metric: &str, value: &str, at: &str) {
    app.post(
        "/api/v1/metrics",
        Some(&s.access),
        json!({"metric_type": metric, "value": value, "recorded_at": at}),
    )
    .await
    .ok(200);
}

async fn an_ingest_produces_metrics_ingested_then_score_updated(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let t = ticket(&app, &s.access).await;
    let mut sse = Sse::open(&app, &format!("ticket={t}"), None).await;

    push(&app, &s, "revenue", "1200.50", "2026-01-15T12:00:00Z").await;
    let e = sse.event(5).await;
    assert_eq!(e.event.as_deref(), Some("metrics.ingested"));
    let env = e.json();
    assert_eq!(e.id.as_deref(), Some(env["id"].to_string().as_str()));
    assert_eq!(env["type"], "metrics.ingested");
    assert_eq!(env["data"]["accepted"], 1);
    assert_eq!(env["data"]["metric_types"], json!(["revenue"]));
    assert_eq!(env["data"]["source"], "api");

    // The recalculation is debounced (2 s of quiet on the server's clock): move the clock.
    app.clock.advance(chrono::TimeDelta::seconds(3));
    let e = sse.event(15).await;
    assert_eq!(e.event.as_deref(), Some("score.updated"));
    let env = e.json();
    assert!(env["id"].as_i64().unwrap() > 0);
    let stored = app.get("/api/v1/health/score", &s.access).await;
    let stored = stored.ok(200);
    assert_eq!(env["data"]["model_version"], stored["model_version"]);
    assert_eq!(env["data"]["calculated_at"], stored["calculated_at"]);
    assert_eq!(env["data"]["coverage"], stored["coverage"]);
}

async fn last_event_id_replays_what_was_missed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let mut sse = Sse::with_ticket(&app, &s, None).await;
    push(&app, &s, "revenue", "1", "2026-01-01T12:00:00Z").await;
    let first = sse.event(5).await;
    drop(sse);

    // Missed while away: three more ingests.
    for day in 2..=4 {
        push(
            &app,
            &s,
            "revenue",
            "1",
            &format!("2026-01-0{day}T12:00:00Z"),
        )
        .await;
    }
    let first_id = first.id.clone().unwrap();
    let mut sse = Sse::with_ticket(&app, &s, Some(&first_id)).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let e = sse.event(5).await;
        assert_eq!(e.event.as_deref(), Some("metrics.ingested"));
        ids.push(e.id.unwrap().parse::<i64>().unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert!(ids[0] > first_id.parse::<i64>().unwrap());
    // Then live, each event once (none of the replayed ones again).
    push(&app, &s, "revenue", "1", "2026-01-05T12:00:00Z").await;
    let live = sse.event(5).await;
    assert!(live.id.unwrap().parse::<i64>().unwrap() > ids[2]);
    sse.quiet(300).await;

    // The same through the query parameter, for clients that cannot set the header.
    let mut sse = Sse::open(
        &app,
        &format!(
            "ticket={}&last_event_id={}",
            ticket(&app, &s.access).await,
            ids[1]
        ),
        None,
    )
    .await;
    assert_eq!(sse.event(5).await.id.unwrap(), ids[2].to_string());
}

async fn resuming_from_before_the_log_is_told_to_resync(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    let now = app.clock.now_for_tests();
    let mut ids = Vec::new();
    for n in 0..=bhd_store::EVENT_LOG_PER_ORG {
        let e = app
            .store
            .append_event(org, "metrics.ingested", &json!({"n": n}), now)
            .await
            .unwrap();
        ids.push(e.id);
    }
    // The log keeps the last EVENT_LOG_PER_ORG: the first is gone, and a client that saw
    // only the one before it missed it.
    let mut sse = Sse::with_ticket(&app, &s, Some(&(ids[0] - 1).to_string())).await;
    let e = sse.event(5).await;
    assert_eq!(e.event.as_deref(), Some("resync"));
    assert_eq!(e.id, None, "a resync names no event");
    assert_eq!(e.json()["data"]["reason"], "gap");

    // A client that saw the first missed nothing the log lost.
    let mut sse = Sse::with_ticket(&app, &s, Some(&ids[0].to_string())).await;
    let e = sse.event(5).await;
    assert_eq!(e.event.as_deref(), Some("metrics.ingested"));
    assert_eq!(e.json()["data"]["n"], 1);
}

async fn a_ticket_opens_one_stream_once_and_expires(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let t = ticket(&app, &s.access).await;
    let _open = Sse::open(&app, &format!("ticket={t}"), None).await;
    let again = app.get(&format!("/api/v1/stream?ticket={t}"), "").await;
    assert!(
        again.problem(401)["detail"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    // A ticket does not open a WebSocket after it opened a stream either.
    let url = format!(
        "{}/api/v1/ws?ticket={t}",
        app.base.replace("http://", "ws://")
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("a spent ticket opened a WebSocket: {other:?}"),
    }

    let late = ticket(&app, &s.access).await;
    app.clock.advance(chrono::TimeDelta::seconds(31));
    let r = app.get(&format!("/api/v1/stream?ticket={late}"), "").await;
    assert!(
        r.problem(401)["detail"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // An API key with the read scope may get tickets too.
    let (_, key) = app.api_key(&s, &["read"]).await;
    let t = ticket(&app, &key).await;
    let _open = Sse::open(&app, &format!("ticket={t}"), None).await;
}

async fn bad_stream_requests_are_refused_clearly(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    // Neither a ticket nor a credential.
    let r = app.get("/api/v1/stream", "").await;
    assert!(
        r.problem(401)["detail"]
            .as_str()
            .unwrap()
            .contains("ticket")
    );
    // A forged ticket; an access token where a ticket belongs.
    assert_eq!(
        app.get("/api/v1/stream?ticket=nonsense", "").await.status,
        401
    );
    let r = app
        .get(&format!("/api/v1/stream?ticket={}", s.access), "")
        .await;
    assert_eq!(r.status, 401);
    // A Last-Event-ID that is no event id.
    let t = ticket(&app, &s.access).await;
    let r = app
        .get(
            &format!("/api/v1/stream?ticket={t}&last_event_id=yesterday"),
            "",
        )
        .await;
    assert!(
        r.problem(400)["detail"]
            .as_str()
            .unwrap()
            .contains("Last-Event-ID")
    );
    // Tickets need a caller; a bearer opens a stream directly (non-browser clients).
    assert_eq!(
        app.post("/api/v1/stream/ticket", None, json!({}))
            .await
            .status,
        401
    );
    let res = app
        .http
        .get(format!("{}/api/v1/stream", app.base))
        .bearer_auth(&s.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The streams skip the per-frame layers, not the others: a request id, problems for a
    // wrong method, and a place in the OpenAPI document.
    assert!(res.headers().contains_key("x-request-id"));
    app.delete("/api/v1/stream", &s.access).await.problem(405);
    app.assert_documented(
        &s.access,
        &[
            ("/api/v1/stream/ticket", "post"),
            ("/api/v1/stream", "get"),
            ("/api/v1/ws", "get"),
        ],
    )
    .await;
    // A WebSocket path without the upgrade.
    let t = ticket(&app, &s.access).await;
    let r = app.get(&format!("/api/v1/ws?ticket={t}"), "").await;
    assert_eq!(r.status, 400);
}

async fn streams_carry_only_their_organizations_events(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let a = app.signup("ann@example.com", "A").await;
    let b = app.signup("bob@example.com", "B").await;
    let mut sa = Sse::with_ticket(&app, &a, None).await;
    let mut sb = Sse::with_ticket(&app, &b, None).await;
    push(&app, &a, "revenue", "5", "2026-01-01T12:00:00Z").await;
    assert_eq!(sa.event(5).await.json()["data"]["accepted"], 1);
    sb.quiet(500).await;
    // Nor does B replay A's events from the log.
    let mut sb = Sse::with_ticket(&app, &b, Some("0")).await;
    sb.quiet(500).await;
}

async fn an_idle_stream_carries_heartbeats(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |c| c.stream_heartbeat_secs = 1).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let mut sse = Sse::with_ticket(&app, &s, None).await;
    let f = sse.frame(3).await.expect("a heartbeat within 3 s");
    assert_eq!((f.event, f.comment.as_deref()), (None, Some("heartbeat")));
}

async fn a_busy_stream_carries_no_heartbeats(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |c| c.stream_heartbeat_secs = 2).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let mut sse = Sse::with_ticket(&app, &s, None).await;
    // An event every half second for five seconds: never two quiet seconds, so no heartbeat
    // (the events prove the connection alive).
    for i in 0..10 {
        push(&app, &s, "revenue", &i.to_string(), "2026-01-01T12:00:00Z").await;
        let f = sse.frame(2).await.expect("the event, not a quiet beat");
        assert_eq!(f.comment, None, "a heartbeat between events: {f:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Quiet again: the heartbeat comes back.
    let mut beat = false;
    while let Some(f) = sse.frame(5).await {
        if f.comment.as_deref() == Some("heartbeat") {
            beat = true;
            break;
        }
    }
    assert!(beat, "a heartbeat once the stream is quiet");
}

async fn the_websocket_carries_the_same_events(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |c| c.stream_heartbeat_secs = 1).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let t = ticket(&app, &s.access).await;
    let url = format!(
        "{}/api/v1/ws?ticket={t}",
        app.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    push(&app, &s, "revenue", "7", "2026-01-01T12:00:00Z").await;
    let mut pinged = false;
    let env = loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        match msg {
            tokio_tungstenite::tungstenite::Message::Text(t) => {
                break serde_json::from_str::<Value>(&t).unwrap();
            }
            tokio_tungstenite::tungstenite::Message::Ping(_) => pinged = true,
            _ => {}
        }
    };
    assert_eq!(env["type"], "metrics.ingested");
    assert_eq!(env["data"]["accepted"], 1);
    let id = env["id"].as_i64().unwrap();

    // Heartbeats are pings.
    while !pinged {
        let msg = tokio::time::timeout(Duration::from_secs(3), ws.next())
            .await
            .expect("a ping in time")
            .unwrap()
            .unwrap();
        pinged = matches!(msg, tokio_tungstenite::tungstenite::Message::Ping(_));
    }
    ws.close(None).await.unwrap();

    // Resuming over a WebSocket too.
    push(&app, &s, "revenue", "8", "2026-01-02T12:00:00Z").await;
    let t = ticket(&app, &s.access).await;
    let url = format!(
        "{}/api/v1/ws?ticket={t}&last_event_id={id}",
        app.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the missed event")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            let env: Value = serde_json::from_str(&t).unwrap();
            assert!(env["id"].as_i64().unwrap() > id);
            break;
        }
    }
    ws.send(tokio_tungstenite::tungstenite::Message::Close(None))
        .await
        .unwrap();
}

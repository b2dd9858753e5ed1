//! The Business Health Dashboard server: the REST API under `/api/v1`, operations endpoints,
//! OpenAPI and interactive docs, and the embedded dashboard, in one axum application.
//!
//! [`run`] serves on a listener the caller opened (port 0 in tests) until `shutdown`
//! completes, then drains in-flight requests. Domain modules (`auth`, `orgs`, `apikeys`,
//! `audit`) each own their router; [`app`] merges them and adds the cross-cutting layers.
//! Nothing here may query tenant data without an `OrgId` taken from the authenticated caller.

pub mod alerts;
pub mod apikeys;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod health;
pub mod import;
pub mod jobs;
pub mod json;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod ops;
pub mod orgs;
pub mod ratelimit;
pub mod realtime;
pub mod secrets;
pub mod state;
pub mod web;

use crate::error::{ApiError, REQUEST_ID};
use crate::state::{App, AppState};
use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use bhd_store::Store;
use clock::{Clock, SystemClock};
use config::Config;
use ratelimit::{LocalRateLimiter, RateLimiter};
use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the shared state: resolves the secret key, sets up the rate limiter and metrics.
pub fn state(
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    let secret = config.resolve_secret_key()?;
    let tokens = auth::tokens::TokenKeys::new(secret.expose(), config.access_token_ttl_secs);
    let limiter: Option<Arc<dyn RateLimiter>> = NonZeroU32::new(config.rate_limit).map(|n| {
        let local = Arc::new(LocalRateLimiter::new(n));
        let weak = Arc::downgrade(&local);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(l) = weak.upgrade() else { break };
                l.forget_idle();
            }
        });
        local as Arc<dyn RateLimiter>
    });
    auth::password::warm_up();
    let hub = Arc::new(realtime::Hub::new(config.stream_buffer));
    let pubsub = realtime::pubsub_for(&store, &hub);
    let cipher = secrets::Cipher::from_config(&config)?;
    let notifier = notify::Notifier::from_config(&config)?;
    Ok(Arc::new(App {
        cipher,
        notifier,
        hub,
        pubsub,
        store,
        clock,
        tokens,
        config,
        limiter,
        metrics: ops::prometheus()?,
    }))
}

/// The whole application: API, docs, operations and dashboard, with every layer.
pub fn app(state: AppState) -> Router {
    let (api, mut openapi) = OpenApiRouter::with_openapi(openapi::base())
        .merge(auth::router())
        .merge(orgs::router())
        .merge(apikeys::router())
        .merge(audit::router())
        .merge(metrics::router())
        .merge(import::router())
        .merge(health::router())
        .merge(alerts::router())
        .split_for_parts();
    let (streams, stream_paths) = realtime::router().split_for_parts();
    openapi.merge(stream_paths);
    let api = api.route(
        "/api/v1/{*rest}",
        axum::routing::any(|| async { ApiError::NotFound }),
    );
    let authenticated = |r: Router<AppState>| {
        r.method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
            .layer(middleware::from_fn_with_state(
                state.clone(),
                auth::extract::authenticate,
            ))
            .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
    };
    let context = |r: Router<AppState>| {
        r.layer(middleware::from_fn(ops::track))
            .layer(middleware::from_fn(request_context))
    };
    let pages = context(
        Router::new()
            .merge(authenticated(api))
            .merge(SwaggerUi::new("/docs").url("/api/v1/openapi.json", openapi))
            .merge(ops::router())
            .fallback(web::serve)
            .layer(CatchPanicLayer::custom(
                |_panic: Box<dyn std::any::Any + Send>| handler_panicked(),
            )),
    )
    .layer(CompressionLayer::new())
    .layer(TraceLayer::new_for_http().make_span_with(request_span));
    // An event stream's body is polled once per event, for each of thousands of clients: it
    // skips the three layers that wrap every frame of a body (each wrapper one more boxed
    // call, TraceLayer's also entering its span). Compression never applies to
    // text/event-stream; `open_stream` traces the handshake in the same span and catches its
    // panics as CatchPanicLayer does (which never covered the body either). In a 10,000-client
    // fan-out the wrappers were a fifth of the server's CPU.
    let streams = context(authenticated(streams).layer(middleware::from_fn(open_stream)));
    Router::new()
        .merge(pages)
        .merge(streams)
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
}

/// The span every request is traced in: method, route and request id.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("http_request", method = %req.method(), route = %route, request_id = %id)
}

/// The answer to a handler that panicked: a 500 problem (the panic is the bug to fix).
fn handler_panicked() -> Response {
    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Opens an event stream in the request span, as `TraceLayer` does for other requests, and
/// answers a panic with a 500, as `CatchPanicLayer` does, without wrapping the stream.
async fn open_stream(req: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    use tracing::Instrument;
    let span = request_span(&req);
    let started = std::time::Instant::now();
    let res = std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .instrument(span.clone())
        .await
        .unwrap_or_else(|_| handler_panicked());
    span.in_scope(|| {
        tracing::debug!(
            status = res.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "stream opened"
        );
    });
    res
}

/// Makes the request id available to error rendering for the rest of the request.
async fn request_context(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let mut res = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if !res.headers().contains_key(&REQUEST_ID_HEADER)
        && let Ok(v) = HeaderValue::from_str(&id)
    {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    res
}

/// Opens the configured database (migrating it) and serves until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = bhd_store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening database {}", redact_url(&config.database_url)))?;
    serve(
        listener,
        state(config, store, Arc::new(SystemClock))?,
        shutdown,
    )
    .await
}

/// Serves an already-built state (tests inject their store and clock this way).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Upkeep (metric partitions ahead on PostgreSQL, retention per plan) once before the first
    // request, so that it never runs beside one that expects its result, then hourly.
    if let Err(e) = upkeep(&state).await {
        tracing::warn!(error = %e, "storage upkeep failed");
    }
    let upkeep = {
        let state = state.clone();
        tokio::spawn(async move {
            let hour = Duration::from_secs(3600);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
            loop {
                tick.tick().await;
                if let Err(e) = upkeep(&state).await {
                    tracing::warn!(error = %e, "storage upkeep failed");
                }
            }
        })
    };
    // Events other nodes publish reach this node's streams (PostgreSQL; listening before the
    // first request is served).
    let listener_task = realtime::start(&state)
        .await
        .context("listening for real-time events")?;
    // The job runner (durable queue in the database, schedules), stopped after the last request.
    // A node started with `run_jobs = false` only serves requests; the others run the jobs.
    let runner = state
        .config
        .run_jobs
        .then(|| jobs::JobRunner::builtin(state.clone()).spawn());
    // Streams never end by themselves: end them when shutdown starts, so draining finishes.
    let hub = state.hub.clone();
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    let app = app(state);
    // Without TCP_NODELAY, a small write (an event frame) waits for the acknowledgement of
    // the previous one (Nagle), so the second of two quick events would arrive a round trip
    // or a delayed ACK (up to 40 ms and more) late.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP");
    upkeep.abort();
    if let Some(t) = listener_task {
        t.abort();
    }
    if let Some(r) = runner {
        r.stop().await;
    }
    served
}

/// Periodic storage upkeep: partitions ahead, then retention per plan.
pub async fn upkeep(state: &AppState) -> anyhow::Result<bhd_store::Retention> {
    let now = state.clock.now();
    state.store.maintain(now).await?;
    let horizons: Vec<_> = bhd_domain::Plan::ALL
        .iter()
        .map(|p| (*p, p.retention_horizon(now)))
        .collect();
    let removed = state.store.apply_retention(&horizons).await?;
    if removed != bhd_store::Retention::default() {
        tracing::info!(
            points_deleted = removed.points_deleted,
            partitions_dropped = removed.partitions_dropped,
            "retention applied"
        );
    }
    Ok(removed)
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

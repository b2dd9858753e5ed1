//! The state every handler shares.

use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::ratelimit::RateLimiter;
use bhd_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// Services and settings of one running server.
pub struct App {
    /// Storage (SQLite or PostgreSQL).
    pub store: Arc<dyn Store>,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
    /// Access-token keys.
    pub tokens: TokenKeys,
    /// The configuration the server started with.
    pub config: Config,
    /// The rate limiter, absent when `rate_limit = 0`.
    pub limiter: Option<Arc<dyn RateLimiter>>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// This node's real-time fan-out.
    pub hub: Arc<crate::realtime::Hub>,
    /// Encrypts notification channels' secrets at rest.
    pub cipher: crate::secrets::Cipher,
    /// Sends alert notifications (email, Slack, webhooks).
    pub notifier: crate::notify::Notifier,
    /// Gets events to the hubs of every node.
    pub pubsub: Arc<dyn crate::realtime::PubSub>,
}

/// Shared handle to [`App`].
pub type AppState = Arc<App>;

//! Delivering one alert notification to one channel: an email over SMTP, a Slack incoming
//! webhook, or a signed HTTP webhook; and checking a channel's settings when it is saved.
//!
//! [`Notifier::send`] makes exactly one attempt and says whether a failure is worth retrying
//! ([`SendError::Retryable`]: connection errors, timeouts, HTTP 5xx/408/429, SMTP 4xx) or not
//! ([`SendError::Permanent`]: other HTTP 4xx, SMTP 5xx, a channel that cannot work). It never
//! retries by itself (the job queue owns retries and their back-off), never follows redirects
//! (a redirect could carry a signed payload, or a Slack URL's token, somewhere else), and never
//! puts a secret in an error, a detail or a log: a Slack webhook URL is a credential, so request
//! errors are stripped of their URL.
//!
//! # Webhook payloads and signatures
//!
//! A webhook channel receives `POST <url>` with these headers:
//!
//! - `Content-Type: application/json`
//! - `User-Agent: bhd-webhooks/1`
//! - `BHD-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`
//!
//! and a JSON body (see [`webhook_body`]):
//!
//! ```json
//! {"type": "alert.triggered", "id": "<alert uuid>", "created": 1735787045,
//!  "data": {"alert_id": "…", "organization": "Acme", "title": "…", "description": "…",
//!           "severity": "high", "status": "active", "metric_type": "revenue",
//!           "current_value": "9 500", "threshold_value": "10 000",
//!           "triggered_at": "2025-01-02T03:04:05Z", "resolved_at": null,
//!           "link": "https://bhd.example.com/alerts/…"}}
//! ```
//!
//! `type` is `alert.triggered`, `alert.resolved` or `test`; `id` is the alert's id, so that a
//! receiver can drop a repeated delivery of the same `(type, id)` (a retry after a timeout may
//! arrive twice); `created` is when the event happened (`resolved_at` for `alert.resolved`,
//! `triggered_at` otherwise). The body of a given event is identical on every attempt; only the
//! signature's `t` changes.
//!
//! To verify a delivery, a receiver:
//!
//! 1. splits `BHD-Signature` on `,` into `t=…` and `v1=…`;
//! 2. computes `HMAC-SHA256(secret, "{t}.{raw body}")` over the body bytes exactly as received
//!    (before any JSON parsing), hex-encoded in lower case;
//! 3. compares it with `v1` in constant time;
//! 4. rejects the delivery when `t` is more than 5 minutes away from its own clock, so that a
//!    captured request cannot be replayed later.
//!
//! `docs/webhooks.md` has the same with Python and Node examples.

use crate::config::Config;
use anyhow::Context;
use bhd_domain::Email;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Name of the header that carries a webhook's signature.
pub const SIGNATURE_HEADER: &str = "BHD-Signature";
/// The `User-Agent` of every notification request, so receivers can recognise and allow it.
pub const USER_AGENT: &str = "bhd-webhooks/1";
/// How long one attempt may take before it counts as a (retryable) timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most recipients one email channel may have: a channel is for a team's inbox or a few people,
/// not a mailing list.
pub const MAX_EMAIL_RECIPIENTS: usize = 10;
/// Shortest webhook signing secret accepted when the user chooses one.
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 16;
/// Longest webhook signing secret accepted (a bound on what is stored, not a security limit).
pub const MAX_WEBHOOK_SECRET_CHARS: usize = 256;
/// Longest URL accepted for a channel.
const MAX_URL_CHARS: usize = 2048;
/// How much of a refusing receiver's response body goes into the delivery's detail.
const MAX_DETAIL_BODY_CHARS: usize = 200;
/// Shown when an email channel is used on a server without SMTP.
const EMAIL_NOT_CONFIGURED: &str =
    "email is not configured on this server: set BHD_SMTP_URL and BHD_SMTP_FROM";

/// The kinds of notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Email over the server's SMTP relay.
    Email,
    /// A Slack incoming webhook (or a Slack-compatible one).
    Slack,
    /// A signed JSON POST to any HTTP(S) endpoint.
    Webhook,
}

impl ChannelKind {
    /// Every kind, in the order the dashboard offers them.
    pub const ALL: [ChannelKind; 3] =
        [ChannelKind::Email, ChannelKind::Slack, ChannelKind::Webhook];

    /// The name stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Slack => "slack",
            ChannelKind::Webhook => "webhook",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel kind name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel kind {0:?}: expected email, slack or webhook")]
pub struct UnknownChannelKind(pub String);

impl FromStr for ChannelKind {
    type Err = UnknownChannelKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownChannelKind(s.to_owned()))
    }
}

/// What is sent, built by the caller from an alert; every channel shows the same facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// `alert.triggered`, `alert.resolved` or `test`.
    pub event: String,
    /// The alert's id (a webhook receiver's deduplication key together with `event`).
    pub alert_id: uuid::Uuid,
    /// The organization's name.
    pub organization: String,
    /// The alert's title.
    pub title: String,
    /// The alert's description (may be empty).
    pub description: String,
    /// `low`, `medium`, `high`, `critical`…, as the alert has it.
    pub severity: String,
    /// The alert's status at the time of sending.
    pub status: String,
    /// The metric the alert watches, if any.
    pub metric_type: Option<String>,
    /// The value that triggered the alert, formatted for people.
    pub current_value: Option<String>,
    /// The threshold it crossed, formatted for people.
    pub threshold_value: Option<String>,
    /// When the alert triggered.
    pub triggered_at: DateTime<Utc>,
    /// When it resolved, if it has.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The dashboard URL of the alert.
    pub link: String,
}

/// Where one notification goes: the channel's kind, its non-secret settings and its decrypted
/// secret. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Target {
    /// The channel's kind.
    pub kind: ChannelKind,
    /// Non-secret settings, as normalized by [`validate_config`]: email `{"to": [...]}`,
    /// webhook `{"url": ...}`, Slack `{}`.
    pub config: Value,
    /// The decrypted secret: a Slack webhook URL, or a webhook signing secret.
    pub secret: Option<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .field("config", &self.config)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A successful delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The HTTP status the receiver answered (None for email).
    pub status: Option<u16>,
    /// What to show in the delivery log, e.g. `HTTP 200` or `SMTP 250 2.0.0 queued`.
    pub detail: String,
}

/// A failed delivery, and whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The receiver or the network failed for now (timeout, 5xx, 429, SMTP 4xx): retry later.
    #[error("{0}")]
    Retryable(String),
    /// It will fail the same way every time (4xx, SMTP 5xx, a misconfigured channel).
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable(_))
    }

    /// The explanation, for the delivery log.
    pub fn detail(&self) -> &str {
        match self {
            SendError::Retryable(d) | SendError::Permanent(d) => d,
        }
    }
}

/// Sends notifications: one HTTP client and, when configured, one SMTP relay, shared by every
/// delivery.
#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    smtp: Option<SmtpSettings>,
    timeout: Duration,
}

/// The SMTP relay and the sender address of every email.
#[derive(Clone)]
struct SmtpSettings {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl fmt::Debug for Notifier {
    // The SMTP transport holds the relay's credentials: show only whether email is configured.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("email", &self.smtp.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Notifier {
    /// The notifier for this server, with the default 10 s timeout per attempt.
    pub fn from_config(cfg: &Config) -> anyhow::Result<Self> {
        Self::with_timeout(cfg, DEFAULT_TIMEOUT)
    }

    /// The same with another timeout per attempt (tests use a short one).
    pub fn with_timeout(cfg: &Config, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .context("building the HTTP client for notifications")?;
        // Half a configuration is refused at start rather than discovered at the first alert.
        let smtp = match (&cfg.smtp_url, &cfg.smtp_from) {
            (None, None) => None,
            (Some(url), Some(from)) => Some(SmtpSettings::new(url.expose(), from, timeout)?),
            (Some(_), None) => anyhow::bail!(
                "BHD_SMTP_URL is set but BHD_SMTP_FROM is not: set the address email notifications are sent from"
            ),
            (None, Some(_)) => anyhow::bail!(
                "BHD_SMTP_FROM is set but BHD_SMTP_URL is not: set the SMTP server to send email notifications through"
            ),
        };
        Ok(Self {
            http,
            smtp,
            timeout,
        })
    }

    /// Whether this server can send email (the dashboard hides or explains email channels).
    pub fn email_configured(&self) -> bool {
        self.smtp.is_some()
    }

    /// Makes one delivery attempt of `msg` to `target`; `now` stamps the webhook signature.
    pub async fn send(
        &self,
        target: &Target,
        msg: &Message,
        now: DateTime<Utc>,
    ) -> Result<Sent, SendError> {
        match target.kind {
            ChannelKind::Email => self.send_email(target, msg).await,
            ChannelKind::Slack => {
                let url = target.secret.as_deref().ok_or_else(|| {
                    SendError::Permanent(
                        "this Slack channel has no webhook URL: edit the channel and set it".into(),
                    )
                })?;
                self.post(url, slack_body(msg).to_string().into_bytes(), None)
                    .await
            }
            ChannelKind::Webhook => {
                let url = target
                    .config
                    .get("url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        SendError::Permanent("this webhook channel has no URL".into())
                    })?;
                let secret = target.secret.as_deref().ok_or_else(|| {
                    SendError::Permanent(
                        "this webhook channel has no signing secret: edit the channel to set one"
                            .into(),
                    )
                })?;
                let body = webhook_body(msg);
                let signature = signature_header(secret, now.timestamp(), &body);
                self.post(url, body, Some(signature)).await
            }
        }
    }

    /// POSTs a JSON body and classifies the outcome.
    async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Result<Sent, SendError> {
        let mut req = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(sig) = signature {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        let res = req.send().await.map_err(|e| self.request_error(e))?;
        let status = res.status();
        if status.is_success() {
            return Ok(Sent {
                status: Some(status.as_u16()),
                detail: format!("HTTP {}", status.as_u16()),
            });
        }
        let retry_after = res
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(|v| format!(" (Retry-After: {})", clean(v, 40)));
        let snippet = body_snippet(res).await;
        let mut detail = format!("HTTP {status}");
        if status.is_redirection() {
            detail.push_str(": redirects are not followed; use the final URL");
        } else if !snippet.is_empty() {
            detail.push_str(": ");
            detail.push_str(&snippet);
        }
        detail.push_str(retry_after.as_deref().unwrap_or_default());
        if is_retryable_status(status) {
            Err(SendError::Retryable(detail))
        } else {
            Err(SendError::Permanent(detail))
        }
    }

    /// Classifies a request that got no HTTP response, without the URL (a Slack URL is secret).
    fn request_error(&self, e: reqwest::Error) -> SendError {
        let e = e.without_url();
        if e.is_builder() {
            SendError::Permanent(format!("invalid request: {}", chain(&e)))
        } else if e.is_timeout() {
            SendError::Retryable(format!("no response within {:?}", self.timeout))
        } else if e.is_connect() {
            SendError::Retryable(format!("could not connect: {}", chain(&e)))
        } else {
            SendError::Retryable(format!("request failed: {}", chain(&e)))
        }
    }

    /// Sends the email through the relay.
    async fn send_email(&self, target: &Target, msg: &Message) -> Result<Sent, SendError> {
        let smtp = self
            .smtp
            .as_ref()
            .ok_or_else(|| SendError::Permanent(EMAIL_NOT_CONFIGURED.into()))?;
        let to = recipients(&target.config).map_err(SendError::Permanent)?;
        let mail = email(msg, &smtp.from, &to)
            .map_err(|e| SendError::Permanent(format!("cannot build the email: {e:#}")))?;
        match smtp.transport.send(mail).await {
            Ok(res) => {
                let line = res.message().next().unwrap_or_default();
                Ok(Sent {
                    status: None,
                    detail: format!("SMTP {} {}", res.code(), clean(line, 100))
                        .trim_end()
                        .to_owned(),
                })
            }
            Err(e) => Err(smtp_error(&e)),
        }
    }
}

impl SmtpSettings {
    fn new(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        from.parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("BHD_SMTP_FROM {from:?} is not a valid address: {e}"))?;
        // lettre's error names the problem, never the URL, so credentials in it stay private.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                anyhow::anyhow!(
                    "BHD_SMTP_URL is not a usable SMTP URL ({e}); expected smtp://host:port, \
                     smtp://host:port?tls=required (STARTTLS) or smtps://host:port"
                )
            })?
            .timeout(Some(timeout))
            .build();
        Ok(Self {
            transport,
            from: from.to_owned(),
        })
    }
}

/// Whether an HTTP status means "try again later": server errors, rate limiting, and 408.
fn is_retryable_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

/// SMTP failures: 4xx replies and network trouble may pass, 5xx replies and a message the
/// client refuses will not.
fn smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
    let detail = match e.status() {
        Some(code) => format!("SMTP {code}: {}", chain(e)),
        None => format!("SMTP: {}", chain(e)),
    };
    if e.is_permanent() || e.is_client() {
        SendError::Permanent(detail)
    } else {
        SendError::Retryable(detail)
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        // Some errors repeat their source in their own message.
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

/// The start of a refusing receiver's body, on one line, so the delivery log says why.
async fn body_snippet(mut res: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    // Read only what is shown: a receiver may answer an error with a large page.
    while bytes.len() < MAX_DETAIL_BODY_CHARS * 4 {
        match res.chunk().await {
            Ok(Some(c)) => bytes.extend_from_slice(&c),
            _ => break,
        }
    }
    clean(&String::from_utf8_lossy(&bytes), MAX_DETAIL_BODY_CHARS)
}

/// `s` on one line without control characters, cut to `max` characters.
fn clean(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = one_line.split_whitespace().collect();
    truncate(&words.join(" "), max)
}

/// `s` cut to at most `max` characters, marking the cut with `…`.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The recipients stored in an email channel's settings.
fn recipients(config: &Value) -> Result<Vec<String>, String> {
    let to: Vec<String> = config
        .get("to")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if to.is_empty() {
        return Err("this email channel has no recipients".into());
    }
    Ok(to)
}

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`: the value of the `BHD-Signature` header.
///
/// The timestamp is inside the signed text so that a receiver that rejects old timestamps
/// also rejects replays.
pub fn signature_header(secret: &str, t: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never fails; the fallback only satisfies the type.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return format!("t={t},v1=");
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// When the event happened: the resolution for `alert.resolved`, the trigger otherwise.
fn event_time(msg: &Message) -> DateTime<Utc> {
    match (msg.event.as_str(), msg.resolved_at) {
        ("alert.resolved", Some(at)) => at,
        _ => msg.triggered_at,
    }
}

/// RFC 3339 in UTC with a `Z`, as every timestamp in the payload.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The webhook payload: `{"type", "id" (the alert's id), "created" (unix seconds of the event),
/// "data": {alert fields}}`; identical on every attempt of one event, so a receiver can
/// deduplicate on `(type, id)`. The shape is public (docs/webhooks.md): add fields, never
/// rename or remove one.
pub fn webhook_body(msg: &Message) -> Vec<u8> {
    let body = json!({
        "type": msg.event,
        "id": msg.alert_id,
        "created": event_time(msg).timestamp(),
        "data": {
            "alert_id": msg.alert_id,
            "organization": msg.organization,
            "title": msg.title,
            "description": msg.description,
            "severity": msg.severity,
            "status": msg.status,
            "metric_type": msg.metric_type,
            "current_value": msg.current_value,
            "threshold_value": msg.threshold_value,
            "triggered_at": rfc3339(msg.triggered_at),
            "resolved_at": msg.resolved_at.map(rfc3339),
            "link": msg.link,
        }
    });
    // Value's Display is its compact JSON and cannot fail, unlike serde_json::to_vec's type.
    body.to_string().into_bytes()
}

/// The one-line label every channel leads with: `[HIGH] title`, `[RESOLVED] title` or
/// `[TEST] title` (words, not emoji, so it reads the same in every client and in plain text).
fn headline(msg: &Message) -> String {
    let tag = match msg.event.as_str() {
        "alert.resolved" => "RESOLVED".to_owned(),
        "test" => "TEST".to_owned(),
        _ => msg.severity.to_uppercase(),
    };
    // Titles are user text: one line, whatever they contain, for subjects and headers.
    format!("[{tag}] {}", clean(&msg.title, usize::MAX))
}

/// Escapes the three characters Slack's mrkdwn treats as markup, so user text cannot ping
/// `<!channel>` or forge links.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook message: `text` for notifications and old clients, and blocks
/// (header, description, the facts as fields, the organization and time, a dashboard button),
/// each cut to Slack's limits so that a long title cannot make Slack refuse the whole message.
pub fn slack_body(msg: &Message) -> Value {
    let head = headline(msg);
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let field = |name: &str, value: String| json!({"type": "mrkdwn", "text": format!("*{name}*\n{}", truncate(&slack_escape(&value), 1900))});
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&head, 150), "emoji": false}
    })];
    if !msg.description.trim().is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(&slack_escape(&msg.description), 2900)}
        }));
    }
    blocks.push(json!({
        "type": "section",
        "fields": [
            field("Current", dash(&msg.current_value)),
            field("Threshold", dash(&msg.threshold_value)),
            field("Metric", dash(&msg.metric_type)),
            field("Status", msg.status.clone()),
        ]
    }));
    let mut context = format!(
        "{} · triggered {}",
        slack_escape(&msg.organization),
        msg.triggered_at.format("%Y-%m-%d %H:%M UTC")
    );
    if let Some(at) = msg.resolved_at {
        context.push_str(&format!(" · resolved {}", at.format("%Y-%m-%d %H:%M UTC")));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(&context, 2900)}]
    }));
    blocks.push(json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": "Open in dashboard"},
            "url": msg.link,
        }]
    }));
    let text = format!(
        "{} ({}): <{}|Open in dashboard>",
        slack_escape(&head),
        slack_escape(&msg.organization),
        msg.link
    );
    json!({ "text": truncate(&text, 3000), "blocks": blocks })
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so that out-of-office responders do not answer
/// the sender address.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// The plain-text email for `msg`: subject `[bhd] [HIGH] title`, then the same facts as the
/// other channels and the dashboard link.
pub fn email(msg: &Message, from: &str, to: &[String]) -> anyhow::Result<lettre::Message> {
    anyhow::ensure!(!to.is_empty(), "an email needs at least one recipient");
    let from: Mailbox = from
        .parse()
        .with_context(|| format!("{from:?} is not a valid sender address"))?;
    // The subject holds user text: keep it on one line whatever the title contains.
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(clean(&format!("[bhd] {}", headline(msg)), 200))
        .header(ContentType::TEXT_PLAIN)
        .header(AutoSubmitted);
    for addr in to {
        let mailbox: Mailbox = addr
            .parse()
            .with_context(|| format!("{addr:?} is not a valid recipient address"))?;
        builder = builder.to(mailbox);
    }
    builder.body(email_text(msg)).context("building the email")
}

/// The email's body.
fn email_text(msg: &Message) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let when = |at: DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut out = format!("{}\n\n", headline(msg));
    if !msg.description.trim().is_empty() {
        out.push_str(msg.description.trim());
        out.push_str("\n\n");
    }
    let mut facts = vec![
        ("Organization", msg.organization.clone()),
        ("Severity", msg.severity.clone()),
        ("Status", msg.status.clone()),
        ("Metric", or_dash(&msg.metric_type)),
        ("Current value", or_dash(&msg.current_value)),
        ("Threshold", or_dash(&msg.threshold_value)),
        ("Triggered at", when(msg.triggered_at)),
    ];
    if let Some(at) = msg.resolved_at {
        facts.push(("Resolved at", when(at)));
    }
    for (name, value) in facts {
        out.push_str(&format!("{:<15}{value}\n", format!("{name}:")));
    }
    out.push_str(&format!("\nOpen in the dashboard:\n{}\n", msg.link));
    out.push_str(&format!(
        "\n-- \nSent by Business Health Dashboard because this address is on an alert channel of {}.\n",
        msg.organization
    ));
    out
}

/// A field and the message to show for it, as the API's validation errors carry them.
pub type FieldError = (String, String);

/// Checks a channel's settings as submitted and splits them into what is stored in clear (the
/// returned `Value`) and the secret to encrypt.
///
/// - email: `{"to": [1..=10 addresses]}` (normalized to lower case, duplicates removed); no secret.
/// - slack: `{"webhook_url": "https://…"}`; the URL is the credential, so it moves into the
///   secret and the stored settings are `{}`.
/// - webhook: `{"url": "http(s)://…", "secret"?: "≥ 16 characters"}`; the signing secret moves
///   into the secret, and one is generated (32 random bytes, hex) when none is given.
///
/// `existing_secret` is the channel's current secret when it is being updated: a Slack or
/// webhook channel whose input leaves the secret out (or `null`) keeps it. Unknown keys are
/// refused, so that a typo is not silently ignored.
pub fn validate_config(
    kind: ChannelKind,
    config: &Value,
    existing_secret: Option<&str>,
) -> Result<(Value, Option<String>), Vec<FieldError>> {
    let Some(obj) = config.as_object() else {
        return Err(vec![("config".into(), "must be an object".into())]);
    };
    let allowed: &[&str] = match kind {
        ChannelKind::Email => &["to"],
        ChannelKind::Slack => &["webhook_url"],
        ChannelKind::Webhook => &["url", "secret"],
    };
    let mut errors: Vec<FieldError> = obj
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| {
            (
                format!("config.{k}"),
                format!("is not a setting of a {kind} channel"),
            )
        })
        .collect();
    let present = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let result = match kind {
        ChannelKind::Email => {
            validate_recipients(obj.get("to"), &mut errors).map(|to| (json!({ "to": to }), None))
        }
        ChannelKind::Slack => {
            let secret = match present("webhook_url") {
                Some(v) => validate_url(v, "config.webhook_url", true, &mut errors),
                None => match existing_secret {
                    Some(s) => Some(s.to_owned()),
                    None => {
                        errors.push(("config.webhook_url".into(), "is required".into()));
                        None
                    }
                },
            };
            secret.map(|s| (json!({}), Some(s)))
        }
        ChannelKind::Webhook => {
            let url = match present("url") {
                Some(v) => validate_url(v, "config.url", false, &mut errors),
                None => {
                    errors.push(("config.url".into(), "is required".into()));
                    None
                }
            };
            let secret = match present("secret") {
                Some(v) => validate_signing_secret(v, &mut errors),
                None => Some(
                    existing_secret
                        .map(str::to_owned)
                        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>())),
                ),
            };
            url.zip(secret)
                .map(|(url, secret)| (json!({ "url": url }), Some(secret)))
        }
    };
    match result {
        Some(ok) if errors.is_empty() => Ok(ok),
        _ => Err(errors),
    }
}

/// 1..=10 valid addresses, normalized and without duplicates.
fn validate_recipients(to: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    let field = "config.to";
    let Some(to) = to.filter(|v| !v.is_null()) else {
        errors.push((field.into(), "is required".into()));
        return None;
    };
    let Some(items) = to.as_array() else {
        errors.push((field.into(), "must be a list of email addresses".into()));
        return None;
    };
    let mut out: Vec<String> = Vec::new();
    let before = errors.len();
    for (i, item) in items.iter().enumerate() {
        let parsed = item
            .as_str()
            .ok_or_else(|| "must be an email address".to_owned())
            .and_then(|s| Email::parse(s).map_err(|e| e.0));
        match parsed {
            Ok(e) => {
                if !out.iter().any(|o| o == e.as_str()) {
                    out.push(e.as_str().to_owned());
                }
            }
            Err(msg) => errors.push((format!("{field}[{i}]"), msg)),
        }
    }
    if errors.len() > before {
        return None;
    }
    if out.is_empty() {
        errors.push((field.into(), "needs at least one email address".into()));
        return None;
    }
    if out.len() > MAX_EMAIL_RECIPIENTS {
        errors.push((
            field.into(),
            format!("may hold at most {MAX_EMAIL_RECIPIENTS} email addresses"),
        ));
        return None;
    }
    Some(out)
}

/// An absolute http(s) URL (https only when `https_only`, except to loopback) with a host and no
/// credentials.
fn validate_url(
    v: &Value,
    field: &str,
    https_only: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let expected = if https_only {
        "must be an https:// URL"
    } else {
        "must be an http:// or https:// URL"
    };
    let mut fail = |msg: &str| {
        errors.push((field.into(), msg.into()));
        None
    };
    let Some(raw) = v.as_str().map(str::trim) else {
        return fail(expected);
    };
    if raw.chars().count() > MAX_URL_CHARS {
        return fail(&format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let Ok(url) = reqwest::Url::parse(raw) else {
        return fail(expected);
    };
    // Plain http to this machine is allowed even where https is required: a local receiver
    // (a Slack-compatible chat in development, a test double) has no certificate to offer.
    let loopback = url.host_str().is_some_and(|h| {
        h.eq_ignore_ascii_case("localhost")
            || h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => !https_only || loopback,
        _ => false,
    };
    if !scheme_ok || url.host_str().is_none_or(str::is_empty) {
        return fail(expected);
    }
    // Credentials in the URL would be stored in clear with the settings: refuse them.
    if !url.username().is_empty() || url.password().is_some() {
        return fail("must not contain a user name or password");
    }
    Some(url.to_string())
}

/// A user-chosen webhook signing secret.
fn validate_signing_secret(v: &Value, errors: &mut Vec<FieldError>) -> Option<String> {
    let field = "config.secret";
    let Some(s) = v.as_str() else {
        errors.push((field.into(), "must be a string".into()));
        return None;
    };
    let n = s.chars().count();
    if n < MIN_WEBHOOK_SECRET_CHARS || s.trim().is_empty() {
        errors.push((
            field.into(),
            format!("must be at least {MIN_WEBHOOK_SECRET_CHARS} characters"),
        ));
        return None;
    }
    if n > MAX_WEBHOOK_SECRET_CHARS {
        errors.push((
            field.into(),
            format!("must be at most {MAX_WEBHOOK_SECRET_CHARS} characters"),
        ));
        return None;
    }
    Some(s.to_owned())
}

/// The input setting that carries a kind's secret (moved out of the stored settings), so that
/// a caller showing a channel can put the secret's [`crate::secrets::hint`] in its place.
pub fn secret_field(kind: ChannelKind) -> Option<&'static str> {
    match kind {
        ChannelKind::Email => None,
        ChannelKind::Slack => Some("webhook_url"),
        ChannelKind::Webhook => Some("secret"),
    }
}

/// The integration tests' SMTP sink, shared so that one implementation is tested and used.
#[cfg(test)]
#[path = "../tests/common/smtp.rs"]
mod smtp_sink;

#[cfg(test)]
mod tests {
    use super::smtp_sink::SmtpSink;
    use super::*;
    use crate::config::Secret;
    use sha2::Digest;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// HMAC-SHA256 written out from RFC 2104, independent of the `hmac` crate the code uses.
    fn reference_hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(msg)
            .finalize();
        Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize()
            .into()
    }

    /// What a receiver does: recompute from the header's `t` and the raw body.
    fn verifies(secret: &str, header_value: &str, body: &[u8]) -> bool {
        let Some((t, v1)) = header_value
            .split_once(',')
            .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        else {
            return false;
        };
        let mut signed = format!("{t}.").into_bytes();
        signed.extend_from_slice(body);
        hex::encode(reference_hmac(secret.as_bytes(), &signed)) == v1
    }

    fn message(event: &str) -> Message {
        Message {
            event: event.into(),
            alert_id: uuid::Uuid::parse_str("0190f0d4-1c2b-7e3a-9d4f-5a6b7c8d9e0f").unwrap(),
            organization: "Acme & Co".into(),
            title: "Revenue below target".into(),
            description: "Daily revenue fell under <10 000>.".into(),
            severity: "high".into(),
            status: "active".into(),
            metric_type: Some("revenue".into()),
            current_value: Some("9 500".into()),
            threshold_value: Some("10 000".into()),
            triggered_at: DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
                .unwrap()
                .with_timezone(&Utc),
            resolved_at: None,
            link: "https://bhd.example.com/alerts/42".into(),
        }
    }

    fn notifier(timeout: Duration) -> Notifier {
        Notifier::with_timeout(&Config::default(), timeout).unwrap()
    }

    fn webhook(url: String, secret: &str) -> Target {
        Target {
            kind: ChannelKind::Webhook,
            config: json!({ "url": url }),
            secret: Some(secret.into()),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_735_787_100, 0).unwrap()
    }

    #[test]
    fn reference_hmac_matches_rfc_4231() {
        // RFC 4231 test cases 2 (short key) and 6 (key longer than the block).
        assert_eq!(
            hex::encode(reference_hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(reference_hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signature_header_matches_an_independent_hmac() {
        let body = br#"{"type":"test"}"#;
        let got = signature_header("whsec_0123456789abcdef", 1_700_000_000, body);
        let expected = reference_hmac(b"whsec_0123456789abcdef", br#"1700000000.{"type":"test"}"#);
        assert_eq!(got, format!("t=1700000000,v1={}", hex::encode(expected)));
        // The vector docs/webhooks.md gives receivers (computed there with Python's hmac).
        assert_eq!(
            got,
            "t=1700000000,v1=09e117e653c04fc19ce984ac2b45e76c90de9c9e1b9be8cc75d48c50f3c9da60"
        );
        assert!(verifies("whsec_0123456789abcdef", &got, body));
        assert!(!verifies("another secret!!", &got, body));
        assert!(!verifies(
            "whsec_0123456789abcdef",
            &got,
            br#"{"type":"tesT"}"#
        ));
        // The timestamp is signed: changing it breaks the signature.
        let moved = got.replace("t=1700000000", "t=1700000001");
        assert!(!verifies("whsec_0123456789abcdef", &moved, body));
    }

    #[test]
    fn channel_kinds_round_trip() {
        for k in ChannelKind::ALL {
            assert_eq!(k.as_str().parse::<ChannelKind>().unwrap(), k);
            assert_eq!(k.to_string(), k.as_str());
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        assert!("sms".parse::<ChannelKind>().is_err());
        assert!("Email".parse::<ChannelKind>().is_err());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let t = webhook("https://example.com/h".into(), "top-secret-signing-key");
        assert!(!format!("{t:?}").contains("top-secret"));
        let cfg = Config {
            smtp_url: Some(Secret::new("smtp://user:hunter2@127.0.0.1:2525")),
            smtp_from: Some("alerts@example.com".into()),
            ..Config::default()
        };
        let n = Notifier::from_config(&cfg).unwrap();
        assert!(n.email_configured());
        assert!(!format!("{n:?}").contains("hunter2"));
    }

    #[test]
    fn webhook_body_shape_is_stable() {
        let body: Value =
            serde_json::from_slice(&webhook_body(&message("alert.triggered"))).unwrap();
        assert_eq!(
            body,
            json!({
                "type": "alert.triggered",
                "id": "0190f0d4-1c2b-7e3a-9d4f-5a6b7c8d9e0f",
                "created": 1_735_787_045,
                "data": {
                    "alert_id": "0190f0d4-1c2b-7e3a-9d4f-5a6b7c8d9e0f",
                    "organization": "Acme & Co",
                    "title": "Revenue below target",
                    "description": "Daily revenue fell under <10 000>.",
                    "severity": "high",
                    "status": "active",
                    "metric_type": "revenue",
                    "current_value": "9 500",
                    "threshold_value": "10 000",
                    "triggered_at": "2025-01-02T03:04:05Z",
                    "resolved_at": null,
                    "link": "https://bhd.example.com/alerts/42",
                }
            })
        );
        let mut resolved = message("alert.resolved");
        resolved.resolved_at = Some(resolved.triggered_at + chrono::Duration::hours(1));
        let body: Value = serde_json::from_slice(&webhook_body(&resolved)).unwrap();
        assert_eq!(body["created"], 1_735_787_045 + 3600);
        assert_eq!(body["data"]["resolved_at"], "2025-01-02T04:04:05Z");
        // Same event, same bytes: only the signature's t differs between attempts.
        assert_eq!(webhook_body(&resolved), webhook_body(&resolved));
    }

    #[tokio::test]
    async fn webhook_is_signed_and_delivered() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/hooks/bhd"))
            .and(header("content-type", "application/json"))
            .and(header("user-agent", "bhd-webhooks/1"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        let secret = "whsec_a-long-enough-secret";
        let msg = message("alert.triggered");
        let sent = notifier(DEFAULT_TIMEOUT)
            .send(
                &webhook(format!("{}/hooks/bhd", server.uri()), secret),
                &msg,
                now(),
            )
            .await
            .unwrap();
        assert_eq!(
            sent,
            Sent {
                status: Some(200),
                detail: "HTTP 200".into()
            }
        );
        let requests = server.received_requests().await.unwrap();
        let req = &requests[0];
        let sig = req.headers.get("bhd-signature").unwrap().to_str().unwrap();
        assert!(sig.starts_with("t=1735787100,v1="), "{sig}");
        assert!(verifies(secret, sig, &req.body));
        assert_eq!(req.body, webhook_body(&msg));
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["type"], "alert.triggered");
        assert_eq!(body["data"]["title"], "Revenue below target");
    }

    async fn webhook_answered(template: ResponseTemplate) -> Result<Sent, SendError> {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(template)
            .mount(&server)
            .await;
        notifier(DEFAULT_TIMEOUT)
            .send(
                &webhook(server.uri(), "whsec_a-long-enough-secret"),
                &message("test"),
                now(),
            )
            .await
    }

    #[tokio::test]
    async fn server_errors_and_rate_limits_are_retryable() {
        let e = webhook_answered(ResponseTemplate::new(500).set_body_string("boom"))
            .await
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.to_string().contains("500") && e.to_string().contains("boom"),
            "{e}"
        );
        let e = webhook_answered(ResponseTemplate::new(429).insert_header("retry-after", "30"))
            .await
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");
        assert!(e.to_string().contains("Retry-After: 30"), "{e}");
        let e = webhook_answered(ResponseTemplate::new(503))
            .await
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");
    }

    #[tokio::test]
    async fn client_errors_are_permanent() {
        let e = webhook_answered(ResponseTemplate::new(404).set_body_string("no such hook\n"))
            .await
            .unwrap_err();
        assert_eq!(
            e,
            SendError::Permanent("HTTP 404 Not Found: no such hook".into())
        );
        let e = webhook_answered(ResponseTemplate::new(401))
            .await
            .unwrap_err();
        assert!(!e.is_retryable());
        let long = "x".repeat(5000);
        let e = webhook_answered(ResponseTemplate::new(400).set_body_string(long))
            .await
            .unwrap_err();
        assert!(e.detail().chars().count() < 260, "{}", e.detail());
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let e = webhook_answered(
            ResponseTemplate::new(301).insert_header("location", "https://elsewhere.example/"),
        )
        .await
        .unwrap_err();
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("redirects are not followed"), "{e}");
    }

    #[tokio::test]
    async fn a_timeout_is_retryable() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        let started = std::time::Instant::now();
        let e = notifier(Duration::from_millis(200))
            .send(
                &webhook(server.uri(), "whsec_a-long-enough-secret"),
                &message("test"),
                now(),
            )
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(e, SendError::Retryable("no response within 200ms".into()));
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let e = notifier(DEFAULT_TIMEOUT)
            .send(
                &webhook(format!("http://{addr}/h"), "whsec_a-long-enough-secret"),
                &message("test"),
                now(),
            )
            .await
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");
        assert!(e.to_string().starts_with("could not connect"), "{e}");
    }

    #[tokio::test]
    async fn slack_posts_to_the_secret_url_and_never_reveals_it() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/services/T0/B0/SECRETTOKEN"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .expect(1)
            .mount(&server)
            .await;
        let target = Target {
            kind: ChannelKind::Slack,
            config: json!({}),
            secret: Some(format!("{}/services/T0/B0/SECRETTOKEN", server.uri())),
        };
        let msg = message("alert.triggered");
        let sent = notifier(DEFAULT_TIMEOUT)
            .send(&target, &msg, now())
            .await
            .unwrap();
        assert_eq!(sent.status, Some(200));
        let requests = server.received_requests().await.unwrap();
        let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body, slack_body(&msg));

        // A failure's detail does not carry the URL, whose path is the credential.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let gone = Target {
            secret: Some(format!("http://{addr}/services/T0/B0/SECRETTOKEN")),
            ..target.clone()
        };
        let e = notifier(DEFAULT_TIMEOUT)
            .send(&gone, &msg, now())
            .await
            .unwrap_err();
        assert!(!e.to_string().contains("SECRETTOKEN"), "{e}");
        let bad = Target {
            secret: Some("not a url SECRETTOKEN".into()),
            ..target.clone()
        };
        let e = notifier(DEFAULT_TIMEOUT)
            .send(&bad, &msg, now())
            .await
            .unwrap_err();
        assert!(!e.is_retryable());
        assert!(!e.to_string().contains("SECRETTOKEN"), "{e}");
        let none = Target {
            secret: None,
            ..target
        };
        let e = notifier(DEFAULT_TIMEOUT)
            .send(&none, &msg, now())
            .await
            .unwrap_err();
        assert!(!e.is_retryable());
    }

    #[test]
    fn slack_body_has_the_facts_and_the_link() {
        let body = slack_body(&message("alert.triggered"));
        let text = body["text"].as_str().unwrap();
        assert!(text.starts_with("[HIGH] Revenue below target"), "{text}");
        assert!(text.contains("Acme &amp; Co"), "{text}");
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["text"], "[HIGH] Revenue below target");
        assert_eq!(
            blocks[1]["text"]["text"],
            "Daily revenue fell under &lt;10 000&gt;."
        );
        let fields: Vec<&str> = blocks[2]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "*Current*\n9 500",
                "*Threshold*\n10 000",
                "*Metric*\nrevenue",
                "*Status*\nactive"
            ]
        );
        let button = &blocks.last().unwrap()["elements"][0];
        assert_eq!(button["type"], "button");
        assert_eq!(button["text"]["text"], "Open in dashboard");
        assert_eq!(button["url"], "https://bhd.example.com/alerts/42");

        let mut long = message("alert.resolved");
        long.title = "t".repeat(400);
        long.description = String::new();
        long.metric_type = None;
        let body = slack_body(&long);
        let header = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(header.starts_with("[RESOLVED] ttt"));
        assert_eq!(header.chars().count(), 150);
        // No empty description section (Slack refuses empty text).
        assert_eq!(body["blocks"][1]["fields"][2]["text"], "*Metric*\n—");
    }

    #[test]
    fn email_has_the_subject_facts_and_link() {
        let to = vec!["ops@example.com".to_owned(), "cfo@example.com".to_owned()];
        let mail = email(&message("alert.triggered"), "bhd <alerts@example.com>", &to).unwrap();
        let raw = String::from_utf8(mail.formatted()).unwrap();
        assert!(
            raw.contains("Subject: [bhd] [HIGH] Revenue below target\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("To: ops@example.com, cfo@example.com"),
            "{raw}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("https://bhd.example.com/alerts/42"), "{raw}");
        assert!(raw.contains("Current value: 9 500"), "{raw}");
        assert!(raw.contains("Threshold:     10 000"), "{raw}");

        let mut hostile = message("test");
        hostile.title = "line\r\nBcc: victim@example.com".into();
        let mail = email(&hostile, "alerts@example.com", &to).unwrap();
        let raw = String::from_utf8(mail.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(!head.contains("\r\nBcc:"), "{raw}");
        assert!(
            raw.contains("[TEST] line Bcc: victim@example.com\r\n\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("Subject: [bhd] [TEST] line Bcc: victim@example.com"),
            "{raw}"
        );

        assert!(email(&message("test"), "not an address", &to).is_err());
        assert!(email(&message("test"), "alerts@example.com", &[]).is_err());
        assert!(email(&message("test"), "alerts@example.com", &["nope".into()]).is_err());
    }

    fn email_target(to: &[&str]) -> Target {
        Target {
            kind: ChannelKind::Email,
            config: json!({ "to": to }),
            secret: None,
        }
    }

    fn smtp_config(url: String) -> Config {
        Config {
            smtp_url: Some(Secret::new(url)),
            smtp_from: Some("Business Health <alerts@example.com>".into()),
            ..Config::default()
        }
    }

    #[tokio::test]
    async fn email_goes_through_smtp() {
        let sink = SmtpSink::start().await;
        let n = Notifier::with_timeout(&smtp_config(sink.url()), Duration::from_secs(5)).unwrap();
        let sent = n
            .send(
                &email_target(&["ops@example.com", "cfo@example.com"]),
                &message("alert.triggered"),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(sent.status, None);
        assert!(sent.detail.starts_with("SMTP 250"), "{}", sent.detail);
        let mails = sink.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert_eq!(mail.from, "alerts@example.com");
        assert_eq!(mail.to, ["ops@example.com", "cfo@example.com"]);
        assert_eq!(
            mail.header("subject").as_deref(),
            Some("[bhd] [HIGH] Revenue below target")
        );
        assert!(mail.body().contains("https://bhd.example.com/alerts/42"));
    }

    #[tokio::test]
    async fn smtp_refusals_are_classified() {
        let sink = SmtpSink::rejecting("550 5.1.1 no such user").await;
        let n = Notifier::with_timeout(&smtp_config(sink.url()), Duration::from_secs(5)).unwrap();
        let e = n
            .send(&email_target(&["ops@example.com"]), &message("test"), now())
            .await
            .unwrap_err();
        assert!(!e.is_retryable(), "{e}");
        assert!(e.to_string().contains("550"), "{e}");

        let sink = SmtpSink::rejecting("451 4.3.0 try again later").await;
        let n = Notifier::with_timeout(&smtp_config(sink.url()), Duration::from_secs(5)).unwrap();
        let e = n
            .send(&email_target(&["ops@example.com"]), &message("test"), now())
            .await
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");

        // Nobody listening: retry later.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let n = Notifier::with_timeout(
            &smtp_config(format!("smtp://{addr}")),
            Duration::from_secs(5),
        )
        .unwrap();
        let e = n
            .send(&email_target(&["ops@example.com"]), &message("test"), now())
            .await
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");
    }

    #[tokio::test]
    async fn email_without_smtp_is_a_permanent_failure() {
        let n = notifier(DEFAULT_TIMEOUT);
        assert!(!n.email_configured());
        let e = n
            .send(&email_target(&["ops@example.com"]), &message("test"), now())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            SendError::Permanent(
                "email is not configured on this server: set BHD_SMTP_URL and BHD_SMTP_FROM".into()
            )
        );
    }

    #[test]
    fn half_an_smtp_configuration_is_refused() {
        let only_url = Config {
            smtp_url: Some(Secret::new("smtp://127.0.0.1:2525")),
            ..Config::default()
        };
        assert!(Notifier::from_config(&only_url).is_err());
        let only_from = Config {
            smtp_from: Some("alerts@example.com".into()),
            ..Config::default()
        };
        assert!(Notifier::from_config(&only_from).is_err());
        let bad_url = smtp_config("http://127.0.0.1:2525".into());
        let e = Notifier::from_config(&bad_url).unwrap_err().to_string();
        assert!(e.contains("BHD_SMTP_URL"), "{e}");
        let secret_url = smtp_config("gopher://user:hunter2@mail.example.com".into());
        let e = format!("{:#}", Notifier::from_config(&secret_url).unwrap_err());
        assert!(!e.contains("hunter2"), "{e}");
        let bad_from = Config {
            smtp_from: Some("not an address".into()),
            ..smtp_config("smtp://127.0.0.1:2525".into())
        };
        assert!(Notifier::from_config(&bad_from).is_err());
        for ok in [
            "smtp://localhost:2525",
            "smtp://mail.example.com:587?tls=required",
            "smtps://user:pass@mail.example.com",
        ] {
            assert!(
                Notifier::from_config(&smtp_config(ok.into())).is_ok(),
                "{ok}"
            );
        }
    }

    fn fields(r: Result<(Value, Option<String>), Vec<FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn email_settings_are_validated_and_normalized() {
        let (cfg, secret) = validate_config(
            ChannelKind::Email,
            &json!({"to": ["Ops@Example.com", " ops@example.com ", "cfo@example.com"]}),
            None,
        )
        .unwrap();
        assert_eq!(cfg, json!({"to": ["ops@example.com", "cfo@example.com"]}));
        assert_eq!(secret, None);

        let e = |config: Value| fields(validate_config(ChannelKind::Email, &config, None));
        assert_eq!(e(json!({})), ["config.to"]);
        assert_eq!(e(json!({"to": []})), ["config.to"]);
        assert_eq!(e(json!({"to": "ops@example.com"})), ["config.to"]);
        assert_eq!(
            e(json!({"to": ["ok@example.com", "nope", 3]})),
            ["config.to[1]", "config.to[2]"]
        );
        let eleven: Vec<String> = (0..11).map(|i| format!("p{i}@example.com")).collect();
        assert_eq!(e(json!({ "to": eleven })), ["config.to"]);
        assert_eq!(
            e(json!({"to": ["ok@example.com"], "cc": ["x@example.com"]})),
            ["config.cc"]
        );
        assert_eq!(e(json!(["ok@example.com"])), ["config"]);
    }

    #[test]
    fn slack_settings_move_the_url_into_the_secret() {
        let url = "https://hooks.slack.com/services/T0/B0/abc";
        let (cfg, secret) =
            validate_config(ChannelKind::Slack, &json!({ "webhook_url": url }), None).unwrap();
        assert_eq!(cfg, json!({}));
        assert_eq!(secret.as_deref(), Some(url));
        // An update that leaves the URL out keeps the current one.
        let (_, kept) = validate_config(ChannelKind::Slack, &json!({}), Some(url)).unwrap();
        assert_eq!(kept.as_deref(), Some(url));

        let e = |config: Value| fields(validate_config(ChannelKind::Slack, &config, None));
        assert_eq!(e(json!({})), ["config.webhook_url"]);
        assert_eq!(
            e(json!({"webhook_url": "http://hooks.slack.com/x"})),
            ["config.webhook_url"]
        );
        assert_eq!(
            e(json!({"webhook_url": "hooks.slack.com/x"})),
            ["config.webhook_url"]
        );
        assert_eq!(e(json!({"webhook_url": 7})), ["config.webhook_url"]);
        assert_eq!(
            e(json!({"webhook_url": url, "channel": "#ops"})),
            ["config.channel"]
        );
    }

    #[test]
    fn webhook_settings_keep_the_url_and_move_or_make_the_secret() {
        let (cfg, secret) = validate_config(
            ChannelKind::Webhook,
            &json!({"url": "https://example.com/hooks/bhd", "secret": "0123456789abcdef"}),
            None,
        )
        .unwrap();
        assert_eq!(cfg, json!({"url": "https://example.com/hooks/bhd"}));
        assert_eq!(secret.as_deref(), Some("0123456789abcdef"));

        let (_, generated) = validate_config(
            ChannelKind::Webhook,
            &json!({"url": "http://10.0.0.1:8080/h"}),
            None,
        )
        .unwrap();
        let generated = generated.unwrap();
        assert_eq!(generated.len(), 64);
        assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
        let (_, other) = validate_config(
            ChannelKind::Webhook,
            &json!({"url": "http://10.0.0.1:8080/h"}),
            None,
        )
        .unwrap();
        assert_ne!(other.unwrap(), generated);
        let (_, kept) = validate_config(
            ChannelKind::Webhook,
            &json!({"url": "https://example.com/h", "secret": null}),
            Some("the-current-secret-value"),
        )
        .unwrap();
        assert_eq!(kept.as_deref(), Some("the-current-secret-value"));

        let e = |config: Value| fields(validate_config(ChannelKind::Webhook, &config, None));
        assert_eq!(e(json!({})), ["config.url"]);
        assert_eq!(e(json!({"url": "ftp://example.com/h"})), ["config.url"]);
        assert_eq!(
            e(json!({"url": "https://user:pw@example.com/h"})),
            ["config.url"]
        );
        assert_eq!(
            e(json!({"url": format!("https://example.com/{}", "a".repeat(2100))})),
            ["config.url"]
        );
        assert_eq!(
            e(json!({"url": "https://example.com/h", "secret": "short"})),
            ["config.secret"]
        );
        assert_eq!(
            e(json!({"url": "https://example.com/h", "secret": 1234567890123456_i64})),
            ["config.secret"]
        );
        assert_eq!(
            e(json!({"url": "nope", "secret": "short", "headers": {}})),
            ["config.headers", "config.url", "config.secret"]
        );
    }

    #[test]
    fn secret_fields_match_validation() {
        assert_eq!(secret_field(ChannelKind::Email), None);
        assert_eq!(secret_field(ChannelKind::Slack), Some("webhook_url"));
        assert_eq!(secret_field(ChannelKind::Webhook), Some("secret"));
    }
}

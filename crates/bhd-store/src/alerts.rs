//! Alert rules, alerts, notification channels and deliveries: the [`AlertStore`] part of
//! [`crate::Store`], and the plain data it reads and writes.
//!
//! The store keeps a rule's definition as the JSON the domain validated (`bhd_domain::alerts`);
//! it never interprets it. What it does guarantee:
//! - exactly one open (`active` or `acknowledged`) alert per rule, by a partial unique index;
//! - lifecycle changes checked by the domain's state machine against the row as it is, inside
//!   the transaction that changes it (an illegal change is [`crate::StoreError::Illegal`]);
//! - an evaluation's outcome (rule states, new and resolved alerts, their deliveries and the
//!   jobs that send them) written in one transaction, so a notification is never lost between
//!   "the alert exists" and "its delivery is queued".
//!
//! The queries live in `alerts_sql.rs`, compiled once per engine like `common.rs`.

use crate::Result;
use async_trait::async_trait;
use bhd_domain::{OrgId, UserId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// What the evaluation remembers about a rule between runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleStateRecord {
    /// Consecutive evaluations the condition held.
    pub streak: u32,
    /// Since when it has held without a break.
    pub pending_since: Option<DateTime<Utc>>,
    /// When the rule last raised an alert (for the cooldown).
    pub last_triggered_at: Option<DateTime<Utc>>,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRuleRecord {
    pub id: Uuid,
    pub name: String,
    /// The validated definition (`bhd_domain::alerts::RuleSpec` as JSON).
    pub spec: Value,
    /// Created as one of the organization's default rules.
    pub is_default: bool,
    pub state: RuleStateRecord,
    /// The rule's open alert and its status, if any.
    pub open_alert: Option<(Uuid, String)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub severity: String,
    pub category: String,
    pub metric_type: Option<String>,
    /// The rule's target as JSON (`{"metric_type": …}` or `{"score": …}` or `{"factor": …}`).
    pub target: Value,
    pub title: String,
    pub description: String,
    pub threshold_value: Option<String>,
    pub current_value: Option<String>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub status: String,
    pub severity: String,
    pub category: String,
    pub metric_type: Option<String>,
    pub target: Value,
    pub title: String,
    pub description: String,
    pub threshold_value: Option<String>,
    pub current_value: Option<String>,
    pub triggered_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// `auto` (the condition cleared), `user`, or `rule_deleted`.
    pub resolved_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// What an evaluation decided for one rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    /// Only the rule's state changes.
    Keep,
    /// Raise an alert (skipped if the rule already has an open one) and notify `channels`.
    Trigger {
        alert: NewAlert,
        channels: Vec<Uuid>,
    },
    /// Resolve the rule's open alert (if any) with this reading, and notify `channels`.
    Resolve {
        current_value: Option<String>,
        description: Option<String>,
        channels: Vec<Uuid>,
    },
}

/// One rule's result of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleUpdate {
    pub rule_id: Uuid,
    /// The state to store; `None` leaves it as it is (nothing changed).
    pub state: Option<RuleStateRecord>,
    pub outcome: RuleOutcome,
}

/// What happened to an alert in an evaluation, with the stream event that announces it
/// (already in the organization's event log, stored in the same transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    /// `alert.triggered` or `alert.resolved`.
    pub event: &'static str,
    pub alert: AlertRecord,
    pub stream_event: crate::StreamEvent,
}

/// Renders an alert as the stream event's data (the API's JSON of the alert).
pub type RenderAlert = dyn Fn(&AlertRecord) -> Value + Send + Sync;

/// A person's change to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    Acknowledge,
    Resolve,
}

/// A notification channel to store. The caller generates `id` (it binds the secret's
/// ciphertext to the row) and encrypts the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    /// Settings that are not secret (email recipients, a webhook's URL).
    pub config: Value,
    /// Ciphertext of the secret, if the kind has one.
    pub secret: Option<Vec<u8>>,
    /// What may be shown of the secret.
    pub secret_hint: Option<String>,
}

/// A stored channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRecord {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub config: Value,
    pub secret: Option<Vec<u8>>,
    pub secret_hint: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One notification of one alert event on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub alert_id: Uuid,
    pub channel_id: Uuid,
    pub channel_name: String,
    pub channel_kind: String,
    /// `alert.triggered` or `alert.resolved`.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub response_status: Option<u16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryAttempt {
    /// The receiver took it.
    Delivered { response_status: Option<u16> },
    /// It failed; `last` says whether no attempt follows (the delivery is then `failed`).
    Failed {
        error: String,
        response_status: Option<u16>,
        last: bool,
    },
}

/// What an evaluation needs to read besides the rules (only what its rules watch).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertReads {
    /// Metrics whose daily roll-ups are read (with the organization's custom types).
    pub metrics: Vec<String>,
    /// Local days of roll-ups read, up to and including the organization's today at `now`.
    pub days: u32,
    pub now: DateTime<Utc>,
    /// Read the latest score (with its breakdown).
    pub latest_score: bool,
    /// Read the scores calculated since then.
    pub history_from: Option<DateTime<Utc>>,
    /// Read the latest calculation's insights.
    pub insights: bool,
}

/// What [`AlertReads`] asked for, read in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertInputs {
    pub organization: crate::Organization,
    pub daily: Vec<crate::DailyRollup>,
    pub custom_types: Vec<bhd_domain::MetricDef>,
    pub latest_score: Option<crate::HealthRecord>,
    pub history: Vec<crate::HealthPoint>,
    pub insights: Vec<crate::InsightRecord>,
}

/// The job kind that sends one delivery (payload `{"delivery": id}`); the store enqueues it
/// with the delivery, in the same transaction.
pub const DELIVER_JOB: &str = "alerts.deliver";
/// Attempts a delivery gets before it is `failed`.
pub const DELIVERY_ATTEMPTS: u32 = 6;
/// Most alerts one listing answers.
pub const MAX_ALERTS: u32 = 500;

/// Alerts and everything around them. Part of [`crate::Store`].
#[async_trait]
pub trait AlertStore: Send + Sync + 'static {
    /// Creates the organization's default rules the first time it is called for it; false
    /// (and nothing written) afterwards, so deleted defaults stay deleted.
    async fn seed_default_rules(
        &self,
        org: OrgId,
        rules: &[(String, Value)],
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// The organization's rules, oldest first, with their state and open alert.
    async fn alert_rules(&self, org: OrgId) -> Result<Vec<AlertRuleRecord>>;
    /// One rule.
    async fn alert_rule(&self, org: OrgId, id: Uuid) -> Result<Option<AlertRuleRecord>>;
    /// Adds a rule.
    async fn create_alert_rule(
        &self,
        org: OrgId,
        name: &str,
        spec: &Value,
        now: DateTime<Utc>,
    ) -> Result<AlertRuleRecord>;
    /// Replaces a rule's definition and starts its for-duration again (NotFound if absent).
    async fn update_alert_rule(
        &self,
        org: OrgId,
        id: Uuid,
        name: &str,
        spec: &Value,
        now: DateTime<Utc>,
    ) -> Result<AlertRuleRecord>;
    /// Deletes a rule (NotFound if absent); its open alert, if any, is resolved
    /// (`rule_deleted`) and answered. Its history stays.
    async fn delete_alert_rule(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<AlertRecord>>;
    /// Everything an evaluation reads besides the rules, in one read transaction (one round of
    /// transaction set-up instead of one per read).
    async fn alert_inputs(&self, org: OrgId, reads: &AlertReads) -> Result<AlertInputs>;
    /// Writes an evaluation's outcome in one transaction: rule states, new alerts (one open per
    /// rule: a trigger for a rule that has one is skipped), resolutions, and a delivery with
    /// its [`DELIVER_JOB`] for each existing channel named, and the stream event of each
    /// change (its data rendered by `render`). Answers what changed.
    async fn apply_evaluation(
        &self,
        org: OrgId,
        updates: &[RuleUpdate],
        render: &RenderAlert,
        now: DateTime<Utc>,
    ) -> Result<Vec<AlertChange>>;
    /// Alerts, newest first, optionally of one status.
    async fn alerts(
        &self,
        org: OrgId,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AlertRecord>>;
    /// One alert.
    async fn alert(&self, org: OrgId, id: Uuid) -> Result<Option<AlertRecord>>;
    /// Alerts per status: (active, acknowledged, resolved).
    async fn alert_counts(&self, org: OrgId) -> Result<(u64, u64, u64)>;
    /// A person acknowledges or resolves an alert: checked by the domain's state machine
    /// against the stored status ([`crate::StoreError::Illegal`] when not allowed; NotFound).
    async fn change_alert(
        &self,
        org: OrgId,
        id: Uuid,
        action: AlertAction,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<AlertRecord>;
    /// The organization's channels, oldest first.
    async fn notification_channels(&self, org: OrgId) -> Result<Vec<ChannelRecord>>;
    /// One channel.
    async fn notification_channel(&self, org: OrgId, id: Uuid) -> Result<Option<ChannelRecord>>;
    /// Adds a channel.
    async fn create_notification_channel(
        &self,
        org: OrgId,
        channel: &NewChannel,
        now: DateTime<Utc>,
    ) -> Result<ChannelRecord>;
    /// Replaces a channel's name, settings and secret (its id and kind stay); NotFound if absent.
    async fn update_notification_channel(
        &self,
        org: OrgId,
        channel: &NewChannel,
    ) -> Result<ChannelRecord>;
    /// Deletes a channel; false if there was none. Its deliveries stay in the log.
    async fn delete_notification_channel(&self, org: OrgId, id: Uuid) -> Result<bool>;
    /// An alert's deliveries, oldest first.
    async fn alert_deliveries(&self, org: OrgId, alert_id: Uuid) -> Result<Vec<DeliveryRecord>>;
    /// One delivery.
    async fn delivery(&self, org: OrgId, id: Uuid) -> Result<Option<DeliveryRecord>>;
    /// Records an attempt. A delivery already `delivered` stays so (a retried job that had in
    /// fact succeeded is not counted twice).
    async fn record_delivery(
        &self,
        org: OrgId,
        id: Uuid,
        attempt: &DeliveryAttempt,
        now: DateTime<Utc>,
    ) -> Result<DeliveryRecord>;
}

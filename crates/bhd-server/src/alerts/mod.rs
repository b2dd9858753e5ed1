//! Alerts over HTTP: rules (`/alert-rules`), the alerts they raise (`/alerts`, with their
//! lifecycle and delivery log) and the notification channels (`/notification-channels`, in
//! [`channels`]). Evaluation ([`evaluate`]) and delivery ([`deliver`]) run as jobs.
//!
//! Everyone in the organization reads; members (or keys with the ingest scope) acknowledge and
//! resolve; admins manage rules and channels. Rule definitions are validated by the domain
//! (`bhd_domain::alerts::parse_rule`), which reports every bad field at once.

pub mod channels;
pub mod deliver;
pub mod evaluate;

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bhd_domain::alerts::{self as rules, RuleSpec};
use bhd_domain::{Access, OrgId, Principal};
use bhd_store::{AlertAction, AlertRecord, AlertRuleRecord, DeliveryRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// Most rules an organization may have: every evaluation reads and checks them all.
const MAX_RULES: usize = 500;

/// Stream event: a rule raised an alert.
pub const TRIGGERED: &str = "alert.triggered";
/// Stream event: someone acknowledged an alert.
pub const ACKNOWLEDGED: &str = "alert.acknowledged";
/// Stream event: an alert was resolved (its condition cleared, or by a person).
pub const RESOLVED: &str = "alert.resolved";

/// The alert routes (channels included).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, patch_rule, delete_rule))
        .routes(routes!(list_alerts))
        .routes(routes!(alert_counts))
        .routes(routes!(get_alert))
        .routes(routes!(acknowledge))
        .routes(routes!(resolve))
        .routes(routes!(deliveries))
        .merge(channels::router())
}

fn field_errors(errors: Vec<rules::FieldError>) -> ApiError {
    ApiError::Validation(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect(),
    )
}

/// The organization's default rules as stored JSON.
fn default_rules() -> Vec<(String, Value)> {
    rules::default_rules()
        .into_iter()
        .filter_map(|r| serde_json::to_value(&r).ok().map(|v| (r.name.clone(), v)))
        .collect()
}

/// Creates the organization's default rules if it never had them (once; deleted ones stay
/// deleted).
pub async fn ensure_defaults(app: &AppState, org: OrgId) -> ApiResult<()> {
    app.store
        .seed_default_rules(org, &default_rules(), app.clock.now())
        .await?;
    Ok(())
}

/// A rule's open alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAlertDto {
    id: Uuid,
    /// active or acknowledged.
    status: String,
}

/// A rule as the API shows it: its definition, whether it is a default, its open alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    id: Uuid,
    name: String,
    /// `{"metric_type": …}`, `{"score": "overall" | "financial" | …}` or `{"factor": …}`.
    #[schema(value_type = Object)]
    target: Value,
    /// `{"op", "value"?, "window"?}`.
    #[schema(value_type = Object)]
    condition: Value,
    #[schema(example = "high")]
    severity: String,
    for_evaluations: u32,
    #[schema(example = "0s")]
    for_duration: String,
    #[schema(example = "1h")]
    cooldown: String,
    channels: Vec<Uuid>,
    enabled: bool,
    is_default: bool,
    open_alert: Option<OpenAlertDto>,
    /// Consecutive evaluations the condition has held.
    streak: u32,
    last_triggered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl RuleDto {
    fn new(r: AlertRuleRecord) -> ApiResult<Self> {
        // Stored specs were validated on the way in; reading one back through the parser keeps
        // the answer in the current canonical form.
        let spec = rules::parse_rule(&r.spec).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("stored rule {} is invalid: {e:?}", r.id))
        })?;
        let v = serde_json::to_value(&spec)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("serialising a rule: {e}")))?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        Ok(Self {
            id: r.id,
            name: spec.name.clone(),
            target: v.get("target").cloned().unwrap_or(Value::Null),
            condition: v.get("condition").cloned().unwrap_or(Value::Null),
            severity: spec.severity.as_str().to_owned(),
            for_evaluations: spec.for_evaluations,
            for_duration: text("for_duration"),
            cooldown: text("cooldown"),
            channels: spec.channels.clone(),
            enabled: spec.enabled,
            is_default: r.is_default,
            open_alert: r.open_alert.map(|(id, status)| OpenAlertDto { id, status }),
            streak: r.state.streak,
            last_triggered_at: r.state.last_triggered_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Checks that every channel a rule names exists in the organization.
async fn check_channels(app: &AppState, org: OrgId, spec: &RuleSpec) -> ApiResult<()> {
    if spec.channels.is_empty() {
        return Ok(());
    }
    let known: Vec<Uuid> = app
        .store
        .notification_channels(org)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let errors: Vec<FieldError> = spec
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| !known.contains(c))
        .map(|(i, _)| FieldError {
            field: format!("channels[{i}]"),
            message: "is not a notification channel of this organization".into(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The organization's alert rules (its default rules are created on first use).
#[utoipa::path(get, path = "/api/v1/alert-rules", tag = "alerts",
    responses((status = 200, body = Vec<RuleDto>)), security(("bearer" = [])))]
async fn list_rules(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<RuleDto>>> {
    auth.require(Access::Read)?;
    ensure_defaults(&app, auth.org()).await?;
    let rows = app.store.alert_rules(auth.org()).await?;
    Ok(Json(
        rows.into_iter()
            .map(RuleDto::new)
            .collect::<ApiResult<_>>()?,
    ))
}

/// Creates a rule (admin). Every invalid field is reported at once.
#[utoipa::path(post, path = "/api/v1/alert-rules", tag = "alerts",
    request_body(content = Object, description = "{name, target, condition, severity, for_evaluations?, for_duration?, cooldown?, channels?, enabled?}"),
    responses((status = 201, body = RuleDto), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn create_rule(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<RuleDto>)> {
    auth.require(Access::Admin)?;
    let org = auth.org();
    let spec = rules::parse_rule(&body).map_err(field_errors)?;
    check_channels(&app, org, &spec).await?;
    ensure_defaults(&app, org).await?;
    if app.store.alert_rules(org).await?.len() >= MAX_RULES {
        return Err(ApiError::Conflict(format!(
            "an organization can have at most {MAX_RULES} alert rules"
        )));
    }
    let json = serde_json::to_value(&spec)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("serialising a rule: {e}")))?;
    let rule = app
        .store
        .create_alert_rule(org, &spec.name, &json, app.clock.now())
        .await?;
    evaluate::soon(&app, org).await;
    Ok((StatusCode::CREATED, Json(RuleDto::new(rule)?)))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/alert-rules/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = RuleDto), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn get_rule(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<Json<RuleDto>> {
    auth.require(Access::Read)?;
    let Path(id) = path?;
    let rule = app
        .store
        .alert_rule(auth.org(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(RuleDto::new(rule)?))
}

/// Changes some of a rule's fields (admin); the others keep their values. The rule's
/// for-duration starts again.
#[utoipa::path(patch, path = "/api/v1/alert-rules/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    request_body(content = Object, description = "any of the fields of a rule"),
    responses((status = 200, body = RuleDto), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn patch_rule(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<RuleDto>> {
    auth.require(Access::Admin)?;
    let Path(id) = path?;
    let org = auth.org();
    let current = app
        .store
        .alert_rule(org, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let current_spec = rules::parse_rule(&current.spec)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored rule {id} is invalid: {e:?}")))?;
    let spec = rules::parse_patch(&current_spec, &body).map_err(field_errors)?;
    check_channels(&app, org, &spec).await?;
    let json = serde_json::to_value(&spec)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("serialising a rule: {e}")))?;
    let rule = app
        .store
        .update_alert_rule(org, id, &spec.name, &json, app.clock.now())
        .await?;
    evaluate::soon(&app, org).await;
    Ok(Json(RuleDto::new(rule)?))
}

/// Deletes a rule (admin). Its open alert, if any, is resolved; its alerts stay in the history.
#[utoipa::path(delete, path = "/api/v1/alert-rules/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
async fn delete_rule(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Admin)?;
    let Path(id) = path?;
    let org = auth.org();
    if let Some(alert) = app
        .store
        .delete_alert_rule(org, id, app.clock.now())
        .await?
    {
        publish(&app, org, RESOLVED, &alert).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// An alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    id: Uuid,
    rule_id: Uuid,
    title: String,
    description: String,
    #[schema(example = "high")]
    severity: String,
    /// financial, customer, operational, growth, risk, overall or custom.
    category: String,
    metric_type: Option<String>,
    #[schema(value_type = Object)]
    target: Value,
    /// The rule's threshold (exact decimal).
    threshold_value: Option<String>,
    /// The value that raised (or, once resolved, cleared) it (exact decimal).
    current_value: Option<String>,
    /// active, acknowledged or resolved.
    status: String,
    triggered_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<Uuid>,
    resolved_at: Option<DateTime<Utc>>,
    /// auto (the condition cleared), user or rule_deleted.
    resolved_by: Option<String>,
    updated_at: DateTime<Utc>,
}

impl From<AlertRecord> for AlertDto {
    fn from(a: AlertRecord) -> Self {
        Self {
            id: a.id,
            rule_id: a.rule_id,
            title: a.title,
            description: a.description,
            severity: a.severity,
            category: a.category,
            metric_type: a.metric_type,
            target: a.target,
            threshold_value: a.threshold_value,
            current_value: a.current_value,
            status: a.status,
            triggered_at: a.triggered_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            resolved_at: a.resolved_at,
            resolved_by: a.resolved_by,
            updated_at: a.updated_at,
        }
    }
}

/// An alert as the API and the stream show it.
pub fn render(alert: &AlertRecord) -> Value {
    serde_json::to_value(AlertDto::from(alert.clone())).unwrap_or(Value::Null)
}

/// Publishes an alert event on the organization's stream.
pub async fn publish(app: &AppState, org: OrgId, kind: &str, alert: &AlertRecord) {
    crate::realtime::publish(app, org, kind, render(alert)).await;
}

/// Alert listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertQuery {
    /// active, acknowledged or resolved; all when absent.
    status: Option<String>,
    /// At most this many (default 100, at most 500).
    limit: Option<u32>,
}

/// Alerts, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = Vec<AlertDto>), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn list_alerts(
    State(app): State<AppState>,
    auth: Auth,
    q: Result<Query<AlertQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<AlertDto>>> {
    auth.require(Access::Read)?;
    let Query(q) = q?;
    if let Some(s) = q.status.as_deref()
        && s.parse::<rules::AlertStatus>().is_err()
    {
        return Err(ApiError::field(
            "status",
            "must be active, acknowledged or resolved",
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=bhd_store::MAX_ALERTS).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 500"));
    }
    let rows = app
        .store
        .alerts(auth.org(), q.status.as_deref(), limit)
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Alerts per status.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsDto {
    active: u64,
    acknowledged: u64,
    resolved: u64,
}

/// How many alerts are active, acknowledged and resolved (the navigation's badge).
#[utoipa::path(get, path = "/api/v1/alerts/counts", tag = "alerts",
    responses((status = 200, body = CountsDto)), security(("bearer" = [])))]
async fn alert_counts(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<CountsDto>> {
    auth.require(Access::Read)?;
    let (active, acknowledged, resolved) = app.store.alert_counts(auth.org()).await?;
    Ok(Json(CountsDto {
        active,
        acknowledged,
        resolved,
    }))
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertDto), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn get_alert(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<Json<AlertDto>> {
    auth.require(Access::Read)?;
    let Path(id) = path?;
    let a = app
        .store
        .alert(auth.org(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(a.into()))
}

async fn change(
    app: &AppState,
    auth: &Auth,
    id: Uuid,
    action: AlertAction,
) -> ApiResult<Json<AlertDto>> {
    auth.require(Access::Write)?;
    let org = auth.org();
    let by = match &auth.0 {
        Principal::User { user_id, .. } => Some(*user_id),
        Principal::ApiKey { .. } => None,
    };
    let alert = app
        .store
        .change_alert(org, id, action, by, app.clock.now())
        .await?;
    let kind = match action {
        AlertAction::Acknowledge => ACKNOWLEDGED,
        AlertAction::Resolve => RESOLVED,
    };
    // A person's resolution is not sent to the channels (the one who resolved it knows; the
    // rest of the team sees it live): only automatic resolutions are.
    publish(app, org, kind, &alert).await;
    Ok(Json(alert.into()))
}

/// Acknowledges an active alert (member). 409 if it is not active.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertDto), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn acknowledge(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<Json<AlertDto>> {
    let Path(id) = path?;
    change(&app, &auth, id, AlertAction::Acknowledge).await
}

/// Resolves an active or acknowledged alert (member). 409 if it is already resolved.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertDto), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn resolve(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<Json<AlertDto>> {
    let Path(id) = path?;
    change(&app, &auth, id, AlertAction::Resolve).await
}

/// One notification of an alert on one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    id: Uuid,
    channel_id: Uuid,
    channel_name: String,
    #[schema(example = "webhook")]
    channel_kind: String,
    /// alert.triggered or alert.resolved.
    event: String,
    /// pending, delivered or failed.
    status: String,
    attempts: u32,
    last_error: Option<String>,
    response_status: Option<u16>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryDto {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            id: d.id,
            channel_id: d.channel_id,
            channel_name: d.channel_name,
            channel_kind: d.channel_kind,
            event: d.event,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            response_status: d.response_status,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// The alert's delivery log, oldest first.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/deliveries", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<DeliveryDto>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn deliveries(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<Json<Vec<DeliveryDto>>> {
    auth.require(Access::Read)?;
    let Path(id) = path?;
    let org = auth.org();
    app.store.alert(org, id).await?.ok_or(ApiError::NotFound)?;
    let rows = app.store.alert_deliveries(org, id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

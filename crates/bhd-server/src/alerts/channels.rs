//! Notification channels over HTTP (admin): email recipients, a Slack incoming webhook, or a
//! signed generic webhook (see `docs/webhooks.md`). Secrets (the Slack webhook URL, the webhook
//! signing secret) are encrypted at rest (`crate::secrets`) and never answered: the API shows a
//! hint. A webhook created without a secret gets a generated one, answered once, at creation.

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::json::ApiJson;
use crate::notify::{ChannelKind, Message};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bhd_domain::Access;
use bhd_store::{ChannelRecord, NewChannel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// Longest channel name.
const MAX_NAME: usize = 80;
/// Most channels an organization may have.
const MAX_CHANNELS: usize = 50;

/// The channel routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(test))
}

/// A channel as the API shows it: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelDto {
    id: Uuid,
    /// email, slack or webhook.
    #[schema(example = "webhook")]
    kind: String,
    name: String,
    /// What is not secret: email `{to}`, webhook `{url}`, Slack `{}`.
    #[schema(value_type = Object)]
    config: Value,
    /// A recognisable part of the secret, such as `https://hooks.slack.com/…Xy9Z`.
    secret_hint: Option<String>,
    created_at: DateTime<Utc>,
    /// Only in the answer that created a webhook without a secret: the generated signing
    /// secret, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl From<ChannelRecord> for ChannelDto {
    fn from(c: ChannelRecord) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            name: c.name,
            config: c.config,
            secret_hint: c.secret_hint,
            created_at: c.created_at,
            secret: None,
        }
    }
}

/// A new channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannelDto {
    /// email, slack or webhook.
    kind: String,
    name: String,
    /// email `{to: [addresses]}`; slack `{webhook_url}`; webhook `{url, secret?}`.
    #[schema(value_type = Object)]
    #[serde(default)]
    config: Value,
}

/// The organization's notification channels.
#[utoipa::path(get, path = "/api/v1/notification-channels", tag = "alerts",
    responses((status = 200, body = Vec<ChannelDto>)), security(("bearer" = [])))]
async fn list(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ChannelDto>>> {
    auth.require(Access::Read)?;
    let rows = app.store.notification_channels(auth.org()).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Adds a channel (admin).
#[utoipa::path(post, path = "/api/v1/notification-channels", tag = "alerts", request_body = NewChannelDto,
    responses((status = 201, body = ChannelDto), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn create(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewChannelDto>,
) -> ApiResult<(StatusCode, Json<ChannelDto>)> {
    auth.require(Access::Admin)?;
    let org = auth.org();
    let mut errors = Vec::new();
    let kind: Option<ChannelKind> = match body.kind.parse() {
        Ok(k) => Some(k),
        Err(_) => {
            errors.push(FieldError {
                field: "kind".into(),
                message: "must be email, slack or webhook".into(),
            });
            None
        }
    };
    let name = check_name(&body.name, &mut errors);
    let generated = kind == Some(ChannelKind::Webhook) && body.config.get("secret").is_none();
    let validated = kind.and_then(|k| check_config(k, &body.config, None, &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (Some(kind), Some((config, secret))) = (kind, validated) else {
        return Err(ApiError::field("kind", "must be email, slack or webhook"));
    };
    if app.store.notification_channels(org).await?.len() >= MAX_CHANNELS {
        return Err(ApiError::Conflict(format!(
            "an organization can have at most {MAX_CHANNELS} notification channels"
        )));
    }
    let channel = seal(
        &app,
        org,
        Uuid::now_v7(),
        kind,
        name,
        config,
        secret.as_deref(),
    )?;
    let record = app
        .store
        .create_notification_channel(org, &channel, app.clock.now())
        .await?;
    let mut dto = ChannelDto::from(record);
    if generated {
        dto.secret = secret;
    }
    Ok((StatusCode::CREATED, Json(dto)))
}

/// A channel's name, trimmed, or the error.
fn check_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        errors.push(FieldError {
            field: "name".into(),
            message: format!("must be 1 to {MAX_NAME} characters"),
        });
    }
    name
}

/// The kind's settings split into what is stored in clear and the secret, or the errors.
fn check_config(
    kind: ChannelKind,
    config: &Value,
    existing_secret: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<(Value, Option<String>)> {
    match crate::notify::validate_config(kind, config, existing_secret) {
        Ok(v) => Some(v),
        Err(fields) => {
            errors.extend(fields.into_iter().map(|(field, message)| FieldError {
                field: format!("config.{field}").replace("config.config.", "config."),
                message,
            }));
            None
        }
    }
}

/// The channel as stored: its secret encrypted and bound to the row, with its hint.
fn seal(
    app: &AppState,
    org: bhd_domain::OrgId,
    id: Uuid,
    kind: ChannelKind,
    name: String,
    config: Value,
    secret: Option<&str>,
) -> ApiResult<NewChannel> {
    let (blob, hint) = match secret {
        Some(s) => (
            Some(
                app.cipher
                    .encrypt(s.as_bytes(), &crate::secrets::row_aad(org.as_uuid(), id))
                    .map_err(ApiError::Internal)?,
            ),
            Some(crate::secrets::hint(s)),
        ),
        None => (None, None),
    };
    Ok(NewChannel {
        id,
        kind: kind.as_str().to_owned(),
        name,
        config,
        secret: blob,
        secret_hint: hint,
    })
}

/// Changes to a channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatchDto {
    name: Option<String>,
    /// The kind's settings, whole (`to`, `url`); leave the secret out to keep it, or give a
    /// new `webhook_url` (Slack) or `secret` (webhook) to replace it.
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
}

/// Renames a channel or changes its settings (admin); the kind cannot change. A secret left
/// out is kept, so a webhook's signing secret is rotated by sending a new `config.secret`.
#[utoipa::path(patch, path = "/api/v1/notification-channels/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = ChannelPatchDto,
    responses((status = 200, body = ChannelDto), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn update(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
    ApiJson(body): ApiJson<ChannelPatchDto>,
) -> ApiResult<Json<ChannelDto>> {
    auth.require(Access::Admin)?;
    let Path(id) = path?;
    let org = auth.org();
    let current = app
        .store
        .notification_channel(org, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let target = super::deliver::target(&app, org, &current).map_err(ApiError::Internal)?;
    let mut errors = Vec::new();
    let name = match &body.name {
        Some(n) => check_name(n, &mut errors),
        None => current.name.clone(),
    };
    let config = body.config.as_ref().unwrap_or(&current.config);
    let validated = check_config(target.kind, config, target.secret.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let Some((config, secret)) = validated else {
        return Err(ApiError::field("config", "is invalid"));
    };
    let channel = seal(&app, org, id, target.kind, name, config, secret.as_deref())?;
    let record = app.store.update_notification_channel(org, &channel).await?;
    Ok(Json(record.into()))
}

/// Deletes a channel (admin). Rules that named it stop notifying it; its deliveries stay in
/// the alerts' logs.
#[utoipa::path(delete, path = "/api/v1/notification-channels/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
async fn delete(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Admin)?;
    let Path(id) = path?;
    if app
        .store
        .delete_notification_channel(auth.org(), id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The result of a test notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    /// Whether the receiver took it.
    ok: bool,
    /// The receiver's HTTP status, when there was one.
    status: Option<u16>,
    /// What happened, for people.
    detail: String,
}

/// Sends a test notification through the channel now (admin) and answers what happened. It is
/// not retried and not logged with an alert.
#[utoipa::path(post, path = "/api/v1/notification-channels/{id}/test", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = TestResult), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn test(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, PathRejection>,
) -> ApiResult<Json<TestResult>> {
    auth.require(Access::Admin)?;
    let Path(id) = path?;
    let org = auth.org();
    let channel = app
        .store
        .notification_channel(org, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let o = app.store.organization(org).await?;
    let now = app.clock.now();
    let target = super::deliver::target(&app, org, &channel).map_err(ApiError::Internal)?;
    let msg = Message {
        event: "test".into(),
        alert_id: Uuid::nil(),
        organization: o.name.as_str().to_owned(),
        title: format!("Test notification for {}", channel.name),
        description: "This is a test from Business Health Dashboard: alerts will arrive here."
            .into(),
        severity: "low".into(),
        status: "active".into(),
        metric_type: None,
        current_value: None,
        threshold_value: None,
        triggered_at: now,
        resolved_at: None,
        link: super::deliver::alerts_link(&app),
    };
    let result = match app.notifier.send(&target, &msg, now).await {
        Ok(sent) => TestResult {
            ok: true,
            status: sent.status,
            detail: sent.detail,
        },
        Err(e) => TestResult {
            ok: false,
            status: None,
            detail: e.to_string(),
        },
    };
    Ok(Json(result))
}

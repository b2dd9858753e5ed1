//! The audit log: security events (sign-in, failed sign-in, token reuse, key and member
//! changes) recorded by the other modules, and read by an organization's admins.

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{App, AppState};
use axum::Json;
use axum::extract::{Query, State};
use bhd_domain::{Access, ApiKeyId, OrgId, Principal, UserId};
use bhd_store::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The audit-log routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

impl App {
    /// Records a security event of `org` (None: of no tenant) by `actor`.
    pub async fn audit(
        &self,
        org: Option<OrgId>,
        actor: Actor,
        action: &str,
        target: Option<String>,
        ip: Option<String>,
        detail: serde_json::Value,
    ) -> ApiResult<()> {
        let (user, key) = match actor {
            Actor::User(u) => (Some(u), None),
            Actor::Key(k) => (None, Some(k)),
            Actor::None => (None, None),
        };
        let entry = AuditEntry {
            org_id: org,
            actor_user_id: user,
            actor_api_key_id: key,
            action: action.to_owned(),
            target,
            ip,
            detail,
            at: self.clock.now(),
        };
        self.store.audit(entry).await.map_err(ApiError::from)
    }
}

/// Who did it.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    /// A signed-in user.
    User(UserId),
    /// A program with an API key.
    Key(ApiKeyId),
    /// Nobody known (a failed sign-in for an unknown email).
    None,
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Self {
        match p {
            Principal::User { user_id, .. } => Actor::User(*user_id),
            Principal::ApiKey { key_id, .. } => Actor::Key(*key_id),
        }
    }
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries older than this cursor (the `next_cursor` of the previous page).
    before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
}

/// One recorded event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    id: Uuid,
    action: String,
    actor_user_id: Option<Uuid>,
    actor_api_key_id: Option<Uuid>,
    target: Option<String>,
    ip: Option<String>,
    detail: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AuditEntryDto>,
    /// Pass as `before` for the next page; absent on the last.
    next_cursor: Option<Uuid>,
}

/// The organization's audit log, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "organizations", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn list(
    State(app): State<AppState>,
    auth: Auth,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<AuditPage>> {
    auth.require(Access::Admin)?;
    let Query(q) = q?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 200"));
    }
    let rows = app.store.audit_log(auth.org(), q.before, limit).await?;
    let next_cursor = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items = rows
        .into_iter()
        .map(|r| AuditEntryDto {
            id: r.id,
            action: r.action,
            actor_user_id: r.actor_user_id.map(|u| u.as_uuid()),
            actor_api_key_id: r.actor_api_key_id.map(|k| k.as_uuid()),
            target: r.target,
            ip: r.ip,
            detail: r.detail,
            at: r.at,
        })
        .collect();
    Ok(Json(AuditPage { items, next_cursor }))
}

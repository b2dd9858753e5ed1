//! API keys of the current organization: list, create (the key is shown once), revoke.

use crate::audit::Actor;
use crate::auth::extract::Auth;
use crate::auth::tokens::{API_KEY_PREFIX, new_opaque};
use crate::error::{ApiError, ApiResult, Fields};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bhd_domain::{Access, ApiKeyId, Principal, Scope};
use bhd_store::{ApiKey, NewApiKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The API-key routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// An API key as listed (never the key itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyDto {
    id: Uuid,
    name: String,
    /// The key's first characters, to tell keys apart.
    prefix: String,
    #[schema(value_type = Vec<String>, example = json!(["read", "ingest"]))]
    scopes: Vec<Scope>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyDto {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.as_uuid(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// The organization's keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    items: Vec<ApiKeyDto>,
}

/// A key just created: `key` is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    meta: ApiKeyDto,
    /// The secret key, starting with `bhd_`.
    key: String,
}

/// Body to create a key.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiKeyRequest {
    name: Option<String>,
    /// Any of read, ingest, admin.
    scopes: Option<Vec<String>>,
}

/// The organization's API keys (admin).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = ApiKeyList), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn list(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<ApiKeyList>> {
    auth.require(Access::Admin)?;
    let items = app
        .store
        .api_keys(auth.org())
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(ApiKeyList { items }))
}

/// Creates a key (admin). The answer holds the key; store it now.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKey), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn create(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    auth.require(Access::Admin)?;
    let mut f = Fields::default();
    // Key names follow the same rule as organization names: 1-100 printable characters.
    let name = f.required("name", body.name.as_deref(), bhd_domain::OrgName::parse);
    let scopes = match body.scopes.as_deref() {
        None => f.check("scopes", Err::<Vec<Scope>, _>("is required")),
        Some(s) => f.check("scopes", Scope::parse_list(s)),
    };
    f.finish()?;
    let (Some(name), Some(scopes)) = (name, scopes) else {
        return Err(ApiError::BadRequest("invalid key".into()));
    };
    let (key, key_hash) = new_opaque(API_KEY_PREFIX);
    let created_by = match &auth.0 {
        Principal::User { user_id, .. } => Some(*user_id),
        Principal::ApiKey { .. } => None,
    };
    let stored = app
        .store
        .create_api_key(
            auth.org(),
            NewApiKey {
                name: name.as_str().to_owned(),
                prefix: key[..API_KEY_PREFIX.len() + 8].to_owned(),
                key_hash,
                scopes,
                created_by,
                now: app.clock.now(),
            },
        )
        .await?;
    app.audit(
        Some(auth.org()),
        Actor::from(&auth.0),
        "api_key.created",
        Some(stored.id.to_string()),
        None,
        json!({"name": stored.name, "scopes": stored.scopes}),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            meta: stored.into(),
            key,
        }),
    ))
}

/// Revokes a key at once (admin).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
async fn revoke(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Admin)?;
    let Path(id) = path?;
    if !app
        .store
        .delete_api_key(auth.org(), ApiKeyId::from_uuid(id))
        .await?
    {
        return Err(ApiError::NotFound);
    }
    app.audit(
        Some(auth.org()),
        Actor::from(&auth.0),
        "api_key.revoked",
        Some(id.to_string()),
        None,
        json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

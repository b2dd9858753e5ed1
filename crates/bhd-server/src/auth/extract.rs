//! Authentication and rate limiting for every `/api/v1` request, and the extractors handlers
//! use to demand a caller.
//!
//! The middleware turns a bearer credential (an access token, or an API key starting with
//! `bhd_`) into a [`Principal`], charges the caller's rate-limit budget (per user, per key, or
//! per client address before sign-in), and adds the `RateLimit-*` headers to the answer.
//! Credentials are never logged.

use super::tokens::{API_KEY_PREFIX, hash_opaque};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bhd_domain::{Access, OrgId, Principal, Role, UserId};
use std::net::SocketAddr;

/// The caller of a request that requires authentication.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl Auth {
    /// The caller's organization: the only source of an `OrgId` for tenant queries.
    pub fn org(&self) -> OrgId {
        self.0.org_id()
    }

    /// Refuses with 403 unless the caller has the access.
    pub fn require(&self, access: Access) -> ApiResult<()> {
        if self.0.allows(access) {
            Ok(())
        } else {
            let need = match access {
                Access::Read => "read access",
                Access::Write => "the member role or the ingest scope",
                Access::Admin => "the admin role or the admin scope",
                Access::Owner => "the owner role",
            };
            Err(ApiError::Forbidden(format!("this action needs {need}")))
        }
    }
}

/// A caller that must be a signed-in person (not an API key).
#[derive(Debug, Clone, Copy)]
pub struct UserAuth {
    /// The user.
    pub user_id: UserId,
    /// The organization of the access token.
    pub org_id: OrgId,
    /// The role in that organization.
    pub role: Role,
}

impl UserAuth {
    /// Refuses with 403 unless the role grants the access.
    pub fn require(&self, access: Access) -> ApiResult<()> {
        Auth(Principal::User {
            user_id: self.user_id,
            org_id: self.org_id,
            role: self.role,
        })
        .require(access)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Auth)
            .ok_or(ApiError::Unauthorized(
                "this endpoint needs an access token or API key",
            ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UserAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Auth::from_request_parts(parts, state).await?.0 {
            Principal::User {
                user_id,
                org_id,
                role,
            } => Ok(Self {
                user_id,
                org_id,
                role,
            }),
            Principal::ApiKey { .. } => Err(ApiError::Forbidden(
                "this endpoint needs a signed-in user, not an API key".into(),
            )),
        }
    }
}

/// The client's address, as the socket saw it (proxies are not trusted by default).
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<String> {
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn principal(app: &AppState, token: &str) -> ApiResult<Principal> {
    let now = app.clock.now();
    if token.starts_with(API_KEY_PREFIX) {
        let key = app
            .store
            .api_key_by_hash(&hash_opaque(token))
            .await?
            .ok_or(ApiError::Unauthorized("invalid API key"))?;
        // Recording use is a write: at most once a minute per key, and off the request path.
        if key
            .last_used_at
            .is_none_or(|t| now - t > chrono::Duration::minutes(1))
        {
            let store = app.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_api_key(key.org_id, key.id, now).await {
                    tracing::warn!(error = %e, "could not record API key use");
                }
            });
        }
        return Ok(Principal::ApiKey {
            key_id: key.id,
            org_id: key.org_id,
            scopes: key.scopes,
        });
    }
    let claims = app
        .tokens
        .verify(token, now)
        .ok_or(ApiError::Unauthorized("invalid or expired access token"))?;
    Ok(Principal::User {
        user_id: UserId::from_uuid(claims.sub),
        org_id: OrgId::from_uuid(claims.org),
        role: claims.role,
    })
}

/// Middleware: authenticate (when a credential is present), rate-limit, annotate the answer.
pub async fn authenticate(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let who = match bearer(req.headers()) {
        Some(token) => match principal(&app, token).await {
            Ok(p) => Some(p),
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    let Some(limiter) = app.limiter.clone() else {
        if let Some(p) = who {
            req.extensions_mut().insert(p);
        }
        return next.run(req).await;
    };
    let key = match &who {
        Some(Principal::User { user_id, .. }) => format!("user:{user_id}"),
        Some(Principal::ApiKey { key_id, .. }) => format!("key:{key_id}"),
        None => format!("ip:{}", client_ip(req.extensions()).unwrap_or_default()),
    };
    let d = limiter.check(&key).await;
    let mut res = if d.allowed {
        if let Some(p) = who {
            req.extensions_mut().insert(p);
        }
        next.run(req).await
    } else {
        ApiError::RateLimited {
            retry_after_secs: d.retry_after_secs,
        }
        .into_response()
    };
    let h = res.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(d.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(d.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(d.reset_secs));
    if let Ok(v) = HeaderValue::from_str(&format!("{};w=60", d.limit)) {
        h.insert("ratelimit-policy", v);
    }
    res
}

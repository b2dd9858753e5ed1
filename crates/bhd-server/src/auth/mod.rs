//! Sign-up, sign-in, token refresh with rotation and reuse detection, sign-out, switching
//! organization, and `/me`.
//!
//! Browsers use the cookie session mode (`X-Session-Mode: cookie`): the refresh token then
//! travels only in an HttpOnly, SameSite=Strict cookie scoped to `/api/v1/auth` and is left
//! out of JSON bodies, so page scripts never see it. Requiring that custom header on
//! cookie-based refresh also stops cross-site requests (they cannot set it without CORS).

pub mod extract;
pub mod password;
pub mod tokens;

use crate::audit::Actor;
use crate::error::{ApiError, ApiResult, Fields};
use crate::json::ApiJson;
use crate::orgs::{OrganizationDto, UserDto, new_organization};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use bhd_domain::{Email, OrgId, OrgName, Password, PersonName, Role, UserId};
use bhd_store::{NewRefreshToken, NewUser, Organization, Rotation, User};
use extract::UserAuth;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokens::{REFRESH_PREFIX, hash_opaque, new_opaque};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The auth routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(switch))
        .routes(routes!(me))
}

const REFRESH_COOKIE: &str = "bhd_refresh";
const COOKIE_PATH: &str = "/api/v1/auth";

/// Whether the client asked for the cookie session mode.
fn cookie_mode(headers: &HeaderMap) -> bool {
    headers
        .get("x-session-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cookie"))
}

/// Tokens and who they are for.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    access_token: String,
    /// Opaque refresh token (absent in cookie mode: it is in the HttpOnly cookie instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Always "Bearer".
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
    user: UserDto,
    organization: OrganizationDto,
    /// The user's role in the organization.
    #[schema(value_type = String, example = "owner")]
    role: Role,
}

/// Issues an access token and starts a refresh-token family.
async fn open_session(
    app: &AppState,
    headers: &HeaderMap,
    jar: CookieJar,
    user: User,
    org: Organization,
    role: Role,
    status: StatusCode,
) -> ApiResult<Response> {
    let now = app.clock.now();
    let (refresh, hash) = new_opaque(REFRESH_PREFIX);
    app.store
        .insert_refresh_token(NewRefreshToken {
            token_hash: hash,
            user_id: user.id,
            org_id: org.id,
            issued_at: now,
            expires_at: now + refresh_ttl(app),
        })
        .await?;
    session_response(app, headers, jar, user, org, role, refresh, status)
}

fn refresh_ttl(app: &AppState) -> chrono::Duration {
    chrono::Duration::days(i64::try_from(app.config.refresh_token_ttl_days).unwrap_or(30))
}

#[allow(clippy::too_many_arguments)]
fn session_response(
    app: &AppState,
    headers: &HeaderMap,
    jar: CookieJar,
    user: User,
    org: Organization,
    role: Role,
    refresh: String,
    status: StatusCode,
) -> ApiResult<Response> {
    let access = app.tokens.issue(user.id, org.id, role, app.clock.now())?;
    let cookie = cookie_mode(headers);
    let body = TokenResponse {
        access_token: access,
        refresh_token: (!cookie).then(|| refresh.clone()),
        token_type: "Bearer",
        expires_in: app.tokens.ttl_secs(),
        user: user.into(),
        organization: org.into(),
        role,
    };
    let jar = if cookie {
        jar.add(
            Cookie::build((REFRESH_COOKIE, refresh))
                .http_only(true)
                .secure(app.config.secure_cookies())
                .same_site(SameSite::Strict)
                .path(COOKIE_PATH)
                .max_age(time_duration(refresh_ttl(app))),
        )
    } else {
        jar
    };
    Ok((status, jar, Json(body)).into_response())
}

fn time_duration(d: chrono::Duration) -> time::Duration {
    time::Duration::seconds(d.num_seconds())
}

fn removal_cookie(app: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build((REFRESH_COOKIE, ""))
        .http_only(true)
        .secure(app.config.secure_cookies())
        .same_site(SameSite::Strict)
        .path(COOKIE_PATH)
        .build();
    c.make_removal();
    c
}

/// Sign-up body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    /// Email address (case-insensitive).
    email: Option<String>,
    /// At least 10 characters.
    password: Option<String>,
    /// The person's name.
    name: Option<String>,
    /// The new organization's name.
    organization_name: Option<String>,
}

/// Creates a user and their organization; the user becomes its owner. Pending invitations
/// for the email take effect.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = TokenResponse), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
async fn signup(
    State(app): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ext: axum::http::Extensions,
    ApiJson(body): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    let mut f = Fields::default();
    let email = f.required("email", body.email.as_deref(), Email::parse);
    let password = f.required("password", body.password.as_deref(), Password::parse);
    let name = f.required("name", body.name.as_deref(), PersonName::parse);
    let org_name = f.required(
        "organization_name",
        body.organization_name.as_deref(),
        OrgName::parse,
    );
    f.finish()?;
    let (Some(email), Some(password), Some(name), Some(org_name)) =
        (email, password, name, org_name)
    else {
        return Err(ApiError::BadRequest("invalid sign-up".into()));
    };
    let now = app.clock.now();
    let password_hash = password::hash(password).await?;
    let new_user = NewUser {
        email,
        name: name.as_str().to_owned(),
        password_hash,
        now,
    };
    let (user, org) = match app
        .store
        .signup(new_user, new_organization(org_name, None, None, None, now))
        .await
    {
        Err(bhd_store::StoreError::Conflict("email")) => {
            return Err(ApiError::Validation(vec![crate::error::FieldError {
                field: "email".into(),
                message: "is already registered".into(),
            }]));
        }
        other => other?,
    };
    let ip = extract::client_ip(&ext);
    app.audit(
        Some(org.id),
        Actor::User(user.id),
        "user.signed_up",
        Some(user.email.clone()),
        ip,
        json!({}),
    )
    .await?;
    open_session(
        &app,
        &headers,
        jar,
        user,
        org,
        Role::Owner,
        StatusCode::CREATED,
    )
    .await
}

/// Sign-in body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    email: Option<String>,
    password: Option<String>,
}

/// Signs in to the user's first organization. Unknown email and wrong password get the same
/// answer, in the same time.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
async fn login(
    State(app): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ext: axum::http::Extensions,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let mut f = Fields::default();
    let email = f.required("email", body.email.as_deref(), Email::parse);
    let password = f.required("password", body.password.as_deref(), |p| {
        Ok::<_, &str>(p.to_owned())
    });
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::BadRequest("invalid sign-in".into()));
    };
    let ip = extract::client_ip(&ext);
    let creds = app.store.user_credentials(&email).await?;
    let ok = password::verify(password, creds.as_ref().map(|c| c.password_hash.clone())).await?;
    let memberships = match (&creds, ok) {
        (Some(c), true) => app.store.memberships_of(c.user.id).await?,
        (Some(c), false) => {
            // Tell the user's organizations: someone is trying their account.
            for (org, _) in app.store.memberships_of(c.user.id).await? {
                app.audit(
                    Some(org.id),
                    Actor::User(c.user.id),
                    "auth.sign_in_failed",
                    Some(email.to_string()),
                    ip.clone(),
                    json!({"reason": "wrong password"}),
                )
                .await?;
            }
            return Err(ApiError::Unauthorized("invalid email or password"));
        }
        (None, _) => {
            app.audit(
                None,
                Actor::None,
                "auth.sign_in_failed",
                Some(email.to_string()),
                ip,
                json!({"reason": "unknown email"}),
            )
            .await?;
            return Err(ApiError::Unauthorized("invalid email or password"));
        }
    };
    let Some(creds) = creds else {
        return Err(ApiError::Unauthorized("invalid email or password"));
    };
    let user = creds.user;
    let (org, role) = match memberships.into_iter().next() {
        Some(first) => first,
        None => {
            // Removed from every organization: give them a fresh one rather than a dead end.
            let name = OrgName::parse(&format!("{}'s organization", user.name))
                .map_err(|e| anyhow::anyhow!(e))?;
            let org = app
                .store
                .create_organization(
                    user.id,
                    new_organization(name, None, None, None, app.clock.now()),
                )
                .await?;
            (org, Role::Owner)
        }
    };
    app.audit(
        Some(org.id),
        Actor::User(user.id),
        "auth.signed_in",
        Some(user.email.clone()),
        ip,
        json!({}),
    )
    .await?;
    open_session(&app, &headers, jar, user, org, role, StatusCode::OK).await
}

/// Refresh body; in cookie mode the token comes from the cookie and the body may be `{}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    refresh_token: Option<String>,
}

fn presented_refresh(
    headers: &HeaderMap,
    jar: &CookieJar,
    body: &RefreshRequest,
) -> ApiResult<String> {
    if let Some(t) = body.refresh_token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(t.to_owned());
    }
    if cookie_mode(headers) {
        if let Some(c) = jar.get(REFRESH_COOKIE) {
            return Ok(c.value().to_owned());
        }
        return Err(ApiError::Unauthorized("no session"));
    }
    Err(ApiError::field("refresh_token", "is required"))
}

/// Exchanges a refresh token for a new pair. The presented token is spent; presenting a spent
/// token again revokes every token of its family and is recorded as `auth.refresh_token_reused`.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem)))]
async fn refresh(
    State(app): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ext: axum::http::Extensions,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Response> {
    let presented = presented_refresh(&headers, &jar, &body)?;
    let now = app.clock.now();
    let (next, next_hash) = new_opaque(REFRESH_PREFIX);
    let template = NewRefreshToken {
        token_hash: next_hash,
        user_id: UserId::from_uuid(Uuid::nil()),
        org_id: OrgId::from_uuid(Uuid::nil()),
        issued_at: now,
        expires_at: now + refresh_ttl(&app),
    };
    let denied = |jar: CookieJar| -> ApiResult<Response> {
        let jar = if cookie_mode(&headers) {
            jar.add(removal_cookie(&app))
        } else {
            jar
        };
        let mut res = ApiError::Unauthorized("invalid or expired refresh token").into_response();
        for c in jar.iter() {
            if let Ok(v) = axum::http::HeaderValue::from_str(&c.encoded().to_string()) {
                res.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
        }
        Ok(res)
    };
    match app
        .store
        .rotate_refresh_token(&hash_opaque(&presented), template, now)
        .await?
    {
        Rotation::Rotated {
            user_id, org_id, ..
        } => {
            let role = app.store.role_of(org_id, user_id).await?;
            let user = app.store.user(user_id).await?;
            match (role, user) {
                (Some(role), Some(user)) => {
                    let org = app.store.organization(org_id).await?;
                    session_response(&app, &headers, jar, user, org, role, next, StatusCode::OK)
                }
                _ => {
                    // No longer a member: the session ends here.
                    app.store
                        .revoke_refresh_family(&hash_opaque(&next), now)
                        .await?;
                    denied(CookieJar::new())
                }
            }
        }
        Rotation::Reused {
            user_id,
            org_id,
            family_id,
        } => {
            let ip = extract::client_ip(&ext);
            tracing::warn!(user_id = %user_id, family_id = %family_id, "refresh token reuse: family revoked");
            app.audit(
                Some(org_id),
                Actor::User(user_id),
                "auth.refresh_token_reused",
                None,
                ip,
                json!({"family_id": family_id}),
            )
            .await?;
            denied(CookieJar::new())
        }
        Rotation::Invalid => denied(CookieJar::new()),
    }
}

/// Ends the session: the refresh token's family is revoked.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204), (status = 422, body = crate::error::Problem)))]
async fn logout(
    State(app): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Response> {
    let presented = match presented_refresh(&headers, &jar, &body) {
        Ok(t) => Some(t),
        // Signing out without a session is already done.
        Err(ApiError::Unauthorized(_)) => None,
        Err(e) => return Err(e),
    };
    if let Some(token) = presented
        && let Some((user, org)) = app
            .store
            .revoke_refresh_family(&hash_opaque(&token), app.clock.now())
            .await?
    {
        app.audit(
            Some(org),
            Actor::User(user),
            "auth.signed_out",
            None,
            None,
            json!({}),
        )
        .await?;
    }
    let jar = if cookie_mode(&headers) {
        jar.add(removal_cookie(&app))
    } else {
        jar
    };
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

/// Switch body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SwitchRequest {
    organization_id: Option<Uuid>,
}

/// Issues tokens for another organization the user belongs to (404 if not a member).
#[utoipa::path(post, path = "/api/v1/auth/switch", tag = "auth", request_body = SwitchRequest,
    responses((status = 200, body = TokenResponse), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn switch(
    State(app): State<AppState>,
    auth: UserAuth,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<SwitchRequest>,
) -> ApiResult<Response> {
    let target = body
        .organization_id
        .ok_or_else(|| ApiError::field("organization_id", "is required"))?;
    let org_id = OrgId::from_uuid(target);
    let role = app
        .store
        .role_of(org_id, auth.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let org = app.store.organization(org_id).await?;
    let user = app
        .store
        .user(auth.user_id)
        .await?
        .ok_or(ApiError::Unauthorized("unknown user"))?;
    // The browser's previous session ends with the switch, so one cookie means one family.
    if cookie_mode(&headers)
        && let Some(c) = jar.get(REFRESH_COOKIE)
    {
        app.store
            .revoke_refresh_family(&hash_opaque(c.value()), app.clock.now())
            .await?;
    }
    open_session(&app, &headers, jar, user, org, role, StatusCode::OK).await
}

/// One organization the user belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipDto {
    organization: OrganizationDto,
    #[schema(value_type = String, example = "admin")]
    role: Role,
}

/// The signed-in user, the current organization and every membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    user: UserDto,
    current_organization: OrganizationDto,
    #[schema(value_type = String, example = "owner")]
    role: Role,
    memberships: Vec<MembershipDto>,
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn me(State(app): State<AppState>, auth: UserAuth) -> ApiResult<Json<MeResponse>> {
    let (user, memberships) = app
        .store
        .account(auth.user_id)
        .await?
        .ok_or(ApiError::Unauthorized("unknown user"))?;
    let (current, role) = memberships
        .iter()
        .find(|(o, _)| o.id == auth.org_id)
        .cloned()
        .ok_or(ApiError::Unauthorized(
            "no longer a member of this organization",
        ))?;
    Ok(Json(MeResponse {
        user: user.into(),
        current_organization: current.into(),
        role,
        memberships: memberships
            .into_iter()
            .map(|(o, r)| MembershipDto {
                organization: o.into(),
                role: r,
            })
            .collect(),
    }))
}

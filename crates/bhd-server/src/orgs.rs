//! Organizations and their members: create, read and update the current organization, list
//! and manage members and invitations. Every query is scoped by the caller's `OrgId`.

use crate::audit::Actor;
use crate::auth::extract::{Auth, UserAuth};
use crate::error::{ApiError, ApiResult, Fields};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bhd_domain::{Access, Currency, Email, Industry, OrgName, Principal, Role, TimeZone, UserId};
use bhd_store::{Invitation, Member, NewInvitation, NewOrganization, OrgPatch, Organization, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The organization and member routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_organization))
        .routes(routes!(get_organization, patch_organization))
        .routes(routes!(list_members, add_member))
        .routes(routes!(patch_member, remove_member))
}

/// A user as others see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    id: Uuid,
    email: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email,
            name: u.name,
            created_at: u.created_at,
        }
    }
}

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDto {
    id: Uuid,
    name: String,
    /// Unique handle, used by the command line (`--org`).
    slug: String,
    #[schema(example = "free")]
    plan: String,
    /// Scoring profile: saas, ecommerce, services, retail or general.
    #[schema(example = "saas")]
    industry: String,
    /// ISO 4217 code.
    #[schema(example = "USD")]
    currency: String,
    /// IANA time zone; days and months are cut in it.
    #[schema(example = "Europe/Berlin")]
    timezone: String,
    /// First month of the fiscal year (1-12).
    fiscal_year_start_month: i32,
    settings: serde_json::Value,
    created_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationDto {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.as_uuid(),
            name: o.name,
            slug: o.slug,
            plan: o.plan.to_string(),
            industry: o.industry.to_string(),
            currency: o.currency,
            timezone: o.timezone,
            fiscal_year_start_month: o.fiscal_year_start_month,
            settings: o.settings,
            created_at: o.created_at,
        }
    }
}

/// A new organization with defaults for what is not given (general profile, USD, UTC).
pub fn new_organization(
    name: OrgName,
    industry: Option<Industry>,
    currency: Option<Currency>,
    timezone: Option<TimeZone>,
    now: DateTime<Utc>,
) -> NewOrganization {
    NewOrganization {
        name,
        industry: industry.unwrap_or(Industry::General),
        currency: currency
            .unwrap_or_else(|| Currency::parse("USD").expect("USD is an ISO 4217 code")),
        timezone: timezone.unwrap_or_else(|| TimeZone::parse("UTC").expect("UTC is an IANA zone")),
        now,
    }
}

/// Organization fields; all optional on update, `name` required on create.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OrganizationInput {
    name: Option<String>,
    industry: Option<String>,
    currency: Option<String>,
    timezone: Option<String>,
    fiscal_year_start_month: Option<u8>,
    /// Free-form settings object (replaces the stored one).
    settings: Option<serde_json::Value>,
}

fn parse_org_input(input: &OrganizationInput, name_required: bool) -> ApiResult<OrgPatch> {
    let mut f = Fields::default();
    if name_required && input.name.is_none() {
        f.check::<(), _>("name", Err("is required"));
    }
    let patch = OrgPatch {
        name: f.check_opt("name", input.name.as_deref().map(OrgName::parse)),
        industry: f.check_opt(
            "industry",
            input.industry.as_deref().map(str::parse::<Industry>),
        ),
        currency: f.check_opt("currency", input.currency.as_deref().map(Currency::parse)),
        timezone: f.check_opt("timezone", input.timezone.as_deref().map(TimeZone::parse)),
        fiscal_year_start_month: f.check_opt(
            "fiscal_year_start_month",
            input.fiscal_year_start_month.map(|m| {
                if (1..=12).contains(&m) {
                    Ok(m)
                } else {
                    Err("must be 1 to 12")
                }
            }),
        ),
        settings: f.check_opt(
            "settings",
            input.settings.clone().map(|s| {
                if s.is_object() {
                    Ok(s)
                } else {
                    Err("must be an object")
                }
            }),
        ),
    };
    f.finish()?;
    Ok(patch)
}

/// Creates an organization; the caller becomes its owner. Use `/auth/switch` to act in it.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationInput,
    responses((status = 201, body = OrganizationDto), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn create_organization(
    State(app): State<AppState>,
    auth: UserAuth,
    ApiJson(input): ApiJson<OrganizationInput>,
) -> ApiResult<(StatusCode, Json<OrganizationDto>)> {
    let p = parse_org_input(&input, true)?;
    let name = p
        .name
        .ok_or_else(|| ApiError::field("name", "is required"))?;
    let now = app.clock.now();
    let mut org = app
        .store
        .create_organization(
            auth.user_id,
            new_organization(name, p.industry, p.currency, p.timezone, now),
        )
        .await?;
    if p.fiscal_year_start_month.is_some() || p.settings.is_some() {
        let rest = OrgPatch {
            fiscal_year_start_month: p.fiscal_year_start_month,
            settings: p.settings,
            ..OrgPatch::default()
        };
        org = app.store.update_organization(org.id, rest, now).await?;
    }
    app.audit(
        Some(org.id),
        Actor::User(auth.user_id),
        "organization.created",
        Some(org.slug.clone()),
        None,
        json!({}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// The current organization.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organizations",
    responses((status = 200, body = OrganizationDto)), security(("bearer" = [])))]
async fn get_organization(
    State(app): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<OrganizationDto>> {
    auth.require(Access::Read)?;
    Ok(Json(app.store.organization(auth.org()).await?.into()))
}

/// Updates the current organization (admin).
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organizations", request_body = OrganizationInput,
    responses((status = 200, body = OrganizationDto), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn patch_organization(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<OrganizationInput>,
) -> ApiResult<Json<OrganizationDto>> {
    auth.require(Access::Admin)?;
    let patch = parse_org_input(&input, false)?;
    let before = app.store.organization(auth.org()).await?;
    let new_tz = patch.timezone.filter(|tz| tz.name() != before.timezone);
    let org = app
        .store
        .update_organization(auth.org(), patch, app.clock.now())
        .await?;
    // Days, weeks and months are cut in the organization's time zone: the roll-ups by local
    // day must follow it.
    if let Some(tz) = new_tz {
        app.store.rebuild_rollups(org.id, tz.tz()).await?;
    }
    app.audit(
        Some(org.id),
        Actor::from(&auth.0),
        "organization.updated",
        None,
        None,
        json!({}),
    )
    .await?;
    Ok(Json(org.into()))
}

/// A member of the organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    user_id: Uuid,
    email: String,
    name: String,
    #[schema(value_type = String, example = "member")]
    role: Role,
    joined_at: DateTime<Utc>,
}

impl From<Member> for MemberDto {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id.as_uuid(),
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: m.joined_at,
        }
    }
}

/// A pending invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationDto {
    id: Uuid,
    email: String,
    #[schema(value_type = String, example = "viewer")]
    role: Role,
    created_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationDto {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id.as_uuid(),
            email: i.email,
            role: i.role,
            created_at: i.created_at,
        }
    }
}

/// Members and pending invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersResponse {
    items: Vec<MemberDto>,
    invitations: Vec<InvitationDto>,
}

/// Members and pending invitations (admin).
#[utoipa::path(get, path = "/api/v1/organization/members", tag = "organizations",
    responses((status = 200, body = MembersResponse), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn list_members(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<MembersResponse>> {
    auth.require(Access::Admin)?;
    let items = app
        .store
        .members(auth.org())
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let invitations = app
        .store
        .invitations(auth.org())
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(MembersResponse { items, invitations }))
}

/// Body to add a member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMemberRequest {
    email: Option<String>,
    /// owner, admin, member or viewer.
    role: Option<String>,
}

/// Result of adding a member: added at once, or invited until the address signs up.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddMemberResponse {
    /// "added" or "invited".
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<MemberDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<InvitationDto>,
}

/// The role a member-changing request acts with: API keys with the admin scope act as admins.
fn actor_role(auth: &Auth) -> Role {
    match &auth.0 {
        Principal::User { role, .. } => *role,
        Principal::ApiKey { .. } => Role::Admin,
    }
}

fn parse_role(f: &mut Fields, raw: &Option<String>) -> Option<Role> {
    f.required("role", raw.as_deref(), str::parse::<Role>)
}

/// Adds an existing user at once, or invites an unknown email (admin; only owners grant owner).
#[utoipa::path(post, path = "/api/v1/organization/members", tag = "organizations", request_body = AddMemberRequest,
    responses((status = 201, body = AddMemberResponse), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn add_member(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<AddMemberRequest>,
) -> ApiResult<(StatusCode, Json<AddMemberResponse>)> {
    auth.require(Access::Admin)?;
    let mut f = Fields::default();
    let email = f.required("email", body.email.as_deref(), Email::parse);
    let role = parse_role(&mut f, &body.role);
    f.finish()?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(ApiError::BadRequest("invalid member".into()));
    };
    let now = app.clock.now();
    let actor = Actor::from(&auth.0);
    let res = match app.store.user_credentials(&email).await? {
        Some(c) => {
            let m = app
                .store
                .add_member(auth.org(), actor_role(&auth), c.user.id, role, now)
                .await
                .map_err(|e| match e {
                    bhd_store::StoreError::Conflict(_) => {
                        ApiError::Conflict(format!("{email} is already a member"))
                    }
                    other => other.into(),
                })?;
            app.audit(
                Some(auth.org()),
                actor,
                "member.added",
                Some(email.to_string()),
                None,
                json!({"role": role}),
            )
            .await?;
            AddMemberResponse {
                status: "added",
                member: Some(m.into()),
                invitation: None,
            }
        }
        None => {
            let invited_by = match &auth.0 {
                Principal::User { user_id, .. } => *user_id,
                Principal::ApiKey { .. } => UserId::from_uuid(Uuid::nil()),
            };
            let inv = app
                .store
                .invite(
                    auth.org(),
                    actor_role(&auth),
                    NewInvitation {
                        email: email.clone(),
                        role,
                        invited_by,
                        now,
                    },
                )
                .await
                .map_err(|e| match e {
                    bhd_store::StoreError::Conflict(_) => {
                        ApiError::Conflict(format!("{email} is already invited"))
                    }
                    other => other.into(),
                })?;
            app.audit(
                Some(auth.org()),
                actor,
                "member.invited",
                Some(email.to_string()),
                None,
                json!({"role": role}),
            )
            .await?;
            AddMemberResponse {
                status: "invited",
                member: None,
                invitation: Some(inv.into()),
            }
        }
    };
    Ok((StatusCode::CREATED, Json(res)))
}

/// Body to change a member's role.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchMemberRequest {
    role: Option<String>,
}

/// Changes a member's role (admin; only owners change owners; the last owner stays).
#[utoipa::path(patch, path = "/api/v1/organization/members/{user_id}", tag = "organizations",
    request_body = PatchMemberRequest, params(("user_id" = Uuid, Path)),
    responses((status = 200, body = MemberDto), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn patch_member(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
    ApiJson(body): ApiJson<PatchMemberRequest>,
) -> ApiResult<Json<MemberDto>> {
    auth.require(Access::Admin)?;
    let Path(user_id) = path?;
    let mut f = Fields::default();
    let role = parse_role(&mut f, &body.role);
    f.finish()?;
    let role = role.ok_or_else(|| ApiError::field("role", "is required"))?;
    let user = UserId::from_uuid(user_id);
    let before = app
        .store
        .change_member(auth.org(), actor_role(&auth), user, Some(role))
        .await?;
    app.audit(
        Some(auth.org()),
        Actor::from(&auth.0),
        "member.role_changed",
        Some(before.email.clone()),
        None,
        json!({"from": before.role, "to": role}),
    )
    .await?;
    Ok(Json(MemberDto {
        role,
        ..before.into()
    }))
}

/// Removes a member (admin; admins cannot remove owners; the last owner stays).
#[utoipa::path(delete, path = "/api/v1/organization/members/{user_id}", tag = "organizations",
    params(("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn remove_member(
    State(app): State<AppState>,
    auth: Auth,
    path: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Admin)?;
    let Path(user_id) = path?;
    let before = app
        .store
        .change_member(
            auth.org(),
            actor_role(&auth),
            UserId::from_uuid(user_id),
            None,
        )
        .await?;
    app.audit(
        Some(auth.org()),
        Actor::from(&auth.0),
        "member.removed",
        Some(before.email.clone()),
        None,
        json!({"role": before.role}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Plain data the store reads and writes.

use bhd_domain::{
    ApiKeyId, Currency, Email, Industry, InvitationId, OrgId, OrgName, Plan, Role, Scope, TimeZone,
    UserId,
};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A user with the Argon2 hash of their password.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub password_hash: String,
    pub now: DateTime<Utc>,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub plan: Plan,
    pub industry: Industry,
    pub currency: String,
    pub timezone: String,
    pub fiscal_year_start_month: i32,
    pub settings: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An organization to create. The store derives a unique slug from the name.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: OrgName,
    pub industry: Industry,
    pub currency: Currency,
    pub timezone: TimeZone,
    pub now: DateTime<Utc>,
}

/// A partial update of an organization; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<OrgName>,
    pub industry: Option<Industry>,
    pub currency: Option<Currency>,
    pub timezone: Option<TimeZone>,
    pub fiscal_year_start_month: Option<u8>,
    pub settings: Option<Value>,
}

/// A user's membership of an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// An invitation for an address that has no account yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
}

/// An invitation to create.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: Email,
    pub role: Role,
    pub invited_by: UserId,
    pub now: DateTime<Utc>,
}

/// An API key as stored: never the key itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    /// The first characters of the key, so people can tell keys apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An API key to store.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: Vec<Scope>,
    pub created_by: Option<UserId>,
    pub now: DateTime<Utc>,
}

/// A refresh token to store (its hash only).
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub token_hash: String,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// The token was live; it is now spent and the new one is issued in its family.
    Rotated {
        user_id: UserId,
        org_id: OrgId,
        family_id: Uuid,
    },
    /// The token had already been spent or revoked: the family is now revoked.
    Reused {
        user_id: UserId,
        org_id: OrgId,
        family_id: Uuid,
    },
    /// Expired, or never issued.
    Invalid,
}

/// A security event to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// None only for events that belong to no tenant (a failed sign-in for an unknown email):
    /// those are for operators and no tenant can read them.
    pub org_id: Option<OrgId>,
    pub actor_user_id: Option<UserId>,
    pub actor_api_key_id: Option<ApiKeyId>,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Value,
    pub at: DateTime<Utc>,
}

/// A recorded security event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: Uuid,
    pub actor_user_id: Option<UserId>,
    pub actor_api_key_id: Option<ApiKeyId>,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Value,
    pub at: DateTime<Utc>,
}

/// A metric point to store.
#[derive(Debug, Clone)]
pub struct NewPoint {
    pub metric_type: String,
    pub category: bhd_domain::Category,
    pub source: String,
    /// `metadata.dimension`, or "" when the point has none.
    pub dimension: String,
    /// Truncated to microseconds (both engines keep exactly that).
    pub recorded_at: DateTime<Utc>,
    pub value: bhd_domain::Amount,
    pub metadata: Value,
}

/// What an ingest wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCount {
    /// Points that did not exist before.
    pub accepted: u64,
    /// Points that replaced an existing value (same identity).
    pub updated: u64,
}

/// One local day's roll-up of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRollup {
    pub metric_type: String,
    pub day: chrono::NaiveDate,
    pub partial: bhd_domain::Partial,
}

/// A stored answer to a write sent with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotentAnswer {
    /// SHA-256 of the request (method, path and body): another body with the same key is refused.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// What a retention run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Points deleted row by row (organizations on plans shorter than the longest in use).
    pub points_deleted: u64,
    /// Whole monthly partitions dropped (PostgreSQL).
    pub partitions_dropped: u64,
}

//! Storage for Business Health Dashboard: the [`Store`] trait and its two implementations,
//! [`SqliteStore`] (embedded, one machine) and [`PgStore`] (PostgreSQL, many nodes).
//!
//! Every method that touches tenant data takes an [`OrgId`]; there is no "all organizations"
//! variant. On PostgreSQL the same boundary is enforced a second time by row-level security:
//! each transaction sets `app.org_id` (and, for the few cross-tenant lookups a signed-in user or
//! a presented key needs, `app.user_id`, `app.email`, `app.key_hash` or `app.slug`) and the
//! policies in `migrations/postgres` only show matching rows.
//!
//! The queries themselves are written once, in `common.rs`, with `$n` placeholders that both
//! engines understand, and compiled once per engine; what differs (transactions, RLS settings,
//! row locks, schema) lives in `sqlite.rs` and `postgres.rs`.

/// The conflict clause that merges a summary of new points into a roll-up row of `$table`
/// (period column `$col`): sums and counts add; the latest value wins, ties to the larger value
/// (as `Partial::merge`). The right-hand sides read the row as it was before the update.
macro_rules! merge_conflict {
    ($table:literal, $col:literal) => {
        concat!(
            " ON CONFLICT (organization_id, metric_type, ",
            $col,
            ") DO UPDATE SET ",
            "sum_micros = ",
            $table,
            ".sum_micros + excluded.sum_micros, ",
            "count = ",
            $table,
            ".count + excluded.count, ",
            "last_at = CASE WHEN excluded.last_at > ",
            $table,
            ".last_at THEN excluded.last_at ELSE ",
            $table,
            ".last_at END, ",
            "last_micros = CASE WHEN (excluded.last_at, excluded.last_micros) > (",
            $table,
            ".last_at, ",
            $table,
            ".last_micros) THEN excluded.last_micros ELSE ",
            $table,
            ".last_micros END"
        )
    };
}

mod model;
mod postgres;
mod sqlite;

pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use bhd_domain::{ApiKeyId, Email, MemberChangeError, OrgId, Role, Slug, UserId};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What can go wrong in storage, in terms the server can answer with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist (or belongs to another tenant: the two are not distinguished).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the field names what collided.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The change is not allowed in the object's current state (an alert already resolved).
    #[error("{0}")]
    Illegal(String),
    /// A membership change broke a domain rule.
    #[error(transparent)]
    Rule(#[from] MemberChangeError),
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The database URL names an engine we do not support.
    #[error("the database URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database could not be reached (rather than refusing the request).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
            )
        )
    }
}

/// Shorthand for storage results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Opens the store a database URL names (`sqlite://…` or `postgres://…`), creating the SQLite
/// file and its folder if absent, and applies pending migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Everything the server persists. One trait, two engines; both pass the same test suite.
#[async_trait]
pub trait Store:
    MetricsStore + HealthStore + JobStore + EventStore + AlertStore + Send + Sync + 'static
{
    /// The engine behind this store.
    fn engine(&self) -> Engine;
    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    // --- users and sign-up ---
    /// Creates a user, an organization with the user as owner, and accepts every pending
    /// invitation for the user's email, in one transaction.
    async fn signup(&self, user: NewUser, org: NewOrganization) -> Result<(User, Organization)>;
    /// The user and their password hash, by email.
    async fn user_credentials(&self, email: &Email) -> Result<Option<UserCredentials>>;
    /// A user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;

    // --- organizations and memberships ---
    /// Creates an organization with `owner` as its owner.
    async fn create_organization(
        &self,
        owner: UserId,
        org: NewOrganization,
    ) -> Result<Organization>;
    /// The organization (NotFound if absent).
    async fn organization(&self, org: OrgId) -> Result<Organization>;
    /// An organization by slug, for operators on the command line.
    async fn organization_by_slug(&self, slug: &Slug) -> Result<Option<Organization>>;
    /// Applies a partial update.
    async fn update_organization(
        &self,
        org: OrgId,
        patch: OrgPatch,
        now: DateTime<Utc>,
    ) -> Result<Organization>;
    /// The user and every organization they belong to, read in one transaction (`/me`).
    async fn account(&self, user: UserId) -> Result<Option<(User, Vec<(Organization, Role)>)>>;
    /// Every organization the user belongs to, with the role, oldest membership first.
    async fn memberships_of(&self, user: UserId) -> Result<Vec<(Organization, Role)>>;
    /// The user's role in the organization, if a member.
    async fn role_of(&self, org: OrgId, user: UserId) -> Result<Option<Role>>;
    /// The organization's members.
    async fn members(&self, org: OrgId) -> Result<Vec<Member>>;
    /// Adds an existing user (Conflict("member") if already one). `actor` is checked against
    /// the domain's membership rules inside the same transaction.
    async fn add_member(
        &self,
        org: OrgId,
        actor: Role,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<Member>;
    /// Changes a member's role (`Some`) or removes the member (`None`), checking the domain's
    /// rules (owner-only changes, last owner) against the current state in one transaction.
    /// Returns the member as it was before the change.
    async fn change_member(
        &self,
        org: OrgId,
        actor: Role,
        user: UserId,
        new_role: Option<Role>,
    ) -> Result<Member>;
    /// Pending invitations.
    async fn invitations(&self, org: OrgId) -> Result<Vec<Invitation>>;
    /// Invites an email (Conflict("invitation") if one is pending).
    async fn invite(&self, org: OrgId, actor: Role, invite: NewInvitation) -> Result<Invitation>;

    // --- API keys ---
    /// Stores a new key (its hash only).
    async fn create_api_key(&self, org: OrgId, key: NewApiKey) -> Result<ApiKey>;
    /// The organization's keys.
    async fn api_keys(&self, org: OrgId) -> Result<Vec<ApiKey>>;
    /// Deletes a key; false if there was none with that id in this organization.
    async fn delete_api_key(&self, org: OrgId, id: ApiKeyId) -> Result<bool>;
    /// The key whose hash this is, in whatever organization it belongs to.
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>>;
    /// Records use of a key (callers throttle this; it is a write).
    async fn touch_api_key(&self, org: OrgId, id: ApiKeyId, now: DateTime<Utc>) -> Result<()>;

    // --- refresh tokens ---
    /// Starts a new refresh-token family with its first token.
    async fn insert_refresh_token(&self, token: NewRefreshToken) -> Result<()>;
    /// Spends the token with hash `old_hash` and issues `next` in the same family, atomically.
    /// A token that was already spent or revoked revokes its whole family (reuse detection).
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        next: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<Rotation>;
    /// Revokes the family of the token with this hash (log-out); its user and organization.
    async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(UserId, OrgId)>>;

    // --- audit log ---
    /// Appends a security event.
    async fn audit(&self, entry: AuditEntry) -> Result<()>;
    /// The organization's audit log, newest first, before `before` (a cursor: an entry id).
    async fn audit_log(
        &self,
        org: OrgId,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>>;
}

/// What a transaction is entitled to see, beyond nothing. On PostgreSQL each field becomes an
/// `app.*` setting the row-level security policies read; SQLite relies on the queries alone.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ctx<'a> {
    /// The tenant: rows of this organization.
    pub org: Option<OrgId>,
    /// The user's own memberships and the organizations they belong to.
    pub user: Option<UserId>,
    /// Invitations addressed to this email (accepted at sign-up).
    pub email: Option<&'a str>,
    /// The one API key with this hash (authentication).
    pub key_hash: Option<&'a str>,
    /// The one organization with this slug (operators on the command line).
    pub slug: Option<&'a str>,
}

impl Ctx<'_> {
    fn org(org: OrgId) -> Self {
        Self {
            org: Some(org),
            ..Self::default()
        }
    }
}

/// The metric time series: custom types, points, daily roll-ups, idempotency. Part of [`Store`].
#[async_trait]
pub trait MetricsStore: Send + Sync + 'static {
    /// The organization's custom metric types.
    async fn custom_metric_types(&self, org: OrgId) -> Result<Vec<bhd_domain::MetricDef>>;
    /// Adds a custom metric type (Conflict("metric type") if the name is taken).
    async fn create_metric_type(
        &self,
        org: OrgId,
        def: &bhd_domain::MetricDef,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Writes points (replacing those with the same identity) and brings the daily and monthly
    /// roll-ups of the touched local days and months (in `tz`) up to date, in one transaction.
    async fn ingest(
        &self,
        org: OrgId,
        tz: chrono_tz::Tz,
        points: &[NewPoint],
        now: DateTime<Utc>,
    ) -> Result<IngestCount>;
    /// Daily roll-ups of one metric for local days `from..=to`, oldest first.
    async fn daily(
        &self,
        org: OrgId,
        metric_type: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<DailyRollup>>;
    /// Monthly roll-ups of one metric for local months whose first day is in `from..=to`,
    /// oldest first (`day` is the month's first day).
    async fn monthly(
        &self,
        org: OrgId,
        metric_type: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<DailyRollup>>;
    /// Daily roll-ups of the named metrics for local days `from..=to`, by metric then day,
    /// in one query.
    async fn daily_of(
        &self,
        org: OrgId,
        metric_types: &[&str],
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<DailyRollup>>;
    /// Daily roll-ups of every metric from local day `from` on.
    async fn daily_since(&self, org: OrgId, from: chrono::NaiveDate) -> Result<Vec<DailyRollup>>;
    /// Each metric the organization has data for, with its latest local day.
    async fn latest_days(&self, org: OrgId) -> Result<Vec<(String, chrono::NaiveDate)>>;
    /// The answer stored for an idempotency key.
    async fn idempotent_answer(&self, org: OrgId, key: &str) -> Result<Option<IdempotentAnswer>>;
    /// Stores the answer for an idempotency key (the first one stored wins).
    async fn remember_answer(
        &self,
        org: OrgId,
        key: &str,
        answer: &IdempotentAnswer,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Recomputes every daily and monthly roll-up of the organization for local days in `tz`
    /// (after the organization's time zone changed), in one transaction.
    async fn rebuild_rollups(&self, org: OrgId, tz: chrono_tz::Tz) -> Result<()>;
    /// Sets the organization's plan (an operator's action: `bhd org plan`).
    async fn set_plan(&self, org: OrgId, plan: bhd_domain::Plan, now: DateTime<Utc>) -> Result<()>;
    /// Drops raw metric points older than each organization's plan keeps (`horizons`: the
    /// earliest instant kept, per plan); roll-ups stay. On PostgreSQL, whole monthly partitions
    /// before every horizon in use are dropped, and older points of shorter plans are deleted.
    async fn apply_retention(
        &self,
        horizons: &[(bhd_domain::Plan, DateTime<Utc>)],
    ) -> Result<Retention>;
    /// Periodic upkeep: on PostgreSQL, creates the metric partitions for the months around `now`.
    async fn maintain(&self, now: DateTime<Utc>) -> Result<()>;
    /// Packs the daily roll-ups of complete local months that wait to be packed, each
    /// organization in its own transaction, and answers how many (metric, month) rows it packed.
    /// A month is complete when its last local day is over in every time zone (it ended more
    /// than two days before `now`). On PostgreSQL the packed copy serves day and week series
    /// (migration 0011); SQLite reads its daily roll-ups directly and answers 0.
    async fn pack_days(&self, now: DateTime<Utc>) -> Result<u64>;
}

mod health;
pub use health::*;

mod jobs;
pub use jobs::*;

mod events;
pub use events::*;

mod alerts;
pub use alerts::*;

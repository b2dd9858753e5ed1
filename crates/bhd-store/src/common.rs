//! The queries, written once for both engines and compiled once per engine (`sqlite.rs` and
//! `postgres.rs` each include this file as a module). `super` is the engine module: it provides
//! `Db`, `Tx`, `This`, the transaction constructors and the few engine-specific statements.
//! Every query uses `$n` placeholders (SQLite accepts them) and portable SQL.

use super::{Db, ENGINE, This, Tx, lock_org, set_org};
use crate::{
    ApiKey, AuditEntry, AuditRecord, Ctx, Engine, Invitation, Member, NewApiKey, NewInvitation,
    NewOrganization, NewRefreshToken, NewUser, OrgPatch, Organization, Result, Rotation, Store,
    StoreError, User, UserCredentials,
};
use async_trait::async_trait;
use bhd_domain::{
    ApiKeyId, Email, InvitationId, OrgId, Role, Scope, Slug, UserId, check_member_change,
};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use std::str::FromStr;
use uuid::Uuid;

/// Unqualified, for RETURNING (SQLite refuses table aliases there).
macro_rules! org_cols_bare {
    () => {
        "id, name, slug, plan, industry, currency, timezone, fiscal_year_start_month, settings, created_at, updated_at"
    };
}

macro_rules! org_cols {
    () => {
        "o.id, o.name, o.slug, o.plan, o.industry, o.currency, o.timezone, o.fiscal_year_start_month, \
         o.settings, o.created_at, o.updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    name: String,
    slug: String,
    plan: String,
    industry: String,
    currency: String,
    timezone: String,
    fiscal_year_start_month: i32,
    settings: Json<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn parse<T: FromStr>(what: &str, raw: &str) -> Result<T> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {raw:?}")))
}

impl OrgRow {
    fn into_model(self) -> Result<Organization> {
        Ok(Organization {
            id: OrgId::from_uuid(self.id),
            name: self.name,
            slug: self.slug,
            plan: parse("plan", &self.plan)?,
            industry: parse("industry", &self.industry)?,
            currency: self.currency,
            timezone: self.timezone,
            fiscal_year_start_month: self.fiscal_year_start_month,
            settings: self.settings.0,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OrgRoleRow {
    #[sqlx(flatten)]
    org: OrgRow,
    role: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId::from_uuid(r.id),
            email: r.email,
            name: r.name,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: Uuid,
    email: String,
    name: String,
    role: String,
    created_at: DateTime<Utc>,
}

impl MemberRow {
    fn into_model(self) -> Result<Member> {
        Ok(Member {
            user_id: UserId::from_uuid(self.user_id),
            email: self.email,
            name: self.name,
            role: parse("role", &self.role)?,
            joined_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    email: String,
    role: String,
    invited_by: Uuid,
    created_at: DateTime<Utc>,
}

impl InvitationRow {
    fn into_model(self) -> Result<Invitation> {
        Ok(Invitation {
            id: InvitationId::from_uuid(self.id),
            email: self.email,
            role: parse("role", &self.role)?,
            invited_by: UserId::from_uuid(self.invited_by),
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    organization_id: Uuid,
    id: Uuid,
    name: String,
    prefix: String,
    scopes: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    fn into_model(self) -> Result<ApiKey> {
        let scopes = self
            .scopes
            .split(',')
            .map(|s| parse::<Scope>("scope", s))
            .collect::<Result<_>>()?;
        Ok(ApiKey {
            id: ApiKeyId::from_uuid(self.id),
            org_id: OrgId::from_uuid(self.organization_id),
            name: self.name,
            prefix: self.prefix,
            scopes,
            created_by: self.created_by.map(UserId::from_uuid),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        })
    }
}

macro_rules! api_key_cols {
    () => {
        "organization_id, id, name, prefix, scopes, created_by, created_at, last_used_at"
    };
}

/// Maps a unique-constraint violation to `Conflict(what)`; other errors pass through.
fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

/// Inserts an organization under a unique slug derived from its name: the plain slug first,
/// then with a few characters of the (random) id appended.
async fn insert_org(tx: &mut Tx, id: OrgId, org: &NewOrganization) -> Result<Organization> {
    let tail = id.as_uuid().simple().to_string();
    for suffix in [None, Some(&tail[26..]), Some(&tail[20..])] {
        let slug = Slug::from_name(org.name.as_str(), suffix);
        let row: Option<OrgRow> = sqlx::query_as::<Db, OrgRow>(concat!(
            "INSERT INTO organizations (id, name, slug, industry, currency, timezone, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (slug) DO NOTHING RETURNING ",
            org_cols_bare!()
        ))
        .bind(id.as_uuid())
        .bind(org.name.as_str())
        .bind(slug.as_str())
        .bind(org.industry.as_str())
        .bind(org.currency.as_str())
        .bind(org.timezone.name())
        .bind(Json(serde_json::json!({})))
        .bind(org.now)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            return row.into_model();
        }
    }
    Err(StoreError::Conflict("slug"))
}

async fn insert_membership(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query::<Db>("INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(role.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(conflict("member"))?;
    Ok(())
}

async fn member_in(tx: &mut Tx, org: OrgId, user: UserId) -> Result<Option<Member>> {
    sqlx::query_as::<Db, MemberRow>(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.user_id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(&mut **tx)
    .await?
    .map(MemberRow::into_model)
    .transpose()
}

async fn owner_count(tx: &mut Tx, org: OrgId) -> Result<u64> {
    let n: i64 = sqlx::query_scalar::<Db, i64>(
        "SELECT COUNT(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'",
    )
    .bind(org.as_uuid())
    .fetch_one(&mut **tx)
    .await?;
    Ok(n.max(0) as u64)
}

#[async_trait]
impl Store for This {
    fn engine(&self) -> Engine {
        ENGINE
    }

    async fn ping(&self) -> Result<()> {
        This::ping(self).await
    }

    async fn signup(&self, user: NewUser, org: NewOrganization) -> Result<(User, Organization)> {
        let user_id = UserId::generate();
        let org_id = OrgId::generate();
        let ctx = Ctx {
            org: Some(org_id),
            user: Some(user_id),
            email: Some(user.email.as_str()),
            ..Ctx::default()
        };
        let mut tx = self.write_tx(ctx).await?;
        let created: User = sqlx::query_as::<Db, UserRow>(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, email, name, created_at",
        )
        .bind(user_id.as_uuid())
        .bind(user.email.as_str())
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict("email"))?
        .into();
        let organization = insert_org(&mut tx, org_id, &org).await?;
        insert_membership(&mut tx, org_id, user_id, Role::Owner, user.now).await?;

        // Pending invitations for this address take effect now.
        let pending: Vec<(Uuid, Uuid, String)> = sqlx::query_as::<Db, (Uuid, Uuid, String)>(
            "SELECT organization_id, id, role FROM invitations WHERE email = $1 AND accepted_at IS NULL",
        )
        .bind(user.email.as_str())
        .fetch_all(&mut *tx)
        .await?;
        for (inv_org, inv_id, role) in pending {
            let inv_org = OrgId::from_uuid(inv_org);
            set_org(&mut tx, inv_org).await?;
            insert_membership(&mut tx, inv_org, user_id, parse("role", &role)?, user.now).await?;
            sqlx::query::<Db>(
                "UPDATE invitations SET accepted_at = $3 WHERE organization_id = $1 AND id = $2",
            )
            .bind(inv_org.as_uuid())
            .bind(inv_id)
            .bind(user.now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((created, organization))
    }

    async fn user_credentials(&self, email: &Email) -> Result<Option<UserCredentials>> {
        let mut tx = self.read_tx(Ctx::default()).await?;
        let row: Option<(Uuid, String, String, DateTime<Utc>, String)> =
            sqlx::query_as::<Db, (Uuid, String, String, DateTime<Utc>, String)>(
                "SELECT id, email, name, created_at, password_hash FROM users WHERE email = $1",
            )
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map(
            |(id, email, name, created_at, password_hash)| UserCredentials {
                user: User {
                    id: UserId::from_uuid(id),
                    email,
                    name,
                    created_at,
                },
                password_hash,
            },
        ))
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let mut tx = self.read_tx(Ctx::default()).await?;
        let row = sqlx::query_as::<Db, UserRow>(
            "SELECT id, email, name, created_at FROM users WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(User::from))
    }

    async fn create_organization(
        &self,
        owner: UserId,
        org: NewOrganization,
    ) -> Result<Organization> {
        let org_id = OrgId::generate();
        let mut tx = self.write_tx(Ctx::org(org_id)).await?;
        let created = insert_org(&mut tx, org_id, &org).await?;
        insert_membership(&mut tx, org_id, owner, Role::Owner, org.now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn organization(&self, org: OrgId) -> Result<Organization> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let o = organization_in(&mut tx, org).await?;
        tx.commit().await?;
        Ok(o)
    }

    async fn organization_by_slug(&self, slug: &Slug) -> Result<Option<Organization>> {
        let mut tx = self
            .read_tx(Ctx {
                slug: Some(slug.as_str()),
                ..Ctx::default()
            })
            .await?;
        let row = sqlx::query_as::<Db, OrgRow>(concat!(
            "SELECT ",
            org_cols!(),
            " FROM organizations o WHERE o.slug = $1"
        ))
        .bind(slug.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(OrgRow::into_model).transpose()
    }

    async fn update_organization(
        &self,
        org: OrgId,
        patch: OrgPatch,
        now: DateTime<Utc>,
    ) -> Result<Organization> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let current = sqlx::query_as::<Db, OrgRow>(concat!(
            "SELECT ",
            org_cols!(),
            " FROM organizations o WHERE o.id = $1"
        ))
        .bind(org.as_uuid())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .into_model()?;
        let row = sqlx::query_as::<Db, OrgRow>(concat!(
            "UPDATE organizations SET name = $2, industry = $3, currency = $4, timezone = $5, \
             fiscal_year_start_month = $6, settings = $7, updated_at = $8 WHERE id = $1 RETURNING ",
            org_cols_bare!()
        ))
        .bind(org.as_uuid())
        .bind(
            patch
                .name
                .as_ref()
                .map_or(current.name.as_str(), |n| n.as_str()),
        )
        .bind(patch.industry.unwrap_or(current.industry).as_str())
        .bind(
            patch
                .currency
                .as_ref()
                .map_or(current.currency.as_str(), |c| c.as_str()),
        )
        .bind(
            patch
                .timezone
                .as_ref()
                .map_or(current.timezone.as_str(), |t| t.name()),
        )
        .bind(
            patch
                .fiscal_year_start_month
                .map_or(current.fiscal_year_start_month, i32::from),
        )
        .bind(Json(patch.settings.unwrap_or(current.settings)))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        row.into_model()
    }

    async fn account(&self, user: UserId) -> Result<Option<(User, Vec<(Organization, Role)>)>> {
        let mut tx = self
            .read_tx(Ctx {
                user: Some(user),
                ..Ctx::default()
            })
            .await?;
        let found = sqlx::query_as::<Db, UserRow>(
            "SELECT id, email, name, created_at FROM users WHERE id = $1",
        )
        .bind(user.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else { return Ok(None) };
        let orgs = memberships_in(&mut tx, user).await?;
        tx.commit().await?;
        Ok(Some((found.into(), orgs)))
    }

    async fn memberships_of(&self, user: UserId) -> Result<Vec<(Organization, Role)>> {
        let mut tx = self
            .read_tx(Ctx {
                user: Some(user),
                ..Ctx::default()
            })
            .await?;
        let orgs = memberships_in(&mut tx, user).await?;
        tx.commit().await?;
        Ok(orgs)
    }

    async fn role_of(&self, org: OrgId, user: UserId) -> Result<Option<Role>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let role: Option<String> = sqlx::query_scalar::<Db, String>(
            "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
        )
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        role.map(|r| parse("role", &r)).transpose()
    }

    async fn members(&self, org: OrgId) -> Result<Vec<Member>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, MemberRow>(
            "SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.into_iter().map(MemberRow::into_model).collect()
    }

    async fn add_member(
        &self,
        org: OrgId,
        actor: Role,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<Member> {
        // Adding never removes an owner, so the owner count does not matter here.
        check_member_change(actor, None, Some(role), 0)?;
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        insert_membership(&mut tx, org, user, role, now).await?;
        let member = member_in(&mut tx, org, user)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(member)
    }

    async fn change_member(
        &self,
        org: OrgId,
        actor: Role,
        user: UserId,
        new_role: Option<Role>,
    ) -> Result<Member> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        lock_org(&mut tx, org).await?;
        let before = member_in(&mut tx, org, user)
            .await?
            .ok_or(StoreError::NotFound)?;
        let owners = owner_count(&mut tx, org).await?;
        check_member_change(actor, Some(before.role), new_role, owners)?;
        match new_role {
            Some(role) => {
                sqlx::query::<Db>(
                    "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
                )
                .bind(org.as_uuid())
                .bind(user.as_uuid())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query::<Db>(
                    "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
                )
                .bind(org.as_uuid())
                .bind(user.as_uuid())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(before)
    }

    async fn invitations(&self, org: OrgId) -> Result<Vec<Invitation>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, InvitationRow>(
            "SELECT id, email, role, invited_by, created_at FROM invitations \
             WHERE organization_id = $1 AND accepted_at IS NULL ORDER BY created_at, email",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.into_iter().map(InvitationRow::into_model).collect()
    }

    async fn invite(&self, org: OrgId, actor: Role, invite: NewInvitation) -> Result<Invitation> {
        check_member_change(actor, None, Some(invite.role), 0)?;
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let row = sqlx::query_as::<Db, InvitationRow>(
            "INSERT INTO invitations (organization_id, id, email, role, invited_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, email, role, invited_by, created_at",
        )
        .bind(org.as_uuid())
        .bind(InvitationId::generate().as_uuid())
        .bind(invite.email.as_str())
        .bind(invite.role.as_str())
        .bind(invite.invited_by.as_uuid())
        .bind(invite.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict("invitation"))?;
        tx.commit().await?;
        row.into_model()
    }

    async fn create_api_key(&self, org: OrgId, key: NewApiKey) -> Result<ApiKey> {
        let scopes: Vec<&str> = key.scopes.iter().map(Scope::as_str).collect();
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let row = sqlx::query_as::<Db, ApiKeyRow>(concat!(
            "INSERT INTO api_keys (organization_id, id, name, prefix, key_hash, scopes, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
            api_key_cols!()
        ))
        .bind(org.as_uuid())
        .bind(ApiKeyId::generate().as_uuid())
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(scopes.join(","))
        .bind(key.created_by.map(|u| u.as_uuid()))
        .bind(key.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict("api key"))?;
        tx.commit().await?;
        row.into_model()
    }

    async fn api_keys(&self, org: OrgId) -> Result<Vec<ApiKey>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, ApiKeyRow>(concat!(
            "SELECT ",
            api_key_cols!(),
            " FROM api_keys WHERE organization_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.into_iter().map(ApiKeyRow::into_model).collect()
    }

    async fn delete_api_key(&self, org: OrgId, id: ApiKeyId) -> Result<bool> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let done = sqlx::query::<Db>("DELETE FROM api_keys WHERE organization_id = $1 AND id = $2")
            .bind(org.as_uuid())
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        let mut tx = self
            .read_tx(Ctx {
                key_hash: Some(key_hash),
                ..Ctx::default()
            })
            .await?;
        let row = sqlx::query_as::<Db, ApiKeyRow>(concat!(
            "SELECT ",
            api_key_cols!(),
            " FROM api_keys WHERE key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(ApiKeyRow::into_model).transpose()
    }

    async fn touch_api_key(&self, org: OrgId, id: ApiKeyId, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(
            "UPDATE api_keys SET last_used_at = $3 WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_refresh_token(&self, token: NewRefreshToken) -> Result<()> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        insert_refresh(&mut tx, Uuid::now_v7(), &token).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        next: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<Rotation> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        // Spending is one conditional UPDATE, so two concurrent presentations of the same token
        // cannot both succeed: the loser finds it spent and revokes the family.
        let live: Option<(Uuid, Uuid, Uuid, DateTime<Utc>)> = sqlx::query_as::<Db, (Uuid, Uuid, Uuid, DateTime<Utc>)>(
            "UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL \
             RETURNING family_id, user_id, organization_id, expires_at",
        )
        .bind(old_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match live {
            Some((family_id, user, org, expires_at)) if expires_at > now => {
                let token = NewRefreshToken {
                    user_id: UserId::from_uuid(user),
                    org_id: OrgId::from_uuid(org),
                    ..next
                };
                insert_refresh(&mut tx, family_id, &token).await?;
                Rotation::Rotated {
                    user_id: token.user_id,
                    org_id: token.org_id,
                    family_id,
                }
            }
            Some(_) => Rotation::Invalid,
            None => {
                let known: Option<(Uuid, Uuid, Uuid)> = sqlx::query_as::<Db, (Uuid, Uuid, Uuid)>(
                    "SELECT family_id, user_id, organization_id FROM refresh_tokens WHERE token_hash = $1",
                )
                .bind(old_hash)
                .fetch_optional(&mut *tx)
                .await?;
                match known {
                    Some((family_id, user, org)) => {
                        revoke_family(&mut tx, family_id, now).await?;
                        Rotation::Reused {
                            user_id: UserId::from_uuid(user),
                            org_id: OrgId::from_uuid(org),
                            family_id,
                        }
                    }
                    None => Rotation::Invalid,
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(UserId, OrgId)>> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        let known: Option<(Uuid, Uuid, Uuid)> = sqlx::query_as::<Db, (Uuid, Uuid, Uuid)>(
            "SELECT family_id, user_id, organization_id FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let out = match known {
            Some((family, user, org)) => {
                revoke_family(&mut tx, family, now).await?;
                Some((UserId::from_uuid(user), OrgId::from_uuid(org)))
            }
            None => None,
        };
        tx.commit().await?;
        Ok(out)
    }

    async fn audit(&self, e: AuditEntry) -> Result<()> {
        let mut tx = self
            .write_tx(Ctx {
                org: e.org_id,
                ..Ctx::default()
            })
            .await?;
        sqlx::query::<Db>(
            "INSERT INTO audit_log (id, organization_id, actor_user_id, actor_api_key_id, action, target, ip, detail, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7())
        .bind(e.org_id.map(|o| o.as_uuid()))
        .bind(e.actor_user_id.map(|u| u.as_uuid()))
        .bind(e.actor_api_key_id.map(|k| k.as_uuid()))
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.ip)
        .bind(Json(&e.detail))
        .bind(e.at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(
        &self,
        org: OrgId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>> {
        type Row = (
            Uuid,
            Option<Uuid>,
            Option<Uuid>,
            String,
            Option<String>,
            Option<String>,
            Json<Value>,
            DateTime<Utc>,
        );
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows: Vec<Row> = sqlx::query_as::<Db, Row>(
            "SELECT id, actor_user_id, actor_api_key_id, action, target, ip, detail, at FROM audit_log \
             WHERE organization_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(org.as_uuid())
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, user, key, action, target, ip, detail, at)| AuditRecord {
                    id,
                    actor_user_id: user.map(UserId::from_uuid),
                    actor_api_key_id: key.map(ApiKeyId::from_uuid),
                    action,
                    target,
                    ip,
                    detail: detail.0,
                    at,
                },
            )
            .collect())
    }
}

async fn insert_refresh(tx: &mut Tx, family_id: Uuid, t: &NewRefreshToken) -> Result<()> {
    sqlx::query::<Db>(
        "INSERT INTO refresh_tokens (id, family_id, user_id, organization_id, token_hash, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(family_id)
    .bind(t.user_id.as_uuid())
    .bind(t.org_id.as_uuid())
    .bind(&t.token_hash)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn revoke_family(tx: &mut Tx, family_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    sqlx::query::<Db>(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(family_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn memberships_in(tx: &mut Tx, user: UserId) -> Result<Vec<(Organization, Role)>> {
    let rows = sqlx::query_as::<Db, OrgRoleRow>(concat!(
        "SELECT ",
        org_cols!(),
        ", m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.user_id = $1 ORDER BY m.created_at, o.name"
    ))
    .bind(user.as_uuid())
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| Ok((r.org.into_model()?, parse("role", &r.role)?)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Metrics

use super::{Ts, ensure_partitions, from_ts};
use crate::{DailyRollup, IdempotentAnswer, IngestCount, NewPoint};
use bhd_domain::{Amount, MetricDef, Partial};
use chrono::{Datelike, NaiveDate};

#[derive(sqlx::FromRow)]
struct MetricTypeRow {
    name: String,
    unit: String,
    category: String,
    kind: String,
    good_direction: String,
    description: String,
}

/// A roll-up row of several metrics: `metric_type, day, sum_micros, count, last_at,
/// last_micros`, in that order, read by position (a recalculation decodes thousands of them,
/// and looking columns up by name was a good part of that).
pub(super) struct DailyRow {
    metric_type: String,
    day: NaiveDate,
    sum_micros: i64,
    count: i64,
    last_at: Ts,
    last_micros: i64,
}

impl<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> for DailyRow {
    fn from_row(row: &'r <Db as sqlx::Database>::Row) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(Self {
            metric_type: row.try_get(0)?,
            day: row.try_get(1)?,
            sum_micros: row.try_get(2)?,
            count: row.try_get(3)?,
            last_at: row.try_get(4)?,
            last_micros: row.try_get(5)?,
        })
    }
}

impl DailyRow {
    pub(super) fn into_model(self) -> DailyRollup {
        DailyRollup {
            metric_type: self.metric_type,
            day: self.day,
            partial: Partial {
                sum_micros: i128::from(self.sum_micros),
                count: u64::try_from(self.count).unwrap_or(0),
                last_at: from_ts(self.last_at),
                last: Amount::from_micros(self.last_micros),
            },
        }
    }
}

/// One metric's roll-ups (`sql` selects period, sum, count, last time and last value for
/// `$1` organization, `$2` metric, `$3..=$4` periods). Read by position, without the metric's
/// name on every row: a 5-year daily series is 1,826 rows, and decoding columns by name was a
/// good part of its answer time.
pub(super) async fn one_metric(
    store: &This,
    org: OrgId,
    metric_type: &str,
    from: NaiveDate,
    to: NaiveDate,
    sql: &'static str,
) -> Result<Vec<DailyRollup>> {
    let mut tx = store.read_tx(Ctx::org(org)).await?;
    let rows: Vec<(NaiveDate, i64, i64, Ts, i64)> = sqlx::query_as::<Db, _>(sql)
        .bind(org.as_uuid())
        .bind(metric_type)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(day, sum_micros, count, last_at, last_micros)| {
            DailyRow {
                metric_type: metric_type.to_owned(),
                day,
                sum_micros,
                count,
                last_at,
                last_micros,
            }
            .into_model()
        })
        .collect())
}

/// The first day of each month the points fall in (UTC, as the partitions are cut).
fn months_of(points: &[NewPoint]) -> Vec<NaiveDate> {
    let mut months: Vec<NaiveDate> = points
        .iter()
        .filter_map(|p| NaiveDate::from_ymd_opt(p.recorded_at.year(), p.recorded_at.month(), 1))
        .collect();
    months.sort_unstable();
    months.dedup();
    months
}

/// One ingest transaction: points, then roll-ups. `optimistic`: see `write_points`.
async fn ingest_once(
    store: &This,
    org: OrgId,
    tz: chrono_tz::Tz,
    points: &[NewPoint],
    now: DateTime<Utc>,
    optimistic: bool,
) -> Result<IngestCount> {
    let mut tx = store.write_tx(Ctx::org(org)).await?;
    let (count, fresh) = super::write_points(&mut tx, org, points, now, optimistic).await?;
    roll_up(&mut tx, org, tz, points, &fresh).await?;
    tx.commit().await?;
    Ok(count)
}

/// The roll-up key: a metric and the first day of its local day or month.
pub(crate) type RollupKey<'a> = (&'a str, NaiveDate);

/// Brings the daily and monthly roll-ups in step with points just written. `fresh[i]` says
/// point `i` was new (it replaced nothing and nothing later in the batch replaced it). A day or
/// month that received only new points merges their summary into its roll-up (`Partial::merge`
/// is exact, associative and commutative, so the order of batches does not matter); one where a
/// value was replaced is recomputed from what it now holds, since a sum cannot forget a value
/// it never kept apart. Replacements are the rare case, so the common case costs one upsert per
/// touched day and month and never rereads points.
pub(super) async fn roll_up(
    tx: &mut Tx,
    org: OrgId,
    tz: chrono_tz::Tz,
    points: &[crate::NewPoint],
    fresh: &[bool],
) -> Result<()> {
    use std::collections::{BTreeMap, BTreeSet};
    let month_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let day_of = |p: &crate::NewPoint| bhd_domain::period::local_date(p.recorded_at, tz);
    let stale_days: BTreeSet<RollupKey<'_>> = points
        .iter()
        .zip(fresh)
        .filter(|(_, f)| !**f)
        .map(|(p, _)| (p.metric_type.as_str(), day_of(p)))
        .collect();
    let stale_months: BTreeSet<RollupKey<'_>> =
        stale_days.iter().map(|&(m, d)| (m, month_of(d))).collect();
    let mut days: BTreeMap<RollupKey<'_>, Partial> = BTreeMap::new();
    for (p, _) in points.iter().zip(fresh).filter(|(_, f)| **f) {
        let key = (p.metric_type.as_str(), day_of(p));
        if stale_days.contains(&key) {
            continue;
        }
        let one = Partial::from_point(p.recorded_at, p.value);
        days.entry(key)
            .and_modify(|acc| *acc = acc.merge(one))
            .or_insert(one);
    }
    let mut months: BTreeMap<RollupKey<'_>, Partial> = BTreeMap::new();
    for (&(m, d), &part) in &days {
        let key = (m, month_of(d));
        if stale_months.contains(&key) {
            continue;
        }
        months
            .entry(key)
            .and_modify(|acc| *acc = acc.merge(part))
            .or_insert(part);
    }
    // Every (metric, month) whose days change here: their packed copies (PostgreSQL) go stale.
    let changed: BTreeSet<RollupKey<'_>> = stale_months
        .iter()
        .copied()
        .chain(days.keys().map(|&(m, d)| (m, month_of(d))))
        .collect();
    let stale_days: Vec<RollupKey<'_>> = stale_days.into_iter().collect();
    super::refresh_days(tx, org, &stale_days, tz).await?;
    super::merge_rollups(tx, org, Grain::Day, &days).await?;
    super::days_changed(tx, org, &changed).await?;
    // After every day is settled: a stale month is recomputed from its days.
    for (metric, month) in stale_months {
        refresh_monthly(tx, org, metric, month).await?;
    }
    super::merge_rollups(tx, org, Grain::Month, &months).await
}

/// Which roll-up table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grain {
    Day,
    Month,
}

/// A partial's exact sum as stored (bigint micros).
pub(super) fn stored_sum(p: &Partial) -> Result<i64> {
    i64::try_from(p.sum_micros)
        .map_err(|_| StoreError::Corrupt("a roll-up sum exceeds the storable range".to_owned()))
}

/// Recomputes one local month's roll-up of one metric from its daily roll-ups.
async fn refresh_monthly(tx: &mut Tx, org: OrgId, metric: &str, month: NaiveDate) -> Result<()> {
    let next = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    sqlx::query::<Db>(
        "INSERT INTO metric_monthly (organization_id, metric_type, month, sum_micros, count, last_at, last_micros) \
         SELECT organization_id, metric_type, $3, SUM(sum_micros), SUM(count), MAX(last_at), \
           (SELECT d.last_micros FROM metric_daily d WHERE d.organization_id = $1 AND d.metric_type = $2 \
              AND d.day >= $3 AND d.day < $4 ORDER BY d.last_at DESC, d.last_micros DESC LIMIT 1) \
         FROM metric_daily WHERE organization_id = $1 AND metric_type = $2 AND day >= $3 AND day < $4 \
         GROUP BY organization_id, metric_type \
         ON CONFLICT (organization_id, metric_type, month) DO UPDATE SET sum_micros = excluded.sum_micros, \
           count = excluded.count, last_at = excluded.last_at, last_micros = excluded.last_micros",
    )
    .bind(org.as_uuid())
    .bind(metric)
    .bind(month)
    .bind(next)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The organization, inside the caller's transaction.
pub(super) async fn organization_in(tx: &mut Tx, org: OrgId) -> Result<Organization> {
    let row = sqlx::query_as::<Db, OrgRow>(concat!(
        "SELECT ",
        org_cols!(),
        " FROM organizations o WHERE o.id = $1"
    ))
    .bind(org.as_uuid())
    .fetch_optional(&mut **tx)
    .await?;
    row.ok_or(StoreError::NotFound)?.into_model()
}

/// The organization's custom metric types, inside the caller's transaction.
pub(super) async fn custom_types_in(tx: &mut Tx, org: OrgId) -> Result<Vec<MetricDef>> {
    let rows = sqlx::query_as::<Db, MetricTypeRow>(
        "SELECT name, unit, category, kind, good_direction, description FROM metric_types \
         WHERE organization_id = $1 ORDER BY name",
    )
    .bind(org.as_uuid())
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(MetricDef {
                name: r.name.into(),
                unit: parse("unit", &r.unit)?,
                category: parse("category", &r.category)?,
                kind: parse("kind", &r.kind)?,
                good: parse("direction", &r.good_direction)?,
                canonical: false,
                description: r.description.into(),
            })
        })
        .collect()
}

/// Daily roll-ups of the named metrics for local days `from..=to`, by metric then day, inside
/// the caller's transaction (PostgreSQL reads packed months where it has them: see each
/// engine's `read_days_in`).
pub(super) async fn daily_of_in(
    tx: &mut Tx,
    org: OrgId,
    metric_types: &[&str],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyRollup>> {
    let wanted: Vec<(&str, NaiveDate)> = metric_types.iter().map(|m| (*m, from)).collect();
    super::read_days_in(tx, org, &wanted, to).await
}

/// Each metric once, with the earliest day asked for it, leaving out those whose first day
/// is after `to` (the engines' `read_days_in` then read one index range per metric).
pub(super) fn days_wanted<'a>(
    wanted: &[(&'a str, NaiveDate)],
    to: NaiveDate,
) -> Vec<(&'a str, NaiveDate)> {
    let mut out: Vec<(&str, NaiveDate)> = Vec::with_capacity(wanted.len());
    for &(metric, from) in wanted.iter().filter(|(_, from)| *from <= to) {
        match out.iter_mut().find(|(m, _)| *m == metric) {
            Some(seen) => seen.1 = seen.1.min(from),
            None => out.push((metric, from)),
        }
    }
    out
}

#[async_trait]
impl crate::MetricsStore for This {
    async fn custom_metric_types(&self, org: OrgId) -> Result<Vec<MetricDef>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let types = custom_types_in(&mut tx, org).await?;
        tx.commit().await?;
        Ok(types)
    }

    async fn create_metric_type(
        &self,
        org: OrgId,
        def: &MetricDef,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(
            "INSERT INTO metric_types (organization_id, name, unit, category, kind, good_direction, description, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(org.as_uuid())
        .bind(def.name.as_ref())
        .bind(def.unit.as_str())
        .bind(def.category.as_str())
        .bind(def.kind.as_str())
        .bind(def.good.as_str())
        .bind(def.description.as_ref())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(conflict("metric type"))?;
        tx.commit().await?;
        Ok(())
    }

    async fn ingest(
        &self,
        org: OrgId,
        tz: chrono_tz::Tz,
        points: &[NewPoint],
        now: DateTime<Utc>,
    ) -> Result<IngestCount> {
        let months = months_of(points);
        ensure_partitions(self, &months).await?;
        let mut optimistic = true;
        let mut recreated = false;
        loop {
            match ingest_once(self, org, tz, points, now, optimistic).await {
                // Some of the points exist already: write them as replacements.
                Err(StoreError::Database(e)) if optimistic && super::unique_violation(&e) => {
                    optimistic = false;
                }
                // Retention dropped a partition between our check and the write (it had just
                // been created for an old point, or the plan changed meanwhile): create it again.
                Err(StoreError::Database(e)) if !recreated && super::missing_partition(&e) => {
                    recreated = true;
                    super::forget_partitions(self);
                    ensure_partitions(self, &months).await?;
                }
                other => return other,
            }
        }
    }

    async fn daily(
        &self,
        org: OrgId,
        metric_type: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>> {
        // PostgreSQL reads the packed copy of complete months where there is one, SQLite its
        // daily roll-ups (see `read_days` in each engine).
        super::read_days(self, org, metric_type, from, to).await
    }

    async fn daily_of(
        &self,
        org: OrgId,
        metric_types: &[&str],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = daily_of_in(&mut tx, org, metric_types, from, to).await?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn daily_since(&self, org: OrgId, from: NaiveDate) -> Result<Vec<DailyRollup>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let rows = sqlx::query_as::<Db, DailyRow>(
            "SELECT metric_type, day, sum_micros, count, last_at, last_micros FROM metric_daily \
             WHERE organization_id = $1 AND day >= $2 ORDER BY metric_type, day",
        )
        .bind(org.as_uuid())
        .bind(from)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(DailyRow::into_model).collect())
    }

    async fn latest_days(&self, org: OrgId) -> Result<Vec<(String, NaiveDate)>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        // The latest row per metric through the primary key, rather than MAX(day), whose type
        // SQLite does not report.
        let rows: Vec<(String, NaiveDate)> = sqlx::query_as::<Db, (String, NaiveDate)>(
            "SELECT d.metric_type, d.day FROM metric_daily d WHERE d.organization_id = $1 AND d.day = \
             (SELECT e.day FROM metric_daily e WHERE e.organization_id = d.organization_id \
              AND e.metric_type = d.metric_type ORDER BY e.day DESC LIMIT 1) ORDER BY d.metric_type",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn idempotent_answer(&self, org: OrgId, key: &str) -> Result<Option<IdempotentAnswer>> {
        let mut tx = self.read_tx(Ctx::org(org)).await?;
        let row: Option<(String, i32, String)> = sqlx::query_as::<Db, (String, i32, String)>(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE organization_id = $1 AND key = $2",
        )
        .bind(org.as_uuid())
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(|(request_hash, status, body)| IdempotentAnswer {
            request_hash,
            status: u16::try_from(status).unwrap_or(500),
            body,
        }))
    }

    async fn remember_answer(
        &self,
        org: OrgId,
        key: &str,
        a: &IdempotentAnswer,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        sqlx::query::<Db>(
            "INSERT INTO idempotency_keys (organization_id, key, request_hash, status, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id, key) DO NOTHING",
        )
        .bind(org.as_uuid())
        .bind(key)
        .bind(&a.request_hash)
        .bind(i32::from(a.status))
        .bind(&a.body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rebuild_rollups(&self, org: OrgId, tz: chrono_tz::Tz) -> Result<()> {
        use std::collections::BTreeMap;
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        // Days, packed copies, months: the order in which ingest locks them, so that the two
        // cannot deadlock. The packed copies go with the days they copy; the merges below queue
        // every month again.
        sqlx::query::<Db>("DELETE FROM metric_daily WHERE organization_id = $1")
            .bind(org.as_uuid())
            .execute(&mut *tx)
            .await?;
        super::forget_packed(&mut tx, org).await?;
        sqlx::query::<Db>("DELETE FROM metric_monthly WHERE organization_id = $1")
            .bind(org.as_uuid())
            .execute(&mut *tx)
            .await?;
        let metrics: Vec<String> = sqlx::query_scalar::<Db, String>(
            "SELECT DISTINCT metric_type FROM business_metrics WHERE organization_id = $1",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *tx)
        .await?;
        // One metric at a time, so memory holds one metric's history (a few thousand points).
        for metric in &metrics {
            let rows: Vec<(Ts, i64)> = sqlx::query_as::<Db, (Ts, i64)>(
                "SELECT recorded_at, value_micros FROM business_metrics \
                 WHERE organization_id = $1 AND metric_type = $2",
            )
            .bind(org.as_uuid())
            .bind(metric)
            .fetch_all(&mut *tx)
            .await?;
            let mut days: BTreeMap<RollupKey<'_>, Partial> = BTreeMap::new();
            for (at, micros) in rows {
                let at = from_ts(at);
                let one = Partial::from_point(at, Amount::from_micros(micros));
                days.entry((metric.as_str(), bhd_domain::period::local_date(at, tz)))
                    .and_modify(|acc| *acc = acc.merge(one))
                    .or_insert(one);
            }
            let mut months: BTreeMap<RollupKey<'_>, Partial> = BTreeMap::new();
            for (&(m, d), &part) in &days {
                months
                    .entry((m, d.with_day(1).unwrap_or(d)))
                    .and_modify(|acc| *acc = acc.merge(part))
                    .or_insert(part);
            }
            super::merge_rollups(&mut tx, org, Grain::Day, &days).await?;
            let changed: std::collections::BTreeSet<RollupKey<'_>> =
                months.keys().copied().collect();
            super::days_changed(&mut tx, org, &changed).await?;
            super::merge_rollups(&mut tx, org, Grain::Month, &months).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn monthly(
        &self,
        org: OrgId,
        metric_type: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>> {
        one_metric(
            self,
            org,
            metric_type,
            from,
            to,
            "SELECT month, sum_micros, count, last_at, last_micros FROM metric_monthly \
             WHERE organization_id = $1 AND metric_type = $2 AND month >= $3 AND month <= $4 ORDER BY month",
        )
        .await
    }

    async fn set_plan(&self, org: OrgId, plan: bhd_domain::Plan, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx(Ctx::org(org)).await?;
        let n =
            sqlx::query::<Db>("UPDATE organizations SET plan = $2, updated_at = $3 WHERE id = $1")
                .bind(org.as_uuid())
                .bind(plan.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn apply_retention(
        &self,
        horizons: &[(bhd_domain::Plan, DateTime<Utc>)],
    ) -> Result<crate::Retention> {
        super::apply_retention(self, horizons).await
    }

    async fn maintain(&self, now: DateTime<Utc>) -> Result<()> {
        // The current month and the three ahead, so that ingest rarely has to create one.
        let mut months = Vec::new();
        let mut m = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap_or_default();
        for _ in 0..4 {
            months.push(m);
            m = m.checked_add_months(chrono::Months::new(1)).unwrap_or(m);
        }
        ensure_partitions(self, &months).await
    }

    async fn pack_days(&self, now: DateTime<Utc>) -> Result<u64> {
        super::pack_days(self, now).await
    }
}

// ---------------------------------------------------------------------------------------------
// Health scores and insights: their queries, compiled with this file once per engine.

#[allow(clippy::duplicate_mod)]
#[path = "health_sql.rs"]
mod health_sql;

// ---------------------------------------------------------------------------------------------
// The job queue and its schedules: their queries, compiled with this file once per engine.

#[allow(clippy::duplicate_mod)]
#[path = "jobs_sql.rs"]
mod jobs_sql;

// ---------------------------------------------------------------------------------------------
// The real-time stream's event log and tickets: their queries, compiled with this file once
// per engine.

#[allow(clippy::duplicate_mod)]
#[path = "events_sql.rs"]
pub(crate) mod events_sql;

// ---------------------------------------------------------------------------------------------
// Alert rules, alerts, channels and deliveries: their queries, compiled with this file once per
// engine.

#[allow(clippy::duplicate_mod)]
#[path = "alerts_sql.rs"]
mod alerts_sql;

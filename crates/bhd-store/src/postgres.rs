//! The PostgreSQL engine, for the SaaS and for several `bhd serve` nodes on one database.
//!
//! Migrations run on a connection of their own as the configured user. The pool then runs
//! every query as the role `bhd_app` (when the user may `SET ROLE` to it), which is subject to
//! the row-level security policies; each transaction sets the `app.*` settings the policies
//! read, with `set_config(…, true)` so that they end with the transaction.

use crate::{Ctx, Engine, Result};
use bhd_domain::OrgId;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

pub(crate) type Db = sqlx::Postgres;
pub(crate) type Tx = sqlx::Transaction<'static, Db>;
pub(crate) type This = PgStore;
pub(crate) const ENGINE: Engine = Engine::Postgres;

/// The PostgreSQL implementation of [`crate::Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Months whose metric partition is known to exist (saves a round trip per ingest).
    partitions: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<chrono::NaiveDate>>>,
}

impl PgStore {
    /// Connects, applies migrations, and opens the pool that runs as `bhd_app`.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let mut conn = opts.connect().await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&mut conn)
            .await?;
        conn.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // A superuser or the tables' owner would bypass (or own) the policies:
                    // run as the unprivileged role instead whenever we are allowed to.
                    let may: bool =
                        sqlx::query_scalar("SELECT pg_has_role(current_user, 'bhd_app', 'MEMBER')")
                            .fetch_one(&mut *conn)
                            .await?;
                    if may {
                        conn.execute("SET ROLE bhd_app").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Self {
            pool,
            partitions: Default::default(),
        })
    }

    /// The pool (running as `bhd_app`), for engine-specific tools such as benchmarks and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn scoped_tx(&self, ctx: Ctx<'_>) -> Result<Tx> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true), \
             set_config('app.email', $3, true), set_config('app.key_hash', $4, true), \
             set_config('app.slug', $5, true)",
        )
        .bind(ctx.org.map(|o| o.to_string()).unwrap_or_default())
        .bind(ctx.user.map(|u| u.to_string()).unwrap_or_default())
        .bind(ctx.email.unwrap_or_default())
        .bind(ctx.key_hash.unwrap_or_default())
        .bind(ctx.slug.unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        Ok(tx)
    }

    pub(crate) async fn read_tx(&self, ctx: Ctx<'_>) -> Result<Tx> {
        self.scoped_tx(ctx).await
    }

    pub(crate) async fn write_tx(&self, ctx: Ctx<'_>) -> Result<Tx> {
        self.scoped_tx(ctx).await
    }

    pub(crate) async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Points' times are stored as `timestamptz` (microsecond precision).
pub(crate) type Ts = chrono::DateTime<chrono::Utc>;

pub(crate) fn ts(t: chrono::DateTime<chrono::Utc>) -> Ts {
    t
}

pub(crate) fn from_ts(t: Ts) -> chrono::DateTime<chrono::Utc> {
    t
}

/// Creates the monthly partitions of `business_metrics` for these months (first days) if they
/// do not exist yet, each in its own short transaction: creating a partition locks the parent
/// table, which must not be held for the length of an ingest.
pub(crate) async fn ensure_partitions(store: &This, months: &[chrono::NaiveDate]) -> Result<()> {
    for month in months {
        let known = store
            .partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(month);
        if known {
            continue;
        }
        sqlx::query("SELECT bhd_ensure_metric_partition($1)")
            .bind(month)
            .execute(&store.pool)
            .await?;
        store
            .partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(*month);
    }
    Ok(())
}

/// Moves the transaction's tenant boundary to another organization (used when sign-up accepts
/// invitations from several organizations).
pub(crate) async fn set_org(tx: &mut Tx, org: OrgId) -> Result<()> {
    sqlx::query("SELECT set_config('app.org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Serialises membership changes of one organization (the last-owner rule reads, then writes).
pub(crate) async fn lock_org(tx: &mut Tx, org: OrgId) -> Result<()> {
    sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
        .bind(org.as_uuid())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// The shared queries, compiled for this engine (see lib.rs): including the same file in both
// engine modules is the point, not an accident.
#[allow(clippy::duplicate_mod)]
#[path = "common.rs"]
mod common;

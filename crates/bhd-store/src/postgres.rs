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

/// Stores the evaluation state of many alert rules in one statement (arrays unnested), so that
/// an evaluation that moves a hundred rules costs one round trip, not a hundred.
pub(crate) async fn write_rule_states(
    tx: &mut Tx,
    org: OrgId,
    states: &[(uuid::Uuid, crate::RuleStateRecord)],
) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = states.iter().map(|(id, _)| *id).collect();
    let streaks: Vec<i32> = states
        .iter()
        .map(|(_, s)| i32::try_from(s.streak).unwrap_or(i32::MAX))
        .collect();
    let pending: Vec<Option<Ts>> = states.iter().map(|(_, s)| s.pending_since).collect();
    let fired: Vec<Option<Ts>> = states.iter().map(|(_, s)| s.last_triggered_at).collect();
    sqlx::query(
        "UPDATE alert_rules r SET streak = u.streak, pending_since = u.pending_since, \
         last_triggered_at = u.last_triggered_at \
         FROM unnest($2::uuid[], $3::int[], $4::timestamptz[], $5::timestamptz[]) \
           AS u(id, streak, pending_since, last_triggered_at) \
         WHERE r.organization_id = $1 AND r.id = u.id",
    )
    .bind(org.as_uuid())
    .bind(ids)
    .bind(streaks)
    .bind(pending)
    .bind(fired)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a batch with one statement (`INSERT … SELECT FROM UNNEST` of column arrays), so a
/// batch costs one round trip instead of one per point. Within a batch the last point of an
/// identity wins (PostgreSQL refuses to update one row twice in a statement); the earlier
/// duplicates count as updated, as they would had they come one by one.
pub(crate) async fn write_points(
    tx: &mut Tx,
    org: OrgId,
    points: &[crate::NewPoint],
    now: chrono::DateTime<chrono::Utc>,
    optimistic: bool,
) -> Result<(crate::IngestCount, Vec<bool>)> {
    let mut last: std::collections::HashMap<
        (&str, &str, &str, chrono::DateTime<chrono::Utc>),
        usize,
    > = std::collections::HashMap::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        last.insert(
            (
                p.metric_type.as_str(),
                p.source.as_str(),
                p.dimension.as_str(),
                p.recorded_at,
            ),
            i,
        );
    }
    let mut keep: Vec<usize> = last.values().copied().collect();
    keep.sort_unstable();
    let duplicates = (points.len() - keep.len()) as u64;
    let pick = |f: &dyn Fn(&crate::NewPoint) -> String| {
        keep.iter().map(|&i| f(&points[i])).collect::<Vec<String>>()
    };
    let metric = pick(&|p| p.metric_type.clone());
    let source = pick(&|p| p.source.clone());
    let dimension = pick(&|p| p.dimension.clone());
    let category = pick(&|p| p.category.as_str().to_owned());
    let recorded: Vec<chrono::DateTime<chrono::Utc>> =
        keep.iter().map(|&i| points[i].recorded_at).collect();
    let value: Vec<i64> = keep.iter().map(|&i| points[i].value.micros()).collect();
    // Most points carry no metadata: NULL (stored as '{}') costs the server no JSON parsing.
    let metadata: Vec<Option<sqlx::types::Json<&serde_json::Value>>> = keep
        .iter()
        .map(|&i| &points[i].metadata)
        .map(|m| (!m.as_object().is_some_and(|o| o.is_empty())).then_some(sqlx::types::Json(m)))
        .collect();
    if optimistic {
        // The common case, points never seen: a plain INSERT, without the arbiter-index checks
        // of an upsert and with nothing to send back (about 40 % cheaper). If any identity
        // exists, it fails with a unique violation, and the caller runs the transaction again
        // without `optimistic`.
        sqlx::query(
            "INSERT INTO business_metrics (organization_id, metric_type, source, dimension, recorded_at, value_micros, \
             category, metadata, ingested_at) \
             SELECT $1, t.m, t.s, t.d, t.r, t.v, t.c, COALESCE(t.j, '{}'::jsonb), $9 FROM UNNEST($2::text[], $3::text[], \
               $4::text[], $5::timestamptz[], $6::bigint[], $7::text[], $8::jsonb[]) AS t(m, s, d, r, v, c, j)",
        )
        .bind(org.as_uuid())
        .bind(&metric)
        .bind(&source)
        .bind(&dimension)
        .bind(&recorded)
        .bind(&value)
        .bind(&category)
        .bind(&metadata)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let mut fresh = vec![false; points.len()];
        for &i in &keep {
            fresh[i] = true;
        }
        return Ok((
            crate::IngestCount {
                accepted: keep.len() as u64,
                updated: duplicates,
            },
            fresh,
        ));
    }
    // New identities are inserted and come back; the others exist and are updated after.
    // (xmax, which would tell the two apart in one upsert, cannot be read from a partitioned
    // table.) A concurrent ingest of the same identity waits on our insert, then updates it.
    let inserted: Vec<(String, String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "INSERT INTO business_metrics (organization_id, metric_type, source, dimension, recorded_at, value_micros, \
         category, metadata, ingested_at) \
         SELECT $1, t.m, t.s, t.d, t.r, t.v, t.c, COALESCE(t.j, '{}'::jsonb), $9 FROM UNNEST($2::text[], $3::text[], $4::text[], \
           $5::timestamptz[], $6::bigint[], $7::text[], $8::jsonb[]) AS t(m, s, d, r, v, c, j) \
         ON CONFLICT (organization_id, metric_type, source, dimension, recorded_at) DO NOTHING \
         RETURNING metric_type, source, dimension, recorded_at",
    )
    .bind(org.as_uuid())
    .bind(&metric)
    .bind(&source)
    .bind(&dimension)
    .bind(&recorded)
    .bind(&value)
    .bind(&category)
    .bind(&metadata)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    let mut fresh = vec![false; points.len()];
    for (m, s, d, r) in &inserted {
        if let Some(&i) = last.get(&(m.as_str(), s.as_str(), d.as_str(), *r)) {
            fresh[i] = true;
        }
    }
    let existing: Vec<usize> = (0..keep.len()).filter(|&k| !fresh[keep[k]]).collect();
    if !existing.is_empty() {
        let sub = |v: &[String]| existing.iter().map(|&k| v[k].clone()).collect::<Vec<_>>();
        sqlx::query(
            "UPDATE business_metrics b SET value_micros = t.v, category = t.c, metadata = COALESCE(t.j, '{}'::jsonb), ingested_at = $9 \
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::text[], $8::jsonb[]) \
               AS t(m, s, d, r, v, c, j) \
             WHERE b.organization_id = $1 AND b.metric_type = t.m AND b.source = t.s AND b.dimension = t.d \
               AND b.recorded_at = t.r",
        )
        .bind(org.as_uuid())
        .bind(sub(&metric))
        .bind(sub(&source))
        .bind(sub(&dimension))
        .bind(existing.iter().map(|&k| recorded[k]).collect::<Vec<_>>())
        .bind(existing.iter().map(|&k| value[k]).collect::<Vec<_>>())
        .bind(sub(&category))
        .bind(existing.iter().map(|&k| metadata[k]).collect::<Vec<_>>())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let existing = existing.len() as u64;
    Ok((
        crate::IngestCount {
            accepted: keep.len() as u64 - existing,
            updated: existing + duplicates,
        },
        fresh,
    ))
}

/// Recomputes the roll-ups of the stale local days with one statement; the lateral subquery
/// makes each day an index range scan (a plain join planned as a hash join over the
/// organization's whole history).
pub(crate) async fn refresh_days(
    tx: &mut Tx,
    org: OrgId,
    stale: &[common::RollupKey<'_>],
    tz: chrono_tz::Tz,
) -> Result<()> {
    use bhd_domain::period::{local_midnight, next_bucket};
    if stale.is_empty() {
        return Ok(());
    }
    let metric: Vec<&str> = stale.iter().map(|(m, _)| *m).collect();
    let day: Vec<chrono::NaiveDate> = stale.iter().map(|(_, d)| *d).collect();
    let start: Vec<chrono::DateTime<chrono::Utc>> =
        day.iter().map(|d| local_midnight(*d, tz)).collect();
    let end: Vec<chrono::DateTime<chrono::Utc>> = start
        .iter()
        .map(|s| next_bucket(*s, bhd_domain::Granularity::Day, tz))
        .collect();
    sqlx::query(
        "INSERT INTO metric_daily (organization_id, metric_type, day, sum_micros, count, last_at, last_micros) \
         SELECT $1::uuid, t.m, t.day, a.s, a.c, a.la, a.lv \
         FROM UNNEST($2::text[], $3::date[], $4::timestamptz[], $5::timestamptz[]) AS t(m, day, s, e) \
         CROSS JOIN LATERAL (SELECT SUM(b.value_micros) AS s, COUNT(*) AS c, MAX(b.recorded_at) AS la, \
             (array_agg(b.value_micros ORDER BY b.recorded_at DESC, b.value_micros DESC))[1] AS lv \
           FROM business_metrics b WHERE b.organization_id = $1::uuid AND b.metric_type = t.m \
             AND b.recorded_at >= t.s AND b.recorded_at < t.e) AS a \
         WHERE a.c > 0 \
         ON CONFLICT (organization_id, metric_type, day) DO UPDATE SET sum_micros = excluded.sum_micros, \
           count = excluded.count, last_at = excluded.last_at, last_micros = excluded.last_micros",
    )
    .bind(org.as_uuid())
    .bind(&metric)
    .bind(&day)
    .bind(&start)
    .bind(&end)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

macro_rules! merge_sql {
    ($table:literal, $col:literal) => {
        concat!(
            "INSERT INTO ", $table, " (organization_id, metric_type, ", $col,
            ", sum_micros, count, last_at, last_micros) SELECT $1, t.m, t.p, t.s, t.c, t.la, t.lv \
             FROM UNNEST($2::text[], $3::date[], $4::bigint[], $5::bigint[], $6::timestamptz[], $7::bigint[]) \
             AS t(m, p, s, c, la, lv)",
            merge_conflict!($table, $col)
        )
    };
}

/// Merges summaries of new points into the roll-ups with one statement.
pub(crate) async fn merge_rollups(
    tx: &mut Tx,
    org: OrgId,
    grain: common::Grain,
    rows: &std::collections::BTreeMap<common::RollupKey<'_>, bhd_domain::Partial>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = match grain {
        common::Grain::Day => merge_sql!("metric_daily", "day"),
        common::Grain::Month => merge_sql!("metric_monthly", "month"),
    };
    let metric: Vec<&str> = rows.keys().map(|(m, _)| *m).collect();
    let period: Vec<chrono::NaiveDate> = rows.keys().map(|(_, p)| *p).collect();
    let sum = rows
        .values()
        .map(common::stored_sum)
        .collect::<Result<Vec<i64>>>()?;
    let count: Vec<i64> = rows
        .values()
        .map(|p| i64::try_from(p.count).unwrap_or(i64::MAX))
        .collect();
    let last_at: Vec<chrono::DateTime<chrono::Utc>> = rows.values().map(|p| p.last_at).collect();
    let last: Vec<i64> = rows.values().map(|p| p.last.micros()).collect();
    sqlx::query(sql)
        .bind(org.as_uuid())
        .bind(&metric)
        .bind(&period)
        .bind(&sum)
        .bind(&count)
        .bind(&last_at)
        .bind(&last)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether the error is a unique violation (an optimistic insert met an existing point).
pub(crate) fn unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.code().as_deref() == Some("23505"))
}

/// Whether the error is "no partition of relation … found for row".
pub(crate) fn missing_partition(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        d.code().as_deref() == Some("23514") && d.message().contains("no partition")
    })
}

/// Forgets which partitions exist (after one was dropped under us).
pub(crate) fn forget_partitions(store: &This) {
    store
        .partitions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
}

/// Retention through the definer function (see migration 0004), which alone may drop
/// partitions and reach every tenant; the known-partition cache forgets what it dropped.
pub(crate) async fn apply_retention(
    store: &This,
    horizons: &[(bhd_domain::Plan, chrono::DateTime<chrono::Utc>)],
) -> Result<crate::Retention> {
    use bhd_domain::Plan;
    let of = |plan: Plan| {
        horizons
            .iter()
            .find(|(p, _)| *p == plan)
            .map(|(_, h)| *h)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    };
    let (deleted, dropped): (i64, i32) = sqlx::query_as(
        "SELECT points_deleted, partitions_dropped FROM bhd_metric_retention($1, $2, $3)",
    )
    .bind(of(Plan::Free))
    .bind(of(Plan::Pro))
    .bind(of(Plan::Enterprise))
    .fetch_one(&store.pool)
    .await?;
    if dropped > 0 {
        store
            .partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
    Ok(crate::Retention {
        points_deleted: u64::try_from(deleted).unwrap_or(0),
        partitions_dropped: u64::try_from(dropped).unwrap_or(0),
    })
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

/// Notifies every listening node (this one included) of a logged event.
pub(crate) async fn notify_event(store: &This, event: &crate::StreamEvent) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(crate::EVENT_CHANNEL)
        .bind(crate::Notice::for_event(event))
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Listens for the events every node notifies, from now on. The listening connection
/// reconnects by itself after a failure (sqlx's `PgListener`); events notified while it was
/// away are not lost to clients, which resume from the log with `Last-Event-ID`.
pub(crate) async fn listen_events(store: &This) -> Result<Option<crate::EventFeed>> {
    use futures_util::StreamExt;
    let mut listener = sqlx::postgres::PgListener::connect_with(&store.pool).await?;
    listener.listen(crate::EVENT_CHANNEL).await?;
    let store = store.clone();
    let stream = listener.into_stream().then(move |n| {
        let store = store.clone();
        async move {
            let n = n?;
            match serde_json::from_str::<crate::Notice>(n.payload()) {
                Ok(crate::Notice::Full(e)) => Ok(e),
                Ok(crate::Notice::Named { id, org }) => {
                    common::events_sql::event_by_id(&store, org, id).await
                }
                Err(e) => Err(crate::StoreError::Corrupt(format!(
                    "event notification: {e}"
                ))),
            }
        }
    });
    Ok(Some(stream.boxed()))
}

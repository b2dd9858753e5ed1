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
            // No JIT: every query here is short, and the planner's estimates for the set-
            // returning functions of a few of them (the packed days' month list) cross
            // `jit_above_cost`, so that each execution spent ~10 ms compiling what runs in one.
            .connect_with(opts.options([("jit", "off")]))
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

/// Marks the packed copies of these (metric, month) pairs stale after their days changed: one
/// call for the whole batch (see `bhd_days_changed` in migration 0011 for why it is two
/// statements in a function, in that order, rather than one).
pub(crate) async fn days_changed(
    tx: &mut Tx,
    org: OrgId,
    changed: &std::collections::BTreeSet<common::RollupKey<'_>>,
) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    // Sorted (a BTreeSet), so concurrent ingests lock pending rows in the same order.
    let metric: Vec<&str> = changed.iter().map(|(m, _)| *m).collect();
    let month: Vec<chrono::NaiveDate> = changed.iter().map(|(_, p)| *p).collect();
    sqlx::query("SELECT bhd_days_changed($1, $2::text[], $3::date[])")
        .bind(org.as_uuid())
        .bind(&metric)
        .bind(&month)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Drops every packed copy of the organization and its queue (before its daily roll-ups are
/// rebuilt). The queue first: a packing run in progress holds rows of it until it commits, and
/// the packed rows it wrote are then visible to the second statement.
pub(crate) async fn forget_packed(tx: &mut Tx, org: OrgId) -> Result<()> {
    for q in [
        "DELETE FROM metric_pack_pending WHERE organization_id = $1",
        "DELETE FROM metric_days_packed WHERE organization_id = $1",
    ] {
        sqlx::query(q)
            .bind(org.as_uuid())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The first month that is not complete at `now`: the one holding the day two days before (a
/// local day ends at most 14 hours after the UTC day of the same date, so two days is ample).
fn first_incomplete_month(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    use chrono::Datelike;
    let d = (now - chrono::TimeDelta::days(2)).date_naive();
    d.with_day(1).unwrap_or(d)
}

/// Pending months packed per transaction: an organization with years of history waiting
/// (after the migration's backfill) is packed in bounded transactions.
const PACK_CHUNK: i64 = 2_000;

/// Packs the complete pending months of every organization that has some, each organization
/// in transactions of its own (row-level security).
pub(crate) async fn pack_days(store: &This, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    let before = first_incomplete_month(now);
    let orgs: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM bhd_pack_pending_organizations($1) AS id")
            .bind(before)
            .fetch_all(&store.pool)
            .await?;
    let mut packed = 0;
    for org in orgs {
        packed += pack_org(store, OrgId::from_uuid(org), before).await?;
    }
    Ok(packed)
}

/// Packs one organization's pending months before `before`. Each transaction takes its
/// pending rows first (deleting them, skipping any an ingest holds: that ingest is changing
/// the month, which stays pending), then reads the days in a later statement, whose snapshot
/// sees every ingest that committed while it waited; an ingest that commits afterwards
/// deletes what this wrote (see `bhd_days_changed`).
async fn pack_org(store: &This, org: OrgId, before: chrono::NaiveDate) -> Result<u64> {
    let mut packed = 0;
    loop {
        let mut tx = store.write_tx(Ctx::org(org)).await?;
        let mut taken: Vec<(String, chrono::NaiveDate)> = sqlx::query_as(
            "DELETE FROM metric_pack_pending WHERE organization_id = $1 AND (metric_type, month) IN \
               (SELECT metric_type, month FROM metric_pack_pending WHERE organization_id = $1 AND month < $2 \
                ORDER BY metric_type, month LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING metric_type, month",
        )
        .bind(org.as_uuid())
        .bind(before)
        .bind(PACK_CHUNK)
        .fetch_all(&mut *tx)
        .await?;
        if taken.is_empty() {
            tx.commit().await?;
            return Ok(packed);
        }
        // Inserted in key order, so that a series' months lie on neighbouring pages when many
        // are packed at once (a backlog): DELETE … RETURNING answers in no particular order.
        taken.sort_unstable();
        let metric: Vec<&str> = taken.iter().map(|(m, _)| m.as_str()).collect();
        let month: Vec<chrono::NaiveDate> = taken.iter().map(|(_, p)| *p).collect();
        // Each month's end is passed in, not computed in SQL: under row-level security only
        // leakproof conditions may bound the index scan ahead of the policy, and a computed
        // bound is not one (the scan would read the metric's every day for each month).
        let next: Vec<chrono::NaiveDate> = month
            .iter()
            .map(|m| {
                m.checked_add_months(chrono::Months::new(1))
                    .unwrap_or(chrono::NaiveDate::MAX)
            })
            .collect();
        // A month without days (none left after a time-zone change) packs to nothing: its
        // pending row goes, and readers find no row and no days, as before.
        sqlx::query(
            "INSERT INTO metric_days_packed (organization_id, metric_type, month, days) \
             SELECT $1, t.m, t.mo, a.days \
             FROM UNNEST($2::text[], $3::date[], $4::date[]) AS t(m, mo, next) \
             CROSS JOIN LATERAL (SELECT string_agg(bhd_day_record(d.day, d.sum_micros, d.count, d.last_at, d.last_micros), \
                 ''::bytea ORDER BY d.day) AS days \
               FROM metric_daily d WHERE d.organization_id = $1 AND d.metric_type = t.m \
                 AND d.day >= t.mo AND d.day < t.next) AS a \
             WHERE a.days IS NOT NULL \
             ON CONFLICT (organization_id, metric_type, month) DO UPDATE SET days = excluded.days",
        )
        .bind(org.as_uuid())
        .bind(&metric)
        .bind(&month)
        .bind(&next)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        packed += taken.len() as u64;
        if (taken.len() as i64) < PACK_CHUNK {
            return Ok(packed);
        }
    }
}

/// The size of one day's record in `metric_days_packed.days` (migration 0011): int2 day of the
/// month, then int8 sum_micros, count, last_at (microseconds since the Unix epoch) and
/// last_micros, big-endian.
const DAY_RECORD: usize = 34;

/// One metric's daily roll-ups for `from..=to`, in its own read transaction (day and week
/// series): see [`read_days_in`].
pub(crate) async fn read_days(
    store: &This,
    org: OrgId,
    metric_type: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<crate::DailyRollup>> {
    let mut tx = store.read_tx(Ctx::org(org)).await?;
    let out = read_days_in(&mut tx, org, &[(metric_type, from)], to).await?;
    tx.commit().await?;
    Ok(out)
}

/// The daily roll-ups of each `(metric, first day)` of `wanted` up to `to`, by day within each
/// metric (metrics in no particular order): the packed rows of the months in range, and the daily rows of only
/// the months without one (each such month its own index range, so the rows of packed months
/// are never read twice). Two planner traps avoided: `OFFSET 0` keeps it from flattening the
/// per-month scans into one scan of the metric's every day, filtered afterwards; and each
/// month's bounds are plain columns of the materialised `t` and `gaps`, because under row-level
/// security only leakproof conditions may run before the policy, so bounds computed inline
/// (casts, GREATEST) left the index only the organization and metric to use. Each metric is
/// its own index range too (a list of metrics as `= ANY` or `IN` left the metric out of the
/// index bounds in the generic plan). One statement, so one snapshot: a month packed or
/// changed meanwhile is seen either packed or as days, never both or neither. Daily rows come
/// back as one-record `days` of their month, so that both kinds share one row shape.
pub(crate) async fn read_days_in(
    tx: &mut Tx,
    org: OrgId,
    wanted: &[(&str, chrono::NaiveDate)],
    to: chrono::NaiveDate,
) -> Result<Vec<crate::DailyRollup>> {
    use chrono::Datelike;
    let wanted = common::days_wanted(wanted, to);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let (metrics, froms): (Vec<&str>, Vec<chrono::NaiveDate>) = wanted.iter().copied().unzip();
    let mut rows: Vec<(String, chrono::NaiveDate, Vec<u8>)> = sqlx::query_as(
        "WITH t AS MATERIALIZED ( \
           SELECT m, f, date_trunc('month', f)::date AS fm FROM unnest($2::text[], $3::date[]) AS u(m, f)), \
         p AS MATERIALIZED ( \
           SELECT t.m, x.month, x.days FROM t CROSS JOIN LATERAL ( \
             SELECT month, days FROM metric_days_packed \
             WHERE organization_id = $1 AND metric_type = t.m AND month >= t.fm AND month <= $4) AS x), \
         gaps AS MATERIALIZED ( \
           SELECT t.m, g.m::date AS month, GREATEST(g.m::date, t.f) AS lo, \
             LEAST((g.m + interval '1 month')::date - 1, $4::date) AS hi \
           FROM t CROSS JOIN LATERAL generate_series(t.fm::timestamp, $4::timestamp, interval '1 month') AS g(m) \
           WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.m = t.m AND p.month = g.m::date)) \
         SELECT m, month, days FROM p \
         UNION ALL \
         SELECT gaps.m, gaps.month, bhd_day_record(d.day, d.sum_micros, d.count, d.last_at, d.last_micros) \
         FROM gaps CROSS JOIN LATERAL ( \
           SELECT day, sum_micros, count, last_at, last_micros FROM metric_daily \
           WHERE organization_id = $1 AND metric_type = gaps.m AND day >= gaps.lo AND day <= gaps.hi OFFSET 0) AS d",
    )
    .bind(org.as_uuid())
    .bind(&metrics)
    .bind(&froms)
    .bind(to)
    .fetch_all(&mut **tx)
    .await?;
    // Packed months and loose days (a row each) arrive in no particular order; a packed
    // month's records are in day order. Sorting the few hundred rows by metric, month and first
    // day puts the thousands of days in order as they are decoded.
    rows.sort_unstable_by(|a, b| (&a.0, a.1, a.2.get(..2)).cmp(&(&b.0, b.1, b.2.get(..2))));
    let mut out = Vec::with_capacity(rows.iter().map(|r| r.2.len() / DAY_RECORD).sum());
    for (metric_type, month, days) in rows {
        let from = wanted
            .iter()
            .find(|(m, _)| *m == metric_type)
            .map_or(to, |(_, f)| *f);
        let corrupt = |what: &str| {
            crate::StoreError::Corrupt(format!("packed days of {metric_type} {month}: {what}"))
        };
        if days.len() % DAY_RECORD != 0 {
            return Err(corrupt("not a whole number of day records"));
        }
        for record in days.chunks_exact(DAY_RECORD) {
            let int8 = |at: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&record[at..at + 8]);
                i64::from_be_bytes(b)
            };
            let day = u32::try_from(i16::from_be_bytes([record[0], record[1]]))
                .ok()
                .and_then(|d| month.with_day(d))
                .ok_or_else(|| corrupt("a day outside the month"))?;
            // The first and last packed months may reach outside the range asked for.
            if day < from || day > to {
                continue;
            }
            let last_at = chrono::DateTime::from_timestamp_micros(int8(18))
                .ok_or_else(|| corrupt("a time out of range"))?;
            out.push(crate::DailyRollup {
                metric_type: metric_type.clone(),
                day,
                partial: bhd_domain::Partial {
                    sum_micros: i128::from(int8(2)),
                    count: u64::try_from(int8(10)).unwrap_or(0),
                    last_at,
                    last: bhd_domain::Amount::from_micros(int8(26)),
                },
            });
        }
    }
    fn key(r: &crate::DailyRollup) -> (&str, chrono::NaiveDate) {
        (&r.metric_type, r.day)
    }
    if !out.is_sorted_by(|a, b| key(a) <= key(b)) {
        // Only a packed month written out of day order would get here.
        out.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
    }
    Ok(out)
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

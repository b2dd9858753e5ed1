//! The embedded engine: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection, so write transactions queue in the
//! process instead of failing with SQLITE_BUSY, and a read-check-write (the last-owner rule)
//! cannot interleave with another. Reads use a separate read-only pool and never block writes.
//! `synchronous = FULL`: a write is acknowledged only once it is on disk.

use crate::{Ctx, Engine, Result};
use bhd_domain::OrgId;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

pub(crate) type Db = sqlx::Sqlite;
pub(crate) type Tx = sqlx::Transaction<'static, Db>;
pub(crate) type This = SqliteStore;
pub(crate) const ENGINE: Engine = Engine::Sqlite;

/// The SQLite implementation of [`crate::Store`].
#[derive(Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file a `sqlite://` URL names and migrates it.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(dir) = opts
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Self { read, write })
    }

    /// The write pool, for engine-specific tools such as benchmarks.
    pub fn write_pool(&self) -> &SqlitePool {
        &self.write
    }

    pub(crate) async fn read_tx(&self, _ctx: Ctx<'_>) -> Result<Tx> {
        Ok(self.read.begin().await?)
    }

    pub(crate) async fn write_tx(&self, _ctx: Ctx<'_>) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    pub(crate) async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }
}

/// How a point's time is stored: integer microseconds since the epoch (numbers compare exactly;
/// text would depend on formatting).
pub(crate) type Ts = i64;

pub(crate) fn ts(t: chrono::DateTime<chrono::Utc>) -> Ts {
    t.timestamp_micros()
}

pub(crate) fn from_ts(t: Ts) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(t).unwrap_or_default()
}

/// SQLite has no partitions.
pub(crate) async fn ensure_partitions(_store: &This, _months: &[chrono::NaiveDate]) -> Result<()> {
    Ok(())
}

/// Stores the evaluation state of alert rules, one prepared statement each (in-process: no
/// round trips to save).
pub(crate) async fn write_rule_states(
    tx: &mut Tx,
    org: OrgId,
    states: &[(uuid::Uuid, crate::RuleStateRecord)],
) -> Result<()> {
    for (id, s) in states {
        sqlx::query(
            "UPDATE alert_rules SET streak = $3, pending_since = $4, last_triggered_at = $5 \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.as_uuid())
        .bind(id)
        .bind(i32::try_from(s.streak).unwrap_or(i32::MAX))
        .bind(s.pending_since)
        .bind(s.last_triggered_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes points one prepared statement at a time inside the caller's transaction: SQLite's own
/// bulk path. A new point is one INSERT; a point with an existing identity is replaced. Answers
/// the counts and, per point, whether it was new (see `common::roll_up`).
pub(crate) async fn write_points(
    tx: &mut Tx,
    org: OrgId,
    points: &[crate::NewPoint],
    now: chrono::DateTime<chrono::Utc>,
    // One statement per point here: an upsert costs SQLite no more than an insert.
    _optimistic: bool,
) -> Result<(crate::IngestCount, Vec<bool>)> {
    let mut count = crate::IngestCount::default();
    let mut fresh = Vec::with_capacity(points.len());
    for p in points {
        let inserted = sqlx::query(
            "INSERT INTO business_metrics (organization_id, metric_type, source, dimension, recorded_at, value_micros, \
             category, metadata, ingested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (organization_id, metric_type, source, dimension, recorded_at) DO NOTHING",
        )
        .bind(org.as_uuid())
        .bind(&p.metric_type)
        .bind(&p.source)
        .bind(&p.dimension)
        .bind(ts(p.recorded_at))
        .bind(p.value.micros())
        .bind(p.category.as_str())
        .bind(sqlx::types::Json(&p.metadata))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        // A later duplicate in the batch replaces this one: its day is then stale anyway, so
        // this point's flag does not matter.
        fresh.push(inserted == 1);
        if inserted == 1 {
            count.accepted += 1;
            continue;
        }
        sqlx::query(
            "UPDATE business_metrics SET value_micros = $6, category = $7, metadata = $8, ingested_at = $9 \
             WHERE organization_id = $1 AND metric_type = $2 AND source = $3 AND dimension = $4 AND recorded_at = $5",
        )
        .bind(org.as_uuid())
        .bind(&p.metric_type)
        .bind(&p.source)
        .bind(&p.dimension)
        .bind(ts(p.recorded_at))
        .bind(p.value.micros())
        .bind(p.category.as_str())
        .bind(sqlx::types::Json(&p.metadata))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        count.updated += 1;
    }
    Ok((count, fresh))
}

/// Recomputes the stale days' roll-ups, one day at a time.
pub(crate) async fn refresh_days(
    tx: &mut Tx,
    org: OrgId,
    stale: &[common::RollupKey<'_>],
    tz: chrono_tz::Tz,
) -> Result<()> {
    for (metric, day) in stale {
        refresh_daily(tx, org, metric, *day, tz).await?;
    }
    Ok(())
}

/// Recomputes one local day's roll-up of one metric from its points.
async fn refresh_daily(
    tx: &mut Tx,
    org: OrgId,
    metric: &str,
    day: chrono::NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<()> {
    let start = bhd_domain::period::local_midnight(day, tz);
    let end = bhd_domain::period::next_bucket(start, bhd_domain::Granularity::Day, tz);
    sqlx::query(
        "INSERT INTO metric_daily (organization_id, metric_type, day, sum_micros, count, last_at, last_micros) \
         SELECT organization_id, metric_type, $3, SUM(value_micros), COUNT(*), MAX(recorded_at), \
           (SELECT b.value_micros FROM business_metrics b WHERE b.organization_id = $1 AND b.metric_type = $2 \
              AND b.recorded_at >= $4 AND b.recorded_at < $5 ORDER BY b.recorded_at DESC, b.value_micros DESC LIMIT 1) \
         FROM business_metrics WHERE organization_id = $1 AND metric_type = $2 AND recorded_at >= $4 AND recorded_at < $5 \
         GROUP BY organization_id, metric_type \
         ON CONFLICT (organization_id, metric_type, day) DO UPDATE SET sum_micros = excluded.sum_micros, \
           count = excluded.count, last_at = excluded.last_at, last_micros = excluded.last_micros",
    )
    .bind(org.as_uuid())
    .bind(metric)
    .bind(day)
    .bind(ts(start))
    .bind(ts(end))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

macro_rules! merge_sql {
    ($table:literal, $col:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (organization_id, metric_type, ",
            $col,
            ", sum_micros, count, last_at, last_micros) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            merge_conflict!($table, $col)
        )
    };
}

/// Merges summaries of new points into the roll-ups, one prepared statement per row.
pub(crate) async fn merge_rollups(
    tx: &mut Tx,
    org: OrgId,
    grain: common::Grain,
    rows: &std::collections::BTreeMap<common::RollupKey<'_>, bhd_domain::Partial>,
) -> Result<()> {
    let sql = match grain {
        common::Grain::Day => merge_sql!("metric_daily", "day"),
        common::Grain::Month => merge_sql!("metric_monthly", "month"),
    };
    for (&(metric, period), part) in rows {
        sqlx::query(sql)
            .bind(org.as_uuid())
            .bind(metric)
            .bind(period)
            .bind(common::stored_sum(part)?)
            .bind(i64::try_from(part.count).unwrap_or(i64::MAX))
            .bind(ts(part.last_at))
            .bind(part.last.micros())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// SQLite keeps no packed copy of the daily roll-ups: nothing goes stale.
pub(crate) async fn days_changed(
    _tx: &mut Tx,
    _org: OrgId,
    _changed: &std::collections::BTreeSet<common::RollupKey<'_>>,
) -> Result<()> {
    Ok(())
}

/// SQLite keeps no packed copy of the daily roll-ups.
pub(crate) async fn forget_packed(_tx: &mut Tx, _org: OrgId) -> Result<()> {
    Ok(())
}

/// SQLite keeps no packed copy: nothing to pack. (Its daily roll-ups are a clustered
/// `WITHOUT ROWID` table in key order, so a series is one contiguous range read already.)
pub(crate) async fn pack_days(_store: &This, _now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    Ok(0)
}

/// One metric's daily roll-ups for `from..=to`, straight from `metric_daily`.
pub(crate) async fn read_days(
    store: &This,
    org: OrgId,
    metric_type: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<crate::DailyRollup>> {
    common::one_metric(
        store,
        org,
        metric_type,
        from,
        to,
        "SELECT day, sum_micros, count, last_at, last_micros FROM metric_daily \
         WHERE organization_id = $1 AND metric_type = $2 AND day >= $3 AND day <= $4 ORDER BY day",
    )
    .await
}

/// The daily roll-ups of each `(metric, first day)` of `wanted` up to `to`, straight from
/// `metric_daily` (its primary key makes each metric one contiguous range), by metric and day.
pub(crate) async fn read_days_in(
    tx: &mut Tx,
    org: OrgId,
    wanted: &[(&str, chrono::NaiveDate)],
    to: chrono::NaiveDate,
) -> Result<Vec<crate::DailyRollup>> {
    let wanted = common::days_wanted(wanted, to);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query_as::<sqlx::Sqlite, common::DailyRow>(
        // CROSS JOIN fixes the join order (SQLite's hint): with a plain JOIN the planner
        // scanned every roll-up of the organization and matched each against the list.
        "SELECT d.metric_type, d.day, d.sum_micros, d.count, d.last_at, d.last_micros \
         FROM json_each($2) AS w CROSS JOIN metric_daily AS d \
         WHERE d.organization_id = $1 AND d.metric_type = w.value ->> 0 \
           AND d.day >= w.value ->> 1 AND d.day <= $3 ORDER BY d.metric_type, d.day",
    )
    .bind(org.as_uuid())
    .bind(sqlx::types::Json(&wanted))
    .bind(to)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(common::DailyRow::into_model).collect())
}

/// Never raised: SQLite's writes are upserts (see `write_points`).
pub(crate) fn unique_violation(_e: &sqlx::Error) -> bool {
    false
}

/// SQLite has no partitions.
pub(crate) fn missing_partition(_e: &sqlx::Error) -> bool {
    false
}

/// SQLite has no partitions.
pub(crate) fn forget_partitions(_store: &This) {}

/// Retention: SQLite has no partitions, so old points are deleted plan by plan.
pub(crate) async fn apply_retention(
    store: &This,
    horizons: &[(bhd_domain::Plan, chrono::DateTime<chrono::Utc>)],
) -> Result<crate::Retention> {
    let mut tx = store.write_tx(Ctx::default()).await?;
    let mut deleted = 0;
    for (plan, horizon) in horizons {
        deleted += sqlx::query(
            "DELETE FROM business_metrics WHERE recorded_at < $2 AND organization_id IN \
             (SELECT id FROM organizations WHERE plan = $1)",
        )
        .bind(plan.as_str())
        .bind(ts(*horizon))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(crate::Retention {
        points_deleted: deleted,
        partitions_dropped: 0,
    })
}

/// SQLite has no row-level security: the organization filter in every query is the boundary.
pub(crate) async fn set_org(_tx: &mut Tx, _org: OrgId) -> Result<()> {
    Ok(())
}

/// The single writer connection already serialises write transactions.
pub(crate) async fn lock_org(_tx: &mut Tx, _org: OrgId) -> Result<()> {
    Ok(())
}

// The shared queries, compiled for this engine (see lib.rs): including the same file in both
// engine modules is the point, not an accident.
#[allow(clippy::duplicate_mod)]
#[path = "common.rs"]
mod common;

/// SQLite is one process: the server delivers events in-process, nothing to notify.
pub(crate) async fn notify_event(_store: &This, _event: &crate::StreamEvent) -> Result<()> {
    Ok(())
}

/// No other process to listen to.
pub(crate) async fn listen_events(_store: &This) -> Result<Option<crate::EventFeed>> {
    Ok(None)
}

//! The job-queue queries, written once for both engines and compiled once per engine, like
//! `common.rs` (which declares this module): `super::super` is the engine module.
//!
//! Times are the engine's `Ts` (INTEGER microseconds on SQLite, `timestamptz` on PostgreSQL) so
//! that due times and leases compare as numbers. The claim is the one statement that differs:
//! PostgreSQL takes its rows with `FOR UPDATE SKIP LOCKED` (nodes claiming at the same moment
//! skip each other's rows instead of waiting or taking them twice); SQLite needs no row locks,
//! its single writer connection runs one claim at a time.

use super::super::{Db, ENGINE, This, Ts, from_ts};
use crate::jobs::backoff;
use crate::{
    Ctx, Debounce, Engine, FailOutcome, Job, JobFilter, JobId, JobScope, JobState, NewJob, Result,
    StoreError,
};
use async_trait::async_trait;
use bhd_domain::OrgId;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx::types::Json;
use std::time::Duration;
use uuid::Uuid;

/// The engine's time column type from a time (both engines compile this file, so the
/// conversion is a trait implemented for both column types).
trait FromUtc {
    fn from_utc(t: DateTime<Utc>) -> Self;
}

impl FromUtc for i64 {
    fn from_utc(t: DateTime<Utc>) -> Self {
        t.timestamp_micros()
    }
}

impl FromUtc for DateTime<Utc> {
    fn from_utc(t: DateTime<Utc>) -> Self {
        // timestamptz keeps microseconds; truncate here too so both engines agree.
        DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
    }
}

fn ts(t: DateTime<Utc>) -> Ts {
    <Ts as FromUtc>::from_utc(t)
}

/// `t + d`, saturating at a far but storable future (both engines' ranges).
fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    let far = DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(t); // 9999-12-31
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .map_or(far, |x| x.min(far))
}

/// The statement for this engine.
fn pick(postgres: &'static str, sqlite: &'static str) -> &'static str {
    match ENGINE {
        Engine::Postgres => postgres,
        Engine::Sqlite => sqlite,
    }
}

macro_rules! job_cols {
    () => {
        "id, organization_id, kind, payload, state, attempts, max_attempts, run_at, latest_run_at, \
         locked_until, lock_token, last_error, dedupe_key, created_at, updated_at, finished_at"
    };
}

/// The error recorded when a lease expired: the worker stopped (crashed, was killed, or ran
/// past its lease) without reporting.
const LEASE_EXPIRED: &str = "the worker stopped before finishing (lease expired)";
/// Longest error message kept.
const MAX_ERROR_CHARS: usize = 4_000;

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    organization_id: Option<Uuid>,
    kind: String,
    payload: Json<Value>,
    state: String,
    attempts: i32,
    max_attempts: i32,
    run_at: Ts,
    latest_run_at: Option<Ts>,
    locked_until: Option<Ts>,
    lock_token: Option<Uuid>,
    last_error: Option<String>,
    dedupe_key: Option<String>,
    created_at: Ts,
    updated_at: Ts,
    finished_at: Option<Ts>,
}

impl JobRow {
    fn into_model(self) -> Result<Job> {
        Ok(Job {
            id: JobId::from_uuid(self.id),
            org: self.organization_id.map(OrgId::from_uuid),
            kind: self.kind,
            payload: self.payload.0,
            state: self
                .state
                .parse::<JobState>()
                .map_err(|_| StoreError::Corrupt(format!("job state {:?}", self.state)))?,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            max_attempts: u32::try_from(self.max_attempts).unwrap_or(1),
            run_at: from_ts(self.run_at),
            latest_run_at: self.latest_run_at.map(from_ts),
            locked_until: self.locked_until.map(from_ts),
            lock_token: self.lock_token,
            last_error: self.last_error,
            dedupe_key: self.dedupe_key,
            created_at: from_ts(self.created_at),
            updated_at: from_ts(self.updated_at),
            finished_at: self.finished_at.map(from_ts),
        })
    }
}

fn attempts_col(n: u32) -> i32 {
    i32::try_from(n.max(1)).unwrap_or(i32::MAX)
}

fn clip(error: &str) -> &str {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => &error[..at],
        None => error,
    }
}

/// Inserts a job, or keeps the queued one with the same dedupe key (moved earlier if this one
/// is due sooner).
pub(super) async fn insert(
    tx: &mut super::super::Tx,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<JobId> {
    let id: Uuid = sqlx::query_scalar::<Db, Uuid>(
        "INSERT INTO jobs (id, organization_id, kind, payload, state, attempts, max_attempts, run_at, \
           dedupe_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $8) \
         ON CONFLICT (dedupe_key) WHERE state = 'queued' DO UPDATE SET \
           run_at = CASE WHEN excluded.run_at < jobs.run_at THEN excluded.run_at ELSE jobs.run_at END, \
           updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(JobId::generate().as_uuid())
    .bind(job.org.map(|o| o.as_uuid()))
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(attempts_col(job.max_attempts))
    .bind(ts(job.run_at))
    .bind(job.dedupe_key.as_deref())
    .bind(ts(now))
    .fetch_one(&mut **tx)
    .await?;
    Ok(JobId::from_uuid(id))
}

/// Enqueues a debounced job inside the caller's transaction (see
/// [`crate::JobStore::enqueue_debounced`]).
pub(super) async fn insert_debounced(
    tx: &mut super::super::Tx,
    kind: &str,
    org: OrgId,
    dedupe_key: &str,
    debounce: Debounce,
    now: DateTime<Utc>,
) -> Result<JobId> {
    // The waiting job moves to the new due time, unless it is already later (a retry's
    // backoff), and never past its latest_run_at.
    let id: Uuid = sqlx::query_scalar::<Db, Uuid>(
            "INSERT INTO jobs (id, organization_id, kind, payload, state, attempts, max_attempts, run_at, \
               latest_run_at, dedupe_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (dedupe_key) WHERE state = 'queued' DO UPDATE SET \
               run_at = CASE \
                 WHEN excluded.run_at <= jobs.run_at THEN jobs.run_at \
                 WHEN jobs.latest_run_at IS NULL OR excluded.run_at <= jobs.latest_run_at THEN excluded.run_at \
                 WHEN jobs.latest_run_at > jobs.run_at THEN jobs.latest_run_at \
                 ELSE jobs.run_at END, \
               latest_run_at = COALESCE(jobs.latest_run_at, excluded.latest_run_at), \
               updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(JobId::generate().as_uuid())
        .bind(org.as_uuid())
        .bind(kind)
        .bind(Json(Value::Object(Default::default())))
        .bind(attempts_col(crate::DEFAULT_MAX_ATTEMPTS))
        .bind(ts(later(now, debounce.delay)))
        .bind(ts(later(now, debounce.max_wait.max(debounce.delay))))
        .bind(dedupe_key)
        .bind(ts(now))
        .fetch_one(&mut **tx)
        .await?;
    Ok(JobId::from_uuid(id))
}

#[async_trait]
impl crate::JobStore for This {
    async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> Result<JobId> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        let id = insert(&mut tx, job, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn enqueue_many(&self, jobs: &[NewJob], now: DateTime<Utc>) -> Result<Vec<JobId>> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        let mut ids = Vec::with_capacity(jobs.len());
        for job in jobs {
            ids.push(insert(&mut tx, job, now).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn enqueue_debounced(
        &self,
        kind: &str,
        org: OrgId,
        dedupe_key: &str,
        debounce: Debounce,
        now: DateTime<Utc>,
    ) -> Result<JobId> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        let id = insert_debounced(&mut tx, kind, org, dedupe_key, debounce, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
        kinds: &[&str],
    ) -> Result<Vec<Job>> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let kinds = Json(kinds);
        // Most polls find nothing: look on the read side first, so an idle poll neither takes
        // SQLite's single writer nor row locks.
        let mut tx = self.read_tx(Ctx::default()).await?;
        let any: Option<Uuid> = sqlx::query_scalar::<Db, Uuid>(pick(
            "SELECT id FROM jobs WHERE kind IN (SELECT jsonb_array_elements_text($2)) \
             AND ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until <= $1)) LIMIT 1",
            "SELECT id FROM jobs WHERE kind IN (SELECT value FROM json_each($2)) \
             AND ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until <= $1)) LIMIT 1",
        ))
        .bind(ts(now))
        .bind(kinds)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        if any.is_none() {
            return Ok(Vec::new());
        }

        let mut tx = self.write_tx(Ctx::default()).await?;
        // A job whose worker died on its last attempt has no attempt left: dead.
        sqlx::query::<Db>(pick(
            "WITH gone AS (SELECT id AS gone_id FROM jobs WHERE kind IN (SELECT jsonb_array_elements_text($2)) \
               AND state = 'running' AND locked_until <= $1 AND attempts >= max_attempts \
               FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET state = 'dead', locked_until = NULL, lock_token = NULL, last_error = $3, \
               finished_at = $1, updated_at = $1 FROM gone WHERE jobs.id = gone.gone_id",
            "UPDATE jobs SET state = 'dead', locked_until = NULL, lock_token = NULL, last_error = $3, \
               finished_at = $1, updated_at = $1 \
             WHERE kind IN (SELECT value FROM json_each($2)) \
               AND state = 'running' AND locked_until <= $1 AND attempts >= max_attempts",
        ))
        .bind(ts(now))
        .bind(kinds)
        .bind(LEASE_EXPIRED)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query_as::<Db, JobRow>(pick(
            concat!(
                "WITH next AS (SELECT id AS next_id FROM jobs WHERE kind IN (SELECT jsonb_array_elements_text($4)) \
                   AND ((state = 'queued' AND run_at <= $1) \
                     OR (state = 'running' AND locked_until <= $1 AND attempts < max_attempts)) \
                   ORDER BY run_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, \
                   lock_token = $3, updated_at = $1, \
                   last_error = CASE WHEN state = 'running' THEN $6 ELSE last_error END \
                 FROM next WHERE jobs.id = next.next_id RETURNING ",
                job_cols!()
            ),
            concat!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, \
                   lock_token = $3, updated_at = $1, \
                   last_error = CASE WHEN state = 'running' THEN $6 ELSE last_error END \
                 WHERE id IN (SELECT id FROM jobs WHERE kind IN (SELECT value FROM json_each($4)) \
                   AND ((state = 'queued' AND run_at <= $1) \
                     OR (state = 'running' AND locked_until <= $1 AND attempts < max_attempts)) \
                   ORDER BY run_at, id LIMIT $5) \
                 RETURNING ",
                job_cols!()
            ),
        ))
        .bind(ts(now))
        .bind(ts(later(now, lease)))
        .bind(Uuid::new_v4())
        .bind(kinds)
        .bind(i64::from(limit))
        .bind(LEASE_EXPIRED)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut jobs = rows
            .into_iter()
            .map(JobRow::into_model)
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    async fn complete(&self, job: &Job, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        let n = sqlx::query::<Db>(
            "UPDATE jobs SET state = 'done', finished_at = $3, updated_at = $3, locked_until = NULL, \
               lock_token = NULL WHERE id = $1 AND lock_token = $2 AND state = 'running'",
        )
        .bind(job.id.as_uuid())
        .bind(job.lock_token)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn fail(&self, job: &Job, error: &str, now: DateTime<Utc>) -> Result<FailOutcome> {
        let error = clip(error);
        let mut tx = self.write_tx(Ctx::default()).await?;
        let row: Option<(i32, i32)> = sqlx::query_as::<Db, (i32, i32)>(
            "SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND lock_token = $2 AND state = 'running'",
        )
        .bind(job.id.as_uuid())
        .bind(job.lock_token)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((attempts, max_attempts)) = row else {
            return Ok(FailOutcome::LostLease);
        };
        // The updates repeat the claim's condition: if the lease was lost in between (another
        // node claimed the job), nothing changes.
        let (n, outcome) = if attempts >= max_attempts {
            let n = sqlx::query::<Db>(
                "UPDATE jobs SET state = 'dead', last_error = $3, finished_at = $4, updated_at = $4, \
                   locked_until = NULL, lock_token = NULL \
                 WHERE id = $1 AND lock_token = $2 AND state = 'running'",
            )
            .bind(job.id.as_uuid())
            .bind(job.lock_token)
            .bind(error)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            (n, FailOutcome::Dead)
        } else {
            let retry_at = later(now, backoff(u32::try_from(attempts).unwrap_or(1)));
            // A twin queued meanwhile under the same dedupe key does the same work; this job
            // then gives up the key rather than break its uniqueness.
            let n = sqlx::query::<Db>(
                "UPDATE jobs SET state = 'queued', run_at = $4, last_error = $3, updated_at = $5, \
                   locked_until = NULL, lock_token = NULL, \
                   dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM jobs t WHERE t.dedupe_key = jobs.dedupe_key \
                     AND t.state = 'queued') THEN NULL ELSE dedupe_key END \
                 WHERE id = $1 AND lock_token = $2 AND state = 'running'",
            )
            .bind(job.id.as_uuid())
            .bind(job.lock_token)
            .bind(error)
            .bind(ts(retry_at))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            (n, FailOutcome::Retry(from_ts(ts(retry_at))))
        };
        tx.commit().await?;
        Ok(if n == 1 {
            outcome
        } else {
            FailOutcome::LostLease
        })
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>> {
        let mut tx = self.read_tx(Ctx::default()).await?;
        let row = sqlx::query_as::<Db, JobRow>(concat!(
            "SELECT ",
            job_cols!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(JobRow::into_model).transpose()
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        let (scope, org) = match filter.scope {
            JobScope::All => ("all", None),
            JobScope::System => ("system", None),
            JobScope::Organization(o) => ("org", Some(o.as_uuid())),
        };
        let mut tx = self.read_tx(Ctx::default()).await?;
        let rows = sqlx::query_as::<Db, JobRow>(concat!(
            "SELECT ",
            job_cols!(),
            " FROM jobs WHERE ($1 = 'all' OR ($1 = 'system' AND organization_id IS NULL) \
               OR ($1 = 'org' AND organization_id = $2)) \
             AND ($3 IS NULL OR state = $3) AND ($4 IS NULL OR kind = $4) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ))
        .bind(scope)
        .bind(org)
        .bind(filter.state.map(JobState::as_str))
        .bind(filter.kind.as_deref())
        .bind(i64::from(filter.limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.into_iter().map(JobRow::into_model).collect()
    }

    async fn purge_jobs(
        &self,
        done_before: DateTime<Utc>,
        dead_before: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        let n = sqlx::query::<Db>(
            "DELETE FROM jobs WHERE (state = 'done' AND finished_at < $1) \
             OR (state = 'dead' AND finished_at < $2)",
        )
        .bind(ts(done_before))
        .bind(ts(dead_before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn organization_ids(&self) -> Result<Vec<OrgId>> {
        let mut tx = self.read_tx(Ctx::default()).await?;
        let ids: Vec<Uuid> = sqlx::query_scalar::<Db, Uuid>(pick(
            "SELECT id FROM bhd_organization_ids() AS id",
            "SELECT id FROM organizations ORDER BY id",
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids.into_iter().map(OrgId::from_uuid).collect())
    }

    async fn ensure_schedule(
        &self,
        name: &str,
        first_run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        sqlx::query::<Db>(
            "INSERT INTO job_schedules (name, next_run_at, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(ts(first_run_at))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>> {
        let mut tx = self.read_tx(Ctx::default()).await?;
        let rows: Vec<(String, Ts)> = sqlx::query_as::<Db, (String, Ts)>(
            "SELECT name, next_run_at FROM job_schedules WHERE next_run_at <= $1 ORDER BY name",
        )
        .bind(ts(now))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|(n, t)| (n, from_ts(t))).collect())
    }

    async fn mark_schedule_run(
        &self,
        name: &str,
        due_at: DateTime<Utc>,
        next_run_at: DateTime<Utc>,
        job: Option<&NewJob>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write_tx(Ctx::default()).await?;
        // Compare-and-set on the run read: of several nodes, the first moves it and the others
        // (on PostgreSQL, after waiting for its row lock) find it moved.
        let n = sqlx::query::<Db>(
            "UPDATE job_schedules SET next_run_at = $3, last_run_at = $4, updated_at = $4 \
             WHERE name = $1 AND next_run_at = $2",
        )
        .bind(name)
        .bind(ts(due_at))
        .bind(ts(next_run_at))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        if let Some(job) = job {
            insert(&mut tx, job, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

//! The durable job queue: the [`JobStore`] part of [`crate::Store`], and the plain data it
//! reads and writes.
//!
//! Jobs live in the database the server already uses (`jobs`, `job_schedules`), so they survive
//! restarts and need no broker. A job is `queued` until a worker claims it (`running`, with a
//! lease: `locked_until` and a `lock_token` naming that claim), then `done`, or back to `queued`
//! with an exponential backoff after a failure, or `dead` once `max_attempts` claims have
//! failed. A worker that dies mid-run loses nothing: when its lease expires, the job is claimed
//! again. Claims are atomic: PostgreSQL locks the rows it takes with `FOR UPDATE SKIP LOCKED`, so
//! several nodes never take the same job; SQLite runs the claim on its single writer connection.
//!
//! Debounce: a job with a `dedupe_key` is unique among *queued* jobs. Enqueueing the same key
//! again while one waits moves the waiting job instead of adding another (a burst of ingests
//! gives one recalculation); once it has started, the next enqueue adds a new one, so work that
//! arrives during a run is not lost.
//!
//! Time is always passed in (the server's clock); nothing here reads the system clock. The
//! queries live in `jobs_sql.rs`, compiled once per engine like `common.rs`.

use crate::Result;
use async_trait::async_trait;
use bhd_domain::OrgId;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// A job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(Uuid);

impl JobId {
    /// A new, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
    /// Wraps a stored id.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at` and a worker.
    Queued,
    /// Claimed by a worker whose lease runs until `locked_until`.
    Running,
    /// Finished successfully.
    Done,
    /// Failed `max_attempts` times: kept, with its last error, for an operator to look at.
    Dead,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }
}

impl FromStr for JobState {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            _ => return Err(()),
        })
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Attempts a job gets unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// The first retry waits this long; each further one twice as long as the one before.
pub const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// No retry waits longer than this.
pub const BACKOFF_CAP: Duration = Duration::from_secs(3600);

/// How long a job waits before its next attempt after its `attempts`-th attempt failed:
/// 2 s, 4 s, 8 s, … capped at an hour. Deterministic (no jitter), so tests can predict it;
/// bursts are spread anyway by the different times jobs were enqueued.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    BACKOFF_BASE
        .saturating_mul(1u32 << doublings)
        .min(BACKOFF_CAP)
}

/// A job to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What to do: the name a handler is registered under (`score.recalculate`).
    pub kind: String,
    /// The organization the job works for; `None` for a system-wide job (a fan-out over every
    /// organization, queue upkeep).
    pub org: Option<OrgId>,
    /// Small JSON arguments (ids, flags), never business data.
    pub payload: Value,
    /// Not before this.
    pub run_at: DateTime<Utc>,
    /// Claims allowed before the job is dead (at least 1).
    pub max_attempts: u32,
    /// At most one queued job per key: enqueueing the key again while one waits keeps that
    /// one (moving it earlier if this one is due sooner). Keys name their organization
    /// (`score:{org}`).
    pub dedupe_key: Option<String>,
}

impl NewJob {
    /// A job for an organization, due at `run_at`, with an empty payload and default attempts.
    pub fn for_org(kind: impl Into<String>, org: OrgId, run_at: DateTime<Utc>) -> Self {
        Self {
            kind: kind.into(),
            org: Some(org),
            payload: Value::Object(Default::default()),
            run_at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            dedupe_key: None,
        }
    }
    /// A system-wide job, due at `run_at`.
    pub fn system(kind: impl Into<String>, run_at: DateTime<Utc>) -> Self {
        Self {
            kind: kind.into(),
            org: None,
            payload: Value::Object(Default::default()),
            run_at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            dedupe_key: None,
        }
    }
    /// With this dedupe key.
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
    /// With this payload.
    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }
    /// With this many attempts (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// How a debounced job waits: `delay` after the latest enqueue, but never longer than
/// `max_wait` after the first one (a steady stream of ingests still gets a recalculation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debounce {
    /// Quiet time after the latest enqueue.
    pub delay: Duration,
    /// Longest postponement from the first enqueue.
    pub max_wait: Duration,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    /// `None` for a system-wide job.
    pub org: Option<OrgId>,
    pub kind: String,
    pub payload: Value,
    pub state: JobState,
    /// Claims so far (the current one included while running).
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: DateTime<Utc>,
    /// Debounced jobs are not postponed past this.
    pub latest_run_at: Option<DateTime<Utc>>,
    /// While running: when the lease ends and another worker may take the job.
    pub locked_until: Option<DateTime<Utc>>,
    /// While running: the claim that holds the lease; `complete` and `fail` must present it.
    pub lock_token: Option<Uuid>,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What `fail` did with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again, not before this.
    Retry(DateTime<Utc>),
    /// Out of attempts: dead.
    Dead,
    /// The claim had lost its lease (another worker took the job): nothing changed.
    LostLease,
}

/// Whose jobs a listing shows. Explicit, so that "no organization" never means "all".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobScope {
    /// Every job (operators).
    All,
    /// System-wide jobs only.
    System,
    /// One organization's jobs.
    Organization(OrgId),
}

/// A listing's filter; newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFilter {
    pub scope: JobScope,
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub limit: u32,
}

impl JobFilter {
    /// Up to 100 jobs of the scope, in any state.
    pub fn of(scope: JobScope) -> Self {
        Self {
            scope,
            state: None,
            kind: None,
            limit: 100,
        }
    }
}

/// The job queue and its schedules. Part of [`crate::Store`].
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Adds a job (or, when a queued job has the same dedupe key, keeps that one, moved to the
    /// earlier of the two times) and answers its id.
    async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> Result<JobId>;
    /// Adds several jobs in one transaction, each as [`JobStore::enqueue`] would.
    async fn enqueue_many(&self, jobs: &[NewJob], now: DateTime<Utc>) -> Result<Vec<JobId>>;
    /// Adds a `kind` job for `org` due `debounce.delay` from now, or, when one with this key is
    /// queued and not yet started, postpones that one to `debounce.delay` from now (never past
    /// `debounce.max_wait` after it was first enqueued).
    async fn enqueue_debounced(
        &self,
        kind: &str,
        org: OrgId,
        dedupe_key: &str,
        debounce: Debounce,
        now: DateTime<Utc>,
    ) -> Result<JobId>;
    /// Claims up to `limit` jobs of these kinds that are due (queued with `run_at <= now`, or
    /// running with an expired lease), oldest due first: each becomes `running` with one more
    /// attempt, leased until `now + lease`. A job whose lease expired on its last attempt is
    /// made dead instead. Concurrent claims (other nodes) never return the same job.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
        kinds: &[&str],
    ) -> Result<Vec<Job>>;
    /// Marks a claimed job done; false when the claim had lost its lease.
    async fn complete(&self, job: &Job, now: DateTime<Utc>) -> Result<bool>;
    /// Records a failed attempt: queued again after [`backoff`], or dead after `max_attempts`.
    async fn fail(&self, job: &Job, error: &str, now: DateTime<Utc>) -> Result<FailOutcome>;
    /// One job.
    async fn job(&self, id: JobId) -> Result<Option<Job>>;
    /// Jobs for observability, newest first.
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>>;
    /// Deletes done jobs finished before `done_before` and dead ones before `dead_before`.
    async fn purge_jobs(
        &self,
        done_before: DateTime<Utc>,
        dead_before: DateTime<Utc>,
    ) -> Result<u64>;
    /// Every organization's id, for system jobs that fan out (on PostgreSQL through a definer
    /// function: the server's role cannot list tenants).
    async fn organization_ids(&self) -> Result<Vec<OrgId>>;

    // --- schedules: the cadence lives in code, the bookkeeping here ---
    /// Records a schedule with its first run, unless it is already recorded.
    async fn ensure_schedule(
        &self,
        name: &str,
        first_run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Schedules due at `now`, with the run each is due for.
    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>>;
    /// Takes the run of `name` due at `due_at` (as read by [`JobStore::due_schedules`]): moves
    /// the schedule to `next_run_at` and enqueues `job`, in one transaction. False, and nothing
    /// done, when another worker took that run first.
    async fn mark_schedule_run(
        &self,
        name: &str,
        due_at: DateTime<Utc>,
        next_run_at: DateTime<Utc>,
        job: Option<&NewJob>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(2));
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(11), Duration::from_secs(2048));
        assert_eq!(backoff(12), BACKOFF_CAP);
        assert_eq!(backoff(u32::MAX), BACKOFF_CAP);
    }

    #[test]
    fn states_round_trip() {
        for s in [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
        ] {
            assert_eq!(s.as_str().parse::<JobState>(), Ok(s));
        }
        assert!("paused".parse::<JobState>().is_err());
    }
}

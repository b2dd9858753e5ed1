//! Background jobs: the [`JobRunner`] that `serve` starts, the handler [`Registry`], the
//! schedules, and the helpers the rest of the server enqueues through ([`after_ingest`],
//! [`enqueue`]).
//!
//! The queue itself is durable and lives in the database (`bhd_store::JobStore`): a job
//! enqueued survives a restart, a job whose worker died is claimed again when its lease
//! expires, and several `bhd serve` nodes on one PostgreSQL never run the same job twice. A
//! runner only claims the kinds it has a handler for, so a node that does not know a kind (an
//! older version during a rolling upgrade) leaves it to the others.
//!
//! Time comes from `AppState.clock` (tests move it), except the poll interval and the handler
//! timeout, which are real time. Handlers must be idempotent: a job may run again after a
//! crash, and a retry runs the whole handler again. This module never touches tenant data
//! itself; handlers do, through the store, with the job's `OrgId`.
//!
//! Built in:
//! - `score.recalculate` (one organization; debounced after every ingest and import, see
//!   [`after_ingest`]), handled by `crate::health::recalculate`;
//! - `score.recalculate_all`, enqueued nightly at 03:00 UTC by the `score.nightly` schedule,
//!   which enqueues one `score.recalculate_batch` per 10 organizations (each recalculated and
//!   its alert rules evaluated in turn; one that fails gets a `score.recalculate` of its own);
//! - `jobs.purge`, daily at 04:00 UTC: forgets done jobs after 7 days and dead ones after 30;
//! - `alerts.evaluate` (one organization; debounced after every ingest, import and score
//!   calculation) and `alerts.evaluate_all` every 15 minutes, see `crate::alerts::evaluate`;
//! - `alerts.deliver` (one notification, queued with its alert), see `crate::alerts::deliver`;
//! - `metrics.pack_days`, hourly: packs the daily roll-ups of complete months (PostgreSQL's
//!   read-optimised copy for day and week series; nothing to do on SQLite).

use crate::state::AppState;
use anyhow::Context;
use bhd_domain::OrgId;
use bhd_store::{Debounce, FailOutcome, Job, JobId, NewJob};
use chrono::{DateTime, Days, NaiveTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// Recalculates one organization's health score.
pub const RECALCULATE: &str = "score.recalculate";
/// Enqueues a [`RECALCULATE_BATCH`] for every few organizations (the nightly full
/// recomputation).
pub const RECALCULATE_ALL: &str = "score.recalculate_all";
/// Recalculates the scores of the organizations in its payload (`{"organizations": [id, …]}`),
/// one after the other, each followed by its alert evaluation (a system job).
pub const RECALCULATE_BATCH: &str = "score.recalculate_batch";
/// Organizations per [`RECALCULATE_BATCH`]. A job's claim and completion are two transactions:
/// per organization they cost the nightly run about as much as the score's own reads. Ten
/// take about half a second, so a node that dies mid-batch repeats little.
pub const BATCH_SIZE: usize = 10;

/// Organizations per batch for a fleet of `n`: [`BATCH_SIZE`], or fewer so that there are at
/// least 64 batches (eight for each of the runner's default eight slots), and never fewer
/// than two (a job per organization would cost the queue's two transactions for each). The
/// run ends with the last batches each on one slot while the others have nothing left; with
/// small batches that tail is short (in the fleet benchmark's rounds of 201 organizations,
/// batches of 10 left the machine partly idle at the end of every round).
pub fn batch_size(n: usize) -> usize {
    n.div_ceil(64).clamp(2, BATCH_SIZE)
}

/// Deletes old finished jobs.
pub const PURGE: &str = "jobs.purge";
/// Packs the daily roll-ups of complete months (`MetricsStore::pack_days`).
pub const PACK_DAYS: &str = "metrics.pack_days";

/// The recalculation after ingest waits for 2 s of quiet, and at most 10 s after the first
/// ingest of a burst (a steady stream still gets one every 10 s).
pub const RECALCULATE_DEBOUNCE: Debounce = Debounce {
    delay: Duration::from_secs(2),
    max_wait: Duration::from_secs(10),
};
/// Done jobs are kept this long for observability.
pub const KEEP_DONE: TimeDelta = TimeDelta::days(7);
/// Dead jobs are kept this long for an operator to look at.
pub const KEEP_DEAD: TimeDelta = TimeDelta::days(30);
/// Organizations enqueued per transaction by the fan-out.
const FAN_OUT_CHUNK: usize = 500;

/// Wakes the runners of this process when something is enqueued that may be due now. One
/// process may host several runners (tests); waking them all costs each one poll.
static WAKE: Notify = Notify::const_new();

/// Wakes this process's runners now rather than at their next poll.
pub fn wake() {
    WAKE.notify_waiters();
}

/// The dedupe key of an organization's score recalculation.
pub fn recalculate_key(org: OrgId) -> String {
    format!("score:{org}")
}

/// Enqueues a job at the app's clock and wakes the runners.
pub async fn enqueue(app: &AppState, job: NewJob) -> anyhow::Result<JobId> {
    let id = app
        .store
        .enqueue(&job, app.clock.now())
        .await
        .with_context(|| format!("enqueueing a {} job", job.kind))?;
    wake();
    Ok(id)
}

/// After new points were written for `org`: a debounced score recalculation (one per burst,
/// see [`RECALCULATE_DEBOUNCE`]). Never fails the caller: the points are written, and the
/// nightly recomputation catches up if this enqueue was lost.
pub async fn after_ingest(app: &AppState, org: OrgId) {
    let queued = app
        .store
        .enqueue_debounced(
            RECALCULATE,
            org,
            &recalculate_key(org),
            RECALCULATE_DEBOUNCE,
            app.clock.now(),
        )
        .await;
    if let Err(e) = queued {
        tracing::warn!(error = %e, org = %org, "could not enqueue the score recalculation");
    }
    // Rules on metrics need not wait for the score; rules on scores are evaluated again after
    // the recalculation stores its result.
    crate::alerts::evaluate::soon(app, org).await;
}

/// What a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type Handler = Arc<dyn Fn(AppState, Job) -> HandlerFuture + Send + Sync>;

/// Job kinds and their handlers.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    /// No handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The server's own kinds (see the module documentation).
    pub fn builtin() -> Self {
        let mut r = Self::new();
        r.register(RECALCULATE_ALL, recalculate_all);
        r.register(RECALCULATE_BATCH, recalculate_batch);
        r.register(PURGE, purge);
        r.register(PACK_DAYS, pack_days);
        r.register(
            crate::alerts::evaluate::EVALUATE_ALL,
            crate::alerts::evaluate::evaluate_all,
        );
        r.register(bhd_store::DELIVER_JOB, crate::alerts::deliver::run);
        r.register(crate::alerts::evaluate::EVALUATE, |app, job| async move {
            let org = org_of(&job)?;
            crate::alerts::evaluate::evaluate(&app, org)
                .await
                .map(drop)
                .with_context(|| format!("evaluating the alert rules of {org}"))
        });
        r.register(RECALCULATE, |app, job| async move {
            let org = org_of(&job)?;
            crate::health::recalculate(&app, org)
                .await
                .map(drop)
                .with_context(|| format!("recalculating the score of {org}"))
        });
        r
    }

    /// Registers (or replaces) the handler of `kind`. The handler gets the app and the job;
    /// an error (or a panic, or running past the lease) fails the attempt.
    pub fn register<F, Fut>(&mut self, kind: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(AppState, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |app, job| Box::pin(handler(app, job)));
        self.handlers.insert(kind.into(), handler);
        self
    }

    /// The kinds handled.
    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds
    }
}

/// The organization a tenant job works for.
pub fn org_of(job: &Job) -> anyhow::Result<OrgId> {
    job.org
        .with_context(|| format!("a {} job needs an organization", job.kind))
}

/// Fans out: one [`RECALCULATE_BATCH`] per [`batch_size`] organizations, due now.
async fn recalculate_all(app: AppState, _job: Job) -> anyhow::Result<()> {
    let orgs = app.store.organization_ids().await?;
    let now = app.clock.now();
    let batches: Vec<NewJob> = orgs
        .chunks(batch_size(orgs.len()))
        .map(|chunk| NewJob {
            payload: serde_json::json!({ "organizations": chunk }),
            ..NewJob::system(RECALCULATE_BATCH, now)
        })
        .collect();
    for chunk in batches.chunks(FAN_OUT_CHUNK) {
        app.store.enqueue_many(chunk, now).await?;
    }
    tracing::info!(
        organizations = orgs.len(),
        batches = batches.len(),
        "full score recomputation enqueued"
    );
    wake();
    Ok(())
}

/// Recalculates each organization of the batch and evaluates its alert rules. One that fails
/// gets a [`RECALCULATE`] of its own (with its own retries and dead letter), so that it neither
/// fails the others nor makes a retry of the batch redo them; one deleted since the fan-out is
/// skipped.
async fn recalculate_batch(app: AppState, job: Job) -> anyhow::Result<()> {
    let orgs: Vec<OrgId> = serde_json::from_value(job.payload["organizations"].clone())
        .context("the batch's organizations")?;
    let mut retry = Vec::new();
    for org in orgs {
        match crate::health::recalculate_then(&app, org, crate::health::Evaluation::Inline).await {
            Ok(_) | Err(crate::error::ApiError::NotFound) => {}
            Err(e) => {
                tracing::warn!(org = %org, error = ?e, "nightly recalculation failed; queued on its own");
                retry.push(org);
            }
        }
    }
    if !retry.is_empty() {
        let now = app.clock.now();
        let jobs: Vec<NewJob> = retry
            .into_iter()
            .map(|org| NewJob::for_org(RECALCULATE, org, now).dedupe(recalculate_key(org)))
            .collect();
        app.store.enqueue_many(&jobs, now).await?;
        wake();
    }
    Ok(())
}

async fn purge(app: AppState, _job: Job) -> anyhow::Result<()> {
    let now = app.clock.now();
    let n = app
        .store
        .purge_jobs(now - KEEP_DONE, now - KEEP_DEAD)
        .await?;
    if n > 0 {
        tracing::info!(deleted = n, "old jobs purged");
    }
    Ok(())
}

/// Packs what ingest left pending; a month is packed once it is complete, so an hourly run
/// keeps at most the current and previous month unpacked (and any month changed within the hour).
async fn pack_days(app: AppState, _job: Job) -> anyhow::Result<()> {
    let n = app
        .store
        .pack_days(app.clock.now())
        .await
        .context("packing daily roll-ups")?;
    if n > 0 {
        tracing::info!(months = n, "daily roll-ups packed");
    }
    Ok(())
}

/// When a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every so often, counted from the previous run.
    Every(Duration),
    /// Once a day at this UTC time.
    DailyAt(NaiveTime),
}

impl Cadence {
    /// The first run strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Cadence::Every(d) => {
                t + TimeDelta::from_std(d.max(Duration::from_secs(1))).unwrap_or(TimeDelta::MAX)
            }
            Cadence::DailyAt(at) => {
                let today = t.date_naive().and_time(at).and_utc();
                if today > t {
                    today
                } else {
                    today.checked_add_days(Days::new(1)).unwrap_or(today)
                }
            }
        }
    }
}

/// A recurring system job. The cadence is code; the next run is stored (`job_schedules`), so
/// that it survives restarts and, of several nodes, exactly one enqueues each run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Unique name, the stored key.
    pub name: String,
    /// The kind of the system job enqueued at each run.
    pub kind: String,
    /// When.
    pub cadence: Cadence,
}

impl Schedule {
    /// A schedule enqueueing `kind` at `cadence`.
    pub fn new(name: impl Into<String>, kind: impl Into<String>, cadence: Cadence) -> Self {
        Self {
            name: name.into(),
            kind: kind.into(),
            cadence,
        }
    }
}

/// The server's schedules: the nightly recomputation and the purge.
pub fn builtin_schedules() -> Vec<Schedule> {
    let at = |h| Cadence::DailyAt(NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default());
    vec![
        Schedule::new("score.nightly", RECALCULATE_ALL, at(3)),
        Schedule::new("jobs.purge", PURGE, at(4)),
        Schedule::new(
            "alerts.every_15_minutes",
            crate::alerts::evaluate::EVALUATE_ALL,
            Cadence::Every(Duration::from_secs(15 * 60)),
        ),
        Schedule::new(
            "metrics.pack_days.hourly",
            PACK_DAYS,
            Cadence::Every(Duration::from_secs(3600)),
        ),
    ]
}

/// How a runner polls and runs.
#[derive(Debug, Clone, Copy)]
pub struct RunnerOptions {
    /// Pause between polls when idle (an enqueue in this process wakes the runner sooner).
    pub poll: Duration,
    /// How long a claimed job is leased; a handler running longer is stopped and fails.
    pub lease: Duration,
    /// Jobs claimed and run at once. Jobs mostly wait (on the database, on a webhook): eight
    /// keep two cores busy through the nightly batches where four left them idle a tenth of
    /// the time.
    pub concurrency: u32,
    /// Pause after the database failed, before trying again.
    pub error_pause: Duration,
    /// How long a stop waits for running handlers before abandoning them to their lease.
    pub stop_grace: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(250),
            lease: Duration::from_secs(300),
            concurrency: 8,
            error_pause: Duration::from_secs(5),
            stop_grace: Duration::from_secs(10),
        }
    }
}

/// Claims due jobs of the kinds it has handlers for, runs them, and fires its schedules.
#[derive(Clone)]
pub struct JobRunner {
    app: AppState,
    registry: Arc<Registry>,
    schedules: Arc<Vec<Schedule>>,
    options: RunnerOptions,
    ensured: Arc<AtomicBool>,
}

impl JobRunner {
    /// A runner with these handlers and no schedules.
    pub fn new(app: AppState, registry: Registry) -> Self {
        Self {
            app,
            registry: Arc::new(registry),
            schedules: Arc::new(Vec::new()),
            options: RunnerOptions::default(),
            ensured: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The server's runner: built-in handlers and schedules (what `serve` starts).
    pub fn builtin(app: AppState) -> Self {
        Self::new(app, Registry::builtin()).with_schedules(builtin_schedules())
    }

    /// With these schedules (replacing any).
    pub fn with_schedules(mut self, schedules: Vec<Schedule>) -> Self {
        self.schedules = Arc::new(schedules);
        self.ensured = Arc::new(AtomicBool::new(false));
        self
    }

    /// With these options.
    pub fn with_options(mut self, options: RunnerOptions) -> Self {
        self.options = options;
        self
    }

    /// One round: enqueues the schedules' due runs, then claims up to `concurrency` due jobs
    /// and runs them to the end (done, retry or dead). Answers how many jobs it ran.
    pub async fn run_due(&self) -> anyhow::Result<usize> {
        self.fire_schedules().await?;
        let mut running = JoinSet::new();
        let n = self
            .claim_into(self.options.concurrency as usize, &mut running)
            .await?;
        while running.join_next().await.is_some() {}
        Ok(n)
    }

    async fn fire_schedules(&self) -> anyhow::Result<()> {
        if self.schedules.is_empty() {
            return Ok(());
        }
        let now = self.app.clock.now();
        if !self.ensured.load(Ordering::Acquire) {
            for s in self.schedules.iter() {
                self.app
                    .store
                    .ensure_schedule(&s.name, s.cadence.next_after(now), now)
                    .await
                    .with_context(|| format!("recording schedule {}", s.name))?;
            }
            self.ensured.store(true, Ordering::Release);
        }
        for (name, due_at) in self.app.store.due_schedules(now).await? {
            let Some(s) = self.schedules.iter().find(|s| s.name == name) else {
                continue; // another version's schedule
            };
            // Keyed by schedule: a run still waiting is not doubled by the next one.
            let job = NewJob::system(&s.kind, now).dedupe(format!("schedule:{name}"));
            let next = s.cadence.next_after(now);
            if self
                .app
                .store
                .mark_schedule_run(&name, due_at, next, Some(&job), now)
                .await?
            {
                tracing::info!(schedule = %name, kind = %s.kind, next_run_at = %next, "scheduled job enqueued");
            }
        }
        Ok(())
    }

    /// Claims up to `limit` due jobs and starts each in `running`; answers how many it claimed.
    async fn claim_into(&self, limit: usize, running: &mut JoinSet<()>) -> anyhow::Result<usize> {
        let kinds = self.registry.kinds();
        let jobs = self
            .app
            .store
            .claim(
                self.app.clock.now(),
                self.options.lease,
                u32::try_from(limit).unwrap_or(u32::MAX),
                &kinds,
            )
            .await
            .context("claiming jobs")?;
        let n = jobs.len();
        for job in jobs {
            let Some(handler) = self.registry.handlers.get(&job.kind).cloned() else {
                continue; // not claimed: the claim asks for registered kinds only
            };
            running.spawn(execute(self.app.clone(), handler, job, self.options.lease));
        }
        Ok(n)
    }

    /// Runs in the background until stopped. Keeps up to `concurrency` jobs running: a slot
    /// that frees is filled at once (no waiting for the slowest of a batch), and when the queue
    /// is empty it polls every `poll` (sooner when woken). Schedules are checked once per `poll`,
    /// not on every claim. On stop it claims nothing more and lets running jobs finish.
    pub fn spawn(self) -> RunnerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let grace = self.options.stop_grace;
        let concurrency = self.options.concurrency.max(1) as usize;
        let task = tokio::spawn(async move {
            let mut running: JoinSet<()> = JoinSet::new();
            let mut schedules_due = tokio::time::Instant::now();
            loop {
                if *stopped.borrow() {
                    break;
                }
                let woken = WAKE.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                let mut pause = self.options.poll;
                if tokio::time::Instant::now() >= schedules_due {
                    schedules_due = tokio::time::Instant::now() + self.options.poll;
                    if let Err(e) = self.fire_schedules().await {
                        tracing::warn!(error = format!("{e:#}"), "job runner schedules failed");
                        pause = self.options.error_pause;
                    }
                }
                let free = concurrency.saturating_sub(running.len());
                let mut more = false;
                if free > 0 {
                    match self.claim_into(free, &mut running).await {
                        // A full claim: there may be more due, claim again as soon as a slot frees.
                        Ok(n) => more = n == free,
                        Err(e) => {
                            tracing::warn!(error = format!("{e:#}"), "job runner round failed");
                            pause = self.options.error_pause;
                        }
                    }
                }
                if more && running.len() < concurrency {
                    continue;
                }
                tokio::select! {
                    changed = stopped.changed() => if changed.is_err() { break },
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                    () = &mut woken, if !more => {}
                    () = tokio::time::sleep(pause), if !more => {}
                }
            }
            while running.join_next().await.is_some() {}
        });
        RunnerHandle { stop, task, grace }
    }
}

/// Runs one claimed job and records the outcome.
async fn execute(app: AppState, handler: Handler, job: Job, lease: Duration) {
    // In a task of its own, so that a panic fails the attempt instead of the runner; aborted
    // if this future is dropped (a runner stopped past its grace) or the lease runs out.
    let mut run = AbortOnDrop(tokio::spawn(handler(app.clone(), job.clone())));
    let result = match tokio::time::timeout(lease, &mut run.0).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) if e.is_panic() => Err(anyhow::anyhow!("the handler panicked")),
        Ok(Err(e)) => Err(anyhow::anyhow!("the handler was cancelled: {e}")),
        Err(_) => Err(anyhow::anyhow!(
            "the handler ran past its lease of {lease:?}"
        )),
    };
    drop(run);
    let now = app.clock.now();
    let (kind, id) = (job.kind.as_str(), job.id);
    let outcome = match result {
        Ok(()) => match app.store.complete(&job, now).await {
            Ok(true) => "done",
            Ok(false) => "lost_lease",
            Err(e) => {
                tracing::warn!(error = %e, job = %id, kind, "could not record a finished job");
                "error"
            }
        },
        Err(err) => {
            let message = format!("{err:#}");
            match app.store.fail(&job, &message, now).await {
                Ok(FailOutcome::Retry(at)) => {
                    tracing::warn!(job = %id, kind, attempt = job.attempts, error = %message, retry_at = %at, "job failed; will retry");
                    "retry"
                }
                Ok(FailOutcome::Dead) => {
                    tracing::error!(job = %id, kind, attempts = job.attempts, error = %message, "job failed for the last time: dead");
                    "dead"
                }
                Ok(FailOutcome::LostLease) => "lost_lease",
                Err(e) => {
                    tracing::warn!(error = %e, job = %id, kind, "could not record a failed job");
                    "error"
                }
            }
        }
    };
    if outcome == "lost_lease" {
        tracing::warn!(job = %id, kind, "job finished after its lease was lost; another worker has it");
    }
    metrics::counter!("bhd_jobs_total", "kind" => job.kind.clone(), "outcome" => outcome)
        .increment(1);
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running [`JobRunner`].
pub struct RunnerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    grace: Duration,
}

impl RunnerHandle {
    /// Stops polling and waits for the running handlers (up to the runner's `stop_grace`;
    /// jobs still running then are abandoned to their lease and retried by a later worker).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(self.grace, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
            tracing::warn!("job runner stopped with jobs still running; their leases will expire");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_fleets_get_smaller_batches() {
        use super::batch_size;
        assert_eq!(batch_size(1), 2);
        assert_eq!(batch_size(2), 2);
        assert_eq!(batch_size(201), 4);
        assert_eq!(batch_size(640), 10);
        assert_eq!(batch_size(10_000), 10);
    }
}

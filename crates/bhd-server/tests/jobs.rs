//! The durable job queue on both engines: retries with exponential backoff, the dead letter,
//! debounce after ingest, jobs surviving a restart, expired leases, concurrent claims from two
//! stores (nodes) on one database, a schedule that fires once across nodes, and the nightly
//! batches (an organization that fails gets a job of its own).
//!
//! Time is the server's manual clock: tests move it past a backoff or a lease instead of
//! sleeping. Test-only kinds (`test.*`) are run by a `JobRunner` the test builds and drives
//! with `run_due`; the server's own runner claims only the kinds it has handlers for, so it
//! leaves them alone. The built-in kinds run in the server's own runner, as in production.

mod common;

use bhd_domain::OrgId;
use bhd_server::jobs::{self, JobRunner, Registry, RunnerOptions};
use bhd_store::{FailOutcome, Job, JobFilter, JobScope, JobState, NewJob, Store, backoff};
use chrono::{DateTime, TimeDelta, Utc};
use common::{Engine, Session, TestApp};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

on_both_engines!(
    a_failing_job_is_retried_with_growing_backoff_until_done,
    a_job_that_always_fails_ends_dead_with_its_error,
    a_burst_of_ingests_gives_one_recalculation,
    a_debounced_job_that_started_gets_a_successor,
    queued_jobs_survive_a_restart,
    an_expired_lease_is_claimed_again,
    concurrent_claims_from_two_nodes_are_disjoint,
    the_nightly_schedule_fires_once_across_nodes,
    a_nightly_batch_keeps_going_past_a_failing_organization,
);

fn org_of(s: &Session) -> OrgId {
    OrgId::from_uuid(uuid::Uuid::parse_str(&s.org_id).unwrap())
}

/// A time as both engines store it (microseconds).
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

async fn job(app: &TestApp, id: bhd_store::JobId) -> Job {
    app.store.job(id).await.unwrap().expect("the job exists")
}

async fn jobs_of(store: &dyn Store, scope: JobScope, kind: &str) -> Vec<Job> {
    store
        .list_jobs(&JobFilter {
            kind: Some(kind.to_owned()),
            limit: 1000,
            ..JobFilter::of(scope)
        })
        .await
        .unwrap()
}

/// Waits (real time, up to `secs`) until `done` holds, polling the database.
async fn eventually<F, Fut>(secs: u64, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match done().await {
            Ok(()) => return,
            Err(why) if std::time::Instant::now() > deadline => {
                panic!("{what} did not happen within {secs} s: {why}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A handler that fails its first `failures` calls, counting every call.
fn flaky(failures: u32) -> (Registry, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let mut r = Registry::new();
    r.register("test.flaky", move |_app, _job| {
        let calls = seen.clone();
        async move {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= failures {
                anyhow::bail!("boom {n}");
            }
            Ok(())
        }
    });
    (r, calls)
}

async fn a_failing_job_is_retried_with_growing_backoff_until_done(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    let (registry, calls) = flaky(2);
    let runner = JobRunner::new(app.state.clone(), registry);
    let t0 = app.clock.now_for_tests();
    let id = jobs::enqueue(&app.state, NewJob::for_org("test.flaky", org, t0))
        .await
        .unwrap();

    // First attempt fails: queued again 2 s later, with the error kept.
    assert_eq!(runner.run_due().await.unwrap(), 1);
    let j = job(&app, id).await;
    assert_eq!(
        (j.state, j.attempts, j.last_error.as_deref()),
        (JobState::Queued, 1, Some("boom 1"))
    );
    assert_eq!(j.run_at, micros(t0 + secs(2)));
    assert_eq!((j.lock_token, j.locked_until), (None, None));
    // Not due yet: nothing runs, however often the runner looks.
    app.clock.advance(secs(1));
    assert_eq!(runner.run_due().await.unwrap(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Second attempt (at t0 + 2 s) fails: the wait doubles to 4 s.
    app.clock.advance(secs(1));
    let t2 = app.clock.now_for_tests();
    assert_eq!(runner.run_due().await.unwrap(), 1);
    let j = job(&app, id).await;
    assert_eq!(
        (j.state, j.attempts, j.last_error.as_deref()),
        (JobState::Queued, 2, Some("boom 2"))
    );
    assert_eq!(j.run_at, micros(t2 + secs(4)));
    assert_eq!(backoff(2), Duration::from_secs(4));
    app.clock.advance(secs(3));
    assert_eq!(runner.run_due().await.unwrap(), 0, "still backing off");

    // Third attempt succeeds.
    app.clock.advance(secs(1));
    assert_eq!(runner.run_due().await.unwrap(), 1);
    let j = job(&app, id).await;
    assert_eq!((j.state, j.attempts), (JobState::Done, 3));
    assert_eq!(j.finished_at, Some(micros(app.clock.now_for_tests())));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    app.clock.advance(secs(3600));
    assert_eq!(runner.run_due().await.unwrap(), 0, "done is done");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

async fn a_job_that_always_fails_ends_dead_with_its_error(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    let (mut registry, calls) = flaky(u32::MAX);
    registry.register("test.panics", |_app, _job| async move {
        panic!("handler bug");
    });
    let runner = JobRunner::new(app.state.clone(), registry);
    // A runner with a short lease (real time) for a handler that hangs.
    let mut hangs = Registry::new();
    hangs.register("test.hangs", |_app, _job| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    });
    let impatient = JobRunner::new(app.state.clone(), hangs).with_options(RunnerOptions {
        lease: Duration::from_millis(300),
        ..RunnerOptions::default()
    });
    let now = app.clock.now_for_tests();
    let id = jobs::enqueue(
        &app.state,
        NewJob::for_org("test.flaky", org, now).max_attempts(3),
    )
    .await
    .unwrap();
    let mut waits = Vec::new();
    for attempt in 1..=3u32 {
        assert_eq!(runner.run_due().await.unwrap(), 1, "attempt {attempt}");
        let j = job(&app, id).await;
        assert_eq!(j.attempts, attempt);
        if attempt < 3 {
            assert_eq!(j.state, JobState::Queued);
            let wait = j.run_at - micros(app.clock.now_for_tests());
            waits.push(wait);
            app.clock.advance(wait);
        }
    }
    assert_eq!(waits, [secs(2), secs(4)], "exponential backoff");
    let dead = job(&app, id).await;
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.last_error.as_deref(), Some("boom 3"));
    assert!(dead.finished_at.is_some());
    // Dead stays dead, and shows in the dead-letter listing.
    app.clock.advance(secs(86_400));
    assert_eq!(runner.run_due().await.unwrap(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let listed = app
        .store
        .list_jobs(&JobFilter {
            state: Some(JobState::Dead),
            ..JobFilter::of(JobScope::Organization(org))
        })
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|j| j.id).collect::<Vec<_>>(),
        [id],
        "{listed:?}"
    );

    // A panic and a handler running past its lease are failed attempts too.
    let now = app.clock.now_for_tests();
    let p = jobs::enqueue(
        &app.state,
        NewJob::for_org("test.panics", org, now).max_attempts(1),
    )
    .await
    .unwrap();
    let h = jobs::enqueue(
        &app.state,
        NewJob::for_org("test.hangs", org, now).max_attempts(2),
    )
    .await
    .unwrap();
    assert_eq!(runner.run_due().await.unwrap(), 1);
    assert_eq!(impatient.run_due().await.unwrap(), 1);
    let p = job(&app, p).await;
    assert_eq!(p.state, JobState::Dead, "{p:?}");
    assert!(
        p.last_error.as_deref().unwrap().contains("panicked"),
        "{p:?}"
    );
    let h = job(&app, h).await;
    assert_eq!((h.state, h.attempts), (JobState::Queued, 1));
    assert!(
        h.last_error.as_deref().unwrap().contains("past its lease"),
        "{h:?}"
    );
    // The other organizations see none of it; the system scope neither. (The day the clock
    // moved makes the server's own schedules fire, and their fan-outs may give Bob built-in
    // jobs of his own: only those may show.)
    let other = app.signup("bob@example.com", "Other").await;
    let bob = org_of(&other);
    let theirs = app
        .store
        .list_jobs(&JobFilter::of(JobScope::Organization(bob)))
        .await
        .unwrap();
    assert!(
        theirs
            .iter()
            .all(|j| j.org == Some(bob) && !j.kind.starts_with("test.")),
        "{theirs:?}"
    );
    assert!(
        app.store
            .list_jobs(&JobFilter::of(JobScope::System))
            .await
            .unwrap()
            .iter()
            .all(|j| j.org.is_none())
    );
}

async fn a_burst_of_ingests_gives_one_recalculation(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    let recalcs = || jobs_of(&*app.store, JobScope::Organization(org), jobs::RECALCULATE);
    let t0 = micros(app.clock.now_for_tests());

    // 50 ingests at once.
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..50 {
        let http = app.http.clone();
        let url = format!("{}/api/v1/metrics", app.base);
        let token = s.access.clone();
        burst.spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"metric_type": "revenue", "value": i + 1, "recorded_at": format!("2026-01-{:02}T{:02}:00:00Z", i % 28 + 1, i / 28)}))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = burst.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let queued = recalcs().await;
    assert_eq!(
        queued.len(),
        1,
        "one recalculation for the burst: {queued:?}"
    );
    let first = &queued[0];
    assert_eq!(
        (first.state, first.attempts, first.run_at),
        (JobState::Queued, 0, t0 + secs(2))
    );
    assert_eq!(
        first.dedupe_key.as_deref(),
        Some(jobs::recalculate_key(org).as_str())
    );

    // Each further ingest postpones it (2 s of quiet), but never past 10 s after the first.
    let push = |day: u32| {
        let app = &app;
        let s = &s;
        async move {
            app.post(
                "/api/v1/metrics",
                Some(&s.access),
                json!({"metric_type": "revenue", "value": 1, "recorded_at": format!("2026-02-{day:02}T12:00:00Z")}),
            )
            .await
            .ok(200);
        }
    };
    for step in 1..=6 {
        app.clock.advance(TimeDelta::milliseconds(1500));
        push(step).await;
        let now = micros(app.clock.now_for_tests());
        let q = recalcs().await;
        assert_eq!(q.len(), 1, "{q:?}");
        assert_eq!(q[0].id, first.id);
        assert_eq!(
            q[0].run_at,
            (now + secs(2)).min(t0 + secs(10)),
            "step {step}"
        );
    }
    // Now (t0 + 9 s) the cap holds it at t0 + 10 s; once the clock passes that, the server's
    // own runner recalculates within moments.
    assert_eq!(recalcs().await[0].run_at, t0 + secs(10));
    assert!(app.store.latest_score(org).await.unwrap().is_none());
    app.clock.advance(secs(1));
    eventually(10, "the debounced recalculation", || async {
        let q = recalcs().await;
        match q.as_slice() {
            [j] if j.state == JobState::Done => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let done = &recalcs().await[0];
    assert_eq!((done.id, done.attempts), (first.id, 1));
    assert!(
        app.store.latest_score(org).await.unwrap().is_some(),
        "the handler stored a score"
    );
    // The next ingest starts a new debounce.
    push(20).await;
    let q = recalcs().await;
    assert_eq!(q.len(), 2);
    assert_eq!(
        q.iter().filter(|j| j.state == JobState::Queued).count(),
        1,
        "{q:?}"
    );
}

async fn a_debounced_job_that_started_gets_a_successor(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    let store = &app.store;
    let debounce = jobs::RECALCULATE_DEBOUNCE;
    let now = app.clock.now_for_tests();
    let a = store
        .enqueue_debounced("test.debounced", org, "k", debounce, now)
        .await
        .unwrap();
    let b = store
        .enqueue_debounced("test.debounced", org, "k", debounce, now + secs(1))
        .await
        .unwrap();
    assert_eq!(a, b, "queued and not started: the same job");
    // A plain enqueue under the key keeps the job too, moved earlier.
    let c = store
        .enqueue(
            &NewJob::for_org("test.debounced", org, now).dedupe("k"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(a, c);
    assert_eq!(job(&app, a).await.run_at, micros(now));
    let claimed = store
        .claim(now, Duration::from_secs(60), 10, &["test.debounced"])
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // Started: the next enqueue is a new job (the data it must see came after the start).
    let d = store
        .enqueue_debounced("test.debounced", org, "k", debounce, now)
        .await
        .unwrap();
    assert_ne!(a, d);
    // The running one fails and is queued again beside its successor: the key stays unique
    // among queued jobs (the retry gives it up), and both are kept.
    let outcome = store.fail(&claimed[0], "boom", now).await.unwrap();
    assert_eq!(outcome, FailOutcome::Retry(micros(now + secs(2))));
    let all = jobs_of(&**store, JobScope::Organization(org), "test.debounced").await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|j| j.state == JobState::Queued));
    let keys: Vec<Option<&str>> = all.iter().map(|j| j.dedupe_key.as_deref()).collect();
    assert!(
        keys.contains(&Some("k")) && keys.contains(&None),
        "{keys:?}"
    );
}

async fn queued_jobs_survive_a_restart(engine: Engine) {
    // The database outlives both servers: a file of the test's own, or a database of its own.
    let dir = tempfile::tempdir().unwrap();
    let pg = match engine {
        Engine::Postgres => match common::PgDatabase::create().await {
            Some(db) => Some(db),
            None => return,
        },
        Engine::Sqlite => None,
    };
    let url = match &pg {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}/bhd.db", dir.path().display()),
    };
    let on_shared = |c: &mut bhd_server::config::Config| c.database_url = url.clone();

    let a = TestApp::spawn_with(engine, on_shared).await.unwrap();
    let ann = a.signup("ann@example.com", "Ann Co").await;
    let bob = a.signup("bob@example.com", "Bob Co").await;
    // Queued on the first server, which stops before any is due: the nightly fan-out due in an
    // hour, and Ann's debounced recalculation after an ingest (due in 2 s of server A's
    // clock, which never moves).
    let now = a.clock.now_for_tests();
    let all = jobs::enqueue(
        &a.state,
        NewJob::system(jobs::RECALCULATE_ALL, now + secs(3600)),
    )
    .await
    .unwrap();
    a.post(
        "/api/v1/metrics",
        Some(&ann.access),
        json!({"metric_type": "revenue", "value": 10, "recorded_at": "2026-01-05T12:00:00Z"}),
    )
    .await
    .ok(200);
    let ann_job = jobs_of(
        &*a.store,
        JobScope::Organization(org_of(&ann)),
        jobs::RECALCULATE,
    )
    .await;
    assert_eq!(ann_job.len(), 1);
    let ann_job = ann_job[0].id;
    drop(a);

    // A new server (new process state, new store) on the same database, two hours later.
    let b = TestApp::spawn_with(engine, on_shared).await.unwrap();
    assert_eq!(job(&b, all).await.state, JobState::Queued);
    assert_eq!(job(&b, ann_job).await.state, JobState::Queued);
    b.clock.advance(secs(7200));
    let (ann_org, bob_org) = (org_of(&ann), org_of(&bob));
    eventually(15, "the queued jobs to run on the new server", || async {
        let fan_out = job(&b, all).await;
        if fan_out.state != JobState::Done {
            return Err(format!("fan-out {fan_out:?}"));
        }
        // The fan-out's batch holds both organizations (and is done); Ann's own ran too.
        let batches = jobs_of(&*b.store, JobScope::System, jobs::RECALCULATE_BATCH).await;
        let [batch] = batches.as_slice() else {
            return Err(format!("batches: {batches:?}"));
        };
        if batch.state != JobState::Done {
            return Err(format!("{batch:?}"));
        }
        let mut held: Vec<String> = serde_json::from_value(batch.payload["organizations"].clone())
            .map_err(|e| e.to_string())?;
        held.sort();
        let mut want = vec![ann_org.to_string(), bob_org.to_string()];
        want.sort();
        if held != want {
            return Err(format!("batch of {held:?}"));
        }
        if job(&b, ann_job).await.state != JobState::Done {
            return Err("Ann's own recalculation".into());
        }
        Ok(())
    })
    .await;
    // Bob had none of his own: the batch recalculated him.
    let bobs = jobs_of(
        &*b.store,
        JobScope::Organization(bob_org),
        jobs::RECALCULATE,
    )
    .await;
    assert!(bobs.is_empty(), "{bobs:?}");
    for org in [ann_org, bob_org] {
        assert!(b.store.latest_score(org).await.unwrap().is_some());
    }
}

async fn an_expired_lease_is_claimed_again(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    let store = &app.store;
    let kinds = ["test.lease"];
    let lease = Duration::from_secs(30);
    let now = app.clock.now_for_tests();
    let id = store
        .enqueue(&NewJob::for_org("test.lease", org, now), now)
        .await
        .unwrap();
    let last = store
        .enqueue(
            &NewJob::for_org("test.lease", org, now).max_attempts(1),
            now,
        )
        .await
        .unwrap();
    let first = store.claim(now, lease, 10, &kinds).await.unwrap();
    assert_eq!(first.len(), 2);
    let first = first.into_iter().find(|j| j.id == id).unwrap();
    assert_eq!((first.state, first.attempts), (JobState::Running, 1));
    assert_eq!(first.locked_until, Some(micros(now + secs(30))));
    // The worker dies here. While its lease runs, nobody else takes the job.
    app.clock.advance(secs(29));
    let t = app.clock.now_for_tests();
    assert!(store.claim(t, lease, 10, &kinds).await.unwrap().is_empty());
    // Once it has expired, the job is claimed again, as a new attempt.
    app.clock.advance(secs(2));
    let t = app.clock.now_for_tests();
    let again = store.claim(t, lease, 10, &kinds).await.unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    let again = &again[0];
    assert_eq!((again.id, again.attempts), (id, 2));
    assert_ne!(again.lock_token, first.lock_token);
    assert!(
        again
            .last_error
            .as_deref()
            .unwrap()
            .contains("lease expired")
    );
    // The dead worker's late report changes nothing; the live one's counts.
    assert!(!store.complete(&first, t).await.unwrap());
    assert_eq!(
        store.fail(&first, "late", t).await.unwrap(),
        FailOutcome::LostLease
    );
    assert!(store.complete(again, t).await.unwrap());
    assert_eq!(job(&app, id).await.state, JobState::Done);
    // A job whose worker died on its last attempt is dead, not run again.
    let dead = job(&app, last).await;
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, 1));
    assert!(dead.last_error.unwrap().contains("lease expired"));
}

async fn concurrent_claims_from_two_nodes_are_disjoint(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let org = org_of(&s);
    // A second node: its own store (pools) on the same database.
    let other = runners_store(&app).await;
    let now = app.clock.now_for_tests();
    let batch: Vec<NewJob> = (0..200)
        .map(|i| NewJob::for_org("test.race", org, now).payload(json!({ "i": i })))
        .collect();
    let ids: HashSet<_> = app
        .store
        .enqueue_many(&batch, now)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 200);
    let mut claimers = tokio::task::JoinSet::new();
    let start = Arc::new(tokio::sync::Barrier::new(6));
    for n in 0..6 {
        let store: Arc<dyn Store> = if n % 2 == 0 {
            app.store.clone()
        } else {
            other.clone()
        };
        let start = start.clone();
        claimers.spawn(async move {
            start.wait().await;
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim(now, Duration::from_secs(300), 7, &["test.race"])
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
                tokio::task::yield_now().await;
            }
        });
    }
    let mut claimed = Vec::new();
    let mut per_claimer = Vec::new();
    while let Some(mine) = claimers.join_next().await {
        let mine = mine.unwrap();
        per_claimer.push(mine.len());
        claimed.extend(mine);
    }
    let unique: HashSet<_> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(
        claimed.len(),
        unique.len(),
        "a job was claimed twice ({per_claimer:?})"
    );
    assert_eq!(unique, ids, "every job claimed once ({per_claimer:?})");
    assert!(claimed.iter().all(|j| j.attempts == 1));
}

async fn the_nightly_schedule_fires_once_across_nodes(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let ann = org_of(&app.signup("ann@example.com", "Ann Co").await);
    let bob = org_of(&app.signup("bob@example.com", "Bob Co").await);
    // Two more nodes on the same database and clock, besides the server's own runner.
    let other = runners_store(&app).await;
    let node2 =
        bhd_server::state(app.state.config.clone(), other, app.clock.clone()).expect("state");
    let runners = [
        JobRunner::builtin(app.state.clone()),
        JobRunner::builtin(node2),
    ];
    runners[0].run_due().await.unwrap(); // records the schedules (if the server has not yet)
    let far = app.clock.now_for_tests() + secs(3 * 86_400);
    let stored = app.store.due_schedules(far).await.unwrap();
    let (_, nightly) = stored
        .iter()
        .find(|(n, _)| n == "score.nightly")
        .expect("the nightly schedule is recorded");
    assert_eq!(
        nightly.format("%H:%M:%S").to_string(),
        "03:00:00",
        "{nightly}"
    );
    assert!(*nightly > app.clock.now_for_tests());
    let nightly = *nightly;

    app.clock.set(nightly + secs(60));
    let (r0, r1) = tokio::join!(runners[0].run_due(), runners[1].run_due());
    r0.unwrap();
    r1.unwrap();
    let (r0, r1) = tokio::join!(runners[0].run_due(), runners[1].run_due());
    r0.unwrap();
    r1.unwrap();
    eventually(15, "the nightly recomputation", || async {
        let fan_outs = jobs_of(&*app.store, JobScope::System, jobs::RECALCULATE_ALL).await;
        let [f] = fan_outs.as_slice() else {
            return Err(format!("fan-outs: {fan_outs:?}"));
        };
        if f.state != JobState::Done {
            return Err(format!("{f:?}"));
        }
        let batches = jobs_of(&*app.store, JobScope::System, jobs::RECALCULATE_BATCH).await;
        match batches.as_slice() {
            [b] if b.state == JobState::Done => {}
            other => return Err(format!("batches: {other:?}")),
        }
        Ok(())
    })
    .await;
    // Exactly one run was taken, and the schedule moved to the next night.
    assert_eq!(
        jobs_of(&*app.store, JobScope::System, jobs::RECALCULATE_ALL)
            .await
            .len(),
        1
    );
    let next = app.store.due_schedules(far).await.unwrap();
    let (_, moved) = next.iter().find(|(n, _)| n == "score.nightly").unwrap();
    assert_eq!(*moved, nightly + secs(86_400));
    for org in [ann, bob] {
        assert!(app.store.latest_score(org).await.unwrap().is_some());
    }

    // The run itself is taken once, whatever the dedupe key: of six nodes racing for the same
    // due run (jobs without a key), exactly one moves the schedule and enqueues.
    let now = app.clock.now_for_tests();
    let due = micros(now - secs(1));
    app.store
        .ensure_schedule("test.race", due, now)
        .await
        .unwrap();
    let stores = [app.store.clone(), runners_store(&app).await];
    let start = Arc::new(tokio::sync::Barrier::new(6));
    let mut racers = tokio::task::JoinSet::new();
    for n in 0..6 {
        let store = stores[n % 2].clone();
        let start = start.clone();
        racers.spawn(async move {
            let job = NewJob::system("test.scheduled", now);
            start.wait().await;
            store
                .mark_schedule_run("test.race", due, due + secs(86_400), Some(&job), now)
                .await
                .unwrap()
        });
    }
    let mut won = 0;
    while let Some(w) = racers.join_next().await {
        won += usize::from(w.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(
        jobs_of(&*app.store, JobScope::System, "test.scheduled")
            .await
            .len(),
        1
    );
}

/// Another store (another node's pools) on the test server's database.
async fn runners_store(app: &TestApp) -> Arc<dyn Store> {
    bhd_store::connect(&app.state.config.database_url)
        .await
        .unwrap()
}

/// Writes a time zone no recalculation can read, past the API (which refuses it), as the
/// database's owner.
async fn corrupt_time_zone(app: &TestApp, org: OrgId) {
    use sqlx::Connection;
    let url = &app.state.config.database_url;
    match engine_of(url) {
        Engine::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("UPDATE organizations SET timezone = 'Mars/Olympus_Mons' WHERE id = $1")
                .bind(org.as_uuid())
                .execute(&mut c)
                .await
                .unwrap();
        }
        Engine::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query("UPDATE organizations SET timezone = 'Mars/Olympus_Mons' WHERE id = $1")
                .bind(org.as_uuid())
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

fn engine_of(url: &str) -> Engine {
    if url.starts_with("postgres") {
        Engine::Postgres
    } else {
        Engine::Sqlite
    }
}

async fn a_nightly_batch_keeps_going_past_a_failing_organization(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let ann = org_of(&app.signup("ann@example.com", "Ann Co").await);
    let bob = org_of(&app.signup("bob@example.com", "Bob Co").await);
    let cat = org_of(&app.signup("cat@example.com", "Cat Co").await);
    corrupt_time_zone(&app, bob).await;
    // Deleted since the fan-out: skipped.
    let gone = OrgId::generate();
    let now = app.clock.now_for_tests();
    let batch = jobs::enqueue(
        &app.state,
        NewJob {
            payload: json!({ "organizations": [ann, gone, bob, cat] }),
            ..NewJob::system(jobs::RECALCULATE_BATCH, now)
        },
    )
    .await
    .unwrap();
    jobs::wake();
    eventually(15, "the batch", || async {
        let b = job(&app, batch).await;
        if b.state != JobState::Done {
            return Err(format!("{b:?}"));
        }
        Ok(())
    })
    .await;
    // Done in one attempt: Bob's failure neither failed the batch nor stopped it before Cat.
    assert_eq!(job(&app, batch).await.attempts, 1);
    for org in [ann, cat] {
        assert!(
            app.store.latest_score(org).await.unwrap().is_some(),
            "{org}"
        );
        // Their alert rules were evaluated in the batch (the first evaluation seeds the
        // defaults), not left to a job of their own.
        assert!(
            !app.store.alert_rules(org).await.unwrap().is_empty(),
            "{org}"
        );
        let own = jobs_of(&*app.store, JobScope::Organization(org), jobs::RECALCULATE).await;
        assert!(own.is_empty(), "{own:?}");
    }
    assert!(app.store.latest_score(bob).await.unwrap().is_none());
    let bobs = jobs_of(&*app.store, JobScope::Organization(bob), jobs::RECALCULATE).await;
    let [own] = bobs.as_slice() else {
        panic!("Bob gets one recalculation of his own: {bobs:?}");
    };
    assert_eq!(
        own.dedupe_key.as_deref(),
        Some(jobs::recalculate_key(bob).as_str())
    );
    let none = jobs_of(&*app.store, JobScope::Organization(gone), jobs::RECALCULATE).await;
    assert!(none.is_empty(), "{none:?}");
}

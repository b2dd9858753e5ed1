//! Health-score recalculation benchmark (issue: health score). Run in release:
//!
//! ```text
//! cargo run --release -p bhd-server --example bench_health -- sqlite|postgres [YEARS] [RUNS]
//! cargo run --release -p bhd-server --example bench_health -- postgres 5 5 fleet 200 [ROUNDS]
//! ```
//!
//! `fleet K [ROUNDS]`: after the single-organization runs, copies the demo company's roll-ups
//! (every daily and monthly roll-up of its 5 years and the packed copy of its complete months,
//! which is all a recalculation reads) to K more organizations, vacuums and checkpoints, then
//! ROUNDS times (default 5) enqueues the nightly full recomputation and times the server's own
//! job runner (durable queue, its default concurrency, batches of organizations each scored
//! and its alert rules evaluated) until every organization has its new score, then waits for
//! the queue to empty before the next round: organizations per second each round, and the
//! time 10,000 would take at the median rate. The first round is slower: every organization's
//! first alert evaluation seeds its default rules, and no previous score gives drivers.
//!
//! Loads the SaaS demo company with YEARS (default 5) of daily history, packs its complete
//! months as the hourly job would, then times RUNS
//! (default 20) full recalculations (`health::recalculate`: the reads of monthly and daily
//! roll-ups, the score, the forecasts and anomalies, and the write of the score and its
//! insights), and prints the median, p95 and the worst. PostgreSQL comes from
//! BHD_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres, which sqlx
//! reaches over TLS when the server offers it; the figures in the README are over the local
//! socket, `postgres://postgres@localhost/postgres?host=/var/run/postgresql`, as a database on
//! the same machine is reached); its benchmark database is dropped at the end.

// The allocator `bhd` runs with (crates/bhd/src/main.rs), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bhd_server::clock::SystemClock;
use bhd_server::config::{Config, Secret};
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let engine = args.get(1).map_or("sqlite", String::as_str);
    let years: u32 = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let runs: usize = args.get(3).map_or(Ok(20), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let admin = std::env::var("BHD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let pg_name = format!("bhd_bench_{}", uuid::Uuid::new_v4().simple());
    let url = if engine == "postgres" {
        let mut c = sqlx::PgConnection::connect(&admin).await?;
        c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {pg_name}")))
            .await?;
        // The same server and options (`?sslmode=disable`, `?host=/socket/dir`), another database.
        let (base, options) = admin
            .split_once('?')
            .map_or((admin.as_str(), String::new()), |(b, o)| {
                (b, format!("?{o}"))
            });
        format!(
            "{}/{pg_name}{options}",
            base.rsplit_once('/').map_or(base, |(b, _)| b)
        )
    } else {
        format!("sqlite://{}/bench.db", dir.path().display())
    };
    let (fleet, rounds): (usize, usize) = match args.get(4).map(String::as_str) {
        Some("fleet") => (
            args.get(5).map_or(Ok(200), |s| s.parse())?,
            args.get(6).map_or(Ok(5), |s| s.parse())?,
        ),
        _ => (0, 0),
    };
    let result = run(&url, dir.path(), years, runs, fleet, rounds).await;
    if engine == "postgres" {
        let mut c = sqlx::PgConnection::connect(&admin).await?;
        c.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {pg_name} WITH (FORCE)"
        )))
        .await?;
    }
    let (points, times) = result?;
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{engine}: recalculation of one organization ({years} years, {points} daily points): \
         median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({runs} runs)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(times[times.len() - 1])
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn run(
    url: &str,
    dir: &std::path::Path,
    years: u32,
    runs: usize,
    fleet: usize,
    rounds: usize,
) -> anyhow::Result<(u64, Vec<Duration>)> {
    let config = Config {
        database_url: url.to_owned(),
        data_dir: dir.to_owned(),
        secret_key: Some(Secret::new("bench-secret-key-that-is-long-enough-00")),
        ..Config::default()
    };
    let store = bhd_store::connect(url).await?;
    let state = bhd_server::state(config, store.clone(), Arc::new(SystemClock))?;
    let demo = bhd_server::demo::load(
        store.as_ref(),
        bhd_domain::demo::Profile::Saas,
        years,
        bhd_domain::Email::parse("bench@example.com").map_err(|e| anyhow::anyhow!(e))?,
        bhd_domain::Password::parse("bench-password-123").map_err(|e| anyhow::anyhow!(e))?,
        chrono::Utc::now(),
        |_, _| {},
    )
    .await?;
    let org = demo.organization.id;
    // As the server's hourly job leaves an organization: its complete months packed
    // (PostgreSQL; nothing to do on SQLite).
    let packed = store.pack_days(chrono::Utc::now()).await?;
    println!("packed {packed} months of daily roll-ups");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        bhd_server::health::recalculate(&state, org)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        times.push(t.elapsed());
    }
    times.sort();
    if fleet > 0 {
        run_fleet(url, &state, org, fleet, rounds).await?;
    }
    Ok((demo.points, times))
}

/// Copies the organization's roll-ups to `k` new organizations (as the database's owner, past
/// row-level security), then times the nightly recomputation of all of them through the job
/// queue.
async fn run_fleet(
    url: &str,
    state: &bhd_server::state::AppState,
    demo: bhd_domain::OrgId,
    k: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(url.starts_with("postgres"), "fleet runs on postgres");
    let mut c = sqlx::PgConnection::connect(url).await?;
    let t = Instant::now();
    for i in 0..k {
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO organizations (id, name, slug, plan, industry, currency, timezone, settings, created_at, updated_at) \
             SELECT $2, name || ' ' || $3, slug || '-' || $3, plan, industry, currency, timezone, settings, created_at, updated_at \
             FROM organizations WHERE id = $1",
        )
        .bind(demo.as_uuid())
        .bind(id)
        .bind(i.to_string())
        .execute(&mut c)
        .await?;
        for (table, columns) in [
            (
                "metric_daily",
                "day, sum_micros, count, last_at, last_micros",
            ),
            (
                "metric_monthly",
                "month, sum_micros, count, last_at, last_micros",
            ),
            ("metric_days_packed", "month, days"),
            ("metric_pack_pending", "month"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} (organization_id, metric_type, {columns}) \
                 SELECT $2, metric_type, {columns} FROM {table} WHERE organization_id = $1"
            )))
            .bind(demo.as_uuid())
            .bind(id)
            .execute(&mut c)
            .await?;
        }
    }
    // A steady state: no autovacuum of the copied rows nor checkpoint running into the rounds.
    c.execute("VACUUM (ANALYZE)").await?;
    c.execute("CHECKPOINT").await?;
    println!(
        "fleet: {k} organizations copied in {:.0}s",
        t.elapsed().as_secs_f64()
    );
    let orgs = state.store.organization_ids().await?;
    let runner = bhd_server::jobs::JobRunner::builtin(state.clone()).spawn();
    let mut rates = Vec::with_capacity(rounds);
    for round in 1..=rounds.max(1) {
        let t = Instant::now();
        let cpu_before = cpu_jiffies();
        let now = chrono::Utc::now();
        bhd_server::jobs::enqueue(
            state,
            bhd_store::NewJob::system(bhd_server::jobs::RECALCULATE_ALL, now),
        )
        .await?;
        bhd_server::jobs::wake();
        // Done when every organization has a score calculated after the start (counted by the
        // database's owner in one cheap query, so that watching costs the run nothing).
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let done: i64 = sqlx::query_scalar(
                "SELECT COUNT(DISTINCT organization_id) FROM health_scores WHERE calculated_at >= $1",
            )
            .bind(now)
            .fetch_one(&mut c)
            .await?;
            if done as usize >= orgs.len() {
                break;
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(1800),
                "fleet recomputation stalled"
            );
        }
        // The round ends when its last score was stored, not when the 100 ms poll saw it.
        let last: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
            "SELECT MAX(calculated_at) FROM health_scores WHERE calculated_at >= $1",
        )
        .bind(now)
        .fetch_one(&mut c)
        .await?;
        let took = (last - now).as_seconds_f64();
        let rate = orgs.len() as f64 / took;
        rates.push(rate);
        // The whole machine's CPU time (this process, PostgreSQL, anything else) per
        // organization: steadier than the rate on a machine whose speed varies.
        let cpu = match (cpu_before, cpu_jiffies()) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => format!(
                ", machine {:.0}% busy",
                100.0 * (b1 - b0) as f64 / (t1 - t0) as f64
            ),
            _ => String::new(),
        };
        println!(
            "fleet round {round}: nightly recomputation of {} organizations (5 years of roll-ups each) \
             through the job queue: {took:.2}s, {rate:.1} organizations/s{cpu}",
            orgs.len(),
        );
        // The alert evaluations each stored score asks for (debounced) run before the next
        // round, so that a round is not charged with the previous one's.
        wait_for_idle_queue(&mut c).await?;
        println!(
            "fleet round {round}: queue empty (every follow-up alert evaluation done) after {:.1}s",
            t.elapsed().as_secs_f64()
        );
    }
    runner.stop().await;
    rates.sort_by(f64::total_cmp);
    let rate = rates[rates.len() / 2];
    println!(
        "fleet: median of {} rounds {rate:.1} organizations/s → 10,000 organizations in {:.0}s at that rate",
        rates.len(),
        10_000.0 / rate
    );
    Ok(())
}

/// The machine's busy and total CPU time so far (Linux `/proc/stat`, in clock ticks), if known.
fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        // The line's "cpu" label is no number and drops out here.
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    Some((total - idle, total))
}

/// Waits until no job is queued or running (the follow-up alert evaluations of a round).
async fn wait_for_idle_queue(c: &mut sqlx::PgConnection) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') AND run_at <= now()",
        )
        .fetch_one(&mut *c)
        .await?;
        if pending == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(600),
            "the job queue never emptied"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

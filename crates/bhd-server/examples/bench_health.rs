//! Health-score recalculation benchmark (issue: health score). Run in release:
//!
//! ```text
//! cargo run --release -p bhd-server --example bench_health -- sqlite|postgres [YEARS] [RUNS]
//! ```
//!
//! Loads the SaaS demo company with YEARS (default 5) of daily history, then times RUNS
//! (default 20) full recalculations (`health::recalculate`: the reads of monthly and daily
//! roll-ups, the score, the forecasts and anomalies, and the write of the score and its
//! insights), and prints the median, p95 and the worst. PostgreSQL comes from
//! BHD_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); its benchmark
//! database is dropped at the end.

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
        format!(
            "{}/{pg_name}",
            admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
        )
    } else {
        format!("sqlite://{}/bench.db", dir.path().display())
    };
    let result = run(&url, dir.path(), years, runs).await;
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
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        bhd_server::health::recalculate(&state, org)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((demo.points, times))
}

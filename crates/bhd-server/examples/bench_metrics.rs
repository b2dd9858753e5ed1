//! Metrics benchmarks (issue: metrics end to end). Run in release:
//!
//! ```text
//! cargo run --release -p bhd-server --example bench_metrics -- ingest sqlite
//! cargo run --release -p bhd-server --example bench_metrics -- ingest postgres
//! cargo run --release -p bhd-server --example bench_metrics -- series postgres 10,100,200
//! ```
//!
//! `ingest`: points/s through `POST /api/v1/metrics` in batches of 10,000 against the real
//! server, and, in the same run, the engine's own bulk path on a table of the same shape
//! (PostgreSQL `COPY`; SQLite prepared inserts in one transaction), and their ratio.
//! `series`: loads organizations × 50 metrics × 5 years of daily points in steps (the
//! cumulative organization counts given), and after each step measures p50/p99 of
//! `GET /metrics/{type}/series` for a 5-year range at month and day granularity.
//! PostgreSQL comes from BHD_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).

// The allocator `bhd` runs with (crates/bhd/src/main.rs), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bhd_server::clock::SystemClock;
use bhd_server::config::{Config, Secret};
use serde_json::{Value, json};
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 10_000;
/// Series requests per granularity and step.
const REQUESTS: usize = 1000;

struct Server {
    base: String,
    url: String,
    store: Arc<dyn bhd_store::Store>,
    _dir: tempfile::TempDir,
}

/// PostgreSQL databases this run created, dropped when it ends (a 250-organization series run
/// leaves about 10 GB).
static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn admin_url() -> String {
    std::env::var("BHD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn drop_created() -> anyhow::Result<()> {
    let names: Vec<String> =
        std::mem::take(&mut *CREATED.lock().unwrap_or_else(|p| p.into_inner()));
    for name in names {
        let mut c = sqlx::PgConnection::connect(&admin_url()).await?;
        c.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await?;
    }
    Ok(())
}

async fn start(engine: &str) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let url = if engine == "postgres" {
        let admin = admin_url();
        let name = format!("bhd_bench_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&admin).await?;
        c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        CREATED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(name.clone());
        format!(
            "{}/{name}",
            admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
        )
    } else {
        format!("sqlite://{}/bench.db", dir.path().display())
    };
    let config = Config {
        database_url: url.clone(),
        data_dir: dir.path().to_owned(),
        secret_key: Some(Secret::new("bench-secret-key-that-is-long-enough-00")),
        rate_limit: 0,
        max_body_bytes: 16 * 1024 * 1024,
        ..Config::default()
    };
    let store = bhd_store::connect(&url).await?;
    let state = bhd_server::state(config, store.clone(), Arc::new(SystemClock))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(bhd_server::serve(listener, state, std::future::pending()));
    Ok(Server {
        base,
        url,
        store,
        _dir: dir,
    })
}

async fn signup(http: &reqwest::Client, base: &str, n: usize) -> anyhow::Result<String> {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": format!("bench{n}@example.com"), "password": "benchmark-password", "name": "Bench", "organization_name": format!("Bench {n}")}))
        .send()
        .await?
        .json()
        .await?;
    Ok(r["access_token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("signup failed: {r}"))?
        .to_owned())
}

/// `count` distinct points: metric i % metrics, spread over the year before 2026-01-01 with
/// many points a day (distinct seconds).
fn points(offset: usize, count: usize, metrics: &[&str]) -> Vec<Value> {
    points_with(offset, count, metrics, 365, |i| {
        format!("{}.{:02}", 1000 + i % 977, i % 100)
    })
}

fn points_with(
    offset: usize,
    count: usize,
    metrics: &[&str],
    span_days: usize,
    value: impl Fn(usize) -> String,
) -> Vec<Value> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z")
        .unwrap()
        .to_utc();
    (offset..offset + count)
        .map(|i| {
            // Within one year (about 12 partitions), many points a day at distinct seconds.
            let slot = i / metrics.len();
            let at = start - chrono::Duration::days((slot % span_days) as i64)
                + chrono::Duration::seconds((slot / span_days) as i64);
            json!({"metric_type": metrics[i % metrics.len()], "value": value(i), "recorded_at": at.to_rfc3339()})
        })
        .collect()
}

const FLOW_METRICS: [&str; 10] = [
    "revenue",
    "expenses",
    "cost_of_goods_sold",
    "gross_profit",
    "net_profit",
    "operating_cash_flow",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
];

/// Rounds of the ingest comparison: the two paths alternate, so that a noisy neighbour on the
/// machine weighs on both alike, and the median round is reported.
const ROUNDS: usize = 3;

/// The same `count` rows as `points(offset, …)` gives, as (metric, time, micros).
fn rows(offset: usize, count: usize) -> Vec<(String, chrono::DateTime<chrono::Utc>, i64)> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z")
        .unwrap()
        .to_utc();
    (offset..offset + count)
        .map(|i| {
            let slot = i / FLOW_METRICS.len();
            let at = start - chrono::Duration::days((slot % 365) as i64)
                + chrono::Duration::seconds((slot / 365) as i64);
            (
                FLOW_METRICS[i % FLOW_METRICS.len()].to_owned(),
                at,
                ((1000 + i % 977) * 1_000_000 + (i % 100) * 10_000) as i64,
            )
        })
        .collect()
}

/// The engine's own bulk path for these rows on `bench_copy`: rows/s.
async fn bulk(
    engine: &str,
    url: &str,
    org: uuid::Uuid,
    rows: &[(String, chrono::DateTime<chrono::Utc>, i64)],
) -> anyhow::Result<f64> {
    if engine == "postgres" {
        let mut c = sqlx::PgConnection::connect(url).await?;
        let mut csv = String::with_capacity(rows.len() * 100);
        let now = chrono::Utc::now().to_rfc3339();
        for (m, at, v) in rows {
            csv.push_str(&format!(
                "{org},{m},api,\"\",{},{v},financial,{{}},{now}\n",
                at.to_rfc3339()
            ));
        }
        let t = Instant::now();
        let mut copy = c.copy_in_raw("COPY bench_copy (organization_id, metric_type, source, dimension, recorded_at, value_micros, category, metadata, ingested_at) FROM STDIN (FORMAT csv)").await?;
        copy.send(csv.as_bytes()).await?;
        copy.finish().await?;
        Ok(rows.len() as f64 / t.elapsed().as_secs_f64())
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        let now = chrono::Utc::now().timestamp_micros();
        let t = Instant::now();
        let mut tx = c.begin().await?;
        for (m, at, v) in rows {
            sqlx::query("INSERT INTO bench_copy (organization_id, metric_type, source, dimension, recorded_at, value_micros, category, metadata, ingested_at) VALUES ($1, $2, 'api', '', $3, $4, 'financial', '{}', $5)")
                .bind(org)
                .bind(m)
                .bind(at.timestamp_micros())
                .bind(v)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as f64 / t.elapsed().as_secs_f64())
    }
}

/// Creates `bench_copy`, the same shape as business_metrics: the same columns, keys and
/// indexes, on PostgreSQL range-partitioned by month with the months the rows fall in created
/// beforehand.
async fn create_bulk_table(engine: &str, url: &str) -> anyhow::Result<()> {
    if engine == "postgres" {
        let mut c = sqlx::PgConnection::connect(url).await?;
        c.execute("CREATE TABLE bench_copy (LIKE business_metrics INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (recorded_at)").await?;
        c.execute("ALTER TABLE bench_copy ADD PRIMARY KEY (organization_id, metric_type, source, dimension, recorded_at)").await?;
        c.execute("CREATE INDEX bench_copy_series ON bench_copy (organization_id, metric_type, recorded_at DESC)").await?;
        let mut month = chrono::NaiveDate::from_ymd_opt(2024, 12, 1).unwrap();
        while month < chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() {
            let next = month.checked_add_months(chrono::Months::new(1)).unwrap();
            c.execute(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE bench_copy_{} PARTITION OF bench_copy FOR VALUES FROM ('{month} 00:00:00+00') TO ('{next} 00:00:00+00')",
                month.format("%Y%m")
            )))
            .await?;
            month = next;
        }
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        c.execute("CREATE TABLE bench_copy (organization_id BLOB NOT NULL, metric_type TEXT NOT NULL, source TEXT NOT NULL, dimension TEXT NOT NULL DEFAULT '', recorded_at INTEGER NOT NULL, value_micros INTEGER NOT NULL, category TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', ingested_at INTEGER NOT NULL, PRIMARY KEY (organization_id, metric_type, source, dimension, recorded_at)) STRICT, WITHOUT ROWID").await?;
        c.execute("CREATE INDEX bench_copy_series ON bench_copy (organization_id, metric_type, recorded_at DESC)").await?;
    }
    Ok(())
}

async fn ingest(engine: &str, total: usize) -> anyhow::Result<()> {
    let s = start(engine).await?;
    let http = reqwest::Client::new();
    let token = signup(&http, &s.base, 0).await?;
    create_bulk_table(engine, &s.url).await?;
    // The store's ingest called directly (another organization): what the database work
    // costs without HTTP, JSON and validation.
    let token2 = signup(&http, &s.base, 1).await?;
    let me: Value = http
        .get(format!("{}/api/v1/me", s.base))
        .bearer_auth(&token2)
        .send()
        .await?
        .json()
        .await?;
    let org2 = bhd_domain::OrgId::from_uuid(
        me["current_organization"]["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no organization in /me: {me}"))?
            .parse()?,
    );
    let bulk_org = uuid::Uuid::new_v4();
    let per_round = (total / ROUNDS / BATCH).max(1) * BATCH;
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        let offset = round * per_round;
        let bodies: Vec<String> = (0..per_round / BATCH)
            .map(|b| {
                json!({"points": points(offset + b * BATCH, BATCH, &FLOW_METRICS)}).to_string()
            })
            .collect();
        let t = Instant::now();
        for body in bodies {
            let r = http
                .post(format!("{}/api/v1/metrics", s.base))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            anyhow::ensure!(
                r.status() == 200,
                "ingest failed: {}",
                r.text().await?.chars().take(400).collect::<String>()
            );
        }
        let http_rate = per_round as f64 / t.elapsed().as_secs_f64();
        let rows = rows(offset, per_round);
        let bulk_rate = bulk(engine, &s.url, bulk_org, &rows).await?;
        let new_points: Vec<bhd_store::NewPoint> = rows
            .iter()
            .map(|(m, at, v)| bhd_store::NewPoint {
                metric_type: m.clone(),
                category: bhd_domain::Category::Financial,
                source: "api".into(),
                dimension: String::new(),
                recorded_at: *at,
                value: bhd_domain::Amount::from_micros(*v),
                metadata: json!({}),
            })
            .collect();
        let t = Instant::now();
        for chunk in new_points.chunks(BATCH) {
            s.store
                .ingest(org2, chrono_tz::UTC, chunk, chrono::Utc::now())
                .await?;
        }
        let store_rate = per_round as f64 / t.elapsed().as_secs_f64();
        let ratio = http_rate / bulk_rate;
        println!(
            "{engine}: round {}: HTTP batches of {BATCH}: {http_rate:.0} points/s; engine bulk path: {bulk_rate:.0} rows/s; ratio {ratio:.2} ({per_round} points); store ingest without HTTP: {store_rate:.0} points/s",
            round + 1
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "{engine}: median ratio over {ROUNDS} rounds: {:.2} (HTTP batches / engine bulk path)",
        ratios[ratios.len() / 2]
    );
    Ok(())
}

/// Loads organizations `have..want` directly (COPY of 5 years × 50 metrics of daily points,
/// then their daily and monthly roll-ups built by SQL as ingest would have left them, their
/// months queued for packing and packed by the store's own packing step): loading
/// 90,000 points per organization through HTTP would take hours at this scale, and the loading
/// path is measured by `ingest`. Returns their access tokens.
async fn load_orgs(
    s: &Server,
    http: &reqwest::Client,
    metrics: &[&bhd_domain::MetricDef],
    range: std::ops::Range<usize>,
) -> anyhow::Result<Vec<String>> {
    let mut c = sqlx::PgConnection::connect(&s.url).await?;
    let first = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    let mut month = first;
    while month < chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap() {
        sqlx::query("SELECT bhd_ensure_metric_partition($1)")
            .bind(month)
            .execute(&mut c)
            .await?;
        month = month.checked_add_months(chrono::Months::new(1)).unwrap();
    }
    let mut tokens = Vec::new();
    for o in range {
        tokens.push(signup(http, &s.base, o).await?);
        let org: uuid::Uuid = sqlx::query_scalar(
            "UPDATE organizations SET plan = 'enterprise' WHERE id = (SELECT m.organization_id FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE u.email = $1) RETURNING id",
        )
        .bind(format!("bench{o}@example.com"))
        .fetch_one(&mut c)
        .await?;
        let mut csv = String::with_capacity(100 * 1826 * metrics.len());
        for (m, def) in metrics.iter().enumerate() {
            for d in 0..(5 * 365 + 1) {
                let day = first + chrono::Duration::days(d);
                let v = ((o * 7 + m * 13 + d as usize) % 1000) as i64 * 1_000;
                csv.push_str(&format!(
                    "{org},{},api,\"\",{day} 12:00:00+00,{v},{},{{}},2026-01-02 00:00:00+00\n",
                    def.name,
                    def.category.as_str()
                ));
            }
        }
        let mut copy = c
            .copy_in_raw("COPY business_metrics (organization_id, metric_type, source, dimension, recorded_at, value_micros, category, metadata, ingested_at) FROM STDIN (FORMAT csv)")
            .await?;
        copy.send(csv.as_bytes()).await?;
        copy.finish().await?;
        sqlx::query(
            "INSERT INTO metric_daily (organization_id, metric_type, day, sum_micros, count, last_at, last_micros) \
             SELECT organization_id, metric_type, (recorded_at AT TIME ZONE 'UTC')::date, SUM(value_micros), COUNT(*), \
               MAX(recorded_at), (array_agg(value_micros ORDER BY recorded_at DESC))[1] \
             FROM business_metrics WHERE organization_id = $1 GROUP BY 1, 2, 3",
        )
        .bind(org)
        .execute(&mut c)
        .await?;
        sqlx::query(
            "INSERT INTO metric_monthly (organization_id, metric_type, month, sum_micros, count, last_at, last_micros) \
             SELECT organization_id, metric_type, date_trunc('month', day)::date, SUM(sum_micros), SUM(count), \
               MAX(last_at), (array_agg(last_micros ORDER BY last_at DESC))[1] \
             FROM metric_daily WHERE organization_id = $1 GROUP BY 1, 2, 3",
        )
        .bind(org)
        .execute(&mut c)
        .await?;
        // Every month loaded waits to be packed, as ingest would have left it.
        sqlx::query(
            "INSERT INTO metric_pack_pending (organization_id, metric_type, month) \
             SELECT DISTINCT organization_id, metric_type, date_trunc('month', day)::date \
             FROM metric_daily WHERE organization_id = $1 ON CONFLICT DO NOTHING",
        )
        .bind(org)
        .execute(&mut c)
        .await?;
    }
    // The server's background packing, run now through the store as its hourly job would.
    let t = Instant::now();
    let packed = s.store.pack_days(chrono::Utc::now()).await?;
    println!(
        "postgres: packed {packed} months of daily roll-ups in {:.0}s",
        t.elapsed().as_secs_f64()
    );
    // As a database that took these points over time would be: vacuumed (hint bits and the
    // visibility map set, as autovacuum leaves them) and analysed. Measuring right after a bulk
    // load would time the first reads setting hint bits instead.
    c.execute(
        "VACUUM (ANALYZE) business_metrics, metric_daily, metric_monthly, metric_days_packed, \
         metric_pack_pending",
    )
    .await?;
    // And with the load's dirty pages written out, so that the checkpointer does not flush
    // gigabytes during the measurement.
    c.execute("CHECKPOINT").await?;
    Ok(tokens)
}

/// Series latency as the data grows: after loading each step's organizations, 1,000 requests
/// for a 5-year range of a random organization's metric, at month and at day granularity.
async fn series(engine: &str, steps: &[usize]) -> anyhow::Result<()> {
    anyhow::ensure!(engine == "postgres", "series runs on postgres");
    let s = start(engine).await?;
    let http = reqwest::Client::new();
    let metrics: Vec<&bhd_domain::MetricDef> = bhd_domain::metrics::canonical()
        .iter()
        .filter(|d| bhd_domain::metrics::rate_parts(&d.name).is_none())
        .take(50)
        .collect();
    let mut tokens = Vec::new();
    for &want in steps {
        let t = Instant::now();
        let have = tokens.len();
        tokens.extend(load_orgs(&s, &http, &metrics, have..want).await?);
        let points = want * metrics.len() * (5 * 365 + 1);
        println!(
            "{engine}: {want} orgs × {} metrics × 5 years = {points} points (loaded {} more in {:.0}s)",
            metrics.len(),
            want - have,
            t.elapsed().as_secs_f64()
        );
        for granularity in ["month", "day"] {
            let mut lat = Vec::new();
            for i in 0..REQUESTS {
                // A spread of organizations and metrics, deterministic.
                let token = &tokens[(i * 7919) % tokens.len()];
                let metric = &metrics[(i * 31) % metrics.len()].name;
                let url = format!(
                    "{}/api/v1/metrics/{metric}/series?granularity={granularity}&from=2021-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                    s.base
                );
                let t = Instant::now();
                let r = http.get(url).bearer_auth(token).send().await?;
                anyhow::ensure!(r.status() == 200, "series: {}", r.status());
                let _ = r.bytes().await?;
                lat.push(t.elapsed());
            }
            lat.sort();
            let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
            println!(
                "{engine}:   5-year series by {granularity}: p50 {:.2} ms, p99 {:.2} ms ({REQUESTS} requests)",
                p(0.5).as_secs_f64() * 1e3,
                p(0.99).as_secs_f64() * 1e3
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("ingest", String::as_str);
    let engine = args.get(2).map_or("sqlite", String::as_str);
    let result = match mode {
        "ingest" => {
            ingest(
                engine,
                args.get(3).and_then(|n| n.parse().ok()).unwrap_or(200_000),
            )
            .await
        }
        "series" => {
            let steps: Vec<usize> = args
                .get(3)
                .map_or("10,100", String::as_str)
                .split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()?;
            series(engine, &steps).await
        }
        other => Err(anyhow::anyhow!("unknown mode {other}: ingest or series")),
    };
    drop_created().await?;
    result
}

//! Alert evaluation benchmark, end to end on PostgreSQL (issue: alerts). Run in release:
//!
//! ```text
//! cargo run --release -p bhd-server --example bench_alerts -- [ORGS] [RULES_PER_ORG]
//! ```
//!
//! Loads the SaaS demo company (one year of daily history), calculates its score (so that
//! there are fresh scores, factor KPIs and insights), gives it RULES_PER_ORG (default 100)
//! rules of every kind (thresholds on latest values and on 7- to 30-day windows of ~30
//! metrics, changes and percentage changes, anomalies, score levels and score changes, factor
//! KPIs), then copies the organization (its recent daily roll-ups, scores, insights and rules)
//! to ORGS − 1 more (default 1,000 in all) as the database's owner. It then evaluates every
//! organization's rules through the server's own path (`alerts::evaluate::evaluate`: the
//! reads, the pure check and state machine, and the writes of states, alerts and deliveries),
//! four organizations at a time, four times: the first pass writes every rule's new state and
//! raises the alerts of rules that fire at once, the next two those that must hold two and
//! three evaluations, the fourth is the steady state (the data did not change). Prints rules per second and the time
//! for 100,000 rules. The pure part alone is `cargo run --release -p bhd-domain --example
//! bench_alerts`.
//!
//! PostgreSQL comes from BHD_TEST_DATABASE_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres); the benchmark database is dropped at the end.

// The allocator `bhd` runs with (crates/bhd/src/main.rs), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bhd_server::clock::SystemClock;
use bhd_server::config::{Config, Secret};
use serde_json::{Value, json};
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let orgs: usize = args.get(1).map_or(Ok(1000), |s| s.parse())?;
    let per_org: usize = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let admin = std::env::var("BHD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("bhd_bench_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(&admin).await?;
    c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    let url = format!(
        "{}/{name}",
        admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
    );
    let result = run(&url, dir.path(), orgs, per_org).await;
    c.execute(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .await?;
    result
}

/// `n` rules over the demo company's metrics, every kind represented.
fn rules(n: usize) -> Vec<Value> {
    let stocks = [
        "cash_balance",
        "mrr",
        "active_customers",
        "headcount",
        "pipeline_value",
        "accounts_receivable",
    ];
    let flows = [
        "revenue",
        "expenses",
        "new_customers",
        "churned_customers",
        "new_mrr",
        "churned_mrr",
        "leads",
        "deals_won",
        "sessions",
        "orders",
    ];
    let rates = [
        "nps",
        "uptime",
        "customer_acquisition_cost",
        "conversion_rate",
    ];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let window = format!("{}d", 7 + (i % 4) * 7);
        let body = match i % 10 {
            0 => {
                json!({"target": {"metric_type": stocks[i % stocks.len()]}, "condition": {"op": "below", "value": (i * 37 % 5000).to_string()}})
            }
            1 => {
                json!({"target": {"metric_type": flows[i % flows.len()]}, "condition": {"op": "above", "value": (i * 13 % 900).to_string(), "window": window}})
            }
            2 => {
                json!({"target": {"metric_type": flows[i % flows.len()]}, "condition": {"op": "change_pct_below", "value": "-10", "window": window}})
            }
            3 => {
                json!({"target": {"metric_type": stocks[i % stocks.len()]}, "condition": {"op": "change_above", "value": "100", "window": window}})
            }
            4 => {
                json!({"target": {"metric_type": rates[i % rates.len()]}, "condition": {"op": "below", "value": "0.5", "window": window}})
            }
            5 => {
                json!({"target": {"metric_type": flows[i % flows.len()]}, "condition": {"op": "anomaly", "window": "7d"}})
            }
            6 => {
                json!({"target": {"score": "overall"}, "condition": {"op": "below", "value": (40 + i % 40).to_string()}})
            }
            7 => {
                json!({"target": {"score": "financial"}, "condition": {"op": "change_below", "value": "-5", "window": "30d"}})
            }
            8 => {
                json!({"target": {"factor": "cash_runway"}, "condition": {"op": "below", "value": "12"}})
            }
            _ => {
                json!({"target": {"factor": "churn_rate"}, "condition": {"op": "above", "value": "0.02"}})
            }
        };
        let mut body = body;
        body["name"] = json!(format!("Rule {i}"));
        body["severity"] = json!(["low", "medium", "high", "critical"][i % 4]);
        body["for_evaluations"] = json!(1 + i % 3);
        body["cooldown"] = json!("1h");
        out.push(body);
    }
    out
}

async fn run(url: &str, dir: &std::path::Path, orgs: usize, per_org: usize) -> anyhow::Result<()> {
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
        1,
        bhd_domain::Email::parse("bench@example.com").map_err(|e| anyhow::anyhow!(e))?,
        bhd_domain::Password::parse("bench-password-123").map_err(|e| anyhow::anyhow!(e))?,
        chrono::Utc::now(),
        |_, _| {},
    )
    .await?;
    let org = demo.organization.id;
    bhd_server::health::recalculate(&state, org)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = chrono::Utc::now();
    // The demo's own defaults stay out: exactly `per_org` rules each.
    store.seed_default_rules(org, &[], now).await?;
    for body in rules(per_org) {
        let spec = bhd_domain::alerts::parse_rule(&body)
            .map_err(|e| anyhow::anyhow!("rule {body}: {e:?}"))?;
        store
            .create_alert_rule(org, &spec.name, &serde_json::to_value(&spec)?, now)
            .await?;
    }

    let mut c = sqlx::PgConnection::connect(url).await?;
    let t = Instant::now();
    for i in 1..orgs {
        let id = uuid::Uuid::now_v7();
        let copy = [
            "INSERT INTO organizations (id, name, slug, plan, industry, currency, timezone, settings, created_at, updated_at) \
             SELECT $2, name || ' ' || $3, slug || '-' || $3, plan, industry, currency, timezone, settings, created_at, updated_at \
             FROM organizations WHERE id = $1",
            "INSERT INTO metric_daily (organization_id, metric_type, day, sum_micros, count, last_at, last_micros) \
             SELECT $2, metric_type, day, sum_micros, count, last_at, last_micros FROM metric_daily \
             WHERE organization_id = $1 AND day >= CURRENT_DATE - 200",
            "INSERT INTO health_scores (organization_id, id, overall, financial, customer, operational, growth, risk, \
             coverage_bp, confidence_bp, model_version, breakdown, calculated_at) \
             SELECT $2, id, overall, financial, customer, operational, growth, risk, coverage_bp, confidence_bp, \
             model_version, breakdown, calculated_at FROM health_scores WHERE organization_id = $1",
            "INSERT INTO insights (organization_id, id, score_id, kind, severity, title, body, evidence, metrics, generated_at) \
             SELECT $2, id, score_id, kind, severity, title, body, evidence, metrics, generated_at FROM insights \
             WHERE organization_id = $1",
            "INSERT INTO alert_rule_seeds (organization_id, seeded_at) SELECT $2, seeded_at FROM alert_rule_seeds \
             WHERE organization_id = $1",
            "INSERT INTO alert_rules (organization_id, id, name, spec, is_default, streak, created_at, updated_at) \
             SELECT $2, gen_random_uuid(), name, spec, is_default, 0, created_at, updated_at FROM alert_rules \
             WHERE organization_id = $1",
        ];
        for sql in copy {
            sqlx::query(sql)
                .bind(org.as_uuid())
                .bind(id)
                .bind(i.to_string())
                .execute(&mut c)
                .await?;
        }
    }
    c.execute("VACUUM ANALYZE").await?;
    println!(
        "{orgs} organizations × {per_org} rules set up in {:.0}s",
        t.elapsed().as_secs_f64()
    );
    let ids = store.organization_ids().await?;
    let total = ids.len() * per_org;
    for pass in [
        "pass 1 (every rule's state written, alerts raised)",
        "pass 2 (rules held twice fire)",
        "pass 3 (rules held three times fire)",
        "pass 4 (steady state)",
    ] {
        let t = Instant::now();
        let mut changes = 0usize;
        for chunk in ids.chunks(4) {
            let mut set = tokio::task::JoinSet::new();
            for &o in chunk {
                let state = state.clone();
                set.spawn(async move { bhd_server::alerts::evaluate::evaluate(&state, o).await });
            }
            while let Some(r) = set.join_next().await {
                changes += r??.len();
            }
        }
        let took = t.elapsed().as_secs_f64();
        let rate = total as f64 / took;
        println!(
            "{pass}: {total} rules of {} organizations evaluated in {took:.2}s ({rate:.0} rules/s, \
             {changes} alerts raised or resolved) → 100,000 rules in {:.2}s",
            ids.len(),
            100_000.0 / rate
        );
    }
    Ok(())
}

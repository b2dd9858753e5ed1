//! PostgreSQL: `business_metrics` is partitioned by month; upkeep creates the partitions ahead
//! of time, and ingest creates the one a point needs (an old import, say).

mod common;

use common::{Engine, TestApp};
use serde_json::json;
use sqlx::Connection;

async fn partitions(url: &str) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'business_metrics' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_are_created_ahead_and_on_demand() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let url = app.pg.as_ref().unwrap().url.clone();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
        .unwrap()
        .to_utc();
    app.store.maintain(now).await.unwrap();
    let names = partitions(&url).await;
    for m in ["y2026m11", "y2026m12", "y2027m01", "y2027m02"] {
        assert!(
            names.contains(&format!("business_metrics_{m}")),
            "{m} missing from {names:?}"
        );
    }
    // A point from 2019 gets its partition when it arrives.
    let s = app.signup("ann@example.com", "Org").await;
    app.post(
        "/api/v1/metrics",
        Some(&s.access),
        json!({"metric_type": "revenue", "value": 1, "recorded_at": "2019-03-15T00:00:00Z"}),
    )
    .await
    .ok(200);
    assert!(
        partitions(&url)
            .await
            .contains(&"business_metrics_y2019m03".to_owned())
    );
    // The server's role cannot create tables itself; only through the definer function.
    let store = bhd_store::PgStore::connect(&url).await.unwrap();
    let err = sqlx::query("CREATE TABLE business_metrics_y2030m01 PARTITION OF business_metrics FOR VALUES FROM ('2030-01-01') TO ('2030-02-01')")
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

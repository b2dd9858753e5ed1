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
    // A point from 2019 gets its partition when it arrives (on a plan that keeps 2019).
    let s = app.signup("ann@example.com", "Org").await;
    let org = bhd_domain::OrgId::from_uuid(uuid::Uuid::parse_str(&s.org_id).unwrap());
    app.store
        .set_plan(org, bhd_domain::Plan::Enterprise, now)
        .await
        .unwrap();
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

/// Retention drops whole monthly partitions before every plan's horizon in use, deletes the
/// older points of organizations on shorter plans, and keeps the roll-ups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_drops_whole_partitions() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let url = app.pg.as_ref().unwrap().url.clone();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    app.clock.set(at("2024-01-15T12:00:00Z"));
    let free = app.signup("ann@example.com", "Free Co").await;
    let pro = app.signup("bob@example.com", "Pro Co").await;
    let pro_id = bhd_domain::OrgId::from_uuid(uuid::Uuid::parse_str(&pro.org_id).unwrap());
    app.store
        .set_plan(pro_id, bhd_domain::Plan::Pro, app.clock.now_for_tests())
        .await
        .unwrap();
    for (s, when) in [
        (&free, "2022-06-10T12:00:00Z"),
        (&pro, "2018-06-10T12:00:00Z"),
        // After pro's horizon (2019-11) in the same year: kept.
        (&pro, "2019-12-10T12:00:00Z"),
        (&pro, "2022-06-10T12:00:00Z"),
    ] {
        app.post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({"metric_type": "revenue", "value": 5, "recorded_at": when}),
        )
        .await
        .ok(200);
    }
    assert!(
        partitions(&url)
            .await
            .contains(&"business_metrics_y2018m06".to_owned())
    );

    // Nearly three years later: free keeps from 2023-11, pro from 2019-11.
    app.clock.set(at("2026-11-24T12:00:00Z"));
    let removed = bhd_server::upkeep(&app.state).await.unwrap();
    assert_eq!(
        removed.points_deleted, 1,
        "the free organization's 2022 point"
    );
    assert!(removed.partitions_dropped >= 1);
    let pro = app.login("bob@example.com").await;
    let names = partitions(&url).await;
    assert!(
        !names.contains(&"business_metrics_y2018m06".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"business_metrics_y2022m06".to_owned()),
        "pro still has a point there"
    );
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM business_metrics")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 2);
    // Roll-ups stay: the dropped months still answer.
    let year = "from=2018-01-01T00:00:00Z&to=2019-01-01T00:00:00Z&granularity=year";
    let r = app
        .get(
            &format!("/api/v1/metrics/revenue/series?{year}"),
            &pro.access,
        )
        .await;
    assert_eq!(r.ok(200)["buckets"][0]["value"], "5");
}

/// Every node runs the hourly upkeep: retention run by two nodes at the same moment drops each
/// old partition once, and neither fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_on_two_nodes_at_once_drops_each_partition_once() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let url = app.pg.as_ref().unwrap().url.clone();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    app.clock.set(at("2024-01-15T12:00:00Z"));
    let s = app.signup("ann@example.com", "Free Co").await;
    for month in 1..=6 {
        app.post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({"metric_type": "revenue", "value": 5, "recorded_at": format!("2022-{month:02}-10T12:00:00Z")}),
        )
        .await
        .ok(200);
    }
    // A second node: its own store (pool) on the same database.
    let other = bhd_store::connect(&url).await.unwrap();
    let horizons: Vec<_> = bhd_domain::Plan::ALL
        .iter()
        .map(|p| (*p, p.retention_horizon(at("2026-11-24T12:00:00Z"))))
        .collect();
    let (a, b) = tokio::join!(
        app.store.apply_retention(&horizons),
        other.apply_retention(&horizons)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.partitions_dropped + b.partitions_dropped,
        6,
        "each of 2022-01..06 once: {a:?} {b:?}"
    );
    let names = partitions(&url).await;
    assert!(!names.iter().any(|n| n.contains("y2022m0")), "{names:?}");
}

//! The packed copy of complete months' daily roll-ups (PostgreSQL, migration 0011): day and
//! week series answer exactly as from the daily roll-ups, before and after packing, after more
//! ingest into a packed month (new points, replaced values, a backfilled day) and after a
//! time-zone change, and the same as SQLite, which keeps no packed copy; packed and pending
//! rows go with their organization, survive retention like the roll-ups they copy, and are
//! visible to their own tenant only.

mod common;

use common::{Engine, Session, TestApp};
use serde_json::{Value, json};
use sqlx::{Connection, Executor};

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

async fn push(app: &TestApp, s: &Session, points: &[Value]) {
    for chunk in points.chunks(500) {
        app.post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({ "points": chunk }),
        )
        .await
        .ok(200);
    }
}

/// Three points a day for a flow and a stock metric from `from` for `days` days, at UTC hours
/// that fall on either side of New York's local midnight; `salt` changes the values.
fn points(from: &str, days: i64, salt: i64) -> Vec<Value> {
    let start = at(from);
    let mut out = Vec::new();
    for d in 0..days {
        for (k, hour) in [3i64, 15, 23].into_iter().enumerate() {
            let t = start + chrono::Duration::days(d) + chrono::Duration::hours(hour);
            let v = (d * 37 + k as i64 * 11 + salt) % 1000;
            out.push(json!({"metric_type": "revenue", "value": format!("{v}.{:02}", (d + salt) % 100), "recorded_at": t.to_rfc3339()}));
            out.push(json!({"metric_type": "cash_balance", "value": format!("{}", 5000 + v), "recorded_at": t.to_rfc3339()}));
        }
    }
    out
}

/// Day and week series of both metrics over October 2025 to June 2026, local (New York).
async fn answers(app: &TestApp, s: &Session) -> Vec<Value> {
    let mut out = Vec::new();
    for metric in ["revenue", "cash_balance"] {
        for (g, range) in [
            ("day", "from=2025-10-01T04:00:00Z&to=2026-06-10T04:00:00Z"),
            ("week", "from=2025-09-29T04:00:00Z&to=2026-06-08T04:00:00Z"),
            // A range that starts and ends inside packed months.
            ("day", "from=2025-11-17T05:00:00Z&to=2026-02-11T05:00:00Z"),
        ] {
            let r = app
                .get(
                    &format!("/api/v1/metrics/{metric}/series?{range}&granularity={g}"),
                    &s.access,
                )
                .await;
            out.push(r.ok(200)["buckets"].clone());
        }
    }
    out
}

async fn superuser(app: &TestApp) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(&app.pg.as_ref().unwrap().url)
        .await
        .unwrap()
}

/// (packed rows, pending rows) of an organization, read as the superuser.
async fn packed_and_pending(app: &TestApp, org: &str) -> (i64, i64) {
    let mut c = superuser(app).await;
    let mut n = [0i64; 2];
    for (i, t) in ["metric_days_packed", "metric_pack_pending"]
        .into_iter()
        .enumerate()
    {
        n[i] = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {t} WHERE organization_id = $1::uuid"
        )))
        .bind(org)
        .fetch_one(&mut c)
        .await
        .unwrap();
    }
    (n[0], n[1])
}

async fn packed_month(app: &TestApp, org: &str, metric: &str, month: &str) -> bool {
    let mut c = superuser(app).await;
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM metric_days_packed WHERE organization_id = $1::uuid \
         AND metric_type = $2 AND month = $3::date)",
    )
    .bind(org)
    .bind(metric)
    .bind(month)
    .fetch_one(&mut c)
    .await
    .unwrap()
}

/// One engine's run of the scenario: the answers at each stage.
struct Run {
    app: TestApp,
    session: Session,
    stages: Vec<Vec<Value>>,
}

async fn scenario(engine: Engine) -> Option<Run> {
    let app = TestApp::spawn(engine).await?;
    app.clock.set(at("2026-06-15T12:00:00Z"));
    let s = app.signup("ann@example.com", "Packed Co").await;
    app.patch(
        "/api/v1/organization",
        &s.access,
        json!({"timezone": "America/New_York"}),
    )
    .await
    .ok(200);
    let mut stages = Vec::new();

    // Eight months of points (DST starts on 8 March and ends on 2 November), a second pass
    // that replaces some values, and a day backfilled long after its neighbours.
    push(&app, &s, &points("2025-10-01T00:00:00Z", 243, 0)).await;
    push(&app, &s, &points("2026-01-10T00:00:00Z", 5, 7)).await;
    push(&app, &s, &points("2025-11-02T00:00:00Z", 2, 3)).await;
    push(
        &app,
        &s,
        &[json!({"metric_type": "revenue", "value": "12.5", "recorded_at": "2025-10-01T03:30:00Z"})],
    )
    .await;
    stages.push(answers(&app, &s).await);

    let packed = app
        .store
        .pack_days(app.clock.now_for_tests())
        .await
        .unwrap();
    match engine {
        Engine::Sqlite => assert_eq!(packed, 0),
        // Two metrics × local months September 2025 (the first UTC points are its last
        // evening) to May 2026; June is not complete.
        Engine::Postgres => {
            assert_eq!(packed, 2 * 9, "months packed");
            assert_eq!(packed_and_pending(&app, &s.org_id).await.1, 0);
            assert!(packed_month(&app, &s.org_id, "revenue", "2026-02-01").await);
            // Packing again finds nothing to do.
            assert_eq!(
                app.store
                    .pack_days(app.clock.now_for_tests())
                    .await
                    .unwrap(),
                0
            );
        }
    }
    stages.push(answers(&app, &s).await);

    // More ingest into a packed month: new points, replaced values, a new day's first point.
    push(
        &app,
        &s,
        &[
            json!({"metric_type": "revenue", "value": "1000", "recorded_at": "2026-02-03T15:00:00Z"}),
            json!({"metric_type": "revenue", "value": "2.25", "recorded_at": "2026-02-04T15:30:00Z"}),
            json!({"metric_type": "cash_balance", "value": "1", "recorded_at": "2026-02-05T23:00:00Z"}),
            json!({"metric_type": "revenue", "value": "9", "recorded_at": "2026-06-10T04:00:00Z"}),
        ],
    )
    .await;
    if engine == Engine::Postgres {
        // The changed months are read from their days until packed again.
        assert!(!packed_month(&app, &s.org_id, "revenue", "2026-02-01").await);
        assert!(!packed_month(&app, &s.org_id, "cash_balance", "2026-02-01").await);
        assert!(packed_month(&app, &s.org_id, "revenue", "2026-01-01").await);
    }
    stages.push(answers(&app, &s).await);
    app.store
        .pack_days(app.clock.now_for_tests())
        .await
        .unwrap();
    if engine == Engine::Postgres {
        assert!(packed_month(&app, &s.org_id, "revenue", "2026-02-01").await);
    }
    stages.push(answers(&app, &s).await);

    // A time-zone change rebuilds the roll-ups: the packed copy is rebuilt with them.
    app.patch(
        "/api/v1/organization",
        &s.access,
        json!({"timezone": "Asia/Kolkata"}),
    )
    .await
    .ok(200);
    if engine == Engine::Postgres {
        let (packed, pending) = packed_and_pending(&app, &s.org_id).await;
        assert_eq!(packed, 0, "packed rows of the old time zone are gone");
        assert!(pending > 0, "every month waits to be packed again");
    }
    stages.push(answers(&app, &s).await);
    app.store
        .pack_days(app.clock.now_for_tests())
        .await
        .unwrap();
    stages.push(answers(&app, &s).await);
    Some(Run {
        app,
        session: s,
        stages,
    })
}

/// Every stage answers the same on PostgreSQL as on SQLite, and packing never changes an
/// answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packed_series_equal_daily_and_sqlite() {
    let lite = scenario(Engine::Sqlite).await.expect("sqlite");
    for s in &lite.stages {
        assert!(
            s.iter()
                .any(|b| b.as_array().unwrap().iter().any(|b| !b["value"].is_null()))
        );
    }
    // Before and after packing, the same answers (SQLite: trivially; checked on PostgreSQL).
    for (a, b) in [(0, 1), (2, 3), (4, 5)] {
        assert_eq!(lite.stages[a], lite.stages[b], "sqlite stages {a} and {b}");
    }
    assert_ne!(
        lite.stages[1], lite.stages[2],
        "the later ingest changed answers"
    );
    let Some(pg) = scenario(Engine::Postgres).await else {
        return;
    };
    for (i, (l, p)) in lite.stages.iter().zip(&pg.stages).enumerate() {
        for (k, (l, p)) in l.iter().zip(p).enumerate() {
            assert_eq!(l, p, "stage {i}, series {k}: SQLite and PostgreSQL differ");
        }
    }
    // Retention drops old raw points only; roll-ups stay, and so do their packed copies, so
    // old periods answer as before.
    let lite_before = answers(&lite.app, &lite.session).await;
    let before = answers(&pg.app, &pg.session).await;
    pg.app.clock.set(at("2029-01-15T12:00:00Z"));
    let removed = bhd_server::upkeep(&pg.app.state).await.unwrap();
    assert!(removed.partitions_dropped > 0, "{removed:?}");
    // The earlier access token has expired by the moved clock.
    let session = pg.app.login(&pg.session.email).await;
    assert_eq!(answers(&pg.app, &session).await, before);
    assert_eq!(before, lite_before);
}

/// Packed and pending rows belong to their organization: gone with it, and invisible to every
/// other tenant (row-level security as on the daily roll-ups).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packed_rows_go_with_their_organization_and_stay_in_it() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    app.clock.set(at("2026-06-15T12:00:00Z"));
    let ann = app.signup("ann@example.com", "Ann Co").await;
    let bob = app.signup("bob@example.com", "Bob Co").await;
    // Organizations keep UTC days: January and February for Ann, February for Bob.
    push(&app, &ann, &points("2026-01-01T00:00:00Z", 59, 0)).await;
    push(&app, &bob, &points("2026-02-01T00:00:00Z", 28, 1)).await;
    // The current month stays pending.
    push(&app, &bob, &points("2026-06-01T00:00:00Z", 10, 2)).await;
    app.store
        .pack_days(app.clock.now_for_tests())
        .await
        .unwrap();
    assert_eq!(packed_and_pending(&app, &ann.org_id).await, (4, 0));
    assert_eq!(packed_and_pending(&app, &bob.org_id).await, (2, 2));

    // As the server's role: nothing without an organization, only Ann's with hers.
    let mut c = superuser(&app).await;
    c.execute("SET ROLE bhd_app").await.unwrap();
    for t in ["metric_days_packed", "metric_pack_pending"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 0, "{t} leaked rows without app.org_id");
    }
    sqlx::query("SELECT set_config('app.org_id', $1, false)")
        .bind(&ann.org_id)
        .execute(&mut c)
        .await
        .unwrap();
    let orgs: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT organization_id::text FROM metric_days_packed \
         UNION SELECT DISTINCT organization_id::text FROM metric_pack_pending",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(orgs, std::slice::from_ref(&ann.org_id));
    let err = sqlx::query(
        "INSERT INTO metric_pack_pending (organization_id, metric_type, month) VALUES ($1::uuid, 'revenue', '2026-01-01')",
    )
    .bind(&bob.org_id)
    .execute(&mut c)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    // Ann cannot make Bob's packed copy stale either: the function runs as its caller.
    sqlx::query("SELECT bhd_days_changed($1::uuid, ARRAY['revenue'], ARRAY['2026-02-01'::date])")
        .bind(&bob.org_id)
        .execute(&mut c)
        .await
        .unwrap_err();
    drop(c);
    assert_eq!(packed_and_pending(&app, &bob.org_id).await, (2, 2));

    // Deleting an organization takes its packed and pending rows with it.
    let mut c = superuser(&app).await;
    sqlx::query("DELETE FROM organizations WHERE id = $1::uuid")
        .bind(&bob.org_id)
        .execute(&mut c)
        .await
        .unwrap();
    assert_eq!(packed_and_pending(&app, &bob.org_id).await, (0, 0));
    assert_eq!(packed_and_pending(&app, &ann.org_id).await, (4, 0));
}

/// Packing while ingest keeps changing the same past months never leaves a stale packed row:
/// after the last packing run, every answer equals the one read from the days alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packing_during_ingest_never_keeps_a_stale_month() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    app.clock.set(at("2026-06-15T12:00:00Z"));
    let s = app.signup("ann@example.com", "Busy Co").await;
    push(&app, &s, &points("2026-01-01T00:00:00Z", 120, 0)).await;
    let org = bhd_domain::OrgId::from_uuid(uuid::Uuid::parse_str(&s.org_id).unwrap());
    let store = app.store.clone();
    let now = app.clock.now_for_tests();
    let packer = tokio::spawn(async move {
        for _ in 0..40 {
            store.pack_days(now).await.unwrap();
        }
    });
    for round in 0..20 {
        push(&app, &s, &points("2026-01-01T00:00:00Z", 120, round + 1)).await;
    }
    packer.await.unwrap();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    // What the days say, read as the superuser straight from metric_daily.
    let mut c = superuser(&app).await;
    let mut all_truth = Vec::new();
    for metric in ["cash_balance", "revenue"] {
        let truth: Vec<(chrono::NaiveDate, i64, i64)> = sqlx::query_as(
            "SELECT day, sum_micros, count FROM metric_daily WHERE organization_id = $1::uuid \
             AND metric_type = $2 AND day >= $3 AND day <= $4 ORDER BY day",
        )
        .bind(&s.org_id)
        .bind(metric)
        .bind(from)
        .bind(to)
        .fetch_all(&mut c)
        .await
        .unwrap();
        // Pending or packed, the store's answer matches; and once everything is packed too.
        for _ in 0..2 {
            let got: Vec<(chrono::NaiveDate, i64, i64)> = app
                .store
                .daily(org, metric, from, to)
                .await
                .unwrap()
                .into_iter()
                .map(|r| {
                    (
                        r.day,
                        i64::try_from(r.partial.sum_micros).unwrap(),
                        r.partial.count as i64,
                    )
                })
                .collect();
            assert_eq!(got, truth, "{metric}");
            app.store.pack_days(now).await.unwrap();
        }
        all_truth.extend(
            truth
                .into_iter()
                .map(|(d, s, n)| (metric.to_owned(), d, s, n)),
        );
    }
    // Several metrics at once (the insights' and alerts' read), by metric then day, from the
    // packed months and from days alone after more ingest made every month stale.
    for _ in 0..2 {
        let got: Vec<(String, chrono::NaiveDate, i64, i64)> = app
            .store
            .daily_of(
                org,
                &["revenue", "cash_balance", "no_such_metric"],
                from,
                to,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                let sum = i64::try_from(r.partial.sum_micros).unwrap();
                (r.metric_type, r.day, sum, r.partial.count as i64)
            })
            .collect();
        assert_eq!(got, all_truth);
        // Each metric from its own first day (the recalculation's read): one starting inside
        // a month, one on a month's first day, one unknown.
        let firsts = [
            ("revenue", from + chrono::Duration::days(47)),
            ("cash_balance", from + chrono::Duration::days(59)),
            ("no_such_metric", from),
        ];
        let inputs = app
            .store
            .score_inputs(org, from, &firsts, to)
            .await
            .unwrap();
        let got: Vec<(String, chrono::NaiveDate, i64, i64)> = inputs
            .daily
            .into_iter()
            .map(|r| {
                let sum = i64::try_from(r.partial.sum_micros).unwrap();
                (r.metric_type, r.day, sum, r.partial.count as i64)
            })
            .collect();
        let want: Vec<_> = all_truth
            .iter()
            .filter(|(m, d, _, _)| firsts.iter().any(|(f, first)| f == m && d >= first))
            .cloned()
            .collect();
        assert!(
            want.iter().any(|r| r.0 == "revenue") && want.iter().any(|r| r.0 == "cash_balance")
        );
        assert_eq!(got, want);
        let (packed, _) = packed_and_pending(&app, &s.org_id).await;
        if packed == 0 {
            break;
        }
        // Re-send the same values: every month is changed (stale), none holds a packed row.
        push(&app, &s, &points("2026-01-01T00:00:00Z", 120, 20)).await;
        assert_eq!(packed_and_pending(&app, &s.org_id).await.0, 0);
    }
    // January to April (UTC), two metrics, all stale again after the last push.
    let (packed, pending) = packed_and_pending(&app, &s.org_id).await;
    assert_eq!((packed, pending), (0, 8));
    app.store.pack_days(now).await.unwrap();
    assert_eq!(packed_and_pending(&app, &s.org_id).await, (8, 0));
}

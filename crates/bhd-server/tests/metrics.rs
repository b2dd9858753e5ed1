//! Metrics through HTTP on both engines: catalogue, exact ingest, idempotency, all-or-nothing
//! batches, bad input, time-zone buckets (DST, half-hour zone), kinds, null buckets,
//! comparisons, summary, tenant isolation and roles.

mod common;

use common::{Engine, Session, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

on_both_engines!(
    catalogue_and_custom_types,
    values_are_exact_and_resending_replaces,
    idempotency_key_replays_and_refuses_other_bodies,
    a_bad_point_rejects_the_whole_batch,
    every_bad_input_class_is_named,
    day_buckets_follow_dst_and_half_hour_zones,
    kinds_aggregate_and_empty_buckets_are_null,
    comparisons_align_months_and_leap_years,
    summary_and_tenant_isolation,
    who_may_ingest,
    time_zone_change_recuts_the_days,
    rollups_stay_exact_across_batches_and_replacements,
    retention_follows_the_plan,
);

async fn org_in(app: &TestApp, email: &str, tz: &str) -> Session {
    let s = app.signup(email, "Metrics Co").await;
    app.patch("/api/v1/organization", &s.access, json!({"timezone": tz}))
        .await
        .ok(200);
    s
}

async fn push(app: &TestApp, s: &Session, points: Value) -> Value {
    app.post(
        "/api/v1/metrics",
        Some(&s.access),
        json!({ "points": points }),
    )
    .await
    .ok(200)
    .clone()
}

async fn series(app: &TestApp, s: &Session, metric: &str, query: &str) -> Value {
    app.get(
        &format!("/api/v1/metrics/{metric}/series?{query}"),
        &s.access,
    )
    .await
    .ok(200)
    .clone()
}

fn values(series: &Value) -> Vec<Option<String>> {
    series["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["value"].as_str().map(str::to_owned))
        .collect()
}

async fn catalogue_and_custom_types(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let cat = app.get("/api/v1/metrics/catalog", &s.access).await;
    let items = cat.ok(200)["items"].as_array().unwrap().clone();
    let revenue = items.iter().find(|m| m["name"] == "revenue").unwrap();
    assert_eq!(
        (
            revenue["unit"].as_str(),
            revenue["kind"].as_str(),
            revenue["category"].as_str()
        ),
        (Some("currency"), Some("flow"), Some("financial"))
    );
    let cash = items.iter().find(|m| m["name"] == "cash_balance").unwrap();
    assert_eq!(cash["kind"], "stock");
    assert!(items.len() >= 43);

    let r = app.post("/api/v1/metrics/catalog", Some(&s.access), json!({"name": "trial_signups", "unit": "count", "category": "growth", "kind": "flow", "good_direction": "up"})).await;
    assert_eq!(r.ok(201)["canonical"], false);
    app.post(
        "/api/v1/metrics/catalog",
        Some(&s.access),
        json!({"name": "trial_signups", "unit": "count", "category": "growth", "kind": "flow"}),
    )
    .await
    .problem(422);
    let clash = app
        .post(
            "/api/v1/metrics/catalog",
            Some(&s.access),
            json!({"name": "revenue", "unit": "currency", "category": "financial", "kind": "flow"}),
        )
        .await;
    assert_eq!(clash.problem(422)["errors"][0]["field"], "name");
    let bad = app
        .post(
            "/api/v1/metrics/catalog",
            Some(&s.access),
            json!({"name": "Bad Name", "unit": "furlongs", "category": "x", "kind": "y"}),
        )
        .await;
    bad.problem(422);
    assert!(bad.fields().len() >= 4, "{:?}", bad.fields());
    // The custom type is accepted by ingest; an unknown one is not.
    push(&app, &s, json!([{"metric_type": "trial_signups", "value": 3, "recorded_at": "2026-01-05T12:00:00Z"}])).await;
    let other = app.signup("bob@example.com", "Other").await;
    let r = app.post("/api/v1/metrics", Some(&other.access), json!({"metric_type": "trial_signups", "value": 3, "recorded_at": "2026-01-05T12:00:00Z"})).await;
    assert_eq!(r.problem(422)["errors"][0]["field"], "metric_type");
}

async fn values_are_exact_and_resending_replaces(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    // 10,000 points of 0.1 (as JSON numbers) on one UTC day sum to exactly 1000.
    let points: Vec<Value> = (0..10_000)
        .map(|i| json!({"metric_type": "revenue", "value": 0.1, "recorded_at": format!("2026-01-05T{:02}:{:02}:{:02}Z", i / 3600, (i / 60) % 60, i % 60)}))
        .collect();
    let r = push(&app, &s, Value::Array(points)).await;
    assert_eq!(
        (r["accepted"].as_u64(), r["updated"].as_u64()),
        (Some(10_000), Some(0))
    );
    let day = series(
        &app,
        &s,
        "revenue",
        "from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z&granularity=day",
    )
    .await;
    assert_eq!(values(&day), [Some("1000".to_owned())]);
    // Decimal strings, exponents and ratios with 6 decimals.
    push(&app, &s, json!([
        {"metric_type": "conversion_rate", "value": "0.034512", "recorded_at": "2026-01-05T00:00:00Z"},
        {"metric_type": "expenses", "value": 1.5e3, "recorded_at": "2026-01-05T00:00:00Z"},
    ])).await;
    let c = series(
        &app,
        &s,
        "conversion_rate",
        "from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z",
    )
    .await;
    assert_eq!(values(&c), [Some("0.034512".to_owned())]);
    let e = series(
        &app,
        &s,
        "expenses",
        "from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z",
    )
    .await;
    assert_eq!(values(&e), [Some("1500".to_owned())]);
    // Same identity again: updated, and the value replaced (not added).
    let again = push(&app, &s, json!([{"metric_type": "expenses", "value": "99.99", "recorded_at": "2026-01-05T00:00:00Z"}])).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(1))
    );
    let e = series(
        &app,
        &s,
        "expenses",
        "from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z",
    )
    .await;
    assert_eq!(values(&e), [Some("99.99".to_owned())]);
    // Another source or dimension is another point.
    let other = push(&app, &s, json!([
        {"metric_type": "expenses", "value": "0.01", "recorded_at": "2026-01-05T00:00:00Z", "source": "csv"},
        {"metric_type": "expenses", "value": "0.01", "recorded_at": "2026-01-05T00:00:00Z", "metadata": {"dimension": "marketing"}},
    ])).await;
    assert_eq!(other["accepted"], 2);
    let e = series(
        &app,
        &s,
        "expenses",
        "from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z",
    )
    .await;
    assert_eq!(values(&e), [Some("100.01".to_owned())]);
    // The same identity twice in one batch: the last value wins, the first counts as written.
    let dup = push(
        &app,
        &s,
        json!([
            {"metric_type": "orders", "value": 1, "recorded_at": "2026-01-07T00:00:00Z"},
            {"metric_type": "orders", "value": 2, "recorded_at": "2026-01-07T00:00:00Z"},
        ]),
    )
    .await;
    assert_eq!(
        (dup["accepted"].as_u64(), dup["updated"].as_u64()),
        (Some(1), Some(1))
    );
    let o = series(
        &app,
        &s,
        "orders",
        "from=2026-01-07T00:00:00Z&to=2026-01-08T00:00:00Z",
    )
    .await;
    assert_eq!(values(&o), [Some("2".to_owned())]);
    // One point without a batch.
    let one = app
        .post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({"metric_type": "revenue", "value": "5", "recorded_at": "2026-01-06T10:00:00Z"}),
        )
        .await;
    assert_eq!(one.ok(200)["accepted"], 1);
}

async fn idempotency_key_replays_and_refuses_other_bodies(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let send = |key: &'static str, value: &'static str| {
        app.http
            .post(format!("{}/api/v1/metrics", app.base))
            .bearer_auth(&s.access)
            .header("idempotency-key", key)
            .json(&json!({"metric_type": "revenue", "value": value, "recorded_at": "2026-02-01T00:00:00Z"}))
            .send()
    };
    let first = TestApp::read(send("k-1", "10").await.unwrap()).await;
    assert_eq!(first.ok(200)["accepted"], 1);
    let replay = TestApp::read(send("k-1", "10").await.unwrap()).await;
    assert_eq!(
        replay.ok(200),
        &first.body,
        "the first answer, not a second write (which would say updated: 1)"
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let other = TestApp::read(send("k-1", "11").await.unwrap()).await;
    assert_eq!(other.problem(422)["errors"][0]["field"], "Idempotency-Key");
    let v = series(
        &app,
        &s,
        "revenue",
        "from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z",
    )
    .await;
    assert_eq!(values(&v), [Some("10".to_owned())]);
    // Keys are per organization.
    let bob = app.signup("bob@example.com", "Bob").await;
    let r = app.http.post(format!("{}/api/v1/metrics", app.base)).bearer_auth(&bob.access).header("idempotency-key", "k-1")
        .json(&json!({"metric_type": "revenue", "value": "10", "recorded_at": "2026-02-01T00:00:00Z"})).send().await.unwrap();
    assert!(
        TestApp::read(r)
            .await
            .header("idempotent-replayed")
            .is_none()
    );
}

async fn a_bad_point_rejects_the_whole_batch(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let r = app
        .post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({"points": [
                {"metric_type": "revenue", "value": "1", "recorded_at": "2026-03-01T00:00:00Z"},
                {"metric_type": "revenue", "value": "oops", "recorded_at": "2026-03-01T01:00:00Z"},
                {"metric_type": "revenue", "value": "2", "recorded_at": "2026-03-01T02:00:00Z"},
                {"metric_type": "nope", "value": "2", "recorded_at": "2026-03-01T03:00:00Z"},
            ]}),
        )
        .await;
    r.problem(422);
    assert_eq!(r.fields(), ["points[1].value", "points[3].metric_type"]);
    let v = series(
        &app,
        &s,
        "revenue",
        "from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z",
    )
    .await;
    assert_eq!(values(&v), [None], "nothing written");
    let too_many: Vec<Value> = (0..10_001).map(|_| json!({"metric_type": "revenue", "value": 1, "recorded_at": "2026-03-01T00:00:00Z"})).collect();
    let r = app
        .post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({"points": too_many}),
        )
        .await;
    assert_eq!(r.problem(422)["errors"][0]["field"], "points");
}

async fn every_bad_input_class_is_named(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let future = (app.clock.now_for_tests() + chrono::Duration::days(3)).to_rfc3339();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"metric_type": "bogus", "value": 1, "recorded_at": "2026-01-01T00:00:00Z"}),
            "metric_type",
            "unknown",
        ),
        (
            json!({"metric_type": "revenue", "value": "abc", "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "",
        ),
        (
            json!({"metric_type": "revenue", "value": true, "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "decimal",
        ),
        (
            json!({"metric_type": "revenue", "value": "NaN", "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "",
        ),
        (
            json!({"metric_type": "revenue", "value": "Infinity", "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "",
        ),
        (
            json!({"metric_type": "revenue", "value": "0.1234567", "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "6 decimal",
        ),
        (
            json!({"metric_type": "revenue", "value": "1e30", "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "too large",
        ),
        (
            json!({"metric_type": "revenue", "value": 1, "recorded_at": "2026-02-30T00:00:00Z"}),
            "recorded_at",
            "RFC 3339",
        ),
        (
            json!({"metric_type": "revenue", "value": 1, "recorded_at": "2026-01-01T00:00:00"}),
            "recorded_at",
            "offset",
        ),
        (
            json!({"metric_type": "revenue", "value": 1, "recorded_at": future}),
            "recorded_at",
            "future",
        ),
        (
            json!({"metric_type": "active_customers", "value": -1, "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "",
        ),
        (
            json!({"metric_type": "active_customers", "value": 1.5, "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "whole",
        ),
        (
            json!({"metric_type": "conversion_rate", "value": 1.5, "recorded_at": "2026-01-01T00:00:00Z"}),
            "value",
            "",
        ),
        (
            json!({"metric_type": "revenue", "value": 1, "recorded_at": "2026-01-01T00:00:00Z", "category": "risk"}),
            "category",
            "financial",
        ),
        (
            json!({"metric_type": "revenue", "value": 1}),
            "recorded_at",
            "required",
        ),
        (
            json!({"metric_type": "revenue", "value": 1, "recorded_at": "2026-01-01T00:00:00Z", "metadata": [1]}),
            "metadata",
            "object",
        ),
    ];
    for (body, field, words) in cases {
        let r = app
            .post("/api/v1/metrics", Some(&s.access), body.clone())
            .await;
        r.problem(422);
        let e = &r.body["errors"][0];
        assert_eq!(e["field"], field, "{body}: {}", r.body);
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{body}: {}",
            r.body
        );
    }
    let raw = app
        .http
        .post(format!("{}/api/v1/metrics", app.base))
        .bearer_auth(&s.access)
        .header("content-type", "application/json")
        .body("{\"metric_type\": ")
        .send()
        .await
        .unwrap();
    TestApp::read(raw).await.problem(400);
    let ct = app
        .http
        .post(format!("{}/api/v1/metrics", app.base))
        .bearer_auth(&s.access)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    TestApp::read(ct).await.problem(415);
    let summary = app.get("/api/v1/metrics/summary", &s.access).await;
    assert_eq!(
        summary.ok(200)["items"],
        json!([]),
        "nothing written by any of them"
    );
}

async fn day_buckets_follow_dst_and_half_hour_zones(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    // New York, spring forward on 2026-03-08: that local day has 23 hours.
    let ny = org_in(&app, "ny@example.com", "America/New_York").await;
    push(
        &app,
        &ny,
        json!([
            {"metric_type": "revenue", "value": 1, "recorded_at": "2026-03-08T00:30:00-05:00"},
            {"metric_type": "revenue", "value": 2, "recorded_at": "2026-03-08T23:30:00-04:00"},
            {"metric_type": "revenue", "value": 4, "recorded_at": "2026-03-09T00:10:00-04:00"},
        ]),
    )
    .await;
    let s = series(
        &app,
        &ny,
        "revenue",
        "from=2026-03-08T05:00:00Z&to=2026-03-10T04:00:00Z&granularity=day",
    )
    .await;
    let b = s["buckets"].as_array().unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["start"], "2026-03-08T00:00:00-05:00");
    assert_eq!(b[0]["end"], "2026-03-09T00:00:00-04:00");
    assert_eq!(values(&s), [Some("3".to_owned()), Some("4".to_owned())]);
    // Fall back on 2026-11-01: 25 hours, and both 01:30s belong to it.
    push(
        &app,
        &ny,
        json!([
            {"metric_type": "revenue", "value": 1, "recorded_at": "2026-11-01T01:30:00-04:00"},
            {"metric_type": "revenue", "value": 1, "recorded_at": "2026-11-01T01:30:00-05:00"},
            {"metric_type": "revenue", "value": 1, "recorded_at": "2026-11-01T23:59:00-05:00"},
        ]),
    )
    .await;
    let s = series(
        &app,
        &ny,
        "revenue",
        "from=2026-11-01T04:00:00Z&to=2026-11-02T05:00:00Z&granularity=day",
    )
    .await;
    assert_eq!(values(&s), [Some("3".to_owned())]);
    // Kolkata is UTC+05:30: 18:29 UTC is still the 5th there, 18:31 the 6th.
    let ind = org_in(&app, "in@example.com", "Asia/Kolkata").await;
    push(
        &app,
        &ind,
        json!([
            {"metric_type": "orders", "value": 1, "recorded_at": "2026-01-05T18:29:00Z"},
            {"metric_type": "orders", "value": 10, "recorded_at": "2026-01-05T18:31:00Z"},
        ]),
    )
    .await;
    let s = series(
        &app,
        &ind,
        "orders",
        "from=2026-01-05T00:00:00%2B05:30&to=2026-01-07T00:00:00%2B05:30&granularity=day",
    )
    .await;
    assert_eq!(s["buckets"][0]["start"], "2026-01-05T00:00:00+05:30");
    assert_eq!(values(&s), [Some("1".to_owned()), Some("10".to_owned())]);
}

async fn kinds_aggregate_and_empty_buckets_are_null(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    push(&app, &s, json!([
        {"metric_type": "revenue", "value": 100, "recorded_at": "2026-01-03T00:00:00Z"},
        {"metric_type": "revenue", "value": 50.25, "recorded_at": "2026-01-20T00:00:00Z"},
        {"metric_type": "cash_balance", "value": 1000, "recorded_at": "2026-01-03T00:00:00Z"},
        {"metric_type": "cash_balance", "value": 800, "recorded_at": "2026-01-20T00:00:00Z"},
        {"metric_type": "conversion_rate", "value": 0.02, "recorded_at": "2026-01-03T00:00:00Z"},
        {"metric_type": "conversion_rate", "value": 0.03, "recorded_at": "2026-01-20T00:00:00Z"},
        {"metric_type": "revenue", "value": 7, "recorded_at": "2026-03-10T00:00:00Z"},
    ])).await;
    let q = "from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&granularity=month";
    assert_eq!(
        values(&series(&app, &s, "revenue", q).await),
        [Some("150.25".into()), None, Some("7".into())]
    );
    assert_eq!(
        values(&series(&app, &s, "cash_balance", q).await),
        [Some("800".into()), None, None]
    );
    assert_eq!(
        values(&series(&app, &s, "conversion_rate", q).await),
        [Some("0.025".into()), None, None]
    );
    let year = series(
        &app,
        &s,
        "revenue",
        "from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&granularity=quarter",
    )
    .await;
    assert_eq!(values(&year), [Some("157.25".into()), None, None, None]);
    let weeks = series(
        &app,
        &s,
        "revenue",
        "from=2026-01-05T00:00:00Z&to=2026-01-19T00:00:00Z&granularity=week",
    )
    .await;
    assert_eq!(
        weeks["buckets"][0]["start"], "2026-01-05T00:00:00Z",
        "ISO weeks start on Monday"
    );
    assert_eq!(values(&weeks), [None, None]);
    // Unknown metric: 404; bad parameters: 422.
    app.get("/api/v1/metrics/nope/series", &s.access)
        .await
        .problem(404);
    let r = app
        .get(
            "/api/v1/metrics/revenue/series?granularity=hour&from=yesterday",
            &s.access,
        )
        .await;
    r.problem(422);
    assert_eq!(r.fields(), ["granularity", "from"]);
    app.get(
        "/api/v1/metrics/revenue/series?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        &s.access,
    )
    .await
    .problem(422);
}

async fn comparisons_align_months_and_leap_years(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    // Points in 2028 must not be "in the future": move the clock first.
    app.clock.advance(chrono::Duration::days(3 * 366));
    let s = app.signup("ann@example.com", "Org").await;
    push(
        &app,
        &s,
        json!([
            {"metric_type": "revenue", "value": 28, "recorded_at": "2027-02-15T00:00:00Z"},
            {"metric_type": "revenue", "value": 29, "recorded_at": "2028-02-29T12:00:00Z"},
            {"metric_type": "revenue", "value": 31, "recorded_at": "2028-03-31T12:00:00Z"},
            {"metric_type": "revenue", "value": 10, "recorded_at": "2028-01-31T12:00:00Z"},
        ]),
    )
    .await;
    let y = series(
        &app,
        &s,
        "revenue",
        "from=2028-02-01T00:00:00Z&to=2028-03-01T00:00:00Z&granularity=month&compare=previous_year",
    )
    .await;
    assert_eq!(values(&y), [Some("29".into())]);
    assert_eq!(y["compare"]["buckets"][0]["start"], "2027-02-01T00:00:00Z");
    assert_eq!(y["compare"]["buckets"][0]["end"], "2027-03-01T00:00:00Z");
    assert_eq!(y["compare"]["buckets"][0]["value"], "28");
    assert_eq!(y["compare"]["changes"][0]["absolute"], "1");
    // Previous period of March (31 days) is February (29 days in 2028), month for month.
    let p = series(&app, &s, "revenue", "from=2028-03-01T00:00:00Z&to=2028-04-01T00:00:00Z&granularity=month&compare=previous_period").await;
    assert_eq!(p["compare"]["buckets"][0]["start"], "2028-02-01T00:00:00Z");
    assert_eq!(p["compare"]["buckets"][0]["value"], "29");
    assert_eq!(p["compare"]["changes"][0]["absolute"], "2");
    // Day granularity: the leap day compares with 2027-02-28.
    let d = series(
        &app,
        &s,
        "revenue",
        "from=2028-02-29T00:00:00Z&to=2028-03-01T00:00:00Z&granularity=day&compare=previous_year",
    )
    .await;
    assert_eq!(d["compare"]["buckets"][0]["start"], "2027-02-28T00:00:00Z");
    // Two months of previous period: January and February before March and April.
    let two = series(&app, &s, "revenue", "from=2028-03-01T00:00:00Z&to=2028-05-01T00:00:00Z&granularity=month&compare=previous_period").await;
    let starts: Vec<&str> = two["compare"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2028-01-01T00:00:00Z", "2028-02-01T00:00:00Z"]);
    assert_eq!(
        two["compare"]["changes"][1]["absolute"],
        Value::Null,
        "April has no data: no change"
    );
}

async fn summary_and_tenant_isolation(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let mut pts = Vec::new();
    for d in 0..60 {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(d);
        let value = if d < 30 { "10" } else { "15" };
        pts.push(json!({"metric_type": "revenue", "value": value, "recorded_at": format!("{day}T12:00:00Z")}));
        pts.push(json!({"metric_type": "cash_balance", "value": 1000 - d, "recorded_at": format!("{day}T23:00:00Z")}));
    }
    push(&app, &s, Value::Array(pts)).await;
    let sum = app.get("/api/v1/metrics/summary", &s.access).await;
    let items = sum.ok(200)["items"].as_array().unwrap().clone();
    let rev = items
        .iter()
        .find(|i| i["metric_type"] == "revenue")
        .unwrap();
    assert_eq!(
        (rev["current"].as_str(), rev["previous"].as_str()),
        (Some("450"), Some("300"))
    );
    assert_eq!(rev["change"]["absolute"], "150");
    assert_eq!(rev["change"]["percent"], "0.5");
    assert_eq!(rev["sparkline"].as_array().unwrap().len(), 30);
    assert_eq!(rev["latest"]["value"], "15");
    let cash = items
        .iter()
        .find(|i| i["metric_type"] == "cash_balance")
        .unwrap();
    assert_eq!(
        (cash["current"].as_str(), cash["previous"].as_str()),
        (Some("941"), Some("971"))
    );

    // Another tenant sees none of it.
    let bob = app.signup("bob@example.com", "Bob").await;
    assert_eq!(
        app.get("/api/v1/metrics/summary", &bob.access)
            .await
            .ok(200)["items"],
        json!([])
    );
    let v = series(
        &app,
        &bob,
        "revenue",
        "from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&granularity=month",
    )
    .await;
    assert_eq!(values(&v), [None, None]);
    let cat = app.get("/api/v1/metrics/catalog", &bob.access).await;
    assert!(
        cat.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["canonical"] == true)
    );
}

async fn who_may_ingest(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let owner = app.signup("owner@example.com", "Org").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;
    let member = app.member(&owner, "member@example.com", "member").await;
    let (_, ingest_key) = app.api_key(&owner, &["ingest"]).await;
    let (_, read_key) = app.api_key(&owner, &["read"]).await;
    let point =
        json!({"metric_type": "revenue", "value": 1, "recorded_at": "2026-01-01T00:00:00Z"});
    app.post("/api/v1/metrics", Some(&viewer.access), point.clone())
        .await
        .problem(403);
    app.post("/api/v1/metrics", Some(&read_key), point.clone())
        .await
        .problem(403);
    app.post("/api/v1/metrics", Some(&member.access), point.clone())
        .await
        .ok(200);
    app.post("/api/v1/metrics", Some(&ingest_key), point.clone())
        .await
        .ok(200);
    app.get("/api/v1/metrics/summary", &read_key).await.ok(200);
    app.get("/api/v1/metrics/summary", &ingest_key)
        .await
        .problem(403);
    app.get("/api/v1/metrics/summary", &viewer.access)
        .await
        .ok(200);
    app.post(
        "/api/v1/metrics/catalog",
        Some(&member.access),
        json!({"name": "x_metric", "unit": "count", "category": "growth", "kind": "flow"}),
    )
    .await
    .problem(403);
    app.call(Method::GET, "/api/v1/metrics/summary", None, None)
        .await
        .problem(401);
}

async fn time_zone_change_recuts_the_days(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    push(
        &app,
        &s,
        json!([
            {"metric_type": "revenue", "value": 1, "recorded_at": "2026-01-05T03:00:00Z"},
            {"metric_type": "revenue", "value": 2, "recorded_at": "2026-01-05T20:00:00Z"},
        ]),
    )
    .await;
    let utc = series(
        &app,
        &s,
        "revenue",
        "from=2026-01-04T00:00:00Z&to=2026-01-06T00:00:00Z",
    )
    .await;
    assert_eq!(values(&utc), [None, Some("3".into())]);
    app.patch(
        "/api/v1/organization",
        &s.access,
        json!({"timezone": "America/Los_Angeles"}),
    )
    .await
    .ok(200);
    // In Los Angeles 03:00Z on the 5th is the evening of the 4th.
    let la = series(
        &app,
        &s,
        "revenue",
        "from=2026-01-04T08:00:00Z&to=2026-01-06T08:00:00Z",
    )
    .await;
    assert_eq!(la["timezone"], "America/Los_Angeles");
    assert_eq!(values(&la), [Some("1".into()), Some("2".into())]);
}

/// Days and months that receive only new points merge them into their roll-ups; those where a
/// value is replaced are recomputed. Whichever path ran, day, month, quarter and year buckets
/// agree, before and after a time-zone change; a rate with parts is recomputed from them.
async fn rollups_stay_exact_across_batches_and_replacements(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org_in(&app, "ann@example.com", "America/New_York").await;
    let first = push(
        &app,
        &s,
        json!([
            {"metric_type": "revenue", "value": 10, "recorded_at": "2026-01-05T15:00:00Z"},
            {"metric_type": "revenue", "value": 20, "recorded_at": "2026-01-05T20:00:00Z"},
            // 22:00 on 31 January in New York.
            {"metric_type": "revenue", "value": 5.5, "recorded_at": "2026-02-01T03:00:00Z"},
            {"metric_type": "cash_balance", "value": 100, "recorded_at": "2026-01-05T15:00:00Z"},
            {"metric_type": "cash_balance", "value": 90, "recorded_at": "2026-01-10T15:00:00Z"},
        ]),
    )
    .await;
    assert_eq!(first, json!({"accepted": 5, "updated": 0}));
    // New points on days that already have some: merged.
    push(
        &app,
        &s,
        json!([
            {"metric_type": "revenue", "value": 1, "recorded_at": "2026-01-05T16:00:00Z"},
            {"metric_type": "cash_balance", "value": 95, "recorded_at": "2026-01-20T15:00:00Z"},
            {"metric_type": "cash_balance", "value": 80, "recorded_at": "2026-01-10T12:00:00Z"},
        ]),
    )
    .await;
    let month = "from=2026-01-01T05:00:00Z&to=2026-02-01T04:00:00Z&granularity=month";
    assert_eq!(
        values(&series(&app, &s, "revenue", month).await),
        [Some("36.5".into())]
    );
    assert_eq!(
        values(&series(&app, &s, "cash_balance", month).await),
        [Some("95".into())]
    );
    // Replacements (one lowering the month's last stock value) and an in-batch duplicate.
    let third = push(
        &app,
        &s,
        json!([
            {"metric_type": "revenue", "value": 2, "recorded_at": "2026-01-05T20:00:00Z"},
            {"metric_type": "cash_balance", "value": 70, "recorded_at": "2026-01-20T15:00:00Z"},
            {"metric_type": "revenue", "value": 3, "recorded_at": "2026-01-06T12:00:00Z"},
            {"metric_type": "revenue", "value": 4, "recorded_at": "2026-01-06T12:00:00Z"},
        ]),
    )
    .await;
    assert_eq!(third, json!({"accepted": 1, "updated": 3}));
    assert_eq!(
        values(&series(&app, &s, "revenue", month).await),
        [Some("22.5".into())]
    );
    assert_eq!(
        values(&series(&app, &s, "cash_balance", month).await),
        [Some("70".into())]
    );
    let days = values(
        &series(
            &app,
            &s,
            "revenue",
            "from=2026-01-01T05:00:00Z&to=2026-02-01T04:00:00Z&granularity=day",
        )
        .await,
    );
    assert_eq!(days.len(), 31);
    assert_eq!(days[4], Some("13".into()), "5 January");
    assert_eq!(days[5], Some("4".into()), "6 January");
    assert_eq!(days[30], Some("5.5".into()), "31 January, local");
    assert_eq!(days.iter().flatten().count(), 3);
    let q1 = "from=2026-01-01T05:00:00Z&to=2026-04-01T04:00:00Z&granularity=quarter";
    assert_eq!(
        values(&series(&app, &s, "revenue", q1).await),
        [Some("22.5".into())]
    );
    let year = "from=2026-01-01T05:00:00Z&to=2027-01-01T04:00:00Z&granularity=year";
    assert_eq!(
        values(&series(&app, &s, "revenue", year).await),
        [Some("22.5".into())]
    );

    // In UTC the 5.5 belongs to February: monthly roll-ups are rebuilt with the daily ones.
    app.patch(
        "/api/v1/organization",
        &s.access,
        json!({"timezone": "UTC"}),
    )
    .await
    .ok(200);
    let utc = "from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&granularity=month";
    assert_eq!(
        values(&series(&app, &s, "revenue", utc).await),
        [Some("17".into()), Some("5.5".into()), None]
    );
    assert_eq!(
        values(&series(&app, &s, "cash_balance", utc).await),
        [Some("70".into()), None, None]
    );

    // Average order value: revenue over orders where both exist, else the mean of its points.
    push(&app, &s, json!([
        {"metric_type": "orders", "value": 2, "recorded_at": "2026-01-05T15:00:00Z"},
        {"metric_type": "orders", "value": 3, "recorded_at": "2026-02-01T03:00:00Z"},
        {"metric_type": "average_order_value", "value": 40, "recorded_at": "2026-01-05T15:00:00Z"},
        {"metric_type": "average_order_value", "value": 99, "recorded_at": "2026-03-03T00:00:00Z"},
    ])).await;
    assert_eq!(
        values(&series(&app, &s, "average_order_value", utc).await),
        [
            Some("8.5".into()),
            Some("1.833333".into()),
            Some("99".into())
        ]
    );
}

/// Raw points older than the plan keeps are removed by upkeep (roll-ups stay, so old periods
/// still answer) and refused at ingest with the reason; a longer plan admits them.
async fn retention_follows_the_plan(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    app.clock.set(at("2024-01-15T12:00:00Z"));
    let s = app.signup("ann@example.com", "Free Co").await;
    push(
        &app,
        &s,
        json!([
            {"metric_type": "revenue", "value": 5, "recorded_at": "2022-06-10T12:00:00Z"},
            {"metric_type": "revenue", "value": 7, "recorded_at": "2024-01-10T12:00:00Z"},
        ]),
    )
    .await;
    app.clock.set(at("2026-11-24T12:00:00Z"));
    let removed = bhd_server::upkeep(&app.state).await.unwrap();
    // PostgreSQL: the only plan in use is free, so 2022-06 goes as a whole partition.
    let expected = match engine {
        Engine::Sqlite => (1, 0),
        Engine::Postgres => (0, 1),
    };
    assert_eq!(
        (removed.points_deleted, removed.partitions_dropped),
        expected,
        "{removed:?}"
    );
    let again = bhd_server::upkeep(&app.state).await.unwrap();
    assert_eq!(again, bhd_store::Retention::default());
    let s = app.login("ann@example.com").await;
    let years = "from=2022-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&granularity=year";
    assert_eq!(
        values(&series(&app, &s, "revenue", years).await),
        [Some("5".into()), None, Some("7".into())]
    );
    let old = json!({"points": [{"metric_type": "revenue", "value": 1, "recorded_at": "2023-10-31T23:00:00Z"}]});
    let r = app
        .post("/api/v1/metrics", Some(&s.access), old.clone())
        .await;
    let p = r.problem(422);
    let msg = p["errors"][0]["message"].as_str().unwrap();
    assert_eq!(p["errors"][0]["field"], "points[0].recorded_at");
    assert!(
        msg.contains("2023-11-01") && msg.contains("free plan"),
        "{msg}"
    );
    let org = bhd_domain::OrgId::from_uuid(uuid::Uuid::parse_str(&s.org_id).unwrap());
    app.store
        .set_plan(org, bhd_domain::Plan::Pro, app.clock.now_for_tests())
        .await
        .unwrap();
    app.post("/api/v1/metrics", Some(&s.access), old)
        .await
        .ok(200);
}

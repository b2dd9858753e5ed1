//! Streamed import (`POST /api/v1/metrics/import`) on both engines: CSV and NDJSON with good
//! and bad lines, column order and optional columns, re-import, content types, header errors,
//! roles, and a 200,000-line import timed.

mod common;

use common::{Engine, Resp, Session, TestApp};
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use std::fmt::Write;

on_both_engines!(
    csv_good_lines_are_written_and_bad_ones_named,
    csv_columns_in_any_order_with_optional_ones,
    csv_header_errors_refuse_the_import,
    ndjson_good_lines_are_written_and_bad_ones_named,
    reimport_counts_updates,
    other_content_types_are_refused,
    who_may_import,
    rejected_list_is_capped,
    two_hundred_thousand_lines,
);

const CSV: &str = "text/csv";
const NDJSON: &str = "application/x-ndjson";

async fn org(app: &TestApp, email: &str) -> Session {
    let s = app.signup(email, "Import Co").await;
    app.patch(
        "/api/v1/organization",
        &s.access,
        json!({"timezone": "UTC"}),
    )
    .await
    .ok(200);
    s
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: impl Into<String>) -> Resp {
    let res = app
        .http
        .post(format!("{}/api/v1/metrics/import", app.base))
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body.into())
        .send()
        .await
        .expect("request");
    TestApp::read(res).await
}

/// (line, error) pairs of a summary.
fn rejected(summary: &Value) -> Vec<(u64, String)> {
    summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn counts(summary: &Value) -> (u64, u64, u64) {
    (
        summary["accepted"].as_u64().unwrap(),
        summary["updated"].as_u64().unwrap(),
        summary["rejected_count"].as_u64().unwrap(),
    )
}

/// Daily values of a metric for local days `from..to` (UTC organization).
async fn days(
    app: &TestApp,
    s: &Session,
    metric: &str,
    from: &str,
    to: &str,
) -> Vec<Option<String>> {
    let r = app
        .get(
            &format!("/api/v1/metrics/{metric}/series?from={from}T00:00:00Z&to={to}T00:00:00Z&granularity=day"),
            &s.access,
        )
        .await;
    r.ok(200)["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["value"].as_str().map(str::to_owned))
        .collect()
}

#[track_caller]
fn assert_rejected(got: &[(u64, String)], want: &[(u64, &str)]) {
    assert_eq!(
        got.len(),
        want.len(),
        "rejected: {got:#?}\nexpected lines {:?}",
        want.iter().map(|w| w.0).collect::<Vec<_>>()
    );
    for ((line, error), (want_line, want_start)) in got.iter().zip(want) {
        assert_eq!(line, want_line, "{got:#?}");
        assert!(
            error.starts_with(want_start),
            "line {line}: {error:?} should start with {want_start:?}"
        );
    }
}

async fn csv_good_lines_are_written_and_bad_ones_named(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    let body = "\
metric_type,value,recorded_at,category
revenue,100.50,2026-01-05T12:00:00Z,financial
nonsense_metric,1,2026-01-05T12:00:00Z,
revenue,abc,2026-01-05T13:00:00Z,
revenue,1.1234567,2026-01-05T14:00:00Z,
revenue,1,2026-02-30T00:00:00Z,
revenue,1,2099-01-01T00:00:00Z,
revenue,1,2026-01-05T15:00:00Z,customer

revenue,\"200\",2026-01-06T09:30:00+02:00,
revenue,\"12,2026-01-05T16:00:00Z,
revenue,5
revenue,,2026-01-05T17:00:00Z,
revenue,0.000001,2026-01-06T23:00:00Z,financial
";
    let r = import(&app, &s.access, CSV, body).await;
    let b = r.ok(200);
    assert_eq!(counts(b), (3, 0, 9), "{b}");
    assert_eq!(b["lines"], 14);
    assert_rejected(
        &rejected(b),
        &[
            (3, "metric_type: unknown metric type nonsense_metric"),
            (4, "value: must be a decimal number"),
            (5, "value: must have at most 6 decimal places"),
            (6, "recorded_at: must be an RFC 3339 timestamp"),
            (7, "recorded_at: is too far in the future"),
            (8, "category: must be financial for revenue"),
            (11, "unbalanced quotes"),
            (12, "has 2 fields but the header has 4"),
            (13, "value: is required"),
        ],
    );
    assert_eq!(
        days(&app, &s, "revenue", "2026-01-05", "2026-01-07").await,
        [Some("100.5".to_owned()), Some("200.000001".to_owned())]
    );
}

async fn csv_columns_in_any_order_with_optional_ones(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    // A byte-order mark, spaces and capitals in the header, CRLF line ends, quoted cells.
    let body = "\u{feff}Recorded_At, dimension ,value,source,metric_type\r\n\
        2026-01-05T00:00:00Z,eu,10,stripe,revenue\r\n\
        2026-01-05T00:00:00Z,us,20,stripe,revenue\r\n\
        2026-01-05T00:00:00Z,,30,stripe,revenue\r\n\
        2026-01-05T00:00:00Z,,40,,revenue\r\n\
        2026-01-05T00:00:00Z,\"north, \"\"big\"\" accounts\",0.5,stripe,revenue\r\n\
        2026-01-05T00:00:00Z,eu,1,Not Valid,revenue\r\n";
    let r = import(&app, &s.access, "text/csv; charset=utf-8", body).await;
    let b = r.ok(200);
    assert_eq!(counts(b), (5, 0, 1), "{b}");
    assert_rejected(&rejected(b), &[(7, "source: must be 1-32 lowercase")]);
    // Five identities (source and dimension differ), summed for the day.
    assert_eq!(
        days(&app, &s, "revenue", "2026-01-05", "2026-01-06").await,
        [Some("100.5".to_owned())]
    );
    // The same identities again through POST /metrics replace rather than add.
    let again = app
        .post(
            "/api/v1/metrics",
            Some(&s.access),
            json!({"points": [
                {"metric_type": "revenue", "value": 11, "recorded_at": "2026-01-05T00:00:00Z", "source": "stripe", "metadata": {"dimension": "eu"}},
                {"metric_type": "revenue", "value": 41, "recorded_at": "2026-01-05T00:00:00Z"},
            ]}),
        )
        .await;
    assert_eq!(again.ok(200)["updated"], 2);
    assert_eq!(
        days(&app, &s, "revenue", "2026-01-05", "2026-01-06").await,
        [Some("102.5".to_owned())]
    );
}

async fn csv_header_errors_refuse_the_import(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    let unknown = import(
        &app,
        &s.access,
        CSV,
        "metric_type,value,recorded_at,colour,size\nrevenue,1,2026-01-05T00:00:00Z,red,xl\n",
    )
    .await;
    unknown.problem(422);
    assert_eq!(unknown.fields(), ["colour", "size"]);
    assert!(
        unknown.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a known column")
    );
    let missing = import(&app, &s.access, CSV, "metric_type,value\nrevenue,1\n").await;
    missing.problem(422);
    assert_eq!(missing.fields(), ["recorded_at"]);
    let twice = import(
        &app,
        &s.access,
        CSV,
        "metric_type,value,recorded_at,value\n",
    )
    .await;
    twice.problem(422);
    assert_eq!(twice.fields(), ["value"]);
    let empty = import(&app, &s.access, CSV, "").await;
    empty.problem(422);
    assert_eq!(empty.fields(), ["metric_type", "value", "recorded_at"]);
    // Nothing was written.
    assert_eq!(
        days(&app, &s, "revenue", "2026-01-05", "2026-01-06").await,
        [None]
    );
    // A header alone is a valid, empty import.
    let header_only = import(&app, &s.access, CSV, "metric_type,value,recorded_at\n").await;
    assert_eq!(counts(header_only.ok(200)), (0, 0, 0));
}

async fn ndjson_good_lines_are_written_and_bad_ones_named(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    let lines = [
        r#"{"metric_type": "revenue", "value": 0.1, "recorded_at": "2026-01-05T01:00:00Z"}"#,
        r#"{"metric_type": "revenue", "value": "0.2", "recorded_at": "2026-01-05T02:00:00Z", "source": "shop", "metadata": {"dimension": "eu", "note": "x"}}"#,
        "",
        r#"{"metric_type": "revenue", "value": "#,
        r#"[1, 2]"#,
        r#"{"metric_type": "revenue", "value": 1.0000001, "recorded_at": "2026-01-05T03:00:00Z"}"#,
        r#"{"metric_type": "mrr", "value": 5, "recorded_at": "2026-01-05T03:00:00Z", "category": "financial"}"#,
        r#"{"metric_type": 7, "value": 5, "recorded_at": "2026-01-05T03:00:00Z"}"#,
        r#"{"value": 5, "recorded_at": "2026-01-05T03:00:00+01:00"}"#,
        "   ",
        r#"{"metric_type": "revenue", "value": 3, "recorded_at": "2026-01-06T00:00:00Z", "metadata": {"dimension": 12}}"#,
        r#"{"metric_type": "revenue", "value": 1e2, "recorded_at": "2026-01-06T00:00:00Z"}"#,
    ];
    let r = import(&app, &s.access, NDJSON, lines.join("\n")).await;
    let b = r.ok(200);
    assert_eq!(counts(b), (3, 0, 7), "{b}");
    assert_rejected(
        &rejected(b),
        &[
            (4, "malformed JSON at column"),
            (5, "must be a JSON object"),
            (6, "value: must have at most 6 decimal places"),
            (7, "category: must be customer for mrr"),
            (8, "must be a point object: invalid type"),
            (9, "metric_type: is required"),
            (11, "metadata.dimension: must be a string"),
        ],
    );
    assert_eq!(
        days(&app, &s, "revenue", "2026-01-05", "2026-01-07").await,
        [Some("0.3".to_owned()), Some("100".to_owned())]
    );
}

async fn reimport_counts_updates(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    let mut body = String::from("metric_type,value,recorded_at\n");
    for h in 0..24 {
        writeln!(body, "orders,{h},2026-01-05T{h:02}:00:00Z").unwrap();
    }
    writeln!(body, "orders,-1,2026-01-05T00:30:00Z").unwrap();
    let first = import(&app, &s.access, CSV, body.clone()).await;
    assert_eq!(counts(first.ok(200)), (24, 0, 1));
    assert_eq!(rejected(&first.body)[0].0, 26);
    let second = import(&app, &s.access, CSV, body.replace(",1,", ",100,")).await;
    assert_eq!(counts(second.ok(200)), (0, 24, 1));
    // 0 + 2 + 3 + … + 23 + 100 (hour 1 replaced, not added).
    assert_eq!(
        days(&app, &s, "orders", "2026-01-05", "2026-01-06").await,
        [Some((276 - 1 + 100).to_string())]
    );
    // The same points as NDJSON are the same identities.
    let nd: Vec<String> = (0..24)
        .map(|h| json!({"metric_type": "orders", "value": 1, "recorded_at": format!("2026-01-05T{h:02}:00:00Z")}).to_string())
        .collect();
    let third = import(&app, &s.access, NDJSON, nd.join("\n")).await;
    assert_eq!(counts(third.ok(200)), (0, 24, 0));
    assert_eq!(
        days(&app, &s, "orders", "2026-01-05", "2026-01-06").await,
        [Some("24".to_owned())]
    );
}

async fn other_content_types_are_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    let csv = "metric_type,value,recorded_at\nrevenue,1,2026-01-05T00:00:00Z\n";
    for ct in [
        "text/plain",
        "application/json",
        "multipart/form-data; boundary=x",
    ] {
        let r = import(&app, &s.access, ct, csv).await;
        r.problem(415);
    }
    let none = app
        .http
        .post(format!("{}/api/v1/metrics/import", app.base))
        .bearer_auth(&s.access)
        .body(csv)
        .send()
        .await
        .unwrap();
    TestApp::read(none).await.problem(415);
    assert_eq!(
        days(&app, &s, "revenue", "2026-01-05", "2026-01-06").await,
        [None]
    );
    // The OpenAPI document describes the route with both body types.
    let doc = app.get("/api/v1/openapi.json", &s.access).await;
    let content = &doc.ok(200)["paths"]["/api/v1/metrics/import"]["post"]["requestBody"]["content"];
    assert!(
        content.get("text/csv").is_some() && content.get("application/x-ndjson").is_some(),
        "{content}"
    );
}

async fn who_may_import(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let owner = org(&app, "owner@example.com").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;
    let member = app.member(&owner, "member@example.com", "member").await;
    let (_, ingest_key) = app.api_key(&owner, &["ingest"]).await;
    let (_, read_key) = app.api_key(&owner, &["read"]).await;
    let line =
        |h: u32| format!("metric_type,value,recorded_at\nrevenue,1,2026-01-05T{h:02}:00:00Z\n");
    import(&app, &viewer.access, CSV, line(0))
        .await
        .problem(403);
    import(&app, &read_key, CSV, line(0)).await.problem(403);
    let anon = app
        .http
        .post(format!("{}/api/v1/metrics/import", app.base))
        .header(CONTENT_TYPE, CSV)
        .body(line(0))
        .send()
        .await
        .unwrap();
    TestApp::read(anon).await.problem(401);
    assert_eq!(
        counts(import(&app, &ingest_key, CSV, line(1)).await.ok(200)),
        (1, 0, 0)
    );
    assert_eq!(
        counts(import(&app, &member.access, CSV, line(2)).await.ok(200)),
        (1, 0, 0)
    );
    assert_eq!(
        counts(import(&app, &owner.access, CSV, line(3)).await.ok(200)),
        (1, 0, 0)
    );
    assert_eq!(
        days(&app, &owner, "revenue", "2026-01-05", "2026-01-06").await,
        [Some("3".to_owned())]
    );
    // Another organization sees none of it.
    let other = org(&app, "other@example.com").await;
    assert_eq!(
        days(&app, &other, "revenue", "2026-01-05", "2026-01-06").await,
        [None]
    );
}

async fn rejected_list_is_capped(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    let mut body = String::from("metric_type,value,recorded_at\n");
    for i in 0..1_500 {
        writeln!(body, "revenue,x{i},2026-01-05T00:00:00Z").unwrap();
    }
    writeln!(body, "revenue,7,2026-01-05T00:00:00Z").unwrap();
    let r = import(&app, &s.access, CSV, body).await;
    let b = r.ok(200);
    assert_eq!(counts(b), (1, 0, 1_500));
    let listed = rejected(b);
    assert_eq!(listed.len(), 1_000);
    assert_eq!((listed[0].0, listed[999].0), (2, 1_001));
}

/// 200,000 lines in one request: completes, every point written, and the time is printed
/// (run with `--nocapture` to see it).
async fn two_hundred_thousand_lines(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = org(&app, "ann@example.com").await;
    const N: u32 = 200_000;
    let mut body = String::with_capacity(N as usize * 48);
    body.push_str("metric_type,value,recorded_at\n");
    let start = chrono::DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").unwrap();
    for i in 0..N {
        let t = start + chrono::Duration::minutes(i64::from(i));
        writeln!(body, "sessions,1,{}", t.format("%Y-%m-%dT%H:%M:%SZ")).unwrap();
    }
    let bytes = body.len();
    let clock = std::time::Instant::now();
    let r = import(&app, &s.access, CSV, body).await;
    let took = clock.elapsed();
    let b = r.ok(200);
    assert_eq!(counts(b), (u64::from(N), 0, 0));
    eprintln!(
        "import of {N} CSV lines ({:.1} MB) over HTTP on {engine:?}: {:.1} s ({:.0} lines/s)",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        f64::from(N) / took.as_secs_f64()
    );
    // A full day has 1,440 minutes.
    assert_eq!(
        days(&app, &s, "sessions", "2025-06-02", "2025-06-03").await,
        [Some("1440".to_owned())]
    );
}

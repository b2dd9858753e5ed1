//! Alerts on both engines: rules (defaults, validation, every kind firing and clearing), one
//! open alert per rule, for-duration and cooldown against a flapping series, the lifecycle over
//! HTTP (409 on illegal changes), notifications (a flaky webhook retried to exactly one
//! delivered record, its signature checked by an independent HMAC, Slack, email through a local
//! SMTP server), channel secrets at rest, the live stream, and tenant isolation.
//!
//! The servers here run no background jobs (`run_jobs = false`): each test evaluates and runs
//! due jobs itself, at the times its manual clock says, so nothing races it.

mod common;

use bhd_domain::OrgId;
use bhd_server::jobs::JobRunner;
use bhd_store::{HealthFigures, NewInsight, StoredHealth};
use chrono::{DateTime, TimeDelta, Utc};
use common::smtp::SmtpSink;
use common::{Engine, Session, TestApp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

on_both_engines!(
    default_rules_are_created_once_and_editable,
    bad_rules_and_channels_are_refused_with_their_fields,
    a_threshold_on_the_latest_value_fires_and_clears,
    window_change_and_percentage_rules_fire_and_clear,
    anomaly_and_score_rules_fire_and_clear,
    factor_rules_fire_and_clear,
    a_nightly_batch_evaluates_on_the_score_it_just_made,
    ingest_scores_and_the_schedule_evaluate_through_the_queue,
    one_open_alert_per_rule_under_repeated_crossings,
    for_duration_and_cooldown_damp_a_flapping_series,
    the_lifecycle_refuses_illegal_transitions,
    a_flaky_webhook_is_delivered_once_and_signed,
    slack_and_email_notifications_arrive,
    channel_secrets_are_encrypted_and_never_answered,
    alert_events_reach_the_stream,
    every_alert_endpoint_is_tenant_isolated,
);

/// No background jobs, and access tokens that outlive the clock's jumps.
async fn spawn(engine: Engine) -> Option<TestApp> {
    TestApp::spawn_with(engine, |c| {
        c.run_jobs = false;
        c.access_token_ttl_secs = 30 * 86_400;
    })
    .await
}

fn org_of(s: &Session) -> OrgId {
    OrgId::from_uuid(uuid::Uuid::parse_str(&s.org_id).unwrap())
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// Pushes one point through the API.
async fn push(app: &TestApp, s: &Session, metric: &str, value: &str, t: DateTime<Utc>) {
    app.post(
        "/api/v1/metrics",
        Some(&s.access),
        json!({"metric_type": metric, "value": value, "recorded_at": at(t)}),
    )
    .await
    .ok(200);
}

/// Evaluates the organization's rules now (what the `alerts.evaluate` job does).
async fn evaluate(app: &TestApp, s: &Session) -> Vec<bhd_store::AlertChange> {
    bhd_server::alerts::evaluate::evaluate(&app.state, org_of(s))
        .await
        .unwrap()
}

async fn create_rule(app: &TestApp, s: &Session, body: Value) -> Value {
    app.post("/api/v1/alert-rules", Some(&s.access), body)
        .await
        .ok(201)
        .clone()
}

async fn alerts(app: &TestApp, s: &Session, status: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/alerts?status={status}"), &s.access)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .clone()
}

/// Removes the default rules so that a test sees only its own.
async fn without_defaults(app: &TestApp, s: &Session) {
    let rules = app.get("/api/v1/alert-rules", &s.access).await;
    for r in rules.ok(200).as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        assert_eq!(
            app.delete(&format!("/api/v1/alert-rules/{id}"), &s.access)
                .await
                .status,
            204
        );
    }
}

async fn default_rules_are_created_once_and_editable(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    let rules = app.get("/api/v1/alert-rules", &s.access).await;
    let rules = rules.ok(200).as_array().unwrap().clone();
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert!(rules.iter().all(|r| r["is_default"] == true));
    let score = rules
        .iter()
        .find(|r| r["target"] == json!({"score": "overall"}))
        .unwrap();
    assert_eq!(score["condition"]["op"], "change_below");
    assert_eq!(score["condition"]["window"], "30d");
    assert!(rules.iter().any(
        |r| r["target"] == json!({"factor": "cash_runway"}) && r["condition"]["op"] == "below"
    ));
    assert!(
        rules
            .iter()
            .any(|r| r["target"] == json!({"factor": "churn_rate"})
                && r["condition"]["op"] == "above")
    );
    // Editable: a PATCH changes only what it names.
    let id = score["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/alert-rules/{id}"),
            &s.access,
            json!({"severity": "critical", "cooldown": "2h"}),
        )
        .await;
    let b = r.ok(200);
    assert_eq!(b["severity"], "critical");
    assert_eq!(b["cooldown"], "2h");
    assert_eq!(b["condition"], score["condition"]);
    // Removable, and not recreated.
    assert_eq!(
        app.delete(&format!("/api/v1/alert-rules/{id}"), &s.access)
            .await
            .status,
        204
    );
    let again = app.get("/api/v1/alert-rules", &s.access).await;
    assert_eq!(again.ok(200).as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&format!("/api/v1/alert-rules/{id}"), &s.access)
            .await
            .status,
        404
    );
}

async fn bad_rules_and_channels_are_refused_with_their_fields(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above"}, "severity": "high"}),
            "condition.value",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "sideways", "value": 1}, "severity": "high"}),
            "condition.op",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue", "score": "overall"}, "condition": {"op": "above", "value": 1}, "severity": "high"}),
            "target",
        ),
        (
            json!({"name": "x", "target": {"score": "happiness"}, "condition": {"op": "above", "value": 1}, "severity": "high"}),
            "target.score",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "change_pct_above", "value": 10}, "severity": "high"}),
            "condition.window",
        ),
        (
            json!({"name": "x", "target": {"score": "overall"}, "condition": {"op": "anomaly"}, "severity": "high"}),
            "condition.op",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": "NaN"}, "severity": "high"}),
            "condition.value",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1, "window": "3 fortnights"}, "severity": "high"}),
            "condition.window",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1}, "severity": "apocalyptic"}),
            "severity",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1}, "severity": "high", "cooldown": "soon"}),
            "cooldown",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1}, "severity": "high", "for_evaluations": 0}),
            "for_evaluations",
        ),
        (
            json!({"name": "", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1}, "severity": "high"}),
            "name",
        ),
        (
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1}, "severity": "high", "channels": [uuid::Uuid::now_v7()]}),
            "channels[0]",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/alert-rules", Some(&s.access), body.clone())
            .await;
        r.problem(422);
        assert!(
            r.fields().iter().any(|f| f == field),
            "{body} should fail on {field}, got {:?}",
            r.fields()
        );
    }
    // Several faults at once are reported together.
    let r = app
        .post(
            "/api/v1/alert-rules",
            Some(&s.access),
            json!({"name": "", "target": {}, "condition": {"op": "above"}, "severity": "x"}),
        )
        .await;
    r.problem(422);
    assert!(r.fields().len() >= 4, "{:?}", r.fields());
    // Malformed JSON is a 400, not a panic.
    let raw = app
        .http
        .post(format!("{}/api/v1/alert-rules", app.base))
        .bearer_auth(&s.access)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);

    let channel_cases: Vec<(Value, &str)> = vec![
        (json!({"kind": "pager", "name": "x", "config": {}}), "kind"),
        (
            json!({"kind": "email", "name": "x", "config": {"to": ["not-an-email"]}}),
            "config.to[0]",
        ),
        (
            json!({"kind": "email", "name": "x", "config": {"to": []}}),
            "config.to",
        ),
        (
            json!({"kind": "slack", "name": "x", "config": {"webhook_url": "ftp://x"}}),
            "config.webhook_url",
        ),
        (
            json!({"kind": "webhook", "name": "x", "config": {"url": "https://example.com", "secret": "short"}}),
            "config.secret",
        ),
        (
            json!({"kind": "webhook", "name": "", "config": {"url": "https://example.com"}}),
            "name",
        ),
    ];
    for (body, field) in channel_cases {
        let r = app
            .post(
                "/api/v1/notification-channels",
                Some(&s.access),
                body.clone(),
            )
            .await;
        r.problem(422);
        assert!(
            r.fields().iter().any(|f| f == field),
            "{body} should fail on {field}, got {:?}",
            r.fields()
        );
    }
    // Nothing partial was written.
    let channels = app.get("/api/v1/notification-channels", &s.access).await;
    assert_eq!(channels.ok(200).as_array().unwrap().len(), 0);
    let rules = app.get("/api/v1/alert-rules", &s.access).await;
    assert_eq!(
        rules.ok(200).as_array().unwrap().len(),
        3,
        "only the defaults"
    );

    // Viewers read but do not manage.
    let viewer = app.member(&s, "viewer@a.test", "viewer").await;
    app.get("/api/v1/alert-rules", &viewer.access).await.ok(200);
    let r = app
        .post(
            "/api/v1/alert-rules",
            Some(&viewer.access),
            json!({"name": "x", "target": {"metric_type": "revenue"}, "condition": {"op": "above", "value": 1}, "severity": "high"}),
        )
        .await;
    r.problem(403);
}

async fn a_threshold_on_the_latest_value_fires_and_clears(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    let rule = create_rule(
        &app,
        &s,
        json!({"name": "Cash low", "target": {"metric_type": "cash_balance"},
               "condition": {"op": "below", "value": "10000.50"}, "severity": "high"}),
    )
    .await;
    let now = app.clock.now_for_tests();
    // No data: nothing fires.
    assert!(evaluate(&app, &s).await.is_empty());
    push(&app, &s, "cash_balance", "25000", now - TimeDelta::days(1)).await;
    assert!(evaluate(&app, &s).await.is_empty());
    push(&app, &s, "cash_balance", "9000.25", now).await;
    let changes = evaluate(&app, &s).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].event, "alert.triggered");
    let active = alerts(&app, &s, "active").await;
    assert_eq!(active.len(), 1);
    let a = &active[0];
    assert_eq!(a["rule_id"], rule["id"]);
    assert_eq!(a["severity"], "high");
    assert_eq!(a["category"], "financial");
    assert_eq!(a["metric_type"], "cash_balance");
    assert_eq!(a["threshold_value"], "10000.5");
    assert_eq!(a["current_value"], "9000.25");
    assert_eq!(a["title"], "Cash low");
    assert!(!a["description"].as_str().unwrap().is_empty());
    // The rule shows its open alert.
    let r = app
        .get(
            &format!("/api/v1/alert-rules/{}", rule["id"].as_str().unwrap()),
            &s.access,
        )
        .await;
    assert_eq!(r.ok(200)["open_alert"]["status"], "active");
    // A good value clears it: resolved by itself, with the value that cleared it.
    push(
        &app,
        &s,
        "cash_balance",
        "12000",
        now + TimeDelta::seconds(1),
    )
    .await;
    let changes = evaluate(&app, &s).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].event, "alert.resolved");
    assert!(alerts(&app, &s, "active").await.is_empty());
    let resolved = alerts(&app, &s, "resolved").await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["resolved_by"], "auto");
    assert_eq!(resolved[0]["current_value"], "12000");
    assert!(resolved[0]["resolved_at"].is_string());
    let counts = app.get("/api/v1/alerts/counts", &s.access).await;
    assert_eq!(
        *counts.ok(200),
        json!({"active": 0, "acknowledged": 0, "resolved": 1})
    );
}

async fn window_change_and_percentage_rules_fire_and_clear(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    let now = app.clock.now_for_tests();
    // Revenue (flow): 7 days of 100 then 7 days of 100; the 7-day total is 700.
    for d in 1..=14 {
        push(&app, &s, "revenue", "100", now - TimeDelta::days(d)).await;
    }
    create_rule(
        &app,
        &s,
        json!({"name": "Weekly revenue under 650", "target": {"metric_type": "revenue"},
        "condition": {"op": "below", "value": 650, "window": "7d"}, "severity": "medium"}),
    )
    .await;
    create_rule(
        &app,
        &s,
        json!({"name": "Revenue down 20 %", "target": {"metric_type": "revenue"},
        "condition": {"op": "change_pct_below", "value": -20, "window": "1w"}, "severity": "high"}),
    )
    .await;
    create_rule(
        &app,
        &s,
        json!({"name": "Revenue down 150", "target": {"metric_type": "revenue"},
        "condition": {"op": "change_below", "value": -150, "window": "7d"}, "severity": "low"}),
    )
    .await;
    create_rule(
        &app,
        &s,
        json!({"name": "Revenue up 50 %", "target": {"metric_type": "revenue"},
        "condition": {"op": "change_pct_above", "value": 50, "window": "7d"}, "severity": "low"}),
    )
    .await;
    create_rule(
        &app,
        &s,
        json!({"name": "Revenue up 300", "target": {"metric_type": "revenue"},
        "condition": {"op": "change_above", "value": 300, "window": "7d"}, "severity": "low"}),
    )
    .await;
    assert!(evaluate(&app, &s).await.is_empty(), "flat revenue: nothing");
    // The latest three days fall to 10: the week is 430 against 700 (−39 %, −270).
    for d in 1..=3 {
        push(&app, &s, "revenue", "10", now - TimeDelta::days(d)).await;
    }
    evaluate(&app, &s).await;
    let mut fired: Vec<String> = alerts(&app, &s, "active")
        .await
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    fired.sort();
    assert_eq!(
        fired,
        [
            "Revenue down 150",
            "Revenue down 20 %",
            "Weekly revenue under 650"
        ]
    );
    // They rise to 250: the week is 1,150 against 700 (+64 %, +450).
    for d in 1..=3 {
        push(&app, &s, "revenue", "250", now - TimeDelta::days(d)).await;
    }
    evaluate(&app, &s).await;
    let mut fired: Vec<String> = alerts(&app, &s, "active")
        .await
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    fired.sort();
    assert_eq!(fired, ["Revenue up 300", "Revenue up 50 %"]);
    assert_eq!(alerts(&app, &s, "resolved").await.len(), 3);
}

fn figures(overall: u8) -> HealthFigures {
    HealthFigures {
        overall: Some(overall),
        financial: Some(overall),
        coverage_bp: 10_000,
        ..HealthFigures::default()
    }
}

async fn save_score(
    app: &TestApp,
    s: &Session,
    overall: u8,
    at: DateTime<Utc>,
    anomaly: Option<&str>,
) {
    let insights: Vec<NewInsight> = anomaly
        .map(|date| NewInsight {
            kind: "anomaly".into(),
            severity: "medium".into(),
            title: "Unusual expenses".into(),
            body: "Expenses were far outside their expected range.".into(),
            evidence: json!({"date": date, "expected_range": {"low": 90, "high": 110}}),
            metrics: vec!["expenses".into()],
            generated_at: at,
        })
        .into_iter()
        .collect();
    app.store
        .save_score(
            org_of(s),
            bhd_store::NewScore {
                health: StoredHealth {
                    figures: figures(overall),
                    model_version: "test".into(),
                    breakdown: json!({}),
                    calculated_at: at,
                },
                insights: &insights,
                event: None,
                follow_up: None,
            },
        )
        .await
        .unwrap();
}

async fn anomaly_and_score_rules_fire_and_clear(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    let now = app.clock.now_for_tests();
    let today = now.date_naive();
    push(&app, &s, "expenses", "5000", now).await;
    // The default rule: overall down more than 10 points in 30 days.
    save_score(&app, &s, 80, now - TimeDelta::days(40), None).await;
    save_score(&app, &s, 78, now - TimeDelta::days(31), None).await;
    create_rule(
        &app,
        &s,
        json!({"name": "Score under 70", "target": {"score": "overall"},
        "condition": {"op": "below", "value": 70}, "severity": "high"}),
    )
    .await;
    create_rule(
        &app,
        &s,
        json!({"name": "Expenses anomaly", "target": {"metric_type": "expenses"},
        "condition": {"op": "anomaly", "window": "7d"}, "severity": "medium"}),
    )
    .await;
    save_score(&app, &s, 75, now - TimeDelta::hours(1), None).await;
    assert!(evaluate(&app, &s).await.is_empty());
    // The score falls to 66 (−12 against 78 thirty days ago) with an anomaly found today.
    save_score(&app, &s, 66, now, Some(&today.to_string())).await;
    evaluate(&app, &s).await;
    let mut fired: Vec<(String, String)> = alerts(&app, &s, "active")
        .await
        .iter()
        .map(|a| {
            (
                a["category"].as_str().unwrap().to_owned(),
                a["current_value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    fired.sort();
    assert_eq!(fired.len(), 3, "{fired:?}");
    assert!(
        fired.contains(&("overall".into(), "66".into())),
        "{fired:?}"
    );
    assert!(
        fired.contains(&("overall".into(), "-12".into())),
        "{fired:?}"
    );
    // Recovered: 79 and no anomaly.
    app.clock.advance(TimeDelta::minutes(5));
    save_score(&app, &s, 79, app.clock.now_for_tests(), None).await;
    evaluate(&app, &s).await;
    assert!(alerts(&app, &s, "active").await.is_empty());
    assert_eq!(alerts(&app, &s, "resolved").await.len(), 3);
}

/// A real score's breakdown (the worked example of docs/scoring.md) with one factor's KPI set.
fn breakdown_with(factor: &str, value: f64) -> Value {
    use bhd_domain::score::{ScoreInput, score};
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let mut input = ScoreInput::new(
        bhd_domain::Industry::Services,
        as_of,
        "2024-07-02T00:00:00Z".parse().unwrap(),
    );
    for (metric, values) in bhd_domain::score::example::WORKED_EXAMPLE {
        for (k, v) in values.iter().enumerate() {
            let month = chrono::NaiveDate::from_ymd_opt(2024, 1 + k as u32, 1).unwrap();
            input.set(metric, month, *v);
        }
    }
    let mut b = serde_json::to_value(score(&input)).unwrap();
    let mut found = false;
    for c in b["categories"].as_array_mut().unwrap() {
        for f in c["factors"].as_array_mut().unwrap() {
            if f["name"] == factor {
                f["value"] = json!(value);
                found = true;
            }
        }
    }
    assert!(found, "the example has the factor {factor}");
    b
}

async fn factor_rules_fire_and_clear(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    let save = |runway: f64, at: DateTime<Utc>| {
        let store = app.store.clone();
        let org = org_of(&s);
        async move {
            store
                .save_score(
                    org,
                    bhd_store::NewScore {
                        health: StoredHealth {
                            figures: figures(70),
                            model_version: "test".into(),
                            breakdown: breakdown_with("cash_runway", runway),
                            calculated_at: at,
                        },
                        insights: &[],
                        event: None,
                        follow_up: None,
                    },
                )
                .await
                .unwrap();
        }
    };
    let now = app.clock.now_for_tests();
    // The default rule: cash runway under 6 months.
    save(9.5, now - TimeDelta::hours(2)).await;
    assert!(evaluate(&app, &s).await.is_empty());
    save(4.25, now - TimeDelta::hours(1)).await;
    let changes = evaluate(&app, &s).await;
    assert_eq!(changes.len(), 1);
    let a = &changes[0].alert;
    assert_eq!(a.severity, "critical");
    assert_eq!(a.category, "financial");
    assert_eq!(a.current_value.as_deref(), Some("4.25"));
    assert_eq!(a.threshold_value.as_deref(), Some("6"));
    assert_eq!(a.target, json!({"factor": "cash_runway"}));
    save(7.0, now).await;
    let changes = evaluate(&app, &s).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].event, "alert.resolved");
    assert_eq!(changes[0].alert.current_value.as_deref(), Some("7"));
}

/// The nightly batch evaluates right after each score with the score in hand (not read back):
/// the default runway rule fires on the very KPI the stored breakdown holds, and an
/// evaluation that reads the score back finds nothing more to do.
async fn a_nightly_batch_evaluates_on_the_score_it_just_made(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    let now = app.clock.now_for_tests();
    // 10,000 in cash and about 5,100 a month going out: two months of runway.
    for d in (1..=150).step_by(10) {
        let t = now - TimeDelta::days(d);
        push(&app, &s, "cash_balance", "10000", t).await;
        push(&app, &s, "operating_cash_flow", "-1700", t).await;
    }
    let org = org_of(&s);
    bhd_server::health::recalculate_then(&app.state, org, bhd_server::health::Evaluation::Inline)
        .await
        .unwrap();
    let latest = app.store.latest_score(org).await.unwrap().unwrap();
    let score: bhd_domain::score::Score = serde_json::from_value(latest.health.breakdown).unwrap();
    let kpi = score
        .categories
        .iter()
        .flat_map(|c| &c.factors)
        .find(|f| f.name == bhd_domain::score::FactorId::CashRunway)
        .and_then(|f| f.value)
        .expect("a runway KPI");
    assert!(kpi < 6.0, "{kpi}");
    let active = alerts(&app, &s, "active").await;
    let runway = active
        .iter()
        .find(|a| a["target"] == json!({"factor": "cash_runway"}))
        .unwrap_or_else(|| panic!("a runway alert: {active:?}"));
    let shown: f64 = runway["current_value"].as_str().unwrap().parse().unwrap();
    assert!((shown - kpi).abs() < 0.01, "{shown} vs {kpi}");
    assert!(evaluate(&app, &s).await.is_empty());
}

async fn ingest_scores_and_the_schedule_evaluate_through_the_queue(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    let rule = create_rule(
        &app,
        &s,
        json!({"name": "Cash under 100 for 10 minutes",
        "target": {"metric_type": "cash_balance"}, "condition": {"op": "below", "value": 100},
        "severity": "high", "for_duration": "10m", "cooldown": "0s"}),
    )
    .await;
    let rule_path = format!("/api/v1/alert-rules/{}", rule["id"].as_str().unwrap());
    let runner = JobRunner::builtin(app.state.clone());
    // An ingest queues an evaluation, debounced by a second.
    push(&app, &s, "cash_balance", "50", app.clock.now_for_tests()).await;
    runner.run_due().await.unwrap();
    assert_eq!(
        app.get(&rule_path, &s.access).await.ok(200)["streak"],
        0,
        "not yet due"
    );
    // Past the debounce: the evaluation runs, and so does the score recalculation the ingest
    // queued, which asks for an evaluation of its own.
    app.clock.advance(TimeDelta::milliseconds(2500));
    runner.run_due().await.unwrap();
    app.clock.advance(TimeDelta::milliseconds(1500));
    runner.run_due().await.unwrap();
    let r = app.get(&rule_path, &s.access).await;
    assert_eq!(
        r.ok(200)["streak"],
        1,
        "evaluated: holds, for-duration not yet over"
    );
    assert!(alerts(&app, &s, "active").await.is_empty());
    let mut filter = bhd_store::JobFilter::of(bhd_store::JobScope::Organization(org_of(&s)));
    filter.kind = Some("alerts.evaluate".into());
    filter.state = Some(bhd_store::JobState::Queued);
    assert!(app.store.list_jobs(&filter).await.unwrap().is_empty());
    // Nothing new arrives and nothing is queued: the 15-minute evaluation of every
    // organization fires it.
    app.clock.advance(TimeDelta::minutes(15));
    runner.run_due().await.unwrap();
    runner.run_due().await.unwrap();
    assert_eq!(alerts(&app, &s, "active").await.len(), 1);
    // A score calculation queues an evaluation too.
    bhd_server::health::recalculate(&app.state, org_of(&s))
        .await
        .unwrap();
    assert_eq!(app.store.list_jobs(&filter).await.unwrap().len(), 1);
}

async fn one_open_alert_per_rule_under_repeated_crossings(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    create_rule(
        &app,
        &s,
        json!({"name": "Customers low", "target": {"metric_type": "active_customers"},
        "condition": {"op": "below", "value": 100}, "severity": "critical", "cooldown": "0s"}),
    )
    .await;
    let start = app.clock.now_for_tests();
    // Bad readings again and again, evaluated each time (and twice at once): one alert.
    for i in 0..5 {
        push(
            &app,
            &s,
            "active_customers",
            "90",
            start + TimeDelta::seconds(i),
        )
        .await;
        let (a, b) = tokio::join!(evaluate(&app, &s), evaluate(&app, &s));
        let triggered = a
            .iter()
            .chain(&b)
            .filter(|c| c.event == "alert.triggered")
            .count();
        assert!(triggered <= 1);
    }
    assert_eq!(alerts(&app, &s, "active").await.len(), 1);
    // Cleared, then crossed again: a second alert, still one open.
    for round in 0..3 {
        let t = start + TimeDelta::minutes(10 * (round + 1));
        app.clock.set(t);
        push(&app, &s, "active_customers", "150", t).await;
        evaluate(&app, &s).await;
        assert!(alerts(&app, &s, "active").await.is_empty());
        push(
            &app,
            &s,
            "active_customers",
            "50",
            t + TimeDelta::seconds(1),
        )
        .await;
        app.clock.set(t + TimeDelta::seconds(1));
        evaluate(&app, &s).await;
        evaluate(&app, &s).await;
        assert_eq!(alerts(&app, &s, "active").await.len(), 1);
    }
    assert_eq!(alerts(&app, &s, "resolved").await.len(), 3);
}

async fn for_duration_and_cooldown_damp_a_flapping_series(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    // Needs two evaluations in a row.
    create_rule(&app, &s, json!({"name": "Headcount over 100", "target": {"metric_type": "headcount"},
        "condition": {"op": "above", "value": 100}, "severity": "low", "for_evaluations": 2, "cooldown": "0s"})).await;
    let start = app.clock.now_for_tests();
    let mut t = start;
    for i in 0..8 {
        t += TimeDelta::minutes(10);
        app.clock.set(t);
        let v = if i % 2 == 0 { "150" } else { "50" };
        push(&app, &s, "headcount", v, t).await;
        evaluate(&app, &s).await;
    }
    assert_eq!(
        app.get("/api/v1/alerts", &s.access)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        0,
        "a flapping series never holds twice in a row"
    );
    // Held twice in a row: fires.
    for _ in 0..2 {
        t += TimeDelta::minutes(10);
        app.clock.set(t);
        push(&app, &s, "headcount", "150", t).await;
        evaluate(&app, &s).await;
    }
    assert_eq!(alerts(&app, &s, "active").await.len(), 1);

    // A cooldown of an hour: after a resolution, flapping every 10 minutes raises at most one
    // alert an hour.
    let rules = app.get("/api/v1/alert-rules", &s.access).await;
    let id = rules.ok(200)[0]["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/alert-rules/{id}"),
        &s.access,
        json!({"for_evaluations": 1, "cooldown": "1h"}),
    )
    .await
    .ok(200);
    let mut triggered_at: Vec<DateTime<Utc>> = Vec::new();
    for i in 0..18 {
        t += TimeDelta::minutes(10);
        app.clock.set(t);
        let v = if i % 2 == 0 { "50" } else { "150" };
        push(&app, &s, "headcount", v, t).await;
        for c in evaluate(&app, &s).await {
            if c.event == "alert.triggered" {
                triggered_at.push(c.alert.triggered_at);
            }
        }
    }
    assert!(!triggered_at.is_empty());
    for w in triggered_at.windows(2) {
        assert!(w[1] - w[0] >= TimeDelta::hours(1), "{triggered_at:?}");
    }
    assert!(triggered_at.len() <= 3, "{triggered_at:?}");
}

async fn the_lifecycle_refuses_illegal_transitions(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    create_rule(
        &app,
        &s,
        json!({"name": "MRR low", "target": {"metric_type": "mrr"},
        "condition": {"op": "below", "value": 1000}, "severity": "medium", "cooldown": "0s"}),
    )
    .await;
    let now = app.clock.now_for_tests();
    push(&app, &s, "mrr", "500", now).await;
    evaluate(&app, &s).await;
    let id = alerts(&app, &s, "active").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let viewer = app.member(&s, "viewer@a.test", "viewer").await;
    app.post(
        &format!("/api/v1/alerts/{id}/acknowledge"),
        Some(&viewer.access),
        json!({}),
    )
    .await
    .problem(403);
    let member = app.member(&s, "member@a.test", "member").await;
    let r = app
        .post(
            &format!("/api/v1/alerts/{id}/acknowledge"),
            Some(&member.access),
            json!({}),
        )
        .await;
    let b = r.ok(200);
    assert_eq!(b["status"], "acknowledged");
    assert_eq!(b["acknowledged_by"], member.user_id);
    let r = app
        .post(
            &format!("/api/v1/alerts/{id}/acknowledge"),
            Some(&member.access),
            json!({}),
        )
        .await;
    assert!(
        r.problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("acknowledged")
    );
    // Acknowledged stays acknowledged while the condition holds.
    push(&app, &s, "mrr", "400", now + TimeDelta::seconds(1)).await;
    evaluate(&app, &s).await;
    assert_eq!(alerts(&app, &s, "acknowledged").await.len(), 1);
    assert!(alerts(&app, &s, "active").await.is_empty());
    // It resolves itself when the condition clears.
    push(&app, &s, "mrr", "4000", now + TimeDelta::seconds(2)).await;
    evaluate(&app, &s).await;
    let resolved = alerts(&app, &s, "resolved").await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["resolved_by"], "auto");
    for action in ["acknowledge", "resolve"] {
        app.post(
            &format!("/api/v1/alerts/{id}/{action}"),
            Some(&member.access),
            json!({}),
        )
        .await
        .problem(409);
    }
    // A person resolves an active alert.
    push(&app, &s, "mrr", "300", now + TimeDelta::seconds(3)).await;
    evaluate(&app, &s).await;
    let id2 = alerts(&app, &s, "active").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &format!("/api/v1/alerts/{id2}/resolve"),
            Some(&member.access),
            json!({}),
        )
        .await;
    assert_eq!(r.ok(200)["resolved_by"], "user");
    app.post(
        &format!("/api/v1/alerts/{}/resolve", uuid::Uuid::now_v7()),
        Some(&member.access),
        json!({}),
    )
    .await
    .problem(404);
    app.post(
        "/api/v1/alerts/not-a-uuid/resolve",
        Some(&member.access),
        json!({}),
    )
    .await
    .problem(404);
    app.get("/api/v1/alerts?status=sleeping", &s.access)
        .await
        .problem(422);
}

/// A webhook receiver that fails twice, then takes the message.
struct Flaky(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Respond for Flaky {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < 2 {
            ResponseTemplate::new(503)
        } else {
            ResponseTemplate::new(200)
        }
    }
}

/// HMAC-SHA256 written out from its definition (RFC 2104), independent of the `hmac` crate the
/// server signs with.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

async fn a_flaky_webhook_is_delivered_once_and_signed(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let server = MockServer::start().await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(Flaky(calls.clone()))
        .mount(&server)
        .await;
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    let secret = "whsec_0123456789abcdef0123456789";
    let ch = app
        .post(
            "/api/v1/notification-channels",
            Some(&s.access),
            json!({"kind": "webhook", "name": "Ops hook", "config": {"url": format!("{}/hook", server.uri()), "secret": secret}}),
        )
        .await;
    let ch = ch.ok(201).clone();
    assert!(
        ch.get("secret").is_none(),
        "a given secret is never answered"
    );
    create_rule(
        &app,
        &s,
        json!({"name": "Orders stalled", "target": {"metric_type": "orders"},
        "condition": {"op": "below", "value": 1}, "severity": "high", "channels": [ch["id"]]}),
    )
    .await;
    push(&app, &s, "orders", "0", app.clock.now_for_tests()).await;
    evaluate(&app, &s).await;
    let alert = alerts(&app, &s, "active").await[0].clone();
    let id = alert["id"].as_str().unwrap();
    let runner = JobRunner::builtin(app.state.clone());
    // Attempt 1 fails (503); the retry waits 2 s, then 4 s.
    runner.run_due().await.unwrap();
    let log = app
        .get(&format!("/api/v1/alerts/{id}/deliveries"), &s.access)
        .await;
    let d = log.ok(200)[0].clone();
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["response_status"], 503);
    assert_eq!(d["event"], "alert.triggered");
    assert_eq!(d["channel_name"], "Ops hook");
    app.clock.advance(TimeDelta::seconds(1));
    runner.run_due().await.unwrap();
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "backing off"
    );
    app.clock.advance(TimeDelta::seconds(2));
    runner.run_due().await.unwrap();
    app.clock.advance(TimeDelta::seconds(5));
    runner.run_due().await.unwrap();
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    app.clock.advance(TimeDelta::seconds(60));
    runner.run_due().await.unwrap();
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "no more sends"
    );
    let log = app
        .get(&format!("/api/v1/alerts/{id}/deliveries"), &s.access)
        .await;
    let log = log.ok(200).as_array().unwrap().clone();
    assert_eq!(log.len(), 1, "one delivery record");
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
    assert!(log[0]["delivered_at"].is_string());

    // Every request carried a signature that an independent HMAC verifies.
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for req in &received {
        let header = req.headers.get("bhd-signature").unwrap().to_str().unwrap();
        let (t, v1) = header.split_once(',').unwrap();
        let t = t.strip_prefix("t=").unwrap();
        let v1 = v1.strip_prefix("v1=").unwrap();
        let mut signed = format!("{t}.").into_bytes();
        signed.extend_from_slice(&req.body);
        assert_eq!(v1, hex::encode(hmac_sha256(secret.as_bytes(), &signed)));
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["type"], "alert.triggered");
        assert_eq!(body["id"], alert["id"]);
        assert_eq!(body["data"]["alert_id"], alert["id"]);
        assert_eq!(body["data"]["severity"], "high");
    }
    // A wrong secret does not verify.
    let req = &received[0];
    let header = req.headers.get("bhd-signature").unwrap().to_str().unwrap();
    let t = header
        .split(',')
        .next()
        .unwrap()
        .strip_prefix("t=")
        .unwrap();
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&req.body);
    assert!(!header.ends_with(&hex::encode(hmac_sha256(b"another secret", &signed))));

    // When it clears, the resolution is delivered too.
    push(&app, &s, "orders", "40", app.clock.now_for_tests()).await;
    evaluate(&app, &s).await;
    runner.run_due().await.unwrap();
    let log = app
        .get(&format!("/api/v1/alerts/{id}/deliveries"), &s.access)
        .await;
    let log = log.ok(200).as_array().unwrap().clone();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1]["event"], "alert.resolved");
    assert_eq!(log[1]["status"], "delivered");
}

async fn slack_and_email_notifications_arrive(engine: Engine) {
    let smtp = SmtpSink::start().await;
    let smtp_url = format!("smtp://{}", smtp.addr);
    let Some(app) = TestApp::spawn_with(engine, |c| {
        c.run_jobs = false;
        c.access_token_ttl_secs = 30 * 86_400;
        c.smtp_url = Some(bhd_server::config::Secret::new(smtp_url));
        c.smtp_from = Some("alerts@bhd.test".into());
        c.public_url = Some("https://bhd.example".into());
    })
    .await
    else {
        return;
    };
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/XYZ"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    let email = app
        .post(
            "/api/v1/notification-channels",
            Some(&s.access),
            json!({"kind": "email", "name": "Founders", "config": {"to": ["ceo@a.test", "cfo@a.test"]}}),
        )
        .await;
    let email = email.ok(201).clone();
    let sl = app
        .post(
            "/api/v1/notification-channels",
            Some(&s.access),
            json!({"kind": "slack", "name": "#alerts", "config": {"webhook_url": format!("{}/services/T0/B0/XYZ", slack.uri())}}),
        )
        .await;
    let sl = sl.ok(201).clone();
    create_rule(&app, &s, json!({"name": "Churn spike", "target": {"metric_type": "churned_customers"},
        "condition": {"op": "above", "value": 5}, "severity": "critical", "channels": [email["id"], sl["id"]]})).await;
    push(
        &app,
        &s,
        "churned_customers",
        "9",
        app.clock.now_for_tests(),
    )
    .await;
    evaluate(&app, &s).await;
    JobRunner::builtin(app.state.clone())
        .run_due()
        .await
        .unwrap();

    let mails = smtp.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].from, "alerts@bhd.test");
    assert_eq!(mails[0].to, ["ceo@a.test", "cfo@a.test"]);
    assert!(mails[0].data.contains("Churn spike"), "{}", mails[0].data);
    assert!(mails[0].data.contains("CRITICAL"), "{}", mails[0].data);
    assert!(mails[0].data.contains("https://bhd.example/alerts/"));

    let posted = slack.received_requests().await.unwrap();
    assert_eq!(posted.len(), 1);
    let body: Value = serde_json::from_slice(&posted[0].body).unwrap();
    let text = body.to_string();
    assert!(body["text"].as_str().unwrap().contains("Churn spike"));
    assert!(text.contains("CRITICAL"), "{text}");
    assert!(text.contains('9') && text.contains('5'), "values: {text}");
    assert!(text.contains("https://bhd.example/alerts/"), "{text}");

    let id = alerts(&app, &s, "active").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let log = app
        .get(&format!("/api/v1/alerts/{id}/deliveries"), &s.access)
        .await;
    let log = log.ok(200).as_array().unwrap().clone();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");

    // The test button: the channel works, and a broken one says why.
    let r = app
        .post(
            &format!(
                "/api/v1/notification-channels/{}/test",
                sl["id"].as_str().unwrap()
            ),
            Some(&s.access),
            json!({}),
        )
        .await;
    assert_eq!(r.ok(200)["ok"], true);
    let broken = app
        .post(
            "/api/v1/notification-channels",
            Some(&s.access),
            json!({"kind": "slack", "name": "old", "config": {"webhook_url": format!("{}/services/gone", slack.uri())}}),
        )
        .await;
    let broken = broken.ok(201)["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/notification-channels/{broken}/test"),
            Some(&s.access),
            json!({}),
        )
        .await;
    let b = r.ok(200);
    assert_eq!(b["ok"], false);
    assert!(b["detail"].as_str().unwrap().contains("404"), "{b}");
}

async fn channel_secrets_are_encrypted_and_never_answered(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    let url = "https://hooks.slack.com/services/T000/B000/SuperSecretToken42";
    let r = app
        .post(
            "/api/v1/notification-channels",
            Some(&s.access),
            json!({"kind": "slack", "name": "#ops", "config": {"webhook_url": url}}),
        )
        .await;
    let created = r.ok(201).clone();
    assert!(!created.to_string().contains("SuperSecretToken42"));
    assert!(created["secret_hint"].as_str().unwrap().ends_with("en42"));
    let listed = app.get("/api/v1/notification-channels", &s.access).await;
    assert!(!listed.ok(200).to_string().contains("SuperSecretToken"));
    // At rest: ciphertext, not the URL.
    let rows = app.store.notification_channels(org_of(&s)).await.unwrap();
    let blob = rows[0].secret.clone().unwrap();
    assert!(!String::from_utf8_lossy(&blob).contains("SuperSecret"));
    assert!(!rows[0].config.to_string().contains("SuperSecret"));
    // A webhook without a secret gets one, shown once.
    let r = app
        .post(
            "/api/v1/notification-channels",
            Some(&s.access),
            json!({"kind": "webhook", "name": "Zapier", "config": {"url": "https://example.com/hook"}}),
        )
        .await;
    let b = r.ok(201).clone();
    let secret = b["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    let listed = app.get("/api/v1/notification-channels", &s.access).await;
    assert!(!listed.ok(200).to_string().contains(&secret));
    // Renamed and its secret rotated through PATCH: never answered, the hint follows.
    let id = b["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/notification-channels/{id}"),
            &s.access,
            json!({"name": "Zapier (new)", "config": {"url": "https://example.com/hook2", "secret": "rotated-secret-0123456789-abcd"}}),
        )
        .await;
    let p = r.ok(200).clone();
    assert_eq!(p["name"], "Zapier (new)");
    assert_eq!(p["config"], json!({"url": "https://example.com/hook2"}));
    assert_eq!(p["secret_hint"], "…abcd");
    assert!(p.get("secret").is_none());
    // Leaving the secret out keeps it.
    let r = app
        .patch(
            &format!("/api/v1/notification-channels/{id}"),
            &s.access,
            json!({"name": "Zapier"}),
        )
        .await;
    assert_eq!(r.ok(200)["secret_hint"], "…abcd");
    let r = app
        .patch(
            &format!("/api/v1/notification-channels/{id}"),
            &s.access,
            json!({"config": {"url": "gopher://x"}}),
        )
        .await;
    r.problem(422);
    assert_eq!(r.fields(), ["config.url"]);
    // Deleting works once.
    let id = b["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/notification-channels/{id}"), &s.access)
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&format!("/api/v1/notification-channels/{id}"), &s.access)
            .await
            .status,
        404
    );
}

async fn alert_events_reach_the_stream(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let s = app.signup("owner@a.test", "Acme").await;
    without_defaults(&app, &s).await;
    create_rule(
        &app,
        &s,
        json!({"name": "Leads dried up", "target": {"metric_type": "leads"},
        "condition": {"op": "below", "value": 1}, "severity": "medium", "cooldown": "0s"}),
    )
    .await;
    let ticket = app
        .post("/api/v1/stream/ticket", Some(&s.access), json!({}))
        .await;
    let ticket = ticket.ok(200)["ticket"].as_str().unwrap().to_owned();
    let mut res = app
        .http
        .get(format!("{}/api/v1/stream?ticket={ticket}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let now = app.clock.now_for_tests();
    push(&app, &s, "leads", "0", now).await;
    evaluate(&app, &s).await;
    let id = alerts(&app, &s, "active").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/alerts/{id}/acknowledge"),
        Some(&s.access),
        json!({}),
    )
    .await
    .ok(200);
    push(&app, &s, "leads", "12", now + TimeDelta::seconds(1)).await;
    evaluate(&app, &s).await;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !text.contains("event: alert.resolved") {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let t = text.find("event: alert.triggered").expect("triggered");
    let a = text
        .find("event: alert.acknowledged")
        .expect("acknowledged");
    let r = text.find("event: alert.resolved").unwrap();
    assert!(t < a && a < r, "{text}");
    assert!(text.contains(&id));
}

async fn every_alert_endpoint_is_tenant_isolated(engine: Engine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let a = app.signup("owner@a.test", "Acme").await;
    let b = app.signup("owner@b.test", "Bravo").await;
    without_defaults(&app, &a).await;
    let ch = app
        .post(
            "/api/v1/notification-channels",
            Some(&a.access),
            json!({"kind": "webhook", "name": "A hook", "config": {"url": "https://example.com/a", "secret": "0123456789abcdef0123"}}),
        )
        .await;
    let ch = ch.ok(201)["id"].as_str().unwrap().to_owned();
    let rule = create_rule(
        &app,
        &a,
        json!({"name": "A rule", "target": {"metric_type": "orders"},
        "condition": {"op": "below", "value": 1}, "severity": "low"}),
    )
    .await;
    let rule = rule["id"].as_str().unwrap().to_owned();
    push(&app, &a, "orders", "0", app.clock.now_for_tests()).await;
    evaluate(&app, &a).await;
    let alert = alerts(&app, &a, "active").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // B sees none of it and can touch none of it.
    assert!(
        !app.get("/api/v1/alert-rules", &b.access)
            .await
            .ok(200)
            .to_string()
            .contains(&rule)
    );
    assert_eq!(
        app.get("/api/v1/alerts", &b.access)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/notification-channels", &b.access)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        *app.get("/api/v1/alerts/counts", &b.access).await.ok(200),
        json!({"active": 0, "acknowledged": 0, "resolved": 0})
    );
    app.get(&format!("/api/v1/alert-rules/{rule}"), &b.access)
        .await
        .problem(404);
    app.patch(
        &format!("/api/v1/alert-rules/{rule}"),
        &b.access,
        json!({"severity": "high"}),
    )
    .await
    .problem(404);
    app.delete(&format!("/api/v1/alert-rules/{rule}"), &b.access)
        .await
        .problem(404);
    app.get(&format!("/api/v1/alerts/{alert}"), &b.access)
        .await
        .problem(404);
    app.get(&format!("/api/v1/alerts/{alert}/deliveries"), &b.access)
        .await
        .problem(404);
    app.post(
        &format!("/api/v1/alerts/{alert}/acknowledge"),
        Some(&b.access),
        json!({}),
    )
    .await
    .problem(404);
    app.post(
        &format!("/api/v1/alerts/{alert}/resolve"),
        Some(&b.access),
        json!({}),
    )
    .await
    .problem(404);
    app.post(
        &format!("/api/v1/notification-channels/{ch}/test"),
        Some(&b.access),
        json!({}),
    )
    .await
    .problem(404);
    app.patch(
        &format!("/api/v1/notification-channels/{ch}"),
        &b.access,
        json!({"name": "mine now"}),
    )
    .await
    .problem(404);
    app.delete(&format!("/api/v1/notification-channels/{ch}"), &b.access)
        .await
        .problem(404);
    // Nor can B's rule notify A's channel.
    let r = app
        .post(
            "/api/v1/alert-rules",
            Some(&b.access),
            json!({"name": "x", "target": {"metric_type": "orders"}, "condition": {"op": "below", "value": 1}, "severity": "low", "channels": [ch]}),
        )
        .await;
    r.problem(422);
    // A's things are intact.
    assert_eq!(alerts(&app, &a, "active").await.len(), 1);
    app.get(&format!("/api/v1/alert-rules/{rule}"), &a.access)
        .await
        .ok(200);
    // Unauthenticated: 401.
    assert_eq!(app.get("/api/v1/alerts", "").await.status, 401);
}

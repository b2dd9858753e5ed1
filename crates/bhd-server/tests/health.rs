//! Health scores through HTTP on both engines: the demo company scored from its roll-ups
//! exactly as the domain scores its raw points, an empty organization, the worked example of
//! docs/scoring.md end to end, history and drivers, insights, weights, tenant isolation
//! (row-level security included) and roles.

mod common;

use bhd_domain::demo::{Profile, simulate};
use bhd_domain::period::{local_date, local_midnight};
use bhd_domain::score::{InputBuilder, Score, score};
use bhd_domain::{Amount, Industry};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::{Engine, Session, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

on_both_engines!(
    demo_company_scores_as_the_domain_computes,
    empty_organization_has_a_null_overall_and_hints,
    worked_example_end_to_end_with_history_and_drivers,
    recalculate_endpoint_adds_to_the_history,
    weights_are_validated_and_apply,
    tenants_never_see_each_others_scores,
    who_may_read_recalculate_and_weigh,
);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn org_id(s: &Session) -> bhd_domain::OrgId {
    bhd_domain::OrgId::from_uuid(s.org_id.parse().unwrap())
}

async fn history(app: &TestApp, s: &Session) -> Vec<Value> {
    app.get(
        "/api/v1/health/history?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
        &s.access,
    )
    .await
    .ok(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn demo_company_scores_as_the_domain_computes(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let now = app.clock.now_for_tests().trunc_subsecs(6);
    app.clock.set(now);
    let years = 2;
    bhd_server::demo::load(
        app.store.as_ref(),
        Profile::Saas,
        years,
        bhd_domain::Email::parse("demo@example.com").unwrap(),
        bhd_domain::Password::parse("demo-password-123").unwrap(),
        now,
        |_, _| {},
    )
    .await
    .unwrap();
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "demo@example.com", "password": "demo-password-123"}),
        )
        .await;
    let token = r.ok(200)["access_token"].as_str().unwrap().to_owned();

    // No score yet: the first read computes and stores one.
    let got = app
        .get("/api/v1/health/score", &token)
        .await
        .ok(200)
        .clone();
    let overall = f(&got["overall"]);
    assert!((0.0..=100.0).contains(&overall), "{overall}");
    let cats = got["categories"].as_array().unwrap();
    let names: Vec<&str> = cats.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["financial", "customer", "operational", "growth", "risk"]
    );
    for c in cats {
        let s = f(&c["score"]);
        assert!((0.0..=100.0).contains(&s), "{c}");
    }
    assert!(f(&got["coverage"]) > 0.5, "{}", got["coverage"]);
    assert_eq!(got["model_version"], bhd_domain::score::MODEL_VERSION);
    assert_eq!(got["stored"]["overall"], overall.round() as u64);
    assert_eq!(at(got["calculated_at"].as_str().unwrap()), now);
    let first_id = got["id"].clone();
    // Forecasts from the daily series come with the score's own insights, with evidence.
    let insights = app.get("/api/v1/insights", &token).await.ok(200).clone();
    let forecast = insights
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "forecast" && i["metrics"] == json!(["revenue"]))
        .unwrap_or_else(|| panic!("no revenue forecast in {insights}"));
    assert!(
        forecast["evidence"].is_object() && forecast["title"].is_string(),
        "{forecast}"
    );
    assert!(
        insights
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "runway"),
        "no runway insight in {insights}"
    );
    // Reading again serves the stored calculation, not a new one.
    let again = app
        .get("/api/v1/health/score", &token)
        .await
        .ok(200)
        .clone();
    assert_eq!(again["id"], first_id);
    assert_eq!(again["overall"], got["overall"]);

    // The same score the domain gives from the raw simulated points.
    let tz = chrono_tz::America::New_York;
    let days = years * 365 + years / 4;
    let start = local_date(now, tz) - Duration::days(i64::from(days));
    let mut b = InputBuilder::new(Industry::Saas, tz, now);
    for p in simulate(Profile::Saas, start, days, bhd_server::demo::SEED) {
        let recorded = local_midnight(p.date, tz) + Duration::hours(12);
        assert!(b.push(p.metric, recorded, Amount::from_micros(p.value_micros)));
    }
    let expected: Score = score(&b.build());
    let served: Score = serde_json::from_value(got.clone()).unwrap();
    assert!(
        (expected.overall.unwrap() - served.overall.unwrap()).abs() < 1e-9,
        "{:?} vs {:?}",
        expected.overall,
        served.overall
    );
    assert_eq!(expected.as_of, served.as_of);
    for (e, s) in expected.factors().zip(served.factors()) {
        assert_eq!(e.name, s.name);
        match (e.score, s.score) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{}: {a} vs {b}", e.name),
            (a, b) => assert_eq!(a, b, "{}", e.name),
        }
        match (e.confidence, s.confidence) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{}: {a} vs {b}", e.name),
            (a, b) => assert_eq!(a, b, "{}", e.name),
        }
    }
    let h = history(&app, &session_of(&token)).await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["id"], first_id);
    assert_eq!(h[0]["overall"], overall.round() as u64);
}

/// Only the access token matters for these calls.
fn session_of(token: &str) -> Session {
    Session {
        access: token.to_owned(),
        refresh: String::new(),
        user_id: String::new(),
        org_id: String::new(),
        email: String::new(),
    }
}

async fn empty_organization_has_a_null_overall_and_hints(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Empty Co").await;
    assert!(history(&app, &s).await.is_empty());
    assert_eq!(
        app.get("/api/v1/insights", &s.access).await.ok(200),
        &json!([])
    );
    let got = app
        .get("/api/v1/health/score", &s.access)
        .await
        .ok(200)
        .clone();
    assert_eq!(got["overall"], Value::Null);
    assert_eq!(got["stored"]["overall"], Value::Null);
    assert_eq!(f(&got["coverage"]), 0.0);
    assert!(
        got["reason"].as_str().unwrap().contains("revenue"),
        "{}",
        got["reason"]
    );
    let cats = got["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 5);
    for c in cats {
        assert_eq!(c["score"], Value::Null, "{c}");
        assert!(c["hint"].as_str().unwrap().starts_with("Send or backfill"));
        assert!(!c["needs"].as_array().unwrap().is_empty());
    }
    let h = history(&app, &s).await;
    assert_eq!(h.len(), 1);
    for k in [
        "overall",
        "financial",
        "customer",
        "operational",
        "growth",
        "risk",
        "confidence",
    ] {
        assert_eq!(h[0][k], Value::Null, "{k}");
    }
    assert_eq!(f(&h[0]["coverage"]), 0.0);
    // Nothing to explain or recommend without data.
    assert_eq!(
        app.get("/api/v1/insights", &s.access).await.ok(200),
        &json!([])
    );
    // The routes are in the OpenAPI document, with their methods.
    let paths = app
        .assert_documented(
            &s.access,
            &[
                ("/api/v1/health/score", "get"),
                ("/api/v1/health/history", "get"),
                ("/api/v1/health/recalculate", "post"),
                ("/api/v1/health/weights", "get"),
                ("/api/v1/health/weights", "put"),
                ("/api/v1/insights", "get"),
            ],
        )
        .await;
    assert!(
        paths["/api/v1/health/score"]["get"]["responses"]["200"]["content"]["application/json"]
            .is_object()
    );
}

/// Writes points straight through the store, as the demo loader does (an HTTP ingest would
/// also enqueue a background recalculation, whose extra history rows these tests must not see).
async fn write(app: &TestApp, s: &Session, points: &[(&str, &str, f64)]) {
    let points: Vec<bhd_store::NewPoint> = points
        .iter()
        .map(|(metric, recorded, value)| bhd_store::NewPoint {
            metric_type: (*metric).to_owned(),
            category: bhd_domain::metrics::canonical_def(metric).unwrap().category,
            source: "test".into(),
            dimension: String::new(),
            recorded_at: at(recorded),
            value: Amount::parse(&value.to_string()).unwrap(),
            metadata: json!({}),
        })
        .collect();
    app.store
        .ingest(
            org_id(s),
            chrono_tz::UTC,
            &points,
            app.clock.now_for_tests(),
        )
        .await
        .unwrap();
}

/// A services firm (UTC) with the worked example's books, one point a month, scored on
/// 3 July 2024. Answers the owner's session.
async fn worked_example_org(app: &TestApp, email: &str) -> Session {
    app.clock.set(at("2024-07-03T09:00:00Z"));
    let s = app.signup(email, "Worked Example Co").await;
    app.patch(
        "/api/v1/organization",
        &s.access,
        json!({"industry": "services"}),
    )
    .await
    .ok(200);
    let mut points = Vec::new();
    let times: Vec<String> = (1..=6)
        .map(|m| format!("2024-{m:02}-15T12:00:00Z"))
        .collect();
    for (metric, values) in bhd_domain::score::example::WORKED_EXAMPLE {
        for (k, v) in values.iter().enumerate() {
            points.push((metric, times[k].as_str(), *v));
        }
    }
    write(app, &s, &points).await;
    s
}

async fn worked_example_end_to_end_with_history_and_drivers(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = worked_example_org(&app, "ann@example.com").await;
    let first = bhd_server::health::recalculate(&app.state, org_id(&s))
        .await
        .unwrap();
    // docs/scoring.md: overall 75.4519, stored 75 / 89 / 83 / 61 / 69 / 64, coverage 0.775.
    assert!(
        (first.overall.unwrap() - 75.4519).abs() < 5e-5,
        "{:?}",
        first.overall
    );
    assert!((first.coverage - 0.775).abs() < 1e-9);
    assert!(first.drivers.is_empty(), "nothing to compare with yet");
    let got = app
        .get("/api/v1/health/score", &s.access)
        .await
        .ok(200)
        .clone();
    let stored: Vec<Value> = [
        "overall",
        "financial",
        "customer",
        "operational",
        "growth",
        "risk",
    ]
    .iter()
    .map(|k| got["stored"][k].clone())
    .collect();
    assert_eq!(stored, [75, 89, 83, 61, 69, 64].map(|n| json!(n)));
    assert_eq!(got["drivers"], json!([]));
    // Recommendations as in the doc: revenue per employee, then revenue growth.
    let recs: Vec<&str> = got["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["factor"].as_str().unwrap())
        .collect();
    assert_eq!(recs, ["revenue_per_employee", "revenue_growth"]);
    let insights = app.get("/api/v1/insights", &s.access).await.ok(200).clone();
    // The score's own insights (forecasts and anomalies from the series may come too).
    let kinds: Vec<(&str, &str)> = insights
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| ["recommendation", "driver"].contains(&i["kind"].as_str().unwrap()))
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["evidence"]["factor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("recommendation", "revenue_per_employee"),
            ("recommendation", "revenue_growth")
        ]
    );
    let i0 = insights
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "recommendation")
        .unwrap();
    for k in ["id", "severity", "title", "body", "generated_at"] {
        assert!(i0[k].is_string(), "{k}: {i0}");
    }
    assert!(
        i0["metrics"]
            .as_array()
            .unwrap()
            .contains(&json!("headcount")),
        "{i0}"
    );

    // Customers turn into detractors in June: a second calculation a minute later.
    write(&app, &s, &[("nps", "2024-06-15T12:00:00Z", -40.0)]).await;
    app.clock.advance(Duration::minutes(1));
    let second = bhd_server::health::recalculate(&app.state, org_id(&s))
        .await
        .unwrap();
    let (a, b) = (first.overall.unwrap(), second.overall.unwrap());
    assert!(b < a, "{b} !< {a}");
    // The drivers explain the change exactly, and NPS leads them.
    assert_eq!(
        second.drivers.first().map(|d| d.factor.as_str()),
        Some("nps")
    );
    let moved: f64 = second.drivers.iter().map(|d| d.change).sum();
    assert!((moved - (b - a)).abs() < 1e-9, "{moved} vs {}", b - a);
    let got = app
        .get("/api/v1/health/score", &s.access)
        .await
        .ok(200)
        .clone();
    assert_eq!(got["drivers"][0]["factor"], "nps");
    assert!(f(&got["drivers"][0]["change"]) < 0.0);
    let insights = app.get("/api/v1/insights", &s.access).await.ok(200).clone();
    let driver = insights
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "driver")
        .expect("a driver insight");
    assert_eq!(driver["evidence"]["factor"], "nps");
    assert_eq!(driver["metrics"], json!(["nps"]));
    assert!(driver["title"].as_str().unwrap().contains("lowered"));

    // History: one row per calculation, oldest first, whole numbers.
    let h = history(&app, &s).await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["overall"], 75);
    assert_eq!(h[1]["overall"], json!(b.round() as u64));
    let t0 = at(h[0]["calculated_at"].as_str().unwrap());
    let t1 = at(h[1]["calculated_at"].as_str().unwrap());
    assert_eq!(t1 - t0, Duration::minutes(1));
    assert_eq!(h[0]["model_version"], bhd_domain::score::MODEL_VERSION);
    assert!((f(&h[0]["coverage"]) - 0.775).abs() < 1e-9);
    // A window holding only the first.
    let q = format!(
        "/api/v1/health/history?from={}&to={}",
        "2024-07-03T09:00:00Z", "2024-07-03T09:00:30Z"
    );
    let only = app.get(&q, &s.access).await.ok(200)["items"].clone();
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["id"], h[0]["id"]);
    app.get("/api/v1/health/history?from=yesterday", &s.access)
        .await
        .problem(422);
}

async fn recalculate_endpoint_adds_to_the_history(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = worked_example_org(&app, "ann@example.com").await;
    for n in 1..=2 {
        let r = app
            .post("/api/v1/health/recalculate", Some(&s.access), json!({}))
            .await;
        assert_eq!(r.ok(202)["status"], "accepted");
        // The calculation runs in the background: wait for its row.
        let mut rows = Vec::new();
        for _ in 0..200 {
            rows = history(&app, &s).await;
            if rows.len() == n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(rows.len(), n);
        assert_eq!(rows[n - 1]["overall"], 75);
        app.clock.advance(Duration::seconds(10));
    }
}

async fn weights_are_validated_and_apply(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = worked_example_org(&app, "ann@example.com").await;
    let w = app
        .get("/api/v1/health/weights", &s.access)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        w,
        json!({"financial": 25, "customer": 25, "operational": 20, "growth": 20, "risk": 10, "default": true})
    );
    let before = app
        .get("/api/v1/organization", &s.access)
        .await
        .ok(200)
        .clone();
    for (body, fields) in [
        (
            json!({"financial": 30, "customer": 30, "operational": 20, "growth": 20, "risk": 10}),
            vec!["weights"],
        ),
        (
            json!({"financial": 40.5, "customer": -5, "operational": 20, "growth": 20}),
            vec!["financial", "customer", "risk"],
        ),
        (
            json!({"financial": 100, "customer": 0, "operational": 0, "growth": 0, "risk": 0, "luck": 1}),
            vec!["luck"],
        ),
        (json!("all on financial"), vec!["weights"]),
    ] {
        let r = app
            .call(
                Method::PUT,
                "/api/v1/health/weights",
                Some(&s.access),
                Some(body.clone()),
            )
            .await;
        r.problem(422);
        assert_eq!(r.fields(), fields, "{body}");
    }
    // Nothing was written: same settings, still the defaults, no calculation.
    let after = app
        .get("/api/v1/organization", &s.access)
        .await
        .ok(200)
        .clone();
    assert_eq!(after["settings"], before["settings"]);
    assert_eq!(
        app.get("/api/v1/health/weights", &s.access).await.ok(200)["default"],
        true
    );
    assert!(history(&app, &s).await.is_empty());
    assert!(
        !app.audit_actions(&s)
            .await
            .contains(&"health.weights_changed".to_owned())
    );

    // All the weight on the financial category: the overall is its score.
    let r = app
        .call(
            Method::PUT,
            "/api/v1/health/weights",
            Some(&s.access),
            Some(
                json!({"financial": 100, "customer": 0, "operational": 0, "growth": 0, "risk": 0}),
            ),
        )
        .await;
    assert_eq!(
        r.ok(200),
        &json!({"financial": 100, "customer": 0, "operational": 0, "growth": 0, "risk": 0, "default": false})
    );
    let org = app
        .get("/api/v1/organization", &s.access)
        .await
        .ok(200)
        .clone();
    assert_eq!(org["settings"]["score_weights"]["financial"], 100);
    assert!(
        app.audit_actions(&s)
            .await
            .contains(&"health.weights_changed".to_owned())
    );
    let scored = bhd_server::health::recalculate(&app.state, org_id(&s))
        .await
        .unwrap();
    assert!((scored.overall.unwrap() - scored.financial.unwrap()).abs() < 1e-9);
    assert_eq!(scored.weights.get(bhd_domain::Category::Financial), 100);
    let got = app
        .get("/api/v1/health/score", &s.access)
        .await
        .ok(200)
        .clone();
    assert_eq!(got["weights"]["financial"], 100);
    assert_eq!(got["stored"]["overall"], 89);
}

async fn tenants_never_see_each_others_scores(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let ann = worked_example_org(&app, "ann@example.com").await;
    let ann_score = app
        .get("/api/v1/health/score", &ann.access)
        .await
        .ok(200)
        .clone();
    let bob = app.signup("bob@example.com", "Bob Co").await;
    let (_, bob_key) = app.api_key(&bob, &["read"]).await;
    for token in [&bob.access, &bob_key] {
        let h = app
            .get(
                "/api/v1/health/history?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
                token,
            )
            .await
            .ok(200)
            .clone();
        assert!(h["items"].as_array().unwrap().is_empty(), "{h}");
        assert_eq!(app.get("/api/v1/insights", token).await.ok(200), &json!([]));
    }
    // Bob's own (empty) score, never Ann's.
    let bob_score = app
        .get("/api/v1/health/score", &bob.access)
        .await
        .ok(200)
        .clone();
    assert_ne!(bob_score["id"], ann_score["id"]);
    assert_eq!(bob_score["overall"], Value::Null);
    let bob_history = history(&app, &bob).await;
    assert_eq!(bob_history.len(), 1);
    assert_eq!(bob_history[0]["id"], bob_score["id"]);
    // Ann still has exactly her one calculation and her insights.
    let h = history(&app, &ann).await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["id"], ann_score["id"]);
    assert!(
        !app.get("/api/v1/insights", &ann.access)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .is_empty()
    );

    // PostgreSQL: as the server's role, the health tables show nothing without an
    // organization, and only that organization's rows with one.
    if let Some(pg) = &app.pg {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&pg.url).await.unwrap();
        conn.execute("SET ROLE bhd_app").await.unwrap();
        let count = |table: &'static str| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
        };
        assert_eq!(
            count("health_scores").fetch_one(&mut conn).await.unwrap(),
            0
        );
        assert_eq!(count("insights").fetch_one(&mut conn).await.unwrap(), 0);
        sqlx::query("SELECT set_config('app.org_id', $1, false)")
            .bind(&bob.org_id)
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            count("health_scores").fetch_one(&mut conn).await.unwrap(),
            1
        );
        assert_eq!(count("insights").fetch_one(&mut conn).await.unwrap(), 0);
        // Writing into another tenant is refused by the policy.
        let stolen = sqlx::query(
            "INSERT INTO health_scores (organization_id, id, coverage_bp, model_version, breakdown, calculated_at) \
             VALUES ($1::uuid, gen_random_uuid(), 0, 'x', '{}', now())",
        )
        .bind(&ann.org_id)
        .execute(&mut conn)
        .await;
        assert!(stolen.is_err());
    }
}

async fn who_may_read_recalculate_and_weigh(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let owner = worked_example_org(&app, "owner@example.com").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;
    let member = app.member(&owner, "member@example.com", "member").await;
    let admin = app.member(&owner, "admin@example.com", "admin").await;
    let (_, read_key) = app.api_key(&owner, &["read"]).await;
    let (_, ingest_key) = app.api_key(&owner, &["ingest"]).await;
    let weights =
        json!({"financial": 40, "customer": 20, "operational": 20, "growth": 10, "risk": 10});
    let put_weights = |token: String| {
        let body = weights.clone();
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                "/api/v1/health/weights",
                Some(&token),
                Some(body),
            )
            .await
        }
    };

    // Reading: viewers and read keys; an ingest key cannot read.
    for token in [&viewer.access, &read_key] {
        app.get("/api/v1/health/score", token).await.ok(200);
        app.get("/api/v1/health/history", token).await.ok(200);
        app.get("/api/v1/insights", token).await.ok(200);
        app.get("/api/v1/health/weights", token).await.ok(200);
    }
    app.get("/api/v1/health/score", &ingest_key)
        .await
        .problem(403);
    let rows = history(&app, &owner).await.len();
    assert_eq!(rows, 1, "the first read computed one");

    // Recalculating: members (and ingest keys), not viewers or read keys.
    for token in [&viewer.access, &read_key] {
        app.post("/api/v1/health/recalculate", Some(token), json!({}))
            .await
            .problem(403);
    }
    // Weights: admins only.
    for token in [&viewer.access, &member.access, &read_key, &ingest_key] {
        put_weights(token.clone()).await.problem(403);
    }
    assert_eq!(
        app.get("/api/v1/health/weights", &owner.access)
            .await
            .ok(200)["default"],
        true
    );
    assert_eq!(
        history(&app, &owner).await.len(),
        rows,
        "nothing was written"
    );
    for token in [&member.access, &ingest_key] {
        app.post("/api/v1/health/recalculate", Some(token), json!({}))
            .await
            .ok(202);
    }
    put_weights(admin.access.clone()).await.ok(200);
    assert_eq!(
        app.get("/api/v1/health/weights", &viewer.access)
            .await
            .ok(200)["financial"],
        40
    );
    // Without credentials: 401.
    app.call(Method::GET, "/api/v1/health/score", None, None)
        .await
        .problem(401);
}

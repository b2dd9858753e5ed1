//! The demo company: three years of daily history for every metric its profile uses, readable
//! through the API, on both engines.

mod common;

use bhd_domain::demo::{Profile, metrics};
use common::{Engine, TestApp};

on_both_engines!(saas_demo_has_three_years_of_every_metric);

async fn saas_demo_has_three_years_of_every_metric(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let email = bhd_domain::Email::parse("demo@example.com").unwrap();
    let password = bhd_domain::Password::parse("demo-password-123").unwrap();
    let now = app.clock.now_for_tests();
    let demo = bhd_server::demo::load(
        app.store.as_ref(),
        Profile::Saas,
        3,
        email,
        password,
        now,
        |_, _| {},
    )
    .await
    .unwrap();
    assert!(demo.points >= 3 * 365 * metrics(Profile::Saas).len() as u64);
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "demo@example.com", "password": "demo-password-123"}),
        )
        .await;
    let token = r.ok(200)["access_token"].as_str().unwrap().to_owned();
    let summary = app.get("/api/v1/metrics/summary", &token).await;
    let items = summary.ok(200)["items"].as_array().unwrap().clone();
    for m in metrics(Profile::Saas) {
        assert!(
            items.iter().any(|i| i["metric_type"] == *m),
            "{m} missing from the summary"
        );
    }
    // Every month of three years has MRR, and it grew.
    let to = now.to_rfc3339();
    let from = (now - chrono::Duration::days(3 * 365 - 40)).to_rfc3339();
    let q = format!(
        "/api/v1/metrics/mrr/series?granularity=month&from={}&to={}",
        urlencode(&from),
        urlencode(&to)
    );
    let series = app.get(&q, &token).await;
    let values: Vec<f64> = series.ok(200)["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            b["value"]
                .as_str()
                .expect("no empty month")
                .parse()
                .unwrap()
        })
        .collect();
    assert!(values.len() >= 35, "{}", values.len());
    assert!(values.last().unwrap() > values.first().unwrap());
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

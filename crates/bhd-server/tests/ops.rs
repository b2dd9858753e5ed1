//! Graceful shutdown and log hygiene, through the real server.

mod common;

use bhd_server::clock::SystemClock;
use bhd_server::config::{Config, Secret};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

fn config(dir: &std::path::Path) -> Config {
    Config {
        database_url: format!("sqlite://{}/bhd.db", dir.display()),
        data_dir: dir.to_owned(),
        secret_key: Some(Secret::new("test-secret-key-that-is-long-enough-000")),
        rate_limit: 0,
        ..Config::default()
    }
}

/// A shutdown signal lets in-flight requests finish, then the server returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_requests() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = bhd_store::connect(&cfg.database_url).await.unwrap();
    let state = bhd_server::state(cfg, store, Arc::new(SystemClock)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bhd_server::serve(listener, state, async {
        let _ = rx.await;
    }));
    // Sign-up hashes a password with Argon2: slow enough to still be running at the signal.
    let client = reqwest::Client::new();
    let inflight = tokio::spawn(
        client
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({"email": "ann@example.com", "password": "correct horse battery", "name": "Ann", "organization_name": "Org"}))
            .send(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    tx.send(()).unwrap();
    let res = inflight.await.unwrap().unwrap();
    assert_eq!(res.status(), 201);
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server stopped")
        .unwrap()
        .unwrap();
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// With every debug log of the server captured as JSON, no password, token or key appears.
#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_secrets() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let Some(app) = common::TestApp::spawn(common::Engine::Sqlite).await else {
        return;
    };
    let password = "correct horse battery";
    let s = app.signup("ann@example.com", "Org").await;
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "ann@example.com", "password": "wrong-password-xyz"}),
    )
    .await
    .problem(401);
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    let new_refresh = r.ok(200)["refresh_token"].as_str().unwrap().to_owned();
    let (_, key) = app.api_key(&s, &["read"]).await;
    app.get("/api/v1/organization", &key).await.ok(200);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": s.refresh}),
    )
    .await
    .problem(401);

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.lines().count() > 5,
        "expected server logs, got: {logs}"
    );
    for secret in [
        password,
        "wrong-password-xyz",
        &s.access,
        &s.refresh,
        &new_refresh,
        &key,
    ] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
    assert!(
        logs.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "every line is JSON"
    );
}

//! `TestApp`: the real server on port 0 against a fresh database of either engine, with a
//! manual clock, and typed helpers for the calls the tests make.
//!
//! PostgreSQL tests use `BHD_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! to create a database per test, dropped afterwards. When PostgreSQL is unreachable they fail
//! under `CI=true` and are skipped, loudly, elsewhere.

#![allow(dead_code)]

pub mod smtp;

use bhd_server::clock::ManualClock;
use bhd_server::config::{Config, Secret};
use bhd_store::Store;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use sqlx::Connection;
use std::sync::Arc;

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(engine: Engine)` as a test on both engines.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::common::Engine::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::common::Engine::Postgres).await } )*
        }
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("BHD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL database, dropped when this is dropped.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    /// Creates one, or None (after a loud message) when PostgreSQL is unreachable outside CI.
    pub async fn create() -> Option<Self> {
        let admin = pg_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("PostgreSQL is required under CI=true but {admin} is unreachable: {e}");
                }
                eprintln!(
                    "\n!!!!! SKIPPING a PostgreSQL test: {admin} is unreachable ({e}). Under CI=true this fails. !!!!!\n"
                );
                return None;
            }
        };
        let name = format!("bhd_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
        Some(Self {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = pg_admin_url();
        // Drop runs outside async; a small runtime of its own finishes the job.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        })
        .join();
    }
}

/// An answer, with its JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("https://"))
        );
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
        let rid = self.body["request_id"].as_str().expect("request_id");
        assert_eq!(Some(rid), self.header("x-request-id"));
        &self.body
    }

    /// The field names of a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"].as_array().map_or_else(Vec::new, |a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        &self.body
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
    pub org_id: String,
    pub email: String,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    pub engine: Engine,
    pub pg: Option<PgDatabase>,
    /// The server's state (its store and clock), for calling server functions directly.
    pub state: bhd_server::state::AppState,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    /// Starts a server with the default test configuration (rate limit off).
    pub async fn spawn(engine: Engine) -> Option<Self> {
        Self::spawn_with(engine, |_| {}).await
    }

    /// Starts a server after `tweak` has adjusted its configuration.
    pub async fn spawn_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let pg = match engine {
            Engine::Postgres => Some(PgDatabase::create().await?),
            Engine::Sqlite => None,
        };
        let database_url = match &pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}/bhd.db", dir.path().display()),
        };
        let mut config = Config {
            database_url,
            data_dir: dir.path().to_owned(),
            secret_key: Some(Secret::new("test-secret-key-that-is-long-enough-000")),
            rate_limit: 0,
            ..Config::default()
        };
        tweak(&mut config);
        let store = bhd_store::connect(&config.database_url)
            .await
            .expect("open store");
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let state = bhd_server::state(config, store.clone(), clock.clone()).expect("state");
        let shared = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            bhd_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Some(Self {
            base,
            http,
            clock,
            store,
            engine,
            pg,
            state: shared,
            _dir: dir,
            shutdown: Some(tx),
        })
    }

    /// Sends a request; `token` becomes a bearer credential; `body` is sent as JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request")).await
    }

    pub async fn read(res: reqwest::Response) -> Resp {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }
    /// Asserts that the OpenAPI document lists every `(path, method)`; returns its paths.
    pub async fn assert_documented(&self, token: &str, routes: &[(&str, &str)]) -> Value {
        let doc = self.get("/api/v1/openapi.json", token).await;
        let paths = doc.ok(200)["paths"].clone();
        for (path, method) in routes {
            assert!(
                paths[*path].get(*method).is_some(),
                "{method} {path} missing from OpenAPI"
            );
        }
        paths
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Signs up `email` with a new organization.
    pub async fn signup(&self, email: &str, org: &str) -> Session {
        let r = self
            .post("/api/v1/auth/signup", None, json!({"email": email, "password": "correct horse battery", "name": "Test User", "organization_name": org}))
            .await;
        let b = r.ok(201);
        session(b, email)
    }

    /// Signs in.
    pub async fn login(&self, email: &str) -> Session {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        session(r.ok(200), email)
    }

    /// Adds `email` (signing them up first) to `owner`'s organization with `role`, and returns
    /// their session switched to that organization.
    pub async fn member(&self, owner: &Session, email: &str, role: &str) -> Session {
        let own = self.signup(email, &format!("{email} own org")).await;
        self.post(
            "/api/v1/organization/members",
            Some(&owner.access),
            json!({"email": email, "role": role}),
        )
        .await
        .ok(201);
        let r = self
            .post(
                "/api/v1/auth/switch",
                Some(&own.access),
                json!({"organization_id": owner.org_id}),
            )
            .await;
        session(r.ok(200), email)
    }

    /// Creates an API key with these scopes in the session's organization; returns (id, key).
    pub async fn api_key(&self, admin: &Session, scopes: &[&str]) -> (String, String) {
        let r = self
            .post(
                "/api/v1/api-keys",
                Some(&admin.access),
                json!({"name": "test key", "scopes": scopes}),
            )
            .await;
        let b = r.ok(201);
        (
            b["id"].as_str().unwrap().to_owned(),
            b["key"].as_str().unwrap().to_owned(),
        )
    }

    /// Audit actions recorded for the session's organization, newest first.
    pub async fn audit_actions(&self, admin: &Session) -> Vec<String> {
        let r = self.get("/api/v1/audit-log?limit=200", &admin.access).await;
        r.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub fn session(b: &Value, email: &str) -> Session {
    Session {
        access: b["access_token"].as_str().expect("access_token").to_owned(),
        refresh: b["refresh_token"].as_str().unwrap_or_default().to_owned(),
        user_id: b["user"]["id"].as_str().expect("user.id").to_owned(),
        org_id: b["organization"]["id"]
            .as_str()
            .expect("organization.id")
            .to_owned(),
        email: email.to_owned(),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

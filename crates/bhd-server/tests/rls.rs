//! Row-level security on PostgreSQL: as the role the server uses, a query without the
//! organization set sees no tenant rows, and with it set sees only that organization's.

mod common;

use common::{Engine, TestApp};
use sqlx::{Connection, Executor};

const TENANT_TABLES: [&str; 5] = [
    "organizations",
    "memberships",
    "invitations",
    "api_keys",
    "audit_log",
];

async fn count(conn: &mut sqlx::PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn queries_without_an_organization_see_no_rows() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let ann = app.signup("ann@example.com", "Ann Co").await;
    let bob = app.signup("bob@example.com", "Bob Co").await;
    app.api_key(&ann, &["read"]).await;
    app.api_key(&bob, &["read"]).await;
    app.post(
        "/api/v1/organization/members",
        Some(&ann.access),
        serde_json::json!({"email": "x@example.com", "role": "viewer"}),
    )
    .await
    .ok(201);

    let url = app.pg.as_ref().unwrap().url.clone();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    // As the connecting superuser every row is there ...
    for t in TENANT_TABLES {
        assert!(count(&mut conn, t).await > 0, "{t} should have rows");
    }
    // ... as the server's role, with nothing set, none is.
    conn.execute("SET ROLE bhd_app").await.unwrap();
    for t in TENANT_TABLES {
        assert_eq!(
            count(&mut conn, t).await,
            0,
            "{t} leaked rows without app.org_id"
        );
    }
    // With Ann's organization set, only Ann's rows.
    sqlx::query("SELECT set_config('app.org_id', $1, false)")
        .bind(&ann.org_id)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(count(&mut conn, "organizations").await, 1);
    assert_eq!(count(&mut conn, "api_keys").await, 1);
    assert_eq!(count(&mut conn, "invitations").await, 1);
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM organizations")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(names, ["Ann Co"]);
    // Writing into another organization is refused by the policy itself.
    let err = sqlx::query("INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1::uuid, $2::uuid, 'owner', now())")
        .bind(&bob.org_id)
        .bind(&ann.user_id)
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn the_server_pool_runs_as_the_restricted_role() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let url = app.pg.as_ref().unwrap().url.clone();
    let store = bhd_store::PgStore::connect(&url).await.unwrap();
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(role, "bhd_app");
    let bypass: bool = sqlx::query_scalar(
        "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(!bypass);
}

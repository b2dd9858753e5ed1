//! The HTTP-level suite: every endpoint on both engines, through the real server.

mod common;

use common::{Engine, TestApp};
use reqwest::Method;
use serde_json::json;

on_both_engines!(
    signup_login_me_and_organizations,
    bad_input_is_refused_with_nothing_written,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_revokes_and_cookie_mode_hides_the_refresh_token,
    expired_and_tampered_tokens_are_refused,
    switching_organization,
    members_invitations_and_owner_rules,
    api_keys_are_shown_once_and_authenticate_with_scopes,
    role_matrix,
    other_tenants_ids_answer_404,
    rate_limit_and_its_headers,
    audit_log_records_security_events,
    unknown_routes_and_methods_are_problems,
    operations_endpoints,
);

const PW: &str = "correct horse battery";

async fn signup_login_me_and_organizations(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let r = app
        .post("/api/v1/auth/signup", None, json!({"email": " Ann@Example.com ", "password": PW, "name": "Ann", "organization_name": "Acme Widgets, Inc."}))
        .await;
    let b = r.ok(201).clone();
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 900);
    assert_eq!(b["user"]["email"], "ann@example.com");
    assert_eq!(b["organization"]["slug"], "acme-widgets-inc");
    assert_eq!(b["organization"]["timezone"], "UTC");
    assert_eq!(b["role"], "owner");
    assert!(b["refresh_token"].as_str().unwrap().starts_with("bhdr_"));

    // Same email, any case: taken.
    let again = app
        .post("/api/v1/auth/signup", None, json!({"email": "ANN@example.com", "password": PW, "name": "Ann", "organization_name": "Other"}))
        .await;
    assert_eq!(again.problem(422)["errors"][0]["field"], "email");

    let s = app.login("ann@example.com").await;
    let me = app.get("/api/v1/me", &s.access).await;
    let me = me.ok(200);
    assert_eq!(me["user"]["name"], "Ann");
    assert_eq!(me["current_organization"]["name"], "Acme Widgets, Inc.");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);

    // Same name again gets a distinct slug.
    let other = app.signup("bob@example.com", "Acme Widgets, Inc.").await;
    let org = app.get("/api/v1/organization", &other.access).await;
    let slug = org.ok(200)["slug"].as_str().unwrap().to_owned();
    assert!(
        slug.starts_with("acme-widgets-inc-") && slug.len() > "acme-widgets-inc-".len(),
        "{slug}"
    );

    // Update the organization.
    let p = app
        .patch("/api/v1/organization", &s.access, json!({"timezone": "America/New_York", "currency": "eur", "industry": "saas", "name": "Acme"}))
        .await;
    let p = p.ok(200);
    assert_eq!(
        (
            p["timezone"].as_str(),
            p["currency"].as_str(),
            p["industry"].as_str(),
            p["name"].as_str()
        ),
        (
            Some("America/New_York"),
            Some("EUR"),
            Some("saas"),
            Some("Acme")
        )
    );
    assert_eq!(
        app.get("/api/v1/organization", &s.access).await.ok(200)["timezone"],
        "America/New_York"
    );

    // Create a second organization: caller is owner, listed in /me.
    let created = app
        .post(
            "/api/v1/organizations",
            Some(&s.access),
            json!({"name": "Side Project", "timezone": "Asia/Kolkata"}),
        )
        .await;
    assert_eq!(created.ok(201)["timezone"], "Asia/Kolkata");
    let me = app.get("/api/v1/me", &s.access).await;
    let names: Vec<&str> = me.ok(200)["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organization"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme", "Side Project"]);

    // Wrong password and unknown email: the same answer.
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ann@example.com", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.problem(401)["detail"], unknown.problem(401)["detail"]);
    assert_eq!(wrong.body["type"], unknown.body["type"]);
}

async fn bad_input_is_refused_with_nothing_written(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |c| c.max_body_bytes = 64 * 1024).await else {
        return;
    };
    let signup = "/api/v1/auth/signup";
    let r = app
        .post(
            signup,
            None,
            json!({"email": "not-an-email", "password": PW, "name": "A", "organization_name": "O"}),
        )
        .await;
    r.problem(422);
    assert_eq!(r.fields(), ["email"]);
    let r = app.post(signup, None, json!({"email": "short@example.com", "password": "123", "name": "A", "organization_name": "O"})).await;
    assert_eq!(r.fields(), ["password"]);
    r.problem(422);
    let r = app.post(signup, None, json!({})).await;
    r.problem(422);
    assert_eq!(
        r.fields(),
        ["email", "password", "name", "organization_name"]
    );
    let r = app
        .post(
            signup,
            None,
            json!({"email": 42, "password": PW, "name": "A", "organization_name": "O"}),
        )
        .await;
    r.problem(422);
    assert_eq!(r.fields(), ["email"]);

    // Malformed JSON, wrong content type, oversize body.
    let raw = |body: &'static str, ct: &'static str| {
        app.http
            .post(format!("{}{signup}", app.base))
            .header("content-type", ct)
            .body(body)
    };
    TestApp::read(
        raw("{\"email\": ", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await
    .problem(400);
    TestApp::read(
        raw("email=a", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap(),
    )
    .await
    .problem(415);
    let huge = format!("{{\"email\": \"{}@example.com\"}}", "a".repeat(100 * 1024));
    let r = TestApp::read(
        app.http
            .post(format!("{}{signup}", app.base))
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(413);

    // None of that created anything.
    for email in ["not-an-email", "short@example.com"] {
        if let Ok(e) = bhd_domain::Email::parse(email) {
            assert!(app.store.user_credentials(&e).await.unwrap().is_none());
        }
    }
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "short@example.com", "password": "123"}),
        )
        .await;
    r.problem(401);

    // Bad organization updates change nothing.
    let s = app.signup("owner@example.com", "Org").await;
    let r = app.patch("/api/v1/organization", &s.access, json!({"name": "New name", "timezone": "Mars/Olympus", "currency": "XXX", "industry": "banking", "fiscal_year_start_month": 13})).await;
    r.problem(422);
    assert_eq!(
        r.fields(),
        [
            "industry",
            "currency",
            "timezone",
            "fiscal_year_start_month"
        ]
    );
    assert_eq!(
        app.get("/api/v1/organization", &s.access).await.ok(200)["name"],
        "Org"
    );

    // Bad member and key input writes nothing.
    let r = app
        .post(
            "/api/v1/organization/members",
            Some(&s.access),
            json!({"email": "x@example.com", "role": "superuser"}),
        )
        .await;
    assert_eq!(r.fields(), ["role"]);
    let r = app
        .post(
            "/api/v1/api-keys",
            Some(&s.access),
            json!({"name": "k", "scopes": ["read", "write"]}),
        )
        .await;
    r.problem(422);
    assert_eq!(r.fields(), ["scopes"]);
    let r = app
        .post("/api/v1/api-keys", Some(&s.access), json!({"scopes": []}))
        .await;
    assert_eq!(r.fields(), ["name", "scopes"]);
    let members = app.get("/api/v1/organization/members", &s.access).await;
    assert_eq!(members.ok(200)["invitations"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.get("/api/v1/api-keys", &s.access).await.ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn refresh_rotates_and_reuse_revokes_the_family(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let r1 = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    let b1 = r1.ok(200).clone();
    let second = b1["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, s.refresh);
    app.get("/api/v1/me", b1["access_token"].as_str().unwrap())
        .await
        .ok(200);
    let r2 = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": second}),
        )
        .await;
    let third = r2.ok(200)["refresh_token"].as_str().unwrap().to_owned();

    // The first token is spent: presenting it again is reuse, and the whole family dies.
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": s.refresh}),
    )
    .await
    .problem(401);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": third}),
    )
    .await
    .problem(401);
    // Another sign-in is a separate family and unaffected.
    let other = app.login("ann@example.com").await;
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": other.refresh}),
    )
    .await
    .ok(200);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": "bhdr_never-issued"}),
    )
    .await
    .problem(401);
    app.post("/api/v1/auth/refresh", None, json!({}))
        .await
        .problem(422);
}

async fn logout_revokes_and_cookie_mode_hides_the_refresh_token(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    app.post(
        "/api/v1/auth/logout",
        None,
        json!({"refresh_token": s.refresh}),
    )
    .await
    .ok(204);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": s.refresh}),
    )
    .await
    .problem(401);

    // Cookie mode: the token lives in an HttpOnly cookie, never in the body.
    let login = |mode: bool| {
        let mut r = app
            .http
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"email": "ann@example.com", "password": PW}));
        if mode {
            r = r.header("x-session-mode", "cookie");
        }
        r
    };
    let res = TestApp::read(login(true).send().await.unwrap()).await;
    assert!(res.ok(200).get("refresh_token").is_none());
    let set_cookie = res.header("set-cookie").unwrap().to_owned();
    for part in [
        "bhd_refresh=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth",
    ] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let refresh = |cookie: String, mode: bool| {
        let mut r = app
            .http
            .post(format!("{}/api/v1/auth/refresh", app.base))
            .header("cookie", cookie)
            .json(&json!({}));
        if mode {
            r = r.header("x-session-mode", "cookie");
        }
        r
    };
    // Without the custom header (what a cross-site form could send) the cookie is not used.
    TestApp::read(refresh(cookie.clone(), false).send().await.unwrap())
        .await
        .problem(422);
    let r = TestApp::read(refresh(cookie.clone(), true).send().await.unwrap()).await;
    assert!(r.ok(200).get("refresh_token").is_none());
    let next_cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(next_cookie, cookie);
    let out = app
        .http
        .post(format!("{}/api/v1/auth/logout", app.base))
        .header("cookie", next_cookie.clone())
        .header("x-session-mode", "cookie")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let out = TestApp::read(out).await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    TestApp::read(refresh(next_cookie, true).send().await.unwrap())
        .await
        .problem(401);
    let _ = login(false);
}

async fn expired_and_tampered_tokens_are_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    app.get("/api/v1/me", &s.access).await.ok(200);
    let mut tampered = s.access.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    app.get("/api/v1/me", &tampered).await.problem(401);
    app.get("/api/v1/me", "not-a-token").await.problem(401);
    app.get("/api/v1/me", "bhd_not-a-key").await.problem(401);
    // A token signed with another key.
    let forged = bhd_server::auth::tokens::TokenKeys::new(&"f".repeat(40), 900)
        .issue(
            bhd_domain::UserId::generate(),
            bhd_domain::OrgId::generate(),
            bhd_domain::Role::Owner,
            app.clock.now_for_tests(),
        )
        .unwrap();
    app.get("/api/v1/me", &forged).await.problem(401);

    app.clock.advance(chrono::Duration::minutes(16));
    let r = app.get("/api/v1/me", &s.access).await;
    r.problem(401);
    // The refresh token still works within its 30 days ...
    let fresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    let next = fresh.ok(200)["refresh_token"].as_str().unwrap().to_owned();
    // ... and not after.
    app.clock.advance(chrono::Duration::days(31));
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": next}))
        .await
        .problem(401);
}

async fn switching_organization(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let ann = app.signup("ann@example.com", "Ann Co").await;
    let bob = app.signup("bob@example.com", "Bob Co").await;
    let created = app
        .post(
            "/api/v1/organizations",
            Some(&ann.access),
            json!({"name": "Second"}),
        )
        .await;
    let second = created.ok(201)["id"].as_str().unwrap().to_owned();
    let sw = app
        .post(
            "/api/v1/auth/switch",
            Some(&ann.access),
            json!({"organization_id": second}),
        )
        .await;
    let b = sw.ok(200);
    assert_eq!(b["organization"]["name"], "Second");
    let token = b["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/me", &token).await.ok(200)["current_organization"]["id"],
        second
    );
    assert_eq!(
        app.get("/api/v1/organization", &token).await.ok(200)["name"],
        "Second"
    );
    // Not a member of Bob's organization: indistinguishable from one that does not exist.
    app.post(
        "/api/v1/auth/switch",
        Some(&ann.access),
        json!({"organization_id": bob.org_id}),
    )
    .await
    .problem(404);
    app.post(
        "/api/v1/auth/switch",
        Some(&ann.access),
        json!({"organization_id": uuid::Uuid::new_v4()}),
    )
    .await
    .problem(404);
    app.post("/api/v1/auth/switch", Some(&ann.access), json!({}))
        .await
        .problem(422);
    app.post(
        "/api/v1/auth/switch",
        Some(&ann.access),
        json!({"organization_id": "nope"}),
    )
    .await
    .problem(422);
}

async fn members_invitations_and_owner_rules(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let owner = app.signup("owner@example.com", "Org").await;
    let admin = app.member(&owner, "admin@example.com", "admin").await;
    let r = app.get("/api/v1/organization/members", &owner.access).await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let admin_row = items
        .iter()
        .find(|m| m["email"] == "admin@example.com")
        .unwrap();
    assert_eq!(admin_row["role"], "admin");

    // An unknown email is invited; signing up later makes them a member with that role.
    let inv = app
        .post(
            "/api/v1/organization/members",
            Some(&admin.access),
            json!({"email": "New@Example.com", "role": "viewer"}),
        )
        .await;
    let inv = inv.ok(201);
    assert_eq!(inv["status"], "invited");
    assert_eq!(inv["invitation"]["email"], "new@example.com");
    app.post(
        "/api/v1/organization/members",
        Some(&admin.access),
        json!({"email": "new@example.com", "role": "viewer"}),
    )
    .await
    .problem(409);
    let newbie = app.signup("new@example.com", "Newbie Co").await;
    let me = app.get("/api/v1/me", &newbie.access).await;
    let roles: Vec<(String, String)> = me.ok(200)["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["organization"]["name"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        roles.contains(&("Org".into(), "viewer".into())),
        "{roles:?}"
    );
    let members = app.get("/api/v1/organization/members", &owner.access).await;
    assert_eq!(members.ok(200)["items"].as_array().unwrap().len(), 3);
    assert_eq!(members.body["invitations"].as_array().unwrap().len(), 0);

    // Adding an existing member again conflicts.
    app.post(
        "/api/v1/organization/members",
        Some(&owner.access),
        json!({"email": "admin@example.com", "role": "member"}),
    )
    .await
    .problem(409);

    // Role changes.
    let p = app
        .patch(
            &format!("/api/v1/organization/members/{}", newbie.user_id),
            &admin.access,
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(p.ok(200)["role"], "member");
    // Admins cannot touch owners or make owners.
    app.patch(
        &format!("/api/v1/organization/members/{}", owner.user_id),
        &admin.access,
        json!({"role": "viewer"}),
    )
    .await
    .problem(403);
    app.patch(
        &format!("/api/v1/organization/members/{}", newbie.user_id),
        &admin.access,
        json!({"role": "owner"}),
    )
    .await
    .problem(403);
    app.delete(
        &format!("/api/v1/organization/members/{}", owner.user_id),
        &admin.access,
    )
    .await
    .problem(403);
    // The last owner stays.
    app.patch(
        &format!("/api/v1/organization/members/{}", owner.user_id),
        &owner.access,
        json!({"role": "admin"}),
    )
    .await
    .problem(403);
    app.delete(
        &format!("/api/v1/organization/members/{}", owner.user_id),
        &owner.access,
    )
    .await
    .problem(403);
    // With a second owner, the first may step down.
    app.patch(
        &format!("/api/v1/organization/members/{}", admin.user_id),
        &owner.access,
        json!({"role": "owner"}),
    )
    .await
    .ok(200);
    app.patch(
        &format!("/api/v1/organization/members/{}", owner.user_id),
        &owner.access,
        json!({"role": "admin"}),
    )
    .await
    .ok(200);

    // Removal.
    app.delete(
        &format!("/api/v1/organization/members/{}", newbie.user_id),
        &admin.access,
    )
    .await
    .ok(204);
    app.delete(
        &format!("/api/v1/organization/members/{}", newbie.user_id),
        &admin.access,
    )
    .await
    .problem(404);
    // A removed member's refresh token no longer opens this organization.
    let sw = app
        .post(
            "/api/v1/auth/switch",
            Some(&newbie.access),
            json!({"organization_id": owner.org_id}),
        )
        .await;
    sw.problem(404);
    app.patch(
        "/api/v1/organization/members/not-a-uuid",
        &admin.access,
        json!({"role": "member"}),
    )
    .await
    .problem(404);
}

async fn api_keys_are_shown_once_and_authenticate_with_scopes(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    let r = app
        .post(
            "/api/v1/api-keys",
            Some(&s.access),
            json!({"name": "CI uploader", "scopes": ["read", "ingest"]}),
        )
        .await;
    let created = r.ok(201).clone();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("bhd_"));
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(created["scopes"], json!(["read", "ingest"]));
    let list = app.get("/api/v1/api-keys", &s.access).await;
    let listed = list.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].get("key").is_none(),
        "the key is never shown again"
    );
    assert!(!list.body.to_string().contains(&key));

    // The key authenticates with its scopes.
    assert_eq!(
        app.get("/api/v1/organization", &key).await.ok(200)["name"],
        "Org"
    );
    app.get("/api/v1/api-keys", &key).await.problem(403);
    app.get("/api/v1/me", &key).await.problem(403);

    let id = created["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/api-keys/{id}"), &s.access)
        .await
        .ok(204);
    app.get("/api/v1/organization", &key).await.problem(401);
    app.delete(&format!("/api/v1/api-keys/{id}"), &s.access)
        .await
        .problem(404);
}

/// Who may do what: each role and each key scope against each kind of endpoint.
async fn role_matrix(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let owner = app.signup("owner@example.com", "Org").await;
    let admin = app.member(&owner, "admin@example.com", "admin").await;
    let member = app.member(&owner, "member@example.com", "member").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;
    let (_, read_key) = app.api_key(&owner, &["read"]).await;
    let (_, ingest_key) = app.api_key(&owner, &["ingest"]).await;
    let (_, admin_key) = app.api_key(&owner, &["admin"]).await;

    struct Case {
        method: Method,
        path: &'static str,
        body: Option<serde_json::Value>,
        // owner, admin, member, viewer, read key, ingest key, admin key
        allowed: [bool; 7],
    }
    let cases = [
        Case {
            method: Method::GET,
            path: "/api/v1/organization",
            body: None,
            allowed: [true, true, true, true, true, false, false],
        },
        Case {
            method: Method::PATCH,
            path: "/api/v1/organization",
            body: Some(json!({"timezone": "Europe/Berlin"})),
            allowed: [true, true, false, false, false, false, true],
        },
        Case {
            method: Method::GET,
            path: "/api/v1/organization/members",
            body: None,
            allowed: [true, true, false, false, false, false, true],
        },
        Case {
            method: Method::GET,
            path: "/api/v1/api-keys",
            body: None,
            allowed: [true, true, false, false, false, false, true],
        },
        Case {
            method: Method::POST,
            path: "/api/v1/api-keys",
            body: Some(json!({"name": "k", "scopes": ["read"]})),
            allowed: [true, true, false, false, false, false, true],
        },
        Case {
            method: Method::GET,
            path: "/api/v1/audit-log",
            body: None,
            allowed: [true, true, false, false, false, false, true],
        },
        Case {
            method: Method::GET,
            path: "/api/v1/me",
            body: None,
            allowed: [true, true, true, true, false, false, false],
        },
        Case {
            method: Method::POST,
            path: "/api/v1/organizations",
            body: Some(json!({"name": "Mine"})),
            allowed: [true, true, true, true, false, false, false],
        },
    ];
    let callers = [
        &owner.access,
        &admin.access,
        &member.access,
        &viewer.access,
        &read_key,
        &ingest_key,
        &admin_key,
    ];
    let names = [
        "owner",
        "admin",
        "member",
        "viewer",
        "read key",
        "ingest key",
        "admin key",
    ];
    for case in &cases {
        for (i, token) in callers.iter().enumerate() {
            let r = app
                .call(
                    case.method.clone(),
                    case.path,
                    Some(token),
                    case.body.clone(),
                )
                .await;
            let ok = r.status.is_success();
            assert_eq!(
                ok, case.allowed[i],
                "{} {} as {}: {} {}",
                case.method, case.path, names[i], r.status, r.body
            );
            if !ok {
                r.problem(403);
            }
        }
    }
    // Members cannot invite, even as viewers.
    app.post(
        "/api/v1/organization/members",
        Some(&member.access),
        json!({"email": "x@example.com", "role": "viewer"}),
    )
    .await
    .problem(403);
    // An admin key may invite but not grant owner.
    app.post(
        "/api/v1/organization/members",
        Some(&admin_key),
        json!({"email": "y@example.com", "role": "owner"}),
    )
    .await
    .problem(403);
    app.post(
        "/api/v1/organization/members",
        Some(&admin_key),
        json!({"email": "y@example.com", "role": "member"}),
    )
    .await
    .ok(201);
    // No credential at all.
    let r = app
        .call(Method::GET, "/api/v1/organization", None, None)
        .await;
    r.problem(401);
}

async fn other_tenants_ids_answer_404(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let ann = app.signup("ann@example.com", "Ann Co").await;
    let bob = app.signup("bob@example.com", "Bob Co").await;
    let bob_member = app.member(&bob, "carol@example.com", "member").await;
    let (bob_key_id, bob_key) = app.api_key(&bob, &["read"]).await;
    // Ann acts on Bob's objects by id.
    app.patch(
        &format!("/api/v1/organization/members/{}", bob_member.user_id),
        &ann.access,
        json!({"role": "viewer"}),
    )
    .await
    .problem(404);
    app.delete(
        &format!("/api/v1/organization/members/{}", bob_member.user_id),
        &ann.access,
    )
    .await
    .problem(404);
    app.delete(&format!("/api/v1/api-keys/{bob_key_id}"), &ann.access)
        .await
        .problem(404);
    app.post(
        "/api/v1/auth/switch",
        Some(&ann.access),
        json!({"organization_id": bob.org_id}),
    )
    .await
    .problem(404);
    // Nothing changed on Bob's side.
    let members = app.get("/api/v1/organization/members", &bob.access).await;
    assert!(
        members.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "member")
    );
    assert_eq!(
        app.get("/api/v1/organization", &bob_key).await.ok(200)["name"],
        "Bob Co"
    );
    // Lists never show the other tenant.
    let keys = app.get("/api/v1/api-keys", &ann.access).await;
    assert_eq!(keys.ok(200)["items"].as_array().unwrap().len(), 0);
    let log = app.get("/api/v1/audit-log", &ann.access).await;
    assert!(!log.ok(200).to_string().contains("carol@example.com"));
}

async fn rate_limit_and_its_headers(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |c| c.rate_limit = 5).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await; // one request of the address's budget
    for i in 0..5 {
        let r = app.get("/api/v1/organization", &s.access).await;
        r.ok(200);
        assert_eq!(r.header("ratelimit-limit"), Some("5"));
        assert_eq!(
            r.header("ratelimit-remaining"),
            Some((4 - i).to_string().as_str())
        );
        assert!(r.header("ratelimit-reset").is_some());
    }
    let r = app.get("/api/v1/organization", &s.access).await;
    r.problem(429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry), "{retry}");
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    // An API key has its own budget.
    let mut key_req = app.http.post(format!("{}/api/v1/api-keys", app.base));
    key_req = key_req
        .bearer_auth(&s.access)
        .json(&json!({"name": "k", "scopes": ["read"]}));
    TestApp::read(key_req.send().await.unwrap())
        .await
        .problem(429);
    let k = app
        .store
        .organization(bhd_domain::OrgId::from_uuid(s.org_id.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(k.name, "Org");
}

async fn audit_log_records_security_events(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "ann@example.com", "password": "wrong password!"}),
    )
    .await
    .problem(401);
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "ghost@example.com", "password": "wrong password!"}),
    )
    .await
    .problem(401);
    let again = app.login("ann@example.com").await;
    let r1 = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": again.refresh}),
        )
        .await;
    r1.ok(200);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": again.refresh}),
    )
    .await
    .problem(401);
    let (key_id, _) = app.api_key(&s, &["read"]).await;
    app.delete(&format!("/api/v1/api-keys/{key_id}"), &s.access)
        .await
        .ok(204);
    let m = app.member(&s, "bob@example.com", "viewer").await;
    app.patch(
        &format!("/api/v1/organization/members/{}", m.user_id),
        &s.access,
        json!({"role": "member"}),
    )
    .await
    .ok(200);
    app.delete(
        &format!("/api/v1/organization/members/{}", m.user_id),
        &s.access,
    )
    .await
    .ok(204);
    app.post(
        "/api/v1/organization/members",
        Some(&s.access),
        json!({"email": "later@example.com", "role": "viewer"}),
    )
    .await
    .ok(201);

    let actions = app.audit_actions(&s).await;
    for expected in [
        "user.signed_up",
        "auth.sign_in_failed",
        "auth.signed_in",
        "auth.refresh_token_reused",
        "api_key.created",
        "api_key.revoked",
        "member.added",
        "member.role_changed",
        "member.removed",
        "member.invited",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
    // The failed sign-in for an unknown email belongs to no tenant.
    let log = app.get("/api/v1/audit-log?limit=200", &s.access).await;
    assert!(!log.ok(200).to_string().contains("ghost@example.com"));
    // Paging.
    let page = app.get("/api/v1/audit-log?limit=2", &s.access).await;
    let cursor = page.ok(200)["next_cursor"].as_str().unwrap().to_owned();
    let next = app
        .get(
            &format!("/api/v1/audit-log?limit=2&before={cursor}"),
            &s.access,
        )
        .await;
    assert_ne!(next.ok(200)["items"][0]["id"], page.body["items"][0]["id"]);
    app.get("/api/v1/audit-log?limit=0", &s.access)
        .await
        .problem(422);
    app.get("/api/v1/audit-log?before=zzz", &s.access)
        .await
        .problem(400);
}

async fn unknown_routes_and_methods_are_problems(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let s = app.signup("ann@example.com", "Org").await;
    app.get("/api/v1/nothing-here", &s.access)
        .await
        .problem(404);
    app.call(
        Method::PUT,
        "/api/v1/organization",
        Some(&s.access),
        Some(json!({})),
    )
    .await
    .problem(405);
    app.call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await
        .problem(405);
}

async fn operations_endpoints(engine: Engine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let get = |p: &'static str| app.http.get(format!("{}{p}", app.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let ready = TestApp::read(get("/readyz").await.unwrap()).await;
    assert_eq!(ready.ok(200)["status"], "ready");
    app.signup("ann@example.com", "Org").await;
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(
            r#"http_requests_total{method="POST",route="/api/v1/auth/signup",status="201"}"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    // The OpenAPI document is 3.1 and lists every auth and tenancy path of API.md.
    let doc: serde_json::Value = get("/api/v1/openapi.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/switch",
        "/api/v1/me",
        "/api/v1/organizations",
        "/api/v1/organization",
        "/api/v1/organization/members",
        "/api/v1/organization/members/{user_id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    // Interactive docs are served by us (no CDN).
    let docs = get("/docs/").await.unwrap().text().await.unwrap();
    assert!(
        docs.contains("swagger-ui")
            && !docs.contains("unpkg.com")
            && !docs.contains("cdn.jsdelivr")
    );
    let r = app
        .http
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

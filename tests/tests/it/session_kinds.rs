//! Console sessions and the customer's sessions (dashboard cookie, API token) are kept apart:
//! each works only where it was issued for, a console session ends 12 h after sign-in, and
//! sessions stored before kinds existed keep working where they were issued for.

use aistudio_jobs::crypto::session_token;
use aistudio_jobs::store::{Role, SessionKind};
use aistudio_tests::{Api, ApiClient, TestEnv};
use chrono::{Duration, Utc};
use mongodb::bson::{DateTime, Document, doc};

use crate::admin::{Console, PASSWORD, account, set_cookie};

/// A bearer token from `POST /auth/token`.
async fn api_token(api: &Api, email: &str) -> String {
    let reply = ApiClient::new(&api.url)
        .post(
            "/api/v1/auth/token",
            serde_json::json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["token"].as_str().unwrap().to_string()
}

/// The stored session of `token`, as it is.
async fn stored(env: &TestEnv, token: &str) -> Document {
    env.database()
        .await
        .collection::<Document>("sessions")
        .find_one(doc! { "_id": session_token::digest(token) })
        .await
        .unwrap()
        .expect("the session is stored")
}

/// Rewrites the stored session of `token`.
async fn rewrite(env: &TestEnv, token: &str, update: Document) {
    env.database()
        .await
        .collection::<Document>("sessions")
        .update_one(doc! { "_id": session_token::digest(token) }, update)
        .await
        .unwrap();
}

fn console_with(api: &Api, token: &str) -> Console {
    let mut console = Console::new(api);
    console.cookie = Some(token.to_string());
    console
}

#[tokio::test]
async fn a_customer_session_in_the_console_cookie_is_sent_to_sign_in() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    account(&api, &store, "admin@example.com", Role::Admin).await;
    let token = api_token(&api, "admin@example.com").await;

    let page = console_with(&api, &token).get("/admin").await;
    assert_eq!(
        (page.status, page.location().as_str()),
        (303, "/admin/login?next=%2Fadmin")
    );
    assert_eq!(stored(&env, &token).await.get_str("kind").unwrap(), "api");
    let dashboard = ApiClient::new(&api.url)
        .post(
            "/api/v1/auth/login",
            serde_json::json!({ "email": "admin@example.com", "password": PASSWORD }),
        )
        .await
        .session_cookie()
        .unwrap();
    let page = console_with(&api, &dashboard).get("/admin/audit").await;
    assert_eq!(page.status, 303);
    // Both still work at the api, as either transport.
    let client = ApiClient::new(&api.url);
    for token in [&token, &dashboard] {
        assert_eq!(client.with_token(token).get("/api/v1/me").await.status, 200);
        assert_eq!(
            client.with_cookie(token).get("/api/v1/me").await.status,
            200
        );
    }
}

#[tokio::test]
async fn the_console_cookie_is_no_api_session() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    account(&api, &store, "admin@example.com", Role::Admin).await;
    let mut console = Console::new(&api);
    console.sign_in("admin@example.com").await;
    let cookie = console.cookie.clone().expect("signed in");

    let client = ApiClient::new(&api.url);
    let as_bearer = client.with_token(&cookie).get("/api/v1/me").await;
    assert_eq!(
        (as_bearer.status, as_bearer.body["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        stored(&env, &cookie).await.get_str("kind").unwrap(),
        "console"
    );
    assert_eq!(
        client.with_cookie(&cookie).get("/api/v1/me").await.status,
        401
    );
    let logout = client
        .with_token(&cookie)
        .send(reqwest::Method::POST, "/api/v1/auth/logout", None)
        .await;
    assert_eq!(logout.status, 401);
    assert_eq!(console.get("/admin").await.status, 200, "still signed in");
}

#[tokio::test]
async fn console_sessions_end_twelve_hours_after_sign_in() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    account(&api, &store, "admin@example.com", Role::Admin).await;
    assert_eq!(env.settings().security.session_ttl_hours, 720);
    let mut console = Console::new(&api);
    let signed_in = console.sign_in("admin@example.com").await;
    let cookie = console.cookie.clone().unwrap();
    let header = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("aistudio_admin=") && !v.starts_with("aistudio_admin=;"))
        .unwrap()
        .to_string();
    assert!(header.contains("Max-Age=43200"), "{header}");
    assert_eq!(
        set_cookie(&signed_in.headers, "aistudio_admin").as_deref(),
        Some(cookie.as_str())
    );
    let session = stored(&env, &cookie).await;
    let lifetime = session
        .get_datetime("expires_at")
        .unwrap()
        .timestamp_millis()
        - session
            .get_datetime("created_at")
            .unwrap()
            .timestamp_millis();
    assert_eq!(lifetime, 12 * 3600 * 1000);

    // 11 h 59 min later it still works; past 12 h it does not, even with a later expiry
    // stored (as a session issued with the dashboard's 30 days would have).
    let now = Utc::now();
    let at = |d: Duration| DateTime::from_chrono(now + d);
    rewrite(
        &env,
        &cookie,
        doc! { "$set": {
            "created_at": at(-Duration::minutes(11 * 60 + 59)),
            "expires_at": at(Duration::minutes(1)),
        } },
    )
    .await;
    assert_eq!(console.get("/admin").await.status, 200);
    rewrite(
        &env,
        &cookie,
        doc! { "$set": {
            "created_at": at(-Duration::minutes(12 * 60 + 1)),
            "expires_at": at(Duration::days(29)),
        } },
    )
    .await;
    let page = console.get("/admin").await;
    assert_eq!(
        (page.status, page.location().as_str()),
        (303, "/admin/login?next=%2Fadmin")
    );
}

#[tokio::test]
async fn sessions_stored_without_a_kind_keep_working_where_they_were_issued() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let id = account(&api, &store, "admin@example.com", Role::Admin).await;
    let sessions = store.sessions();
    // As the api and the console stored them before: 30 days, and 12 h.
    let customer = sessions
        .create(&id, SessionKind::Dashboard, Duration::hours(720))
        .await
        .unwrap();
    let console = sessions
        .create(&id, SessionKind::Console, Duration::hours(12))
        .await
        .unwrap();
    for token in [&customer, &console] {
        rewrite(&env, token, doc! { "$unset": { "kind": "" } }).await;
        assert!(!stored(&env, token).await.contains_key("kind"));
    }

    let client = ApiClient::new(&api.url);
    assert_eq!(
        client.with_token(&customer).get("/api/v1/me").await.status,
        200
    );
    assert_eq!(
        client.with_cookie(&customer).get("/api/v1/me").await.status,
        200
    );
    assert_eq!(
        console_with(&api, &customer).get("/admin").await.status,
        303
    );

    assert_eq!(console_with(&api, &console).get("/admin").await.status, 200);
    assert_eq!(
        client.with_token(&console).get("/api/v1/me").await.status,
        401
    );
}

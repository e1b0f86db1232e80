//! Connecting Instagram through the consent screen, the token vault in place, refresh,
//! disconnect, key rotation, and Meta's callbacks — real api and worker against the simulator.

use std::time::Duration;

use aistudio_config::ExposeSecret;
use aistudio_jobs::crypto::vault::Vault;
use aistudio_jobs::store::ConnectionStatus;
use aistudio_sim::{SettingsPatch, SimConfig, SimHandle, Simulator, TokenShape, TokenTarget};
use aistudio_tests::{Api, ApiClient, Browser, TestEnv, Worker, eventually, with_param};
use mongodb::bson::{DateTime, Document, doc};

const PASSWORD: &str = "a long enough password";

struct World {
    sim: SimHandle,
    env: TestEnv,
    api: Api,
    user: ApiClient,
    browser: Browser,
}

async fn world_with(configure: impl FnOnce(&mut TestEnv)) -> World {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let mut env = TestEnv::new();
    env.use_sim(&sim);
    configure(&mut env);
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let reply = anon
        .post(
            "/api/v1/auth/signup",
            serde_json::json!({ "name": "Shop", "email": "shop@example.com", "password": PASSWORD }),
        )
        .await;
    let cookie = reply.session_cookie().expect("signed up");
    World {
        browser: Browser::new(Some(&cookie)),
        user: anon.with_cookie(&cookie),
        sim,
        env,
        api,
    }
}

async fn world() -> World {
    world_with(|_| {}).await
}

/// Every document of every collection, as text.
async fn dump(env: &TestEnv) -> String {
    let db = env.database().await;
    let mut text = String::new();
    for name in db.list_collection_names().await.unwrap() {
        let mut cursor = db
            .collection::<Document>(&name)
            .find(doc! {})
            .await
            .unwrap();
        while cursor.advance().await.unwrap() {
            text.push_str(&format!("{:?}\n", cursor.deserialize_current().unwrap()));
        }
    }
    text
}

fn vault(env: &TestEnv) -> Vault {
    Vault::new(&env.settings().security).unwrap()
}

async fn plaintext_token(world: &World, connection_id: &str) -> String {
    let store = world.env.store().await;
    let connection = store
        .connections()
        .by_id(connection_id)
        .await
        .unwrap()
        .unwrap();
    vault(&world.env)
        .open(connection.token.as_ref().unwrap(), connection_id)
        .unwrap()
        .expose_secret()
        .to_string()
}

#[tokio::test]
async fn connect_stores_only_a_sealed_token_and_shows_the_account() {
    let w = world().await;
    assert_eq!(
        w.browser.connect_instagram(&w.api.url, "acme_shop").await,
        "instagram=connected"
    );
    let list = w.user.get("/api/v1/instagram/connections").await;
    assert_eq!(list.status, 200);
    let connections = list.body.as_array().unwrap();
    assert_eq!(connections.len(), 1);
    let c = &connections[0];
    assert_eq!(
        c["username"], "acme_shop",
        "the user sees which account posts go to"
    );
    assert_eq!(c["status"], "active");
    assert!(c["ig_user_id"].as_str().unwrap().starts_with("1784"));
    assert!(c.get("token").is_none());
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(c["token_expires_at"].clone()).unwrap();
    assert!(
        expires > chrono::Utc::now() + chrono::Duration::days(55),
        "long-lived token"
    );

    // The token works (it is the simulator's), and appears nowhere in plaintext.
    let id = c["id"].as_str().unwrap();
    let token = plaintext_token(&w, id).await;
    assert!(token.len() > 20);
    let me = reqwest::Client::new()
        .get(format!(
            "{}/v25.0/me?fields=user_id,username",
            w.sim.urls().graph
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the stored token is the live one");
    assert!(
        !dump(&w.env).await.contains(&token),
        "plaintext token in MongoDB"
    );
    assert!(
        !w.api.process.output().contains(&token),
        "plaintext token in the api log"
    );
    assert!(!list.body.to_string().contains(&token));
    let store = w.env.store().await;
    let stored = store.connections().by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.token.unwrap().key_id, "t1");
}

#[tokio::test]
async fn the_documented_data_shape_of_the_token_answer_works_too() {
    let w = world().await;
    w.sim.update_settings(&SettingsPatch {
        token_response_shape: Some(TokenShape::Data),
        ..Default::default()
    });
    assert_eq!(
        w.browser.connect_instagram(&w.api.url, "data_shape").await,
        "instagram=connected"
    );
    let list = w.user.get("/api/v1/instagram/connections").await;
    assert_eq!(list.body[0]["username"], "data_shape");
}

#[tokio::test]
async fn denied_forged_foreign_and_replayed_attempts_connect_nothing() {
    let w = world().await;
    // Denied at the consent screen.
    let authorize = w.browser.start_instagram(&w.api.url).await;
    assert!(
        authorize.contains("instagram_business_basic%2Cinstagram_business_content_publish")
            || authorize.contains("instagram_business_basic,instagram_business_content_publish"),
        "{authorize}"
    );
    let denied = w.browser.consent(&authorize, "&sim_consent=deny").await;
    assert_eq!(
        w.browser.land(&denied).await,
        "instagram_error=access_denied"
    );

    // A forged state.
    let authorize = w.browser.start_instagram(&w.api.url).await;
    let callback = w
        .browser
        .consent(&authorize, "&sim_consent=allow&sim_account=acme")
        .await;
    let forged = with_param(&callback, "state", "forged");
    assert_eq!(
        w.browser.land(&forged).await,
        "instagram_error=invalid_state"
    );

    // The right state but another signed-in user (or nobody) at the callback.
    let other = ApiClient::new(&w.api.url)
        .post(
            "/api/v1/auth/signup",
            serde_json::json!({ "name": "Other", "email": "other@example.com", "password": PASSWORD }),
        )
        .await
        .session_cookie()
        .unwrap();
    assert_eq!(
        Browser::new(Some(&other)).land(&callback).await,
        "instagram_error=invalid_state",
        "a state belongs to the user who started"
    );
    // That state is now used up; a fresh flow completes.
    assert_eq!(
        w.browser.land(&callback).await,
        "instagram_error=invalid_state"
    );
    assert_eq!(
        Browser::new(None).land(&callback).await,
        "instagram_error=invalid_state"
    );

    // A replayed code with a fresh state.
    let first = w
        .browser
        .consent(
            &w.browser.start_instagram(&w.api.url).await,
            "&sim_consent=allow&sim_account=acme",
        )
        .await;
    assert_eq!(w.browser.land(&first).await, "instagram=connected");
    let code = url::Url::parse(&first)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let second = w
        .browser
        .consent(
            &w.browser.start_instagram(&w.api.url).await,
            "&sim_consent=allow&sim_account=acme",
        )
        .await;
    let replay = with_param(&second, "code", &code);
    assert_eq!(
        w.browser.land(&replay).await,
        "instagram_error=exchange_failed"
    );
    let list = w.user.get("/api/v1/instagram/connections").await;
    assert_eq!(
        list.body.as_array().unwrap().len(),
        1,
        "only the completed flow connected"
    );
}

#[tokio::test]
async fn reconnecting_updates_and_another_user_is_refused() {
    let w = world().await;
    assert_eq!(
        w.browser.connect_instagram(&w.api.url, "acme").await,
        "instagram=connected"
    );
    let before = w.user.get("/api/v1/instagram/connections").await.body[0].clone();
    let old_token = plaintext_token(&w, before["id"].as_str().unwrap()).await;
    assert_eq!(
        w.browser.connect_instagram(&w.api.url, "acme").await,
        "instagram=reconnected"
    );
    let after = w.user.get("/api/v1/instagram/connections").await.body;
    assert_eq!(
        after.as_array().unwrap().len(),
        1,
        "updated, not duplicated"
    );
    assert_eq!(after[0]["id"], before["id"]);
    assert_ne!(
        plaintext_token(&w, before["id"].as_str().unwrap()).await,
        old_token
    );

    let other_cookie = ApiClient::new(&w.api.url)
        .post(
            "/api/v1/auth/signup",
            serde_json::json!({ "name": "Rival", "email": "rival@example.com", "password": PASSWORD }),
        )
        .await
        .session_cookie()
        .unwrap();
    let rival = Browser::new(Some(&other_cookie));
    assert_eq!(
        rival.connect_instagram(&w.api.url, "acme").await,
        "instagram_error=connected_elsewhere"
    );
    let rival_list = ApiClient::new(&w.api.url)
        .with_cookie(&other_cookie)
        .get("/api/v1/instagram/connections")
        .await;
    assert_eq!(rival_list.body.as_array().unwrap().len(), 0);
    // The rival cannot disconnect it either.
    let id = before["id"].as_str().unwrap();
    let attempt = ApiClient::new(&w.api.url)
        .with_cookie(&other_cookie)
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/instagram/connections/{id}"),
            None,
        )
        .await;
    assert_eq!(attempt.status, 404);
}

#[tokio::test]
async fn disconnect_deletes_the_token_immediately() {
    let w = world().await;
    w.browser.connect_instagram(&w.api.url, "acme").await;
    let id = w.user.get("/api/v1/instagram/connections").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = w
        .user
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/instagram/connections/{id}"),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "disconnected");
    let db = w.env.database().await;
    let raw = db
        .collection::<Document>("connections")
        .find_one(doc! { "_id": &id })
        .await
        .unwrap()
        .unwrap();
    assert!(raw.get("token").is_none(), "no token left: {raw:?}");
    assert_eq!(raw.get_str("status").unwrap(), "disconnected");
}

#[tokio::test]
async fn refresh_waits_for_24_hours_refreshes_before_expiry_and_flags_a_dead_token() {
    let w = world_with(|env| {
        env.set("AISTUDIO__INSTAGRAM__REFRESH_CRON", "* * * * * *");
    })
    .await;
    let _worker = Worker::start(&w.env).await;
    w.browser.connect_instagram(&w.api.url, "acme").await;
    let id = w.user.get("/api/v1/instagram/connections").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let store = w.env.store().await;
    let first = store.connections().by_id(&id).await.unwrap().unwrap();

    // Young token: several sweeps pass, nothing is refreshed.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let unchanged = store.connections().by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        unchanged.token, first.token,
        "a token younger than 24 h is never refreshed"
    );

    // Weeks later (for us and for Instagram), it is refreshed before it expires.
    let db = w.env.database().await;
    let day_ago = DateTime::from_millis(DateTime::now().timestamp_millis() - 25 * 3600 * 1000);
    let soon = DateTime::from_millis(DateTime::now().timestamp_millis() + 5 * 24 * 3600 * 1000);
    db.collection::<Document>("connections")
        .update_one(
            doc! { "_id": &id },
            doc! { "$set": { "token_refreshed_at": day_ago, "token_expires_at": soon } },
        )
        .await
        .unwrap();
    w.sim.advance_clock(Duration::from_secs(25 * 3600));
    let refreshed = eventually(
        Duration::from_secs(20),
        "the token to be refreshed",
        || async {
            let c = store.connections().by_id(&id).await.ok()??;
            (c.token != first.token).then_some(c)
        },
    )
    .await;
    assert!(
        refreshed.token_refreshed_at.unwrap() > chrono::Utc::now() - chrono::Duration::minutes(1)
    );
    assert_eq!(refreshed.status, ConnectionStatus::Active);
    let token = plaintext_token(&w, &id).await;
    let me = reqwest::Client::new()
        .get(format!(
            "{}/v25.0/me?fields=user_id,username",
            w.sim.urls().graph
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the refreshed token is live");

    // Instagram revokes it: the next refresh marks the connection for reconnection.
    w.sim
        .revoke_tokens(&TokenTarget::Account("acme".into()), None);
    db.collection::<Document>("connections")
        .update_one(
            doc! { "_id": &id },
            doc! { "$set": { "token_refreshed_at": day_ago, "token_expires_at": soon } },
        )
        .await
        .unwrap();
    w.sim.advance_clock(Duration::from_secs(25 * 3600));
    eventually(Duration::from_secs(20), "needs_reconnect", || async {
        let c = store.connections().by_id(&id).await.ok()??;
        (c.status == ConnectionStatus::NeedsReconnect).then_some(())
    })
    .await;
    let shown = w.user.get("/api/v1/instagram/connections").await;
    assert_eq!(
        shown.body[0]["status"], "needs_reconnect",
        "visible to the user"
    );
    // Reconnecting makes it active again.
    assert_eq!(
        w.browser.connect_instagram(&w.api.url, "acme").await,
        "instagram=reconnected"
    );
    assert_eq!(
        w.user.get("/api/v1/instagram/connections").await.body[0]["status"],
        "active"
    );
}

#[tokio::test]
async fn key_rotation_reseals_every_token_with_the_new_key() {
    let w = world().await;
    w.browser.connect_instagram(&w.api.url, "acme").await;
    w.browser.connect_instagram(&w.api.url, "acme_two").await;
    let list = w.user.get("/api/v1/instagram/connections").await.body;
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let mut before = Vec::new();
    for id in &ids {
        before.push(plaintext_token(&w, id).await);
    }

    let mut rotated = w.env.clone();
    rotated
        .set(
            "AISTUDIO__SECURITY__TOKEN_KEYS__T2",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        )
        .set("AISTUDIO__SECURITY__CURRENT_TOKEN_KEY", "t2");
    let out = std::process::Command::new(aistudio_tests::binary("aistudio-ctl"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(rotated.process_env())
        .arg("rotate-token-keys")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("2 tokens re-sealed with key t2"));

    let store = w.env.store().await;
    let new_vault = Vault::new(&rotated.settings().security).unwrap();
    for (id, token) in ids.iter().zip(&before) {
        let c = store.connections().by_id(id).await.unwrap().unwrap();
        let sealed = c.token.unwrap();
        assert_eq!(sealed.key_id, "t2");
        assert_eq!(new_vault.open(&sealed, id).unwrap().expose_secret(), token);
        assert!(
            vault(&w.env).open(&sealed, id).is_err(),
            "the old key alone cannot open it"
        );
    }
}

fn form(signed: &str) -> Vec<(&'static str, String)> {
    vec![("signed_request", signed.to_string())]
}

#[tokio::test]
async fn meta_deauthorize_verifies_the_signature_and_deletes_the_token() {
    let w = world().await;
    w.browser.connect_instagram(&w.api.url, "acme").await;
    let c = w.user.get("/api/v1/instagram/connections").await.body[0].clone();
    let ig_user_id = c["ig_user_id"].as_str().unwrap();
    let secret = w.sim.config().instagram.client_secret.clone();
    let now = chrono::Utc::now().timestamp();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/meta/deauthorize", w.api.url);
    let payload = aistudio_sim::meta::deauthorize_payload(ig_user_id, now);

    let store = w.env.store().await;
    let has_token = || async {
        store
            .connections()
            .by_ig_user_id(ig_user_id)
            .await
            .unwrap()
            .unwrap()
            .token
            .is_some()
    };
    let refused = [
        aistudio_sim::meta::forged_signed_request(&payload),
        aistudio_sim::meta::tampered_signed_request(
            &secret,
            &payload,
            &aistudio_sim::meta::deauthorize_payload("17841400000000999", now),
        ),
        aistudio_sim::meta::signed_request(
            &secret,
            &serde_json::json!({ "algorithm": "HMAC-MD5", "issued_at": now, "user_id": ig_user_id }),
        ),
        aistudio_sim::meta::signed_request(
            &secret,
            &aistudio_sim::meta::deauthorize_payload(ig_user_id, now - 3 * 24 * 3600),
        ),
        "not-a-signed-request".to_string(),
    ];
    for signed in &refused {
        let r = http.post(&url).form(&form(signed)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{signed}");
        assert!(has_token().await, "a refused callback changed nothing");
    }
    // No signed_request at all, or another field: refused the same way, status and code agreeing.
    for body in [vec![], vec![("other", "x".to_string())]] {
        let r = http.post(&url).form(&body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body:?}");
        let answer: serde_json::Value = r.json().await.unwrap();
        assert_eq!(answer["code"], "bad_request", "{answer}");
        assert!(has_token().await, "a refused callback changed nothing");
    }

    let genuine = aistudio_sim::meta::signed_request(&secret, &payload);
    let r = http.post(&url).form(&form(&genuine)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!has_token().await, "the token is deleted");
    let replay = http.post(&url).form(&form(&genuine)).send().await.unwrap();
    assert_eq!(replay.status(), 400, "a replayed signed_request is refused");
    assert_eq!(
        w.user.get("/api/v1/instagram/connections").await.body[0]["status"],
        "disconnected"
    );
}

#[tokio::test]
async fn meta_data_deletion_answers_a_status_page_and_deletes_the_connection() {
    let w = world().await;
    let _worker = Worker::start(&w.env).await;
    w.browser.connect_instagram(&w.api.url, "acme").await;
    let c = w.user.get("/api/v1/instagram/connections").await.body[0].clone();
    let ig_user_id = c["ig_user_id"].as_str().unwrap().to_string();
    let secret = w.sim.config().instagram.client_secret.clone();
    let now = chrono::Utc::now().timestamp();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/meta/data-deletion", w.api.url);
    let payload = aistudio_sim::meta::data_deletion_payload(&ig_user_id, now, now + 3600);

    let forged = http
        .post(&url)
        .form(&form(&aistudio_sim::meta::forged_signed_request(&payload)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let store = w.env.store().await;
    assert!(
        store
            .connections()
            .by_ig_user_id(&ig_user_id)
            .await
            .unwrap()
            .is_some()
    );

    let r = http
        .post(&url)
        .form(&form(&aistudio_sim::meta::signed_request(
            &secret, &payload,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let code = body["confirmation_code"].as_str().unwrap().to_string();
    let status_url = body["url"].as_str().unwrap().to_string();
    assert_eq!(status_url, format!("{}/deletion-status/{code}", w.api.url));

    let page = eventually(
        Duration::from_secs(30),
        "the deletion to complete",
        || async {
            let page = reqwest::get(&status_url).await.ok()?.text().await.ok()?;
            page.contains("Completed").then_some(page)
        },
    )
    .await;
    assert!(page.contains(&code));
    for private in [ig_user_id.as_str(), "acme", "shop@example.com"] {
        assert!(!page.contains(private), "the status page shows {private}");
    }
    assert!(
        store
            .connections()
            .by_ig_user_id(&ig_user_id)
            .await
            .unwrap()
            .is_none()
    );
    let missing = reqwest::get(format!("{}/deletion-status/{}", w.api.url, "0".repeat(32)))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

//! Outbound webhooks end to end: the api, workers and a receiver in this test process that
//! verifies every Standard Webhooks signature with the secret shown at creation.

use std::time::Duration;

use aistudio_sim::{
    Effect, Endpoint, FaultRule, SimConfig, SimHandle, Simulator, SmtpConfig, TokenTarget,
};
use aistudio_tests::{Api, ApiClient, Receiver, Studio, TestEnv, Worker, eventually};
use serde_json::{Value, json};

/// An account with a worker and a receiver; email goes to the simulator's SMTP sink.
struct Hookroom {
    sim: SimHandle,
    env: TestEnv,
    api: Api,
    user: ApiClient,
    receiver: Receiver,
}

/// Fast retries, loopback allowed (the receiver runs here).
fn fast_webhooks(env: &mut TestEnv) {
    env.set("AISTUDIO__WEBHOOKS__ALLOW_HOSTS", "127.0.0.1")
        .set("AISTUDIO__WEBHOOKS__RETRY_BASE_SECS", "1")
        .set("AISTUDIO__WEBHOOKS__RETRY_MAX_SECS", "1")
        .set("AISTUDIO__WEBHOOKS__TIMEOUT_SECS", "2")
        .set("AISTUDIO__WORKER__MAINTENANCE_CRON", "*/2 * * * * *");
}

impl Hookroom {
    async fn start(configure: impl FnOnce(&mut TestEnv)) -> Self {
        let sim = Simulator::start(SimConfig {
            smtp: SmtpConfig {
                listen: Some("127.0.0.1:0".parse().unwrap()),
                ..SmtpConfig::default()
            },
            ..SimConfig::default()
        })
        .await
        .expect("simulator");
        let mut env = TestEnv::new();
        env.use_sim(&sim);
        fast_webhooks(&mut env);
        configure(&mut env);
        let api = Api::start(&env).await;
        let user = ApiClient::new(&api.url)
            .sign_up("Hooks", "hooks@example.com", "a long enough password")
            .await;
        Self {
            sim,
            env,
            api,
            user,
            receiver: Receiver::start().await,
        }
    }

    /// Registers the receiver for `events`; the endpoint as created (with its secret).
    async fn register(&self, events: &[&str]) -> Value {
        register(&self.user, &self.receiver, events).await
    }
}

/// Registers `receiver` for `events` and gives it the secret shown.
async fn register(user: &ApiClient, receiver: &Receiver, events: &[&str]) -> Value {
    let reply = user
        .post(
            "/api/v1/webhooks",
            json!({ "url": receiver.url, "events": events }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let secret = reply.body["secret"].as_str().expect("the secret is shown");
    assert!(secret.starts_with("whsec_"));
    receiver.set_secret(secret);
    reply.body
}

/// The endpoint's deliveries, waiting until the newest one is `status`.
async fn wait_delivery(user: &ApiClient, endpoint: &str, status: &str) -> Value {
    eventually(
        Duration::from_secs(40),
        &format!("a delivery to be {status}"),
        || async {
            let list = user
                .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
                .await
                .body;
            (list[0]["status"] == status).then(|| list[0].clone())
        },
    )
    .await
}

async fn send_test(user: &ApiClient, endpoint: &str) -> Value {
    let reply = user
        .post(&format!("/api/v1/webhooks/{endpoint}/test"), json!({}))
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn a_published_post_and_a_disconnection_are_each_delivered_once_and_signed() {
    let s = Studio::start(fast_webhooks).await;
    let _worker = s.worker().await;
    let receiver = Receiver::start().await;
    let created = register(
        &s.user,
        &receiver,
        &["post.published", "connection.disconnected"],
    )
    .await;
    let endpoint = created["id"].as_str().unwrap();
    // The secret is shown once: never in a read, a list or a change.
    for reply in [
        s.user.get(&format!("/api/v1/webhooks/{endpoint}")).await,
        s.user.get("/api/v1/webhooks").await,
    ] {
        assert_eq!(reply.status, 200);
        let text = reply.body.to_string();
        assert!(!text.contains("whsec_"), "{text}");
    }

    let post = s.image_post("to be announced").await;
    let published = s.wait_settled(&post, Duration::from_secs(40)).await;
    let delivery = wait_delivery(&s.user, endpoint, "delivered").await;
    let got = receiver.received();
    assert_eq!(got.len(), 1, "one request: {got:?}");
    let hook = &got[0];
    assert!(hook.verified, "the signature verifies with the secret");
    assert_eq!(hook.id, delivery["event_id"]);
    assert!(hook.id.starts_with("evt_"));
    assert!((hook.timestamp - chrono::Utc::now().timestamp()).abs() < 60);
    assert_eq!(hook.content_type, "application/json");
    assert_eq!(hook.body["type"], "post.published");
    assert_eq!(hook.body["data"]["post_id"], post.as_str());
    assert_eq!(hook.body["data"]["status"], "published");
    assert_eq!(hook.body["data"]["username"], "acme");
    assert_eq!(hook.body["data"]["connection_id"], s.connection_id.as_str());
    assert_eq!(hook.body["data"]["permalink"], published["permalink"]);
    assert!(hook.body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["attempts_log"][0]["status_code"], 200);
    assert!(delivery["attempts_log"][0]["response_ms"].is_u64());

    let reply = s
        .user
        .delete(&format!(
            "/api/v1/instagram/connections/{}",
            s.connection_id
        ))
        .await;
    assert_eq!(reply.status, 200);
    eventually(Duration::from_secs(30), "the disconnection", || async {
        (receiver.received().len() == 2).then_some(())
    })
    .await;
    let hook = &receiver.received()[1];
    assert!(hook.verified);
    assert_eq!(hook.body["type"], "connection.disconnected");
    assert_eq!(hook.body["data"]["connection_id"], s.connection_id.as_str());
    assert_eq!(hook.body["data"]["status"], "disconnected");
    // Disconnecting again raises nothing more, and nothing else arrives.
    s.user
        .delete(&format!(
            "/api/v1/instagram/connections/{}",
            s.connection_id
        ))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn a_receiver_answering_500_twice_gets_the_event_on_the_third_attempt_under_one_id() {
    let room = Hookroom::start(|_| {}).await;
    let _worker = Worker::start(&room.env).await;
    let created = room.register(&["post.failed"]).await;
    let endpoint = created["id"].as_str().unwrap();
    room.receiver.answer(&[500, 500], 200);
    send_test(&room.user, endpoint).await;
    let delivery = wait_delivery(&room.user, endpoint, "delivered").await;
    let got = room.receiver.received();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|h| h.verified && h.id == got[0].id));
    assert_eq!(got[0].body["type"], "webhook.test");
    assert_eq!(got[0].body["data"]["endpoint_id"], endpoint);
    assert!(got.iter().all(|h| h.body == got[0].body), "the same body");
    assert_eq!(delivery["attempts"], 3);
    let codes: Vec<&Value> = delivery["attempts_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);
    // A success ends the failure streak.
    let read = room.user.get(&format!("/api/v1/webhooks/{endpoint}")).await;
    assert_eq!(read.body["failing_since"], Value::Null);

    // The secret is stored sealed only.
    let store = room.env.store().await;
    let stored = store
        .webhook_endpoints()
        .by_id(endpoint)
        .await
        .unwrap()
        .unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(!format!("{stored:?}").contains(&secret["whsec_".len()..]));

    // Deleting the account deletes its endpoints and deliveries, counted on the receipt.
    let reply = room
        .user
        .post("/api/v1/me/deletion", json!({ "confirm": true }))
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    let code = reply.body["confirmation_code"]
        .as_str()
        .unwrap()
        .to_string();
    let anon = ApiClient::new(&room.api.url);
    let receipt = eventually(Duration::from_secs(30), "the deletion", || async {
        let r = anon.get(&format!("/api/v1/deletions/{code}")).await;
        (r.body["status"] == "completed").then_some(r.body)
    })
    .await;
    assert_eq!(receipt["deleted"]["webhook_endpoints"], 1, "{receipt}");
    assert_eq!(receipt["deleted"]["webhook_deliveries"], 1, "{receipt}");
    assert!(
        store
            .webhook_endpoints()
            .by_id(endpoint)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_its_owner_emailed_and_it_can_be_redelivered() {
    let room = Hookroom::start(|env| {
        env.set("AISTUDIO__WEBHOOKS__DISABLE_AFTER_SECS", "3");
    })
    .await;
    let _worker = Worker::start(&room.env).await;
    let created = room.register(&["post.published"]).await;
    let endpoint = created["id"].as_str().unwrap();
    room.receiver.answer(&[], 503);
    send_test(&room.user, endpoint).await;

    let disabled = eventually(Duration::from_secs(40), "the endpoint disabled", || async {
        let e = room
            .user
            .get(&format!("/api/v1/webhooks/{endpoint}"))
            .await
            .body;
        (e["enabled"] == false).then_some(e)
    })
    .await;
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("answered 503"),
        "{disabled}"
    );
    let delivery = wait_delivery(&room.user, endpoint, "failed").await;
    assert!(delivery["attempts"].as_u64().unwrap() >= 2, "{delivery}");
    // The sign-up's address confirmation is not this test's business.
    let mail = eventually(Duration::from_secs(30), "the owner's email", || async {
        let mail: Vec<_> = room
            .sim
            .mail(Some("hooks@example.com"))
            .into_iter()
            .filter(|m| m.subject.as_deref() != Some("Confirm your AIStudio email address"))
            .collect();
        (!mail.is_empty()).then_some(mail)
    })
    .await;
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].subject.as_deref(),
        Some("Webhook endpoint disabled")
    );
    assert!(
        mail[0]
            .text
            .as_deref()
            .unwrap()
            .contains(&room.receiver.url)
    );
    // Disabled: test events are refused and nothing more is attempted.
    let seen = room.receiver.received().len();
    let refused = room
        .user
        .post(&format!("/api/v1/webhooks/{endpoint}/test"), json!({}))
        .await;
    assert_eq!(refused.status, 409);

    // Enabled again, it starts a new streak; a redelivery sends the same event again.
    room.receiver.answer(&[], 200);
    let enabled = room
        .user
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/{endpoint}"),
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(enabled.status, 200, "{:?}", enabled.body);
    assert_eq!(enabled.body["disabled_reason"], Value::Null);
    assert_eq!(enabled.body["failing_since"], Value::Null);
    let reply = room
        .user
        .post(
            &format!(
                "/api/v1/webhooks/{endpoint}/deliveries/{}/redeliver",
                delivery["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    let redelivered = wait_delivery(&room.user, endpoint, "delivered").await;
    assert_eq!(redelivered["id"], delivery["id"]);
    let got = room.receiver.received();
    assert!(got.len() > seen);
    assert!(got.iter().all(|h| h.verified && h.id == got[0].id));
}

#[tokio::test]
async fn a_410_disables_the_endpoint_at_once() {
    let room = Hookroom::start(|_| {}).await;
    let _worker = Worker::start(&room.env).await;
    let endpoint = room.register(&["post.failed"]).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    room.receiver.answer(&[410], 200);
    send_test(&room.user, &endpoint).await;
    let delivery = wait_delivery(&room.user, &endpoint, "failed").await;
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["failure"], "the endpoint answered 410 Gone");
    let e = room
        .user
        .get(&format!("/api/v1/webhooks/{endpoint}"))
        .await
        .body;
    assert_eq!(e["enabled"], false);
    assert_eq!(room.receiver.received().len(), 1);
}

#[tokio::test]
async fn private_addresses_are_refused_at_registration_and_loopback_at_delivery() {
    // The api lets the receiver's host be registered; the worker's allow-list is empty, as in
    // production, so the delivery-time check refuses it.
    let room = Hookroom::start(|_| {}).await;
    let mut strict = room.env.clone();
    strict.unset("AISTUDIO__WEBHOOKS__ALLOW_HOSTS");
    let _worker = Worker::start(&strict).await;

    for (url, field_says) in [
        ("http://hooks.example.com/x", "must use https"),
        ("https://10.0.0.7/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:127.0.0.1]/x", "loopback"),
        ("https://localhost/x", "loopback"),
        ("https://[fd00::1]/x", "unique local"),
    ] {
        let reply = room
            .user
            .post(
                "/api/v1/webhooks",
                json!({ "url": url, "events": ["post.failed"] }),
            )
            .await;
        assert_eq!(reply.status, 422, "{url}: {:?}", reply.body);
        assert_eq!(reply.body["field"], "url", "{url}");
        assert!(
            reply.body["message"].as_str().unwrap().contains(field_says),
            "{url}: {:?}",
            reply.body
        );
    }
    let reply = room
        .user
        .post(
            "/api/v1/webhooks",
            json!({ "url": room.receiver.url, "events": ["post.nope"] }),
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.body["field"], "events");
    assert_eq!(room.user.get("/api/v1/webhooks").await.body, json!([]));

    let endpoint = room.register(&["post.failed"]).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    send_test(&room.user, &endpoint).await;
    let delivery = eventually(Duration::from_secs(30), "a refused attempt", || async {
        let list = room
            .user
            .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
            .await
            .body;
        let log = list[0]["attempts_log"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (!log.is_empty()).then(|| list[0].clone())
    })
    .await;
    let error = delivery["attempts_log"][0]["error"].as_str().unwrap();
    assert!(error.contains("loopback"), "{error}");
    assert_eq!(delivery["attempts_log"][0]["status_code"], Value::Null);
    assert!(room.receiver.received().is_empty());

    // Another user's endpoint does not exist for them.
    let other = ApiClient::new(&room.api.url)
        .sign_up("Other", "other@example.com", "a long enough password")
        .await;
    for reply in [
        other.get(&format!("/api/v1/webhooks/{endpoint}")).await,
        other.delete(&format!("/api/v1/webhooks/{endpoint}")).await,
        other
            .post(&format!("/api/v1/webhooks/{endpoint}/test"), json!({}))
            .await,
        other
            .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
            .await,
    ] {
        assert_eq!(reply.status, 404, "{:?}", reply.body);
    }
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_delivers_again_only_under_the_same_webhook_id() {
    let room = Hookroom::start(|_| {}).await;
    let mut worker = Worker::start(&room.env).await;
    let endpoint = room.register(&["post.failed"]).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The first request is held; the worker dies while waiting for the answer.
    room.receiver.delay(Some(Duration::from_secs(30)));
    send_test(&room.user, &endpoint).await;
    eventually(Duration::from_secs(20), "the first request", || async {
        (!room.receiver.received().is_empty()).then_some(())
    })
    .await;
    worker.process.signal("KILL");
    worker.process.wait_exit(Duration::from_secs(10)).await;
    room.receiver.delay(None);
    let _replacement = Worker::start(&room.env).await;
    let delivery = wait_delivery(&room.user, &endpoint, "delivered").await;
    let got = room.receiver.received();
    assert!(
        got.len() <= 2,
        "at most one more request after the kill: {got:?}"
    );
    assert!(got.iter().all(|h| h.verified && h.id == got[0].id));
    assert_eq!(delivery["event_id"], got[0].id.as_str());
    assert_eq!(
        delivery["attempts_log"].as_array().unwrap().last().unwrap()["status_code"],
        200
    );
}

#[tokio::test]
async fn a_post_instagram_refuses_and_a_revoked_token_are_delivered_as_failed_and_needs_reconnect()
{
    let s = Studio::start(fast_webhooks).await;
    let receiver = Receiver::start().await;
    register(
        &s.user,
        &receiver,
        &["post.failed", "connection.needs_reconnect"],
    )
    .await;
    // Instagram refuses the media for good: the post fails, and the endpoint hears it.
    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaCreate,
        Effect::GraphError {
            code: 36003,
            subcode: Some(2207009),
            http_status: Some(400),
            is_transient: false,
            message: Some("The aspect ratio is not supported.".into()),
        },
    ));
    let _worker = s.worker().await;
    let failed = s.image_post("Wrong shape").await;
    let post = s.wait_for(&failed, "failed", Duration::from_secs(60)).await;
    eventually(Duration::from_secs(40), "post.failed", || async {
        (!receiver.received().is_empty()).then_some(())
    })
    .await;
    let hook = &receiver.received()[0];
    assert!(hook.verified, "the signature verifies with the secret");
    assert_eq!(hook.body["type"], "post.failed");
    assert_eq!(hook.body["data"]["post_id"], failed.as_str());
    assert_eq!(hook.body["data"]["status"], "failed");
    assert_eq!(hook.body["data"]["reason"], post["failure_reason"]);
    assert_eq!(hook.body["data"]["connection_id"], s.connection_id.as_str());

    // Instagram stops accepting the account's token: the next post parks the connection.
    s.sim.clear_faults();
    s.sim
        .revoke_tokens(&TokenTarget::Account("acme".into()), None);
    let parked = s.image_post("Parked").await;
    s.wait_for(&parked, "needs_reconnect", Duration::from_secs(60))
        .await;
    eventually(
        Duration::from_secs(40),
        "connection.needs_reconnect",
        || async { (receiver.received().len() >= 2).then_some(()) },
    )
    .await;
    let hook = &receiver.received()[1];
    assert!(hook.verified);
    assert_eq!(hook.body["type"], "connection.needs_reconnect");
    assert_eq!(hook.body["data"]["connection_id"], s.connection_id.as_str());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 2, "each event once");
}

#[tokio::test]
async fn metas_data_deletion_alone_raises_connection_disconnected_once() {
    let s = Studio::start(fast_webhooks).await;
    let _worker = s.worker().await;
    let receiver = Receiver::start().await;
    register(&s.user, &receiver, &["connection.disconnected"]).await;
    let c = s.user.get("/api/v1/instagram/connections").await.body[0].clone();
    let ig_user_id = c["ig_user_id"].as_str().unwrap().to_string();
    let secret = s.sim.config().instagram.client_secret.clone();
    let now = chrono::Utc::now().timestamp();
    let payload = aistudio_sim::meta::data_deletion_payload(&ig_user_id, now, now + 3600);
    let signed = aistudio_sim::meta::signed_request(&secret, &payload);
    let reply = reqwest::Client::new()
        .post(format!("{}/api/v1/meta/data-deletion", s.api.url))
        .form(&[("signed_request", signed)])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    eventually(
        Duration::from_secs(40),
        "connection.disconnected",
        || async { (!receiver.received().is_empty()).then_some(()) },
    )
    .await;
    let hook = &receiver.received()[0];
    assert!(hook.verified);
    assert_eq!(hook.body["type"], "connection.disconnected");
    assert_eq!(hook.body["data"]["connection_id"], s.connection_id.as_str());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 1, "once");
}

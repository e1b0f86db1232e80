//! "Forgot password" end to end: the api, a worker and the simulator's SMTP sink. The link
//! arrives by email, works once, signs out every session; the token is never stored or queued
//! in plaintext; SMTP outages are retried and deliver once; refusals fail the email visibly.

use std::time::Duration;

use aistudio_jobs::store::EmailStatus;
use aistudio_sim::FaultRule;
use aistudio_tests::mailroom::{self, Mailroom, redis_dump};
use aistudio_tests::{Worker, eventually};
use serde_json::json;

const OLD: &str = "the old long password";
const NEW: &str = "a brand new long password";

/// The token of the reset link in an email's text body.
fn link_token(text: &str, api: &str) -> String {
    mailroom::link_token(text, api, "/app/reset-password")
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_the_emailed_link_and_every_session_ends() {
    let room = Mailroom::start(|_| {}).await;
    let ada = room.sign_up_settled("Ada", "ada@example.com", OLD).await;
    let (status, answer) = room.request_reset("Ada@Example.com").await;
    assert_eq!(status, 202, "{answer}");
    let mail = room.mail("ada@example.com", 1).await;
    assert_eq!(mail.len(), 1, "one email per request");
    assert_eq!(
        mail[0].subject.as_deref(),
        Some("Reset your AIStudio password")
    );
    let text = mail[0].text.clone().expect("a text body");
    let html = mail[0].html.clone().expect("an HTML body");
    let token = link_token(&text, &room.api.url);
    assert_eq!(token.len(), 43, "a 256-bit token");
    assert!(html.contains(&token), "the HTML body has the link too");

    // The token is neither in Redis nor stored: only its hash.
    assert!(!redis_dump(&room.env).await.contains(&token));
    let client = mongodb::Client::with_uri_str(&room.env.mongo_url)
        .await
        .unwrap();
    let db = client.database(&room.env.database);
    for collection in ["password_resets", "emails"] {
        let docs: Vec<mongodb::bson::Document> = {
            use futures::TryStreamExt;
            db.collection(collection)
                .find(mongodb::bson::doc! {})
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap()
        };
        assert!(!docs.is_empty(), "{collection} holds the request");
        assert!(
            !format!("{docs:?}").contains(&token),
            "{collection} stores the token"
        );
    }

    // A weak password is refused without using the link.
    let weak = room.confirm_reset(&token, "short").await;
    assert_eq!(weak.status, 422, "{:?}", weak.body);
    assert_eq!(weak.body["field"], "password");

    let done = room.confirm_reset(&token, NEW).await;
    assert_eq!(done.status, 204, "{:?}", done.body);
    assert_eq!(
        ada.get("/api/v1/me").await.status,
        401,
        "every session ended"
    );
    let login = |password: &'static str| {
        let anon = room.anon.clone();
        async move {
            anon.post(
                "/api/v1/auth/login",
                json!({ "email": "ada@example.com", "password": password }),
            )
            .await
            .status
        }
    };
    assert_eq!(login(OLD).await, 401);
    assert_eq!(login(NEW).await, 200);
    let again = room
        .confirm_reset(&token, "yet another long password")
        .await;
    assert_eq!(again.status, 422, "the link works once: {:?}", again.body);
    assert_eq!(again.body["field"], "token");
    assert_eq!(login(NEW).await, 200);

    let mail = room.mail("ada@example.com", 2).await;
    assert_eq!(
        mail[0].subject.as_deref(),
        Some("Your AIStudio password was changed"),
        "the newest email says the password changed"
    );
    assert!(
        mail[0]
            .text
            .as_deref()
            .unwrap()
            .contains("/app/forgot-password")
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        room.sim.mail(Some("ada@example.com")).len(),
        2,
        "nothing sent twice"
    );
}

#[tokio::test]
async fn the_answer_does_not_tell_whether_an_account_exists_and_requests_are_limited() {
    let room = Mailroom::start(|_| {}).await;
    room.sign_up_settled("Ada", "ada@example.com", OLD).await;
    let (known_status, known) = room.request_reset("ada@example.com").await;
    let (unknown_status, unknown) = room.request_reset("nobody@example.com").await;
    assert_eq!((known_status, unknown_status), (202, 202));
    assert_eq!(known, unknown, "the same answer");
    room.mail("ada@example.com", 1).await;
    assert!(room.sim.mail(Some("nobody@example.com")).is_empty());

    // Three requests per address per hour; the fourth is refused for either address.
    for email in ["ada@example.com", "nobody@example.com"] {
        for _ in 0..2 {
            assert_eq!(room.request_reset(email).await.0, 202);
        }
        let reply = room
            .anon
            .post("/api/v1/auth/password-reset", json!({ "email": email }))
            .await;
        assert_eq!(reply.status, 429, "{:?}", reply.body);
        let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=3600).contains(&wait), "{wait}");
    }
    let (status, body) = room.request_reset("not an address").await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "email");
    room.mail("ada@example.com", 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        room.sim.mail(Some("ada@example.com")).len(),
        3,
        "one email per accepted request"
    );
}

#[tokio::test]
async fn an_expired_link_is_refused_and_a_newer_one_still_works() {
    let room = Mailroom::start(|_| {}).await;
    room.sign_up_settled("Ada", "ada@example.com", OLD).await;
    room.request_reset("ada@example.com").await;
    let first = link_token(
        room.mail("ada@example.com", 1).await[0]
            .text
            .as_ref()
            .unwrap(),
        &room.api.url,
    );
    // The link's 30 minutes pass.
    let client = mongodb::Client::with_uri_str(&room.env.mongo_url)
        .await
        .unwrap();
    client
        .database(&room.env.database)
        .collection::<mongodb::bson::Document>("password_resets")
        .update_many(
            mongodb::bson::doc! {},
            mongodb::bson::doc! { "$set": { "expires_at": mongodb::bson::DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
    let expired = room.confirm_reset(&first, NEW).await;
    assert_eq!(expired.status, 422);
    assert_eq!(expired.body["field"], "token");
    assert!(
        expired.body["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    room.request_reset("ada@example.com").await;
    let second = link_token(
        room.mail("ada@example.com", 2).await[0]
            .text
            .as_ref()
            .unwrap(),
        &room.api.url,
    );
    assert_ne!(first, second);
    let done = room.confirm_reset(&second, NEW).await;
    assert_eq!(done.status, 204, "{:?}", done.body);
}

#[tokio::test]
async fn mail_waits_out_an_smtp_outage_and_temporary_refusals_then_arrives_once() {
    let room = Mailroom::start(|_| {}).await;
    room.sign_up_settled("Ada", "ada@example.com", OLD).await;
    room.sim.set_smtp_up(false);
    room.sim.add_fault(
        serde_json::from_value::<FaultRule>(json!({
            "endpoint": "smtp_data", "count": 1,
            "effect": {"kind": "smtp_reply", "code": 451, "message": "4.3.0 Try again later"}
        }))
        .unwrap(),
    );
    room.request_reset("ada@example.com").await;
    let store = room.env.store().await;
    let emails = store.emails();
    // Attempts fail while the server is down; the outbox says why.
    eventually(Duration::from_secs(30), "two failed attempts", || async {
        let pending = emails
            .due(chrono::Utc::now() + chrono::Duration::hours(1), 10)
            .await
            .unwrap();
        let (id, attempts) = pending.first()?.clone();
        let email = emails.by_id(&id).await.unwrap()?;
        (attempts >= 2 && email.last_error.is_some() && email.status == EmailStatus::Pending)
            .then_some(())
    })
    .await;
    assert!(room.sim.mail(None).is_empty());
    room.sim.set_smtp_up(true);
    let mail = room.mail("ada@example.com", 1).await;
    assert_eq!(mail.len(), 1);
    // Well past every backoff and maintenance sweep: still one.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        room.sim.mail(Some("ada@example.com")).len(),
        1,
        "delivered exactly once"
    );
    assert_eq!(room.sim.inspect().faults_fired.get("smtp_data"), Some(&1));
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_email_with_the_reason() {
    let room = Mailroom::start(|_| {}).await;
    room.sign_up_settled("Ada", "ada@example.com", OLD).await;
    room.sim.add_fault(
        serde_json::from_value::<FaultRule>(json!({
            "endpoint": "smtp_rcpt", "count": 1,
            "effect": {"kind": "smtp_reply", "code": 550, "message": "5.1.1 No such mailbox"}
        }))
        .unwrap(),
    );
    room.request_reset("ada@example.com").await;
    let client = mongodb::Client::with_uri_str(&room.env.mongo_url)
        .await
        .unwrap();
    let outbox = client
        .database(&room.env.database)
        .collection::<mongodb::bson::Document>("emails");
    let failed = eventually(Duration::from_secs(30), "the email to fail", || async {
        outbox
            .find_one(mongodb::bson::doc! { "status": "failed" })
            .await
            .unwrap()
    })
    .await;
    let failed: aistudio_jobs::store::Email = mongodb::bson::from_document(failed).unwrap();
    assert_eq!(failed.attempts, 1, "not retried");
    assert!(failed.last_error.unwrap().contains("No such mailbox"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(room.sim.mail(None).is_empty());
}

#[tokio::test]
async fn a_worker_killed_in_the_middle_of_a_delivery_loses_nothing_and_sends_once() {
    let mut room = Mailroom::start(|_| {}).await;
    room.sign_up_settled("Ada", "ada@example.com", OLD).await;
    // The server is slow to take the recipient: the worker is killed while it waits.
    room.sim.add_fault(
        serde_json::from_value::<FaultRule>(json!({
            "endpoint": "smtp_rcpt", "count": 1, "effect": {"kind": "latency", "ms": 1500}
        }))
        .unwrap(),
    );
    room.request_reset("ada@example.com").await;
    let client = mongodb::Client::with_uri_str(&room.env.mongo_url)
        .await
        .unwrap();
    let outbox = client
        .database(&room.env.database)
        .collection::<mongodb::bson::Document>("emails");
    eventually(Duration::from_secs(30), "the delivery to start", || async {
        outbox
            .find_one(
                mongodb::bson::doc! { "content.kind": "password_reset", "attempts": { "$gte": 1 } },
            )
            .await
            .unwrap()
            .map(|_| ())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    room.worker.process.signal("KILL");
    room.worker.process.wait_exit(Duration::from_secs(10)).await;
    assert!(
        room.sim.mail(None).is_empty(),
        "killed before the server took the email"
    );

    room.worker = Worker::start(&room.env).await;
    let mail = room.mail("ada@example.com", 1).await;
    assert_eq!(
        mail[0].subject.as_deref(),
        Some("Reset your AIStudio password")
    );
    // Past the lease, the backoff and several maintenance sweeps: still exactly one.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(room.sim.mail(Some("ada@example.com")).len(), 1, "sent once");
    let token = link_token(mail[0].text.as_ref().unwrap(), &room.api.url);
    assert_eq!(
        room.confirm_reset(&token, NEW).await.status,
        204,
        "the link that arrived works"
    );
}

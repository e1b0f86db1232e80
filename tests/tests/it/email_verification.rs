//! Email verification end to end: the api, a worker and the simulator's SMTP sink. Sign-up
//! emails one link; it confirms the address once, before it expires; the token is never stored
//! or queued in plaintext; asking again is limited; Google links only to a confirmed account.

use std::time::Duration;

use aistudio_tests::mailroom::{Mailroom, link_token, redis_dump};
use aistudio_tests::{ApiClient, Browser};
use mongodb::bson::{Document, doc};
use serde_json::json;

const PASSWORD: &str = "a long enough password";
const SUBJECT: &str = "Confirm your AIStudio email address";

/// The token of the verification link in an email's text body.
fn verification_token(room: &Mailroom, mail: &aistudio_sim::MailMessage) -> String {
    let text = mail.text.as_deref().expect("a text body");
    link_token(text, &room.api.url, "/app/verify-email")
}

async fn confirm(room: &Mailroom, token: &str) -> aistudio_tests::Reply {
    room.anon
        .post(
            "/api/v1/auth/verify-email/confirm",
            json!({ "token": token }),
        )
        .await
}

async fn verified_at(client: &ApiClient) -> serde_json::Value {
    let me = client.get("/api/v1/me").await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    me.body["email_verified_at"].clone()
}

async fn documents(room: &Mailroom, collection: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    room.env
        .database()
        .await
        .collection::<Document>(collection)
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sign_up_emails_one_link_that_confirms_the_address_once() {
    let room = Mailroom::start(|_| {}).await;
    let ada = room.anon.sign_up("Ada", "ada@example.com", PASSWORD).await;
    assert!(verified_at(&ada).await.is_null(), "not confirmed yet");

    let mail = room.mail("ada@example.com", 1).await;
    assert_eq!(mail[0].subject.as_deref(), Some(SUBJECT));
    let token = verification_token(&room, &mail[0]);
    assert_eq!(token.len(), 43, "a 256-bit token");
    assert!(
        mail[0].html.as_deref().unwrap().contains(&token),
        "the HTML body has the link too"
    );
    assert!(mail[0].text.as_deref().unwrap().contains("48 hours"));

    // The token is neither in Redis, nor stored (only its hash), nor in any log.
    assert!(!redis_dump(&room.env).await.contains(&token));
    assert!(!room.api.process.output().contains(&token));
    assert!(!room.worker.process.output().contains(&token));
    for collection in ["email_verifications", "emails"] {
        let docs = documents(&room, collection).await;
        assert!(!docs.is_empty(), "{collection} holds the verification");
        assert!(
            !format!("{docs:?}").contains(&token),
            "{collection} stores the token"
        );
    }

    // A wrong token is refused and changes nothing.
    let wrong = confirm(&room, "not-the-token").await;
    assert_eq!(wrong.status, 400, "{:?}", wrong.body);
    assert_eq!(wrong.body["code"], "invalid_token");
    assert_eq!(wrong.body["field"], "token");
    assert!(verified_at(&ada).await.is_null());

    let done = confirm(&room, &token).await;
    assert_eq!(done.status, 204, "{:?}", done.body);
    let at = verified_at(&ada).await;
    assert!(at.is_string(), "confirmed: {at}");

    let again = confirm(&room, &token).await;
    assert_eq!(again.status, 400, "the link works once: {:?}", again.body);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    assert_eq!(verified_at(&ada).await, at, "unchanged");

    let resend = ada.post("/api/v1/me/verify-email", json!({})).await;
    assert_eq!(resend.status, 409, "{:?}", resend.body);

    // The address cannot be changed (`PATCH /me` takes only `name`), so nothing resets it.
    let patch = ada
        .send(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(json!({ "email": "eve@example.com" })),
        )
        .await;
    assert_eq!(patch.status, 422, "{:?}", patch.body);
    assert_eq!(verified_at(&ada).await, at);

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        room.sim.mail(Some("ada@example.com")).len(),
        1,
        "one email per sign-up"
    );
}

#[tokio::test]
async fn asking_again_is_limited_and_an_expired_link_changes_nothing() {
    let room = Mailroom::start(|_| {}).await;
    let ada = room.anon.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let first = verification_token(&room, &room.mail("ada@example.com", 1).await[0]);

    // Three links per account per hour on request; the fourth request is refused.
    for _ in 0..3 {
        let reply = ada.post("/api/v1/me/verify-email", json!({})).await;
        assert_eq!(reply.status, 202, "{:?}", reply.body);
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .contains("ada@example.com")
        );
    }
    let refused = ada.post("/api/v1/me/verify-email", json!({})).await;
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let mail = room.mail("ada@example.com", 4).await;
    let newest = verification_token(&room, &mail[0]);
    assert_ne!(first, newest, "every email has its own link");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        room.sim.mail(Some("ada@example.com")).len(),
        4,
        "one email per request"
    );

    // The links' 48 hours pass.
    room.env
        .database()
        .await
        .collection::<Document>("email_verifications")
        .update_many(
            doc! {},
            doc! { "$set": { "expires_at": mongodb::bson::DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
    let expired = confirm(&room, &newest).await;
    assert_eq!(expired.status, 400, "{:?}", expired.body);
    assert!(
        expired.body["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert!(verified_at(&ada).await.is_null(), "nothing changed");
}

#[tokio::test]
async fn a_password_reset_by_the_emailed_link_confirms_the_address() {
    let room = Mailroom::start(|_| {}).await;
    room.sign_up_settled("Ada", "ada@example.com", PASSWORD)
        .await;
    let (status, _) = room.request_reset("ada@example.com").await;
    assert_eq!(status, 202);
    let mail = room.mail("ada@example.com", 1).await;
    let token = link_token(
        mail[0].text.as_deref().unwrap(),
        &room.api.url,
        "/app/reset-password",
    );
    let new = "the new long password";
    assert_eq!(room.confirm_reset(&token, new).await.status, 204);
    let login = room
        .anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "ada@example.com", "password": new }),
        )
        .await;
    assert_eq!(login.status, 200);
    assert!(
        login.body["email_verified_at"].is_string(),
        "{:?}",
        login.body
    );
}

/// Signs in with Google through the simulator as `user`; the outcome in the dashboard URL.
async fn google_sign_in(room: &Mailroom, user: &str) -> String {
    let browser = Browser::new(None);
    let start = browser
        .get(&format!("{}/api/v1/auth/google", room.api.url))
        .await;
    assert_eq!(start.status, 303);
    let callback = browser
        .consent(&start.location, &format!("&sim_user={user}"))
        .await;
    browser.land(&callback).await
}

#[tokio::test]
async fn google_links_only_to_an_account_that_confirmed_its_address() {
    let room = Mailroom::start(|_| {}).await;
    // Google has verified alice@example.com; the account here has not confirmed it yet.
    let alice = room
        .anon
        .sign_up("Alice", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(
        google_sign_in(&room, "alice@example.com").await,
        "signin_error=account_not_verified"
    );
    let store = room.env.store().await;
    let stored = store
        .users()
        .by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.google_sub.is_none(), "not linked");

    let token = verification_token(&room, &room.mail("alice@example.com", 1).await[0]);
    assert_eq!(confirm(&room, &token).await.status, 204);
    assert_eq!(
        google_sign_in(&room, "alice@example.com").await,
        "signin=ok"
    );
    let me = alice.get("/api/v1/me").await;
    assert_eq!(me.body["google_linked"], true, "linked once confirmed");
    assert_eq!(me.body["has_password"], true);

    // Google has not verified bob@example.com: never linked, confirmed or not.
    room.sign_up_settled("Bob", "bob@example.com", PASSWORD)
        .await;
    assert_eq!(
        google_sign_in(&room, "bob@example.com").await,
        "signin_error=email_not_verified"
    );
}

#[tokio::test]
async fn accounts_made_before_verification_are_unconfirmed_until_a_link_or_google_proves_them() {
    let room = Mailroom::start(|_| {}).await;
    let ada = room
        .sign_up_settled("Ada", "ada@example.com", PASSWORD)
        .await;
    // An account as stored before verification existed: no `email_verified_at` at all.
    let users = room.env.database().await.collection::<Document>("users");
    users
        .update_one(
            doc! { "email": "ada@example.com" },
            doc! { "$unset": { "email_verified_at": "" } },
        )
        .await
        .unwrap();
    assert!(verified_at(&ada).await.is_null(), "reminded");
    let sent = ada.post("/api/v1/me/verify-email", json!({})).await;
    assert_eq!(sent.status, 202, "{:?}", sent.body);
    let token = verification_token(&room, &room.mail("ada@example.com", 1).await[0]);
    assert_eq!(confirm(&room, &token).await.status, 204);
    assert!(verified_at(&ada).await.is_string());

    // A Google account made before verification: its next Google sign-in with Google's
    // verified address confirms it.
    assert_eq!(
        google_sign_in(&room, "alice@example.com").await,
        "signin=ok"
    );
    let store = room.env.store().await;
    let alice = store
        .users()
        .by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        alice.email_verified_at.is_some(),
        "Google vouched at sign-up"
    );
    users
        .update_one(
            doc! { "email": "alice@example.com" },
            doc! { "$unset": { "email_verified_at": "" } },
        )
        .await
        .unwrap();
    assert_eq!(
        google_sign_in(&room, "alice@example.com").await,
        "signin=ok"
    );
    let alice = store
        .users()
        .by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        alice.email_verified_at.is_some(),
        "confirmed by Google again"
    );
}

#[tokio::test]
async fn deleting_the_account_deletes_its_verification_links() {
    let room = Mailroom::start(|_| {}).await;
    let ada = room.anon.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let token = verification_token(&room, &room.mail("ada@example.com", 1).await[0]);
    assert_eq!(documents(&room, "email_verifications").await.len(), 1);

    let deletion = ada
        .post("/api/v1/me/deletion", json!({ "confirm": true }))
        .await;
    assert_eq!(deletion.status, 202, "{:?}", deletion.body);
    let code = deletion.body["confirmation_code"]
        .as_str()
        .unwrap()
        .to_string();
    let receipt = aistudio_tests::eventually(
        Duration::from_secs(30),
        "the deletion to complete",
        || async {
            let r = room.anon.get(&format!("/api/v1/deletions/{code}")).await;
            (r.body["status"] == "completed").then_some(r.body)
        },
    )
    .await;
    assert_eq!(receipt["deleted"]["email_verifications"], 1, "{receipt}");
    assert!(documents(&room, "email_verifications").await.is_empty());
    let refused = confirm(&room, &token).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
}

//! Notifications end to end: real api and worker processes, the simulator as Instagram and as
//! the SMTP sink. A failed post raises one in-app notification and one email (with RFC 8058
//! one-click unsubscribe), once; preferences decide the channels; parked posts, tokens that
//! cannot be renewed and account deletion notify too; nobody sees another user's notifications.

use std::time::Duration;

use aistudio_jobs::notify::{self, AccountEvent};
use aistudio_sim::{Effect, Endpoint, FaultRule, MailMessage, SmtpConfig, TokenTarget};
use aistudio_tests::{ApiClient, Studio, eventually};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);
const ADDRESS: &str = "studio@example.com";

/// Instagram refusing the media for good (a bad aspect ratio).
fn aspect_ratio_refused() -> Effect {
    Effect::GraphError {
        code: 36003,
        subcode: Some(2207009),
        http_status: Some(400),
        is_transient: false,
        message: Some("The aspect ratio is not supported.".into()),
    }
}

/// A studio whose simulator runs the SMTP sink, with maintenance (and so the notification
/// sweep) every two seconds.
async fn studio(configure: impl FnOnce(&mut aistudio_tests::TestEnv)) -> Studio {
    Studio::start_with_sim(
        |sim| {
            sim.smtp = SmtpConfig {
                listen: Some("127.0.0.1:0".parse().unwrap()),
                ..SmtpConfig::default()
            };
        },
        |env| {
            env.set("AISTUDIO__WORKER__MAINTENANCE_CRON", "*/2 * * * * *");
            configure(env);
        },
    )
    .await
}

/// The user's notifications, waiting until there are `count`.
async fn notifications(user: &ApiClient, count: usize) -> Vec<Value> {
    eventually(WAIT, &format!("{count} notifications"), || async {
        let reply = user.get("/api/v1/notifications").await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let items = reply.body["items"].as_array().cloned().unwrap_or_default();
        (items.len() >= count).then_some(items)
    })
    .await
}

/// The messages the sink received for the studio's user, waiting until there are `count`.
async fn mail(s: &Studio, count: usize) -> Vec<MailMessage> {
    eventually(WAIT, &format!("{count} emails"), || async {
        let mail = notification_mail(s);
        (mail.len() >= count).then_some(mail)
    })
    .await
}

/// What the sink received for the studio's address, without the sign-up's address
/// confirmation (sent whenever the worker runs).
fn notification_mail(s: &Studio) -> Vec<MailMessage> {
    s.sim
        .mail(Some(ADDRESS))
        .into_iter()
        .filter(|m| m.subject.as_deref() != Some("Confirm your AIStudio email address"))
        .collect()
}

/// The one-click URL of a message's `List-Unsubscribe` header.
fn unsubscribe_url(message: &MailMessage) -> String {
    let header = message
        .header("List-Unsubscribe")
        .expect("a List-Unsubscribe header");
    header
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

async fn preference(user: &ApiClient, kind: &str) -> Value {
    let prefs = user.get("/api/v1/notifications/preferences").await;
    assert_eq!(prefs.status, 200, "{:?}", prefs.body);
    prefs.body["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .cloned()
        .expect("the kind is listed")
}

async fn unread(user: &ApiClient) -> u64 {
    let reply = user.get("/api/v1/notifications/unread-count").await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["unread"].as_u64().unwrap()
}

#[tokio::test]
async fn a_failed_post_notifies_once_in_the_app_and_by_email_with_one_click_unsubscribe() {
    let s = studio(|_| {}).await;
    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaCreate,
        aspect_ratio_refused(),
    ));
    let _worker = s.worker().await;
    let id = s.image_post("Wrong shape").await;
    let failed = s.wait_for(&id, "failed", WAIT).await;

    let items = notifications(&s.user, 1).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let n = &items[0];
    assert_eq!(n["kind"], "post_failed");
    assert_eq!(n["object_id"], id.as_str());
    assert_eq!(n["link"], format!("/app/posts/{id}"));
    let body = n["body"].as_str().unwrap();
    assert!(body.contains("Instagram refused the post"), "{body}");
    assert!(n["read_at"].is_null());
    assert_eq!(unread(&s.user).await, 1);

    let messages = mail(&s, 1).await;
    let email = &messages[0];
    assert_eq!(
        email.subject.as_deref(),
        Some("A post could not be published")
    );
    let text = email.text.as_deref().unwrap();
    assert!(text.contains("Instagram refused the post"), "{text}");
    assert!(
        text.contains(&format!("{}/app/posts/{id}", s.api.url)),
        "{text}"
    );
    let url = unsubscribe_url(email);
    assert!(
        url.starts_with(&format!("{}/unsubscribe?token=", s.api.url)),
        "{url}"
    );
    assert_eq!(
        email.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );

    // Raising the same event again (a retried step, the sweep) notifies nobody twice.
    let store = s.env.store().await;
    let post = store.posts().by_id(&id).await.unwrap().unwrap();
    assert_eq!(post.version, failed["version"].as_i64().unwrap());
    let again = notify::raise(&store, &s.env.queue(), &AccountEvent::post_failed(&post))
        .await
        .unwrap();
    assert_eq!(again, notify::Raised::default(), "nothing new");
    tokio::time::sleep(Duration::from_secs(5)).await; // two sweeps
    assert_eq!(notifications(&s.user, 1).await.len(), 1);
    assert_eq!(notification_mail(&s).len(), 1);

    // A forged or altered token is refused and changes nothing.
    let anon = ApiClient::new(&s.api.url);
    let token = url.split("token=").nth(1).unwrap().to_string();
    let (user_id, rest) = token.split_once('.').unwrap();
    let other_kind = token.replace("post_failed", "post_needs_reconnect");
    // Another user's id: the last character changed (ids are hex, so it may already be 0).
    let last = if user_id.ends_with('0') { '1' } else { '0' };
    let other_user = format!("{}{last}.{rest}", &user_id[..user_id.len() - 1]);
    for bad in [
        "nonsense".to_string(),
        other_kind,
        other_user,
        format!("{token}x"),
    ] {
        let reply = anon
            .post(&format!("/unsubscribe?token={bad}"), json!({}))
            .await;
        assert_eq!(reply.status, 400, "{bad}: {:?}", reply.body);
        assert_eq!(reply.body["code"], "bad_request");
    }
    assert_eq!(preference(&s.user, "post_failed").await["email"], true);

    // The page of the link changes nothing; one click (no session) turns off that kind only.
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    assert_eq!(preference(&s.user, "post_failed").await["email"], true);
    let reply = reqwest::Client::new()
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let done: Value = reply.json().await.unwrap();
    assert_eq!(done, json!({ "kind": "post_failed", "email": false }));
    let failed_prefs = preference(&s.user, "post_failed").await;
    assert_eq!(failed_prefs["email"], false);
    assert_eq!(failed_prefs["in_app"], true);
    assert_eq!(
        preference(&s.user, "post_needs_reconnect").await["email"],
        true
    );
    assert_eq!(preference(&s.user, "token_expiring").await["email"], true);

    // Read: once, and it stays read; another user sees none of it.
    let nid = n["id"].as_str().unwrap();
    let read = s
        .user
        .post(&format!("/api/v1/notifications/{nid}/read"), json!({}))
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert!(read.body["read_at"].is_string());
    assert_eq!(unread(&s.user).await, 0);

    let other = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "Other", "email": "other@example.com", "password": "a long enough password" }),
        )
        .await;
    let other = anon.with_cookie(&other.session_cookie().unwrap());
    let theirs = other.get("/api/v1/notifications").await;
    assert_eq!(theirs.body["items"], json!([]));
    assert_eq!(unread(&other).await, 0);
    let reply = other
        .post(&format!("/api/v1/notifications/{nid}/read"), json!({}))
        .await;
    assert_eq!(reply.status, 404, "{:?}", reply.body);
}

#[tokio::test]
async fn email_off_still_notifies_in_the_app_and_a_lost_raise_is_raised_by_the_sweep() {
    let s = studio(|_| {}).await;
    let reply = s
        .user
        .put(
            "/api/v1/notifications/preferences",
            json!({ "post_failed": { "email": false } }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    // Unknown kinds and channels, and the essential receipt, are refused and change nothing.
    for (body, field) in [
        (
            json!({ "post_deleted": { "email": false } }),
            "post_deleted",
        ),
        (json!({ "post_failed": { "sms": true } }), "post_failed.sms"),
        (
            json!({ "post_failed": { "email": "no" } }),
            "post_failed.email",
        ),
        (
            json!({ "account_deleted": { "email": false } }),
            "account_deleted",
        ),
        (
            json!({ "post_published": { "in_app": true }, "nope": {} }),
            "nope",
        ),
        (json!({ "token_expiring": [null, null] }), "token_expiring"),
        (json!([null, null, null, null]), "."),
    ] {
        let reply = s.user.put("/api/v1/notifications/preferences", body).await;
        assert_eq!(reply.status, 422, "{:?}", reply.body);
        assert_eq!(reply.body["field"], field, "{:?}", reply.body);
    }
    assert_eq!(preference(&s.user, "post_published").await["in_app"], false);
    assert_eq!(preference(&s.user, "account_deleted").await["email"], true);

    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaCreate,
        aspect_ratio_refused(),
    ));
    let _worker = s.worker().await;
    let id = s.image_post("Quietly failing").await;
    let failed = s.wait_for(&id, "failed", WAIT).await;
    let items = notifications(&s.user, 1).await;
    assert_eq!(items[0]["kind"], "post_failed");
    let store = s.env.store().await;
    let key = format!("post_failed:{id}:{}", failed["version"]);
    assert_eq!(store.emails().by_id(&key).await.unwrap(), None, "no email");

    // A worker that stopped right after failing a post raised nothing: the sweep does.
    let ids = s
        .insert_posts(&[aistudio_tests::ScheduledPost {
            kind: aistudio_jobs::domain::PostKind::Image,
            media: vec![s.image2.clone()],
            caption: "Failed by a worker that stopped".into(),
            at: chrono::Utc::now() + chrono::Duration::hours(5),
        }])
        .await;
    let post = store.posts().by_id(&ids[0]).await.unwrap().unwrap();
    store
        .posts()
        .claim_for_publishing(&post)
        .await
        .unwrap()
        .expect("claimed");
    store
        .posts()
        .mark_failed(
            &post.id,
            "Instagram flagged this post as spam and did not publish it.",
        )
        .await
        .unwrap()
        .expect("failed");
    let items = notifications(&s.user, 2).await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|n| n["object_id"] == post.id.as_str()));
    assert!(notification_mail(&s).is_empty(), "email is off");
}

#[tokio::test]
async fn published_is_off_by_default_and_shown_once_chosen() {
    let s = studio(|_| {}).await;
    let _worker = s.worker().await;
    let quiet = s.image_post("Published quietly").await;
    s.wait_for(&quiet, "published", WAIT).await;
    tokio::time::sleep(Duration::from_secs(5)).await; // two sweeps
    let none = s.user.get("/api/v1/notifications").await;
    assert_eq!(none.body["items"], json!([]), "off by default");

    let reply = s
        .user
        .put(
            "/api/v1/notifications/preferences",
            json!({ "post_published": { "in_app": true } }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let loud = s.image_post("Published loudly").await;
    s.wait_for(&loud, "published", WAIT).await;
    let items = notifications(&s.user, 1).await;
    assert!(
        items
            .iter()
            .any(|n| n["kind"] == "post_published" && n["object_id"] == loud.as_str()),
        "{items:?}"
    );
    assert!(notification_mail(&s).is_empty(), "email stays off");
}

#[tokio::test]
async fn a_parked_post_asks_to_reconnect_and_mark_all_read_clears_the_count() {
    let s = studio(|_| {}).await;
    s.sim
        .revoke_tokens(&TokenTarget::Account("acme".into()), None);
    let _worker = s.worker().await;
    let id = s.image_post("Parked").await;
    s.wait_for(&id, "needs_reconnect", WAIT).await;
    let items = notifications(&s.user, 1).await;
    let parked: Vec<_> = items
        .iter()
        .filter(|n| n["kind"] == "post_needs_reconnect")
        .collect();
    assert_eq!(parked.len(), 1, "{items:?}");
    assert_eq!(parked[0]["link"], "/app/");
    assert_eq!(parked[0]["object_id"], id.as_str());
    let messages = mail(&s, 1).await;
    assert_eq!(
        messages[0].subject.as_deref(),
        Some("Reconnect Instagram to publish your post")
    );
    assert!(unread(&s.user).await >= 1);
    let all = s
        .user
        .post("/api/v1/notifications/read-all", json!({}))
        .await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert!(all.body["marked"].as_u64().unwrap() >= 1);
    assert_eq!(unread(&s.user).await, 0);
}

#[tokio::test]
async fn a_token_that_cannot_be_renewed_and_ends_within_a_week_is_notified_once() {
    use mongodb::bson::{DateTime, Document, doc};
    let s = studio(|env| {
        env.set("AISTUDIO__INSTAGRAM__REFRESH_CRON", "* * * * * *");
    })
    .await;
    s.sim.add_fault(FaultRule::always(
        Endpoint::IgRefresh,
        Effect::Http {
            status: 500,
            body: None,
            content_type: None,
            retry_after: None,
        },
    ));
    let day_ago = DateTime::from_millis(DateTime::now().timestamp_millis() - 25 * 3600 * 1000);
    let soon = DateTime::from_millis(DateTime::now().timestamp_millis() + 5 * 24 * 3600 * 1000);
    s.env
        .database()
        .await
        .collection::<Document>("connections")
        .update_one(
            doc! { "_id": &s.connection_id },
            doc! { "$set": { "token_refreshed_at": day_ago, "token_expires_at": soon } },
        )
        .await
        .unwrap();
    s.sim.advance_clock(Duration::from_secs(25 * 3600));
    let _worker = s.worker().await;
    let items = notifications(&s.user, 1).await;
    assert_eq!(items[0]["kind"], "token_expiring");
    assert_eq!(items[0]["link"], "/app/");
    assert_eq!(items[0]["object_id"], s.connection_id.as_str());
    let messages = mail(&s, 1).await;
    assert_eq!(
        messages[0].subject.as_deref(),
        Some("Instagram access for @acme ends soon")
    );
    // The refresh keeps failing (every second): still one notification, one email.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(notifications(&s.user, 1).await.len(), 1);
    assert_eq!(notification_mail(&s).len(), 1);
}

#[tokio::test]
async fn account_deletion_emails_the_receipt_and_removes_notifications_and_preferences() {
    let s = studio(|_| {}).await;
    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaCreate,
        aspect_ratio_refused(),
    ));
    let _worker = s.worker().await;
    let reply = s
        .user
        .put(
            "/api/v1/notifications/preferences",
            json!({ "post_published": { "email": true } }),
        )
        .await;
    assert_eq!(reply.status, 200);
    let id = s.image_post("Failing before deletion").await;
    s.wait_for(&id, "failed", WAIT).await;
    notifications(&s.user, 1).await;
    mail(&s, 1).await;
    let user_id = s.user.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();

    let reply = s
        .user
        .post("/api/v1/me/deletion", json!({ "confirm": true }))
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    let code = reply.body["confirmation_code"]
        .as_str()
        .unwrap()
        .to_string();
    let messages = mail(&s, 2).await;
    let receipt = messages
        .iter()
        .find(|m| m.subject.as_deref() == Some("Your AIStudio account was deleted"))
        .expect("the receipt");
    let text = receipt.text.as_deref().unwrap();
    assert!(text.contains(&code), "{text}");
    assert!(text.contains(&format!("/deletion-status/{code}")), "{text}");
    assert_eq!(receipt.header("List-Unsubscribe"), None, "essential");

    let anon = ApiClient::new(&s.api.url);
    let done = eventually(WAIT, "the deletion to complete", || async {
        let r = anon.get(&format!("/api/v1/deletions/{code}")).await;
        (r.body["status"] == "completed").then_some(r.body)
    })
    .await;
    assert!(
        done["deleted"]["notifications"].as_i64().unwrap() >= 1,
        "{done}"
    );
    assert_eq!(done["deleted"]["notification_preferences"], 1, "{done}");
    let store = s.env.store().await;
    assert_eq!(
        store.notifications().unread_count(&user_id).await.unwrap(),
        0
    );
    let prefs = store
        .notification_preferences()
        .for_user(&user_id)
        .await
        .unwrap();
    assert!(prefs.updated_at.is_none(), "no preferences left");
    // The sent receipt keeps no address.
    let kept = eventually(WAIT, "the receipt to forget its address", || async {
        let e = store
            .emails()
            .by_id(&format!("account_deleted:{code}"))
            .await
            .ok()??;
        e.to.is_empty().then_some(e)
    })
    .await;
    assert!(kept.user_id.is_empty());
}

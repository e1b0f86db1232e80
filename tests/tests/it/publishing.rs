//! The publishing workflow end to end: real api and worker processes, the simulator as
//! Instagram and ImgBB, every post kind, and the error classes.

use std::time::Duration;

use aistudio_sim::{Effect, Endpoint, FaultRule, TokenTarget};
use aistudio_tests::Studio;
use aistudio_tests::mongo_commands::CommandCounts;
use serde_json::json;

const PUBLISHED: Duration = Duration::from_secs(60);

/// A bare HTTP 500.
fn server_error() -> Effect {
    Effect::Http {
        status: 500,
        body: None,
        content_type: None,
        retry_after: None,
    }
}

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

#[tokio::test]
async fn every_post_kind_publishes_exactly_once_with_its_permalink() {
    let s = Studio::start(|_| {}).await;
    let _worker = s.worker().await;
    let image = s.image_post("An image #launch").await;
    let carousel = s
        .post(
            json!({ "kind": "carousel", "caption": "A carousel", "items": [
            { "media_id": s.image }, { "media_id": s.video }, { "media_id": s.image2 } ] }),
        )
        .await;
    let reel = s
        .post(
            json!({ "kind": "reel", "caption": "A reel", "items": [{ "media_id": s.video }],
            "cover_media_id": s.image }),
        )
        .await;
    let story = s
        .post(json!({ "kind": "story", "items": [{ "media_id": s.image2 }] }))
        .await;
    for id in [&image, &carousel, &reel, &story] {
        let post = s.wait_for(id, "published", PUBLISHED).await;
        assert!(post["ig_media_id"].is_string(), "{post}");
        let permalink =
            aistudio_tests::eventually(Duration::from_secs(15), "the permalink", || async {
                let post = s.get(id).await;
                post["permalink"].as_str().map(str::to_string)
            })
            .await;
        assert!(permalink.starts_with("http"), "{permalink}");
    }
    assert_eq!(s.assert_exactly_once(), 4);
    let containers = s.containers().len();
    assert_eq!(
        containers,
        1 + 4 + 1 + 1,
        "one container per item and per post"
    );

    // Every step left an event. The publish answer named the media, so its permalink was read
    // within the publish step and no separate step was needed.
    let events = s
        .events_with(&carousel, "the publish event", |e| e.step == "publish")
        .await;
    let steps: Vec<&str> = events.iter().map(|e| e.step.as_str()).collect();
    for step in [
        "claim",
        "prepare_media",
        "create_containers",
        "poll_containers",
        "publish",
    ] {
        assert!(steps.contains(&step), "{step} missing from {steps:?}");
    }
    assert!(!steps.contains(&"fetch_permalink"), "{steps:?}");

    // Published posts no longer hold their media: the library deletes it at once.
    for media in [&s.image, &s.image2, &s.video] {
        let deleted = s.user.delete(&format!("/api/v1/media/{media}")).await;
        assert_eq!(deleted.status, 204, "{media}: {:?}", deleted.body);
    }
}

#[tokio::test]
async fn a_permalink_read_that_fails_after_the_publish_is_retried_in_its_own_step() {
    let s = Studio::start(|_| {}).await;
    s.sim
        .add_fault(FaultRule::next(Endpoint::Permalink, 1, server_error()));
    let _worker = s.worker().await;
    let id = s.image_post("Linked later").await;
    let post = s.wait_settled(&id, PUBLISHED).await;
    assert!(post["ig_media_id"].is_string(), "{post}");
    assert!(
        post["permalink"]
            .as_str()
            .is_some_and(|p| p.starts_with("http")),
        "{post}"
    );
    assert_eq!(s.assert_exactly_once(), 1);
    // The permalink came from its own step (the read within the publish step failed).
    s.events_with(&id, "the fetch_permalink event", |e| {
        e.step == "fetch_permalink"
    })
    .await;
}

#[tokio::test]
async fn transient_errors_and_an_ambiguous_publish_still_publish_once() {
    let s = Studio::start(|_| {}).await;
    s.sim
        .add_fault(FaultRule::next(Endpoint::MediaCreate, 2, server_error()));
    s.sim
        .add_fault(FaultRule::next(Endpoint::MediaPublish, 1, Effect::Drop).after_success());
    let _worker = s.worker().await;
    let id = s.image_post("Through the storm").await;
    let post = s.wait_for(&id, "published", PUBLISHED).await;
    assert_eq!(post["status"], "published");
    assert_eq!(s.assert_exactly_once(), 1);
    // The transient errors were recorded.
    s.events_with(&id, "the transient errors recorded", |e| {
        e.step == "create_containers" && e.error.is_some()
    })
    .await;
}

#[tokio::test]
async fn bad_content_fails_with_a_message_the_user_can_act_on() {
    let s = Studio::start(|_| {}).await;
    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaCreate,
        aspect_ratio_refused(),
    ));
    let _worker = s.worker().await;
    let id = s.image_post("Wrong shape").await;
    let post = s.wait_for(&id, "failed", PUBLISHED).await;
    let reason = post["failure_reason"].as_str().unwrap();
    assert!(reason.starts_with("Instagram refused the post"), "{reason}");
    assert_eq!(s.assert_exactly_once(), 0);
}

#[tokio::test]
async fn a_failed_post_retried_by_an_operator_is_published() {
    let s = Studio::start(|_| {}).await;
    s.sim.add_fault(FaultRule::next(
        Endpoint::MediaCreate,
        1,
        aspect_ratio_refused(),
    ));
    let _worker = s.worker().await;
    let id = s.image_post("Second chance").await;
    let failed = s.wait_for(&id, "failed", PUBLISHED).await;
    // Its finished workflow stays; the retried version must not be stopped by it.
    let actions =
        aistudio_jobs::admin_actions::AdminActions::new(s.env.store().await, s.env.queue());
    actions
        .retry_now(&id, failed["version"].as_i64().unwrap())
        .await
        .expect("retried");
    s.wait_for(&id, "published", PUBLISHED).await;
    assert_eq!(s.assert_exactly_once(), 1);
}

#[tokio::test]
async fn a_refused_token_parks_posts_and_reconnecting_resumes_them() {
    let s = Studio::start(|_| {}).await;
    s.sim
        .revoke_tokens(&TokenTarget::Account("acme".into()), None);
    let later = s
        .post(
            json!({ "kind": "image", "caption": "Later", "items": [{ "media_id": s.image2 }],
            "scheduled_at": (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339() }),
        )
        .await;
    let _worker = s.worker().await;
    let now = s.image_post("Now").await;
    s.wait_for(&now, "needs_reconnect", PUBLISHED).await;
    assert_eq!(
        s.get(&later).await["status"],
        "needs_reconnect",
        "the account's posts are parked"
    );
    let connections = s.user.get("/api/v1/instagram/connections").await.body;
    assert_eq!(connections[0]["status"], "needs_reconnect");
    assert_eq!(s.assert_exactly_once(), 0);

    // Reconnect: the parked posts resume; the due one publishes, the later one waits.
    let cookie = s.user.cookie.clone().unwrap();
    let outcome = aistudio_tests::Browser::new(Some(&cookie))
        .connect_instagram(&s.api.url, "acme")
        .await;
    assert_eq!(outcome, "instagram=reconnected");
    s.wait_for(&now, "published", PUBLISHED).await;
    assert_eq!(s.get(&later).await["status"], "scheduled");
    assert_eq!(s.assert_exactly_once(), 1);
}

#[tokio::test]
async fn throttling_waits_for_that_account_and_then_publishes() {
    let s = Studio::start(|_| {}).await;
    s.sim.add_fault(FaultRule::next(
        Endpoint::MediaCreate,
        1,
        Effect::Http {
            status: 429,
            body: None,
            content_type: None,
            retry_after: Some(2),
        },
    ));
    let _worker = s.worker().await;
    let id = s.image_post("Patience").await;
    let post = s.wait_for(&id, "published", PUBLISHED).await;
    assert_eq!(post["status"], "published");
    s.events_with(&id, "the throttled wait recorded", |e| {
        e.note.as_deref() == Some("throttled by Instagram")
    })
    .await;
    assert_eq!(s.assert_exactly_once(), 1);
}

#[tokio::test]
async fn an_expired_container_is_replaced_by_a_new_one() {
    let s = Studio::start(|_| {}).await;
    s.sim.add_fault(FaultRule::next(
        Endpoint::MediaPublish,
        1,
        Effect::GraphError {
            code: -2,
            subcode: Some(2207020),
            http_status: Some(400),
            is_transient: false,
            message: Some("The media you are trying to publish has expired.".into()),
        },
    ));
    let _worker = s.worker().await;
    let id = s.image_post("Second container").await;
    s.wait_for(&id, "published", PUBLISHED).await;
    assert_eq!(s.containers().len(), 2, "a second container was created");
    assert_eq!(s.assert_exactly_once(), 1);
}

#[tokio::test]
async fn an_exhausted_quota_defers_the_post_instead_of_failing_it() {
    let s = Studio::start(|_| {}).await;
    s.sim.set_quota_total("acme", Some(1)).unwrap();
    let _worker = s.worker().await;
    let first = s.image_post("First").await;
    s.wait_for(&first, "published", PUBLISHED).await;
    let second = s.image_post("Second").await;
    let store = s.env.store().await;
    let waiting =
        aistudio_tests::eventually(PUBLISHED, "the second post to be deferred", || async {
            let wf = store.workflows().by_post(&second).await.ok()??;
            wf.waiting_reason.filter(|r| r.starts_with("quota"))
        })
        .await;
    assert!(waiting.contains("quota"), "{waiting}");
    assert_eq!(
        s.get(&second).await["status"],
        "publishing",
        "deferred, not failed"
    );
    assert_eq!(s.assert_exactly_once(), 1);
}

#[tokio::test]
async fn a_post_is_prepared_ahead_and_published_at_its_time_not_before() {
    let s = Studio::start(|env| {
        // A window a loaded test machine cannot outlast (6 s once did).
        env.set("AISTUDIO__WORKFLOW__PREPARE_AHEAD_SECS", "20");
    })
    .await;
    let _worker = s.worker().await;
    let now = chrono::Utc::now();
    let at = now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
        + chrono::Duration::seconds(24);
    let id = s
        .post(json!({ "kind": "image", "caption": "On the dot",
            "items": [{ "media_id": s.image }], "scheduled_at": at.to_rfc3339() }))
        .await;

    // Uploaded and its container created before the time; the post is locked from then on.
    let created_ms = aistudio_tests::eventually(PUBLISHED, "the container", || async {
        s.containers()
            .first()
            .and_then(|c| c["created_ms"].as_i64())
    })
    .await;
    assert!(
        created_ms < at.timestamp_millis(),
        "the container was created {} ms after the time",
        created_ms - at.timestamp_millis()
    );
    let cancel = s
        .user
        .post(&format!("/api/v1/posts/{id}/cancel"), json!({}))
        .await;
    assert_eq!(cancel.status, 409, "{:?}", cancel.body);
    assert_eq!(s.get(&id).await["status"], "publishing");

    let post = s.wait_for(&id, "published", PUBLISHED).await;
    let report = s.sim.inspect();
    let acme = report.accounts.iter().find(|a| a.username == "acme");
    let published_ms = acme.expect("acme").publishes[0].at_ms;
    let late_ms = published_ms - at.timestamp_millis();
    assert!(late_ms >= 0, "published {} ms early", -late_ms);
    assert!(late_ms < 5_000, "published {late_ms} ms late: {post}");
    assert_eq!(s.assert_exactly_once(), 1);
}

/// The publisher learns who hears of a publish (the owner's notification preferences and the
/// webhook endpoints listening for `post.published`) in the one read of the post's context:
/// the worker sends no command of its own for either.
#[tokio::test]
async fn publishing_reads_who_hears_of_it_with_the_post() {
    let s = Studio::start(|_| {}).await;
    let worker = s.worker().await;
    let id = s.image_post("Heard of in one read").await;
    s.wait_settled(&id, PUBLISHED).await;
    let url = format!("{}/metrics", worker.ops_url);
    // The publish step's outcome is counted after its notifications are raised.
    let metrics = aistudio_tests::eventually(PUBLISHED, "the publish step counted", || async {
        let text = reqwest::get(&url).await.ok()?.text().await.ok()?;
        text.lines()
            .any(|l| {
                l.starts_with("aistudio_workflow_steps_total{")
                    && l.contains("step=\"publish\"")
                    && l.contains("outcome=\"succeeded\"")
            })
            .then_some(text)
    })
    .await;
    let counts = CommandCounts::parse(&metrics).0;
    assert!(
        counts.get("aggregate.posts").is_some_and(|n| *n >= 1.0),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("find.notification_preferences"),
        None,
        "{counts:?}"
    );
    assert_eq!(counts.get("find.webhook_endpoints"), None, "{counts:?}");
}

//! Faults: workers killed mid-workflow, Redis flushed, Instagram failing at random, a cancel
//! racing the due time. The assertion is always the same: every post ends where it should and
//! the simulator saw exactly one publish per published post.

use std::time::Duration;

use aistudio_jobs::store::Store;
use aistudio_sim::{Effect, Endpoint, FaultRule};
use aistudio_tests::{RedisServer, Studio, Worker, eventually};
use serde_json::json;

/// Every post's status, in no particular order; each post must still be stored.
async fn statuses(store: &Store, ids: &[String]) -> Vec<String> {
    let posts = store.posts().by_ids(ids).await.unwrap();
    assert_eq!(posts.len(), ids.len(), "every post is still stored");
    posts
        .iter()
        .map(|p| p.content.status.as_str().to_string())
        .collect()
}

#[tokio::test]
async fn killed_workers_and_failing_instagram_lose_nothing_and_publish_nothing_twice() {
    let s = Studio::start(|env| {
        env.set("AISTUDIO__WORKFLOW__MAX_ATTEMPTS", "30")
            .set("AISTUDIO__REDIS__HEARTBEAT_SECS", "2");
    })
    .await;
    // Instagram's default limit is 100 posts a day; this account may publish all 300.
    s.sim.set_quota_total("acme", Some(1000)).unwrap();
    for endpoint in [
        Endpoint::MediaCreate,
        Endpoint::ContainerStatus,
        Endpoint::MediaPublish,
        Endpoint::ImgbbUpload,
    ] {
        s.sim.add_fault(
            FaultRule::always(
                endpoint,
                Effect::Http {
                    status: 503,
                    body: None,
                    content_type: None,
                    retry_after: None,
                },
            )
            .with_rate(0.10),
        );
    }
    s.sim.add_fault(
        FaultRule::always(Endpoint::MediaPublish, Effect::Drop)
            .with_rate(0.05)
            .after_success(),
    );

    let ids = s
        .insert_scheduled(300, chrono::Utc::now() + chrono::Duration::seconds(5))
        .await;
    let mut workers = [s.worker().await, s.worker().await, s.worker().await];
    // Kills follow progress, not the clock: once posts are publishing, one worker dies after
    // every 30 more published posts (or 3 s without that many), so however fast the pool runs,
    // several kills land while work is in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(900);
    let mut round = 0;
    let mut published_at_last_kill = 0;
    let mut last_kill = tokio::time::Instant::now();
    let store = s.env.store().await;
    loop {
        let done = statuses(&store, &ids)
            .await
            .iter()
            .filter(|st| *st == "published")
            .count();
        if done == ids.len() || tokio::time::Instant::now() > deadline {
            break;
        }
        if done > 0
            && (done - published_at_last_kill >= 30
                || last_kill.elapsed() >= Duration::from_secs(3))
        {
            let victim = round % workers.len();
            workers[victim].process.signal("KILL");
            let _ = workers[victim]
                .process
                .wait_exit(Duration::from_secs(10))
                .await;
            workers[victim] = Worker::start(&s.env).await;
            round += 1;
            published_at_last_kill = done;
            last_kill = tokio::time::Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let final_statuses = statuses(&store, &ids).await;
    let unpublished: Vec<_> = final_statuses
        .iter()
        .filter(|st| *st != "published")
        .collect();
    assert!(
        unpublished.is_empty(),
        "{} posts not published: {unpublished:?}",
        unpublished.len()
    );
    assert!(
        round >= 3,
        "workers were killed {round} times while posts were publishing"
    );
    assert_eq!(s.assert_exactly_once(), 300, "exactly one publish per post");

    // Every post's record becomes final, and none records a media that is not its own: the
    // simulator's container behind each recorded media carries that post's caption.
    let posts = eventually(
        Duration::from_secs(180),
        "every post's record to be final",
        || async {
            let posts = store.posts().by_ids(&ids).await.ok()?;
            posts
                .iter()
                .all(|p| p.settled_at.is_some())
                .then_some(posts)
        },
    )
    .await;
    let report = s.sim.inspect();
    let caption_of: std::collections::HashMap<String, String> = report
        .accounts
        .iter()
        .flat_map(|a| &a.containers)
        .filter_map(|c| Some((c.media_id.clone()?, c.caption.clone().unwrap_or_default())))
        .collect();
    let mut recorded = std::collections::HashSet::new();
    for post in &posts {
        match &post.ig_media_id {
            Some(media) => {
                assert_eq!(
                    caption_of.get(media),
                    Some(&post.content.caption),
                    "post {} recorded another post's media",
                    post.id
                );
                assert!(recorded.insert(media.clone()), "{media} recorded twice");
            }
            None => assert!(
                post.media_unresolved.is_some(),
                "post {} has neither its media nor a reason",
                post.id
            ),
        }
    }
}

#[tokio::test]
async fn flushing_redis_mid_run_loses_nothing_and_duplicates_nothing() {
    let mut redis = RedisServer::start().await;
    let s = Studio::start(|env| {
        env.redis_url = redis.url();
    })
    .await;
    let _worker = s.worker().await;
    let store = s.env.store().await;
    let due = chrono::Utc::now() + chrono::Duration::seconds(8);
    let soon = due.to_rfc3339();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(
            s.post(json!({ "kind": "image", "caption": format!("flush {n}"),
                "items": [{ "media_id": s.image }], "scheduled_at": soon }))
                .await,
        );
    }
    // Two seconds before they are due the dispatcher has queued them; Redis then loses
    // everything (restart without persistence).
    let until_flush = (due - chrono::Duration::seconds(2)) - chrono::Utc::now();
    tokio::time::sleep(until_flush.to_std().unwrap_or_default()).await;
    let before = statuses(&store, &ids).await;
    assert!(
        before.iter().all(|x| x != "published"),
        "the flush must come before any post publishes: {before:?}"
    );
    redis.stop().await;
    redis.restart().await;
    eventually(
        Duration::from_secs(120),
        "every post to publish after the flush",
        || async {
            let st = statuses(&store, &ids).await;
            st.iter().all(|x| x == "published").then_some(())
        },
    )
    .await;
    assert_eq!(s.assert_exactly_once(), 20);
}

#[tokio::test]
async fn a_cancel_racing_the_due_time_never_publishes_a_canceled_post() {
    let s = Studio::start(|_| {}).await;
    let _worker = s.worker().await;
    let mut outcomes = Vec::new();
    for n in 0..6 {
        let at = chrono::Utc::now() + chrono::Duration::seconds(3);
        let id = s
            .post(json!({ "kind": "image", "caption": format!("race {n}"),
                "items": [{ "media_id": s.image }], "scheduled_at": at.to_rfc3339() }))
            .await;
        // Cancel right around the due time (a little before, at, and after).
        let offset = (n as i64 - 2) * 150;
        let wait = (at - chrono::Utc::now()).num_milliseconds() + offset;
        tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
        let cancel = s
            .user
            .post(&format!("/api/v1/posts/{id}/cancel"), json!({}))
            .await;
        outcomes.push((id, cancel.status));
    }
    tokio::time::sleep(Duration::from_secs(8)).await;
    let mut published = 0;
    for (id, status) in &outcomes {
        let post = s.get(id).await;
        if *status == 200 {
            assert_eq!(
                post["status"], "canceled",
                "a canceled post stays canceled: {post}"
            );
        } else {
            assert_eq!(*status, 409, "the cancel lost to the publisher");
            let post = s.wait_for(id, "published", Duration::from_secs(30)).await;
            assert_eq!(post["status"], "published");
            published += 1;
        }
    }
    assert_eq!(
        s.assert_exactly_once(),
        published,
        "only the posts the cancel lost to publish"
    );
}

#[tokio::test]
async fn the_reconciler_resumes_a_stalled_workflow_once_per_stall_not_once_per_tick() {
    use aistudio_jobs::store::Step;
    use aistudio_jobs::workflow::dispatcher::backlog;
    use aistudio_jobs::workflow::reconciler::Reconcile;

    let env = aistudio_tests::TestEnv::new();
    let store = env.store().await;
    let queue = env.queue();
    let now = chrono::Utc::now();
    // Its wake-up is a minute overdue and nobody holds it: a worker behind, or a lost job.
    let workflow = aistudio_tests::unleased_workflow(
        "stalled-post",
        Step::PollContainers,
        now - chrono::Duration::seconds(60),
    );
    store.workflows().create(&workflow).await.unwrap();
    let lease = chrono::Duration::seconds(120);
    let late = chrono::Duration::seconds(60);
    for tick in 1..=3 {
        let run = Reconcile { tick }
            .run(&store, &queue, lease, late)
            .await
            .unwrap();
        assert_eq!(run.resumed, 1);
    }
    assert_eq!(
        backlog(&queue).await.unwrap(),
        1,
        "three ticks over the same stall queue one resume job"
    );

    // A worker takes it and dies (its lease runs out): that is a new stall, resumed again.
    let taken = store
        .workflows()
        .acquire(
            "stalled-post",
            "a-worker-that-dies",
            chrono::Duration::milliseconds(1),
        )
        .await
        .unwrap();
    assert!(taken.is_some());
    tokio::time::sleep(Duration::from_millis(20)).await;
    Reconcile { tick: 4 }
        .run(&store, &queue, lease, late)
        .await
        .unwrap();
    assert_eq!(backlog(&queue).await.unwrap(), 2);
}

/// The documented ambiguous publish: Instagram publishes, then answers 4/2207051.
fn ambiguous_publishes(n: u32) -> FaultRule {
    FaultRule::next(
        Endpoint::MediaPublish,
        n,
        Effect::GraphError {
            code: 4,
            subcode: Some(2207051),
            http_status: None,
            is_transient: false,
            message: None,
        },
    )
    .after_success()
}

fn millis(value: &serde_json::Value) -> i64 {
    let text = value.as_str().expect("a time");
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .timestamp_millis()
}

/// Instagram's `timestamp` (`2026-12-01T22:04:00+0000`) in milliseconds.
fn instagram_millis(value: &serde_json::Value) -> i64 {
    let text = value.as_str().expect("a timestamp");
    chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z")
        .expect("Instagram's format")
        .timestamp_millis()
}

const SETTLED: Duration = Duration::from_secs(90);

/// Asserts the post became the simulator's only publish: its media id, its permalink, and
/// Instagram's own publish time (whole seconds) as `published_at`.
async fn assert_recorded_as_instagram_saw_it(s: &Studio, post: &serde_json::Value) {
    let publishes = s.publishes();
    assert_eq!(publishes.len(), 1);
    let media_id = publishes[0].media_id.as_str();
    assert_eq!(post["ig_media_id"], media_id, "{post}");
    let instagram = s.instagram_media(media_id).await;
    assert!(instagram["permalink"].is_string(), "{instagram}");
    assert_eq!(post["permalink"], instagram["permalink"], "{post}");
    assert_eq!(
        millis(&post["published_at"]),
        instagram_millis(&instagram["timestamp"]),
        "published_at is Instagram's timestamp: {post} {instagram}"
    );
    assert_eq!(
        millis(&post["published_at"]),
        publishes[0].at_ms.div_euclid(1000) * 1000,
        "the second Instagram published it in"
    );
    assert!(post["media_unresolved"].is_null(), "{post}");
    assert!(post["link_note"].is_null(), "{post}");
}

#[tokio::test]
async fn an_ambiguous_publish_ends_with_its_media_permalink_and_instagrams_time() {
    let s = Studio::start(|_| {}).await;
    s.sim.add_fault(ambiguous_publishes(1));
    let _worker = s.worker().await;
    let id = s.image_post("Live despite the error").await;
    let post = s.wait_settled(&id, SETTLED).await;
    assert_eq!(post["status"], "published");
    assert_eq!(
        s.sim.inspect().faults_fired.get("media_publish"),
        Some(&1),
        "the publish answered an error"
    );
    assert_recorded_as_instagram_saw_it(&s, &post).await;
    assert_eq!(s.assert_exactly_once(), 1, "published once, never again");
}

#[tokio::test]
async fn identical_posts_published_ambiguously_together_are_not_given_each_others_media() {
    let s = Studio::start(|_| {}).await;
    s.sim.add_fault(ambiguous_publishes(2));
    // The list answers slowly: both posts are live before either is looked up.
    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaList,
        Effect::Latency { ms: 2_000 },
    ));
    let _worker = s.worker().await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(4)).to_rfc3339();
    let mut ids = Vec::new();
    for media in [&s.image, &s.image2] {
        ids.push(
            s.post(
                json!({ "kind": "image", "caption": "Same words, same moment",
                "items": [{ "media_id": media }], "scheduled_at": at }),
            )
            .await,
        );
    }
    for id in &ids {
        let post = s.wait_settled(id, SETTLED).await;
        assert_eq!(post["status"], "published", "{post}");
        assert!(post["ig_media_id"].is_null(), "no media guessed: {post}");
        assert!(post["permalink"].is_null(), "{post}");
        assert_eq!(post["media_unresolved"], "ambiguous", "{post}");
        let note = post["link_note"].as_str().unwrap_or_default();
        assert!(note.contains("could not be determined uniquely"), "{note}");
    }
    assert_eq!(
        s.sim.inspect().faults_fired.get("media_publish"),
        Some(&2),
        "both publishes answered an error"
    );
    assert_eq!(
        s.assert_exactly_once(),
        2,
        "each published once, never again"
    );
}

#[tokio::test]
async fn a_media_list_that_lags_still_resolves_on_a_later_lookup() {
    let s = Studio::start(|_| {}).await;
    s.sim.update_settings(&aistudio_sim::SettingsPatch {
        media_list_lag_ms: Some(1_500),
        ..aistudio_sim::SettingsPatch::default()
    });
    s.sim.add_fault(ambiguous_publishes(1));
    let _worker = s.worker().await;
    let id = s
        .post(json!({ "kind": "story", "items": [{ "media_id": s.image2 }] }))
        .await;
    let post = s.wait_settled(&id, SETTLED).await;
    assert_recorded_as_instagram_saw_it(&s, &post).await;
    // The first lookup found nothing.
    s.events_with(&id, "a lookup that found nothing", |e| {
        e.step == "fetch_permalink"
            && e.error
                .as_ref()
                .is_some_and(|err| err.class == "media_not_listed")
    })
    .await;
    let calls = s.sim.inspect().calls;
    assert!(
        calls.get("stories_list").copied().unwrap_or(0) >= 2,
        "{calls:?}"
    );
    assert_eq!(s.assert_exactly_once(), 1);
}

/// The value of an unlabelled Prometheus sample.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok()).flatten()
    })
}

#[tokio::test]
async fn a_normal_publish_records_instagrams_time_and_counts_its_lateness_once() {
    let s = Studio::start(|_| {}).await;
    let worker = s.worker().await;
    let id = s.image_post("Right on time").await;
    let post = s.wait_settled(&id, SETTLED).await;
    assert_recorded_as_instagram_saw_it(&s, &post).await;
    assert_eq!(s.sim.inspect().calls.get("media_list"), None, "no lookup");

    // Lateness is counted once, from the final published_at.
    let lateness =
        (millis(&post["published_at"]) - millis(&post["scheduled_at"])).max(0) as f64 / 1000.0;
    let url = format!("{}/metrics", worker.ops_url);
    let metrics = eventually(Duration::from_secs(10), "the lateness sample", || async {
        let text = reqwest::get(&url).await.ok()?.text().await.ok()?;
        sample(&text, "aistudio_publish_lateness_seconds_count").map(|_| text)
    })
    .await;
    assert_eq!(
        sample(&metrics, "aistudio_publish_lateness_seconds_count"),
        Some(1.0)
    );
    let sum = sample(&metrics, "aistudio_publish_lateness_seconds_sum").unwrap_or(-1.0);
    assert!((sum - lateness).abs() < 0.002, "{sum} vs {lateness}");
}

#[tokio::test]
async fn a_post_recorded_published_just_before_its_worker_died_still_gets_its_record() {
    use mongodb::bson::{Bson, DateTime, Document, doc};

    let s = Studio::start(|_| {}).await;
    let mut worker = s.worker().await;
    let id = s.image_post("Recorded, then the worker died").await;
    let first = s.wait_settled(&id, SETTLED).await;
    worker.process.signal("KILL");
    let _ = worker.process.wait_exit(Duration::from_secs(10)).await;

    // What a worker leaves when it dies between recording the post published (with the time
    // it learned so) and saving the workflow's step.
    let db = mongodb::Client::with_uri_str(&s.env.mongo_url)
        .await
        .unwrap()
        .database(&s.env.database);
    let learned = DateTime::from_millis(millis(&first["published_at"]) + 1_500);
    let stale = DateTime::from_millis(chrono::Utc::now().timestamp_millis() - 60_000);
    db.collection::<Document>("workflows")
        .update_one(
            doc! { "_id": &id },
            doc! { "$set": {
                "step": "publish", "ig_media_id": Bson::Null, "attempts": 0,
                "lease_owner": Bson::Null, "lease_expires_at": Bson::Null, "next_run_at": stale,
            } },
        )
        .await
        .unwrap();
    db.collection::<Document>("posts")
        .update_one(
            doc! { "_id": &id },
            doc! { "$set": {
                "permalink": Bson::Null, "settled_at": Bson::Null, "published_at": learned,
            } },
        )
        .await
        .unwrap();

    let _worker = s.worker().await;
    let post = s.wait_settled(&id, SETTLED).await;
    assert_eq!(post["permalink"], first["permalink"], "{post}");
    assert_recorded_as_instagram_saw_it(&s, &post).await;
    assert_eq!(
        s.assert_exactly_once(),
        1,
        "resumed without publishing again"
    );
}

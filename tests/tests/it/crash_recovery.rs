//! A worker killed at the due second: the posts it had taken are published at most 15 s late,
//! with the production lease, reconciler and heartbeat timings.

use std::time::Duration;

use aistudio_sim::{Effect, Endpoint, FaultRule};
use aistudio_tests::chaos::in_flight_by_pid;
use aistudio_tests::{Studio, eventually};
use chrono::{DurationRound, Utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_of_a_worker_killed_at_the_due_second_are_at_most_15_s_late() {
    let s = Studio::start(|env| {
        // Lease, reconciler and heartbeats on their defaults; posts prepared ahead (as by
        // default, only sooner), so at their time the workers hold their leases and publish.
        env.set("AISTUDIO__WORKFLOW__PREPARE_AHEAD_SECS", "6");
    })
    .await;
    s.sim.set_quota_total("acme", Some(1000)).unwrap();
    // Each publish call takes 0.5 s, so at the kill the posts are mid-publish however fast the
    // database answers.
    s.sim.add_fault(FaultRule::always(
        Endpoint::MediaPublish,
        Effect::Latency { ms: 500 },
    ));
    let workers = [s.worker().await, s.worker().await];
    let due = Utc::now()
        .duration_trunc(chrono::Duration::seconds(1))
        .unwrap()
        + chrono::Duration::seconds(12);
    let ids = s.insert_scheduled(20, due).await;

    // 0.25 s after the due second, kill the worker holding the most of them.
    let kill_at = due + chrono::Duration::milliseconds(250);
    tokio::time::sleep((kill_at - Utc::now()).to_std().unwrap_or_default()).await;
    let held = in_flight_by_pid(&s.env.redis_url, &s.env.namespace, "publish").await;
    let (victim, taken) = workers
        .iter()
        .enumerate()
        .map(|(i, w)| (i, held.get(&w.process.pid()).copied().unwrap_or(0)))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    workers[victim].process.signal("KILL");
    assert!(
        taken > 0,
        "the killed worker held some of the due posts: {held:?}"
    );

    let store = s.env.store().await;
    let lateness = eventually(Duration::from_secs(120), "every post published", || async {
        let mut lateness = Vec::new();
        for id in &ids {
            let post = store.posts().by_id(id).await.unwrap().unwrap();
            lateness.push((post.published_at? - due).num_milliseconds());
        }
        Some(lateness)
    })
    .await;
    let worst = *lateness.iter().max().unwrap();
    eprintln!("the killed worker held {taken} of the 20 posts; lateness (ms): {lateness:?}");
    assert!(
        worst <= 15_000,
        "the killed worker held {taken} posts; worst lateness {worst} ms (all: {lateness:?})"
    );
    assert_eq!(s.assert_exactly_once(), 20, "exactly one publish per post");
}

/// A worker whose lease another worker took stops the step at its next renewal instead of
/// carrying on, and the post is still published exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_lease_was_taken_is_cancelled_and_the_post_still_publishes_once() {
    use mongodb::bson::doc;

    let s = Studio::start(|_| {}).await;
    // The media upload takes 8 s: the step is running when its lease is taken.
    s.sim.add_fault(FaultRule::next(
        Endpoint::ImgbbUpload,
        1,
        Effect::Latency { ms: 8_000 },
    ));
    let _worker = s.worker().await;
    let id = s.image_post("taken over").await;
    let store = s.env.store().await;
    eventually(
        Duration::from_secs(30),
        "the workflow to be leased",
        || async {
            let wf = store.workflows().by_post(&id).await.unwrap()?;
            wf.lease_owner.map(|_| ())
        },
    )
    .await;
    // Another worker takes the lease (as one would after this one's lease ran out).
    let taken_at = std::time::Instant::now();
    let workflows = mongodb::Client::with_uri_str(&s.env.mongo_url)
        .await
        .unwrap()
        .database(&s.env.database)
        .collection::<mongodb::bson::Document>("workflows");
    let until = mongodb::bson::DateTime::from_chrono(Utc::now() + chrono::Duration::seconds(3));
    workflows
        .update_one(
            doc! { "_id": &id },
            doc! { "$set": { "lease_owner": "intruder", "lease_expires_at": until } },
        )
        .await
        .unwrap();

    let note = eventually(
        Duration::from_secs(15),
        "the step to be cancelled",
        || async {
            let events = store.workflow_events().for_post(&id, 50).await.unwrap();
            events
                .into_iter()
                .filter_map(|e| e.note)
                .find(|n| n.contains("another worker holds the lease"))
        },
    )
    .await;
    let cancelled_after = taken_at.elapsed();
    assert!(
        cancelled_after < Duration::from_secs(6),
        "cancelled at the next renewal, not when the 8 s upload ended: {cancelled_after:?} ({note})"
    );
    s.wait_for(&id, "published", Duration::from_secs(60)).await;
    assert_eq!(s.assert_exactly_once(), 1, "published exactly once");
}

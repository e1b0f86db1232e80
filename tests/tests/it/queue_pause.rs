//! Pausing an account's queue through the real api: a paused queue's due posts are not
//! published by a real worker while the account's other posts and other accounts' queues are;
//! on resume a post whose slot passed takes the next free slot and publishes there; pause and
//! resume are compare-and-sets on the schedule's version; posts can be added to a paused queue
//! (held); a pause racing adds and the publisher's claims holds every post it does not list as
//! already being prepared; writes interrupted by a dying api are finished by the next add.

use std::collections::BTreeSet;
use std::time::Duration;

use aistudio_jobs::store::{ADDING, PostStatus, Store};
use aistudio_tests::{Api, ApiClient, Browser, Studio, TestEnv};
use chrono::{DateTime, Timelike, Utc};
use mongodb::bson::doc;
use serde_json::{Value, json};

use crate::posting_schedule::{Owner, at, owner, slots_from_now};

fn pause_path(schedule: &str) -> String {
    format!("{schedule}/pause")
}

fn resume_path(schedule: &str) -> String {
    format!("{schedule}/resume")
}

/// Saves the schedule (`slots` in UTC) of a connection; its version.
async fn save_schedule(client: &ApiClient, path: &str, slots: Vec<Value>) -> i64 {
    let version = client.get(path).await.body["version"].as_i64().unwrap();
    let saved = client
        .put(
            path,
            json!({ "version": version, "time_zone": "UTC", "slots": slots }),
        )
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    saved.body["version"].as_i64().unwrap()
}

/// A weekly slot at each of the next `n` minutes (UTC).
fn every_minute(n: i64) -> Vec<Value> {
    let now = Utc::now();
    (0..n)
        .map(|k| {
            let t = now + chrono::Duration::minutes(k);
            json!({ "day": t.format("%a").to_string().to_lowercase(), "time": t.format("%H:%M").to_string() })
        })
        .collect()
}

/// Adds an image post with `caption` to the queue of `connection_id`; the post.
async fn add(client: &ApiClient, connection_id: &str, image: &str, caption: &str) -> Value {
    let reply = client
        .post(
            "/api/v1/posts",
            json!({
                "kind": "image", "connection_id": connection_id, "caption": caption,
                "items": [{ "media_id": image }], "queue": true,
            }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body
}

fn id(post: &Value) -> String {
    post["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_queue_publishes_nothing_and_a_missed_slot_moves_to_the_next_free_one() {
    let s = Studio::start(|_| {}).await;
    let _worker = s.worker().await;
    // A second account of the same user, with its own queue.
    let outcome = Browser::new(s.user.cookie.as_deref())
        .connect_instagram(&s.api.url, "globex")
        .await;
    assert_eq!(outcome, "instagram=connected");
    let connections = s.user.get("/api/v1/instagram/connections").await.body;
    let globex = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["username"] == "globex")
        .expect("globex connected")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let acme_schedule = format!(
        "/api/v1/instagram/connections/{}/posting-schedule",
        s.connection_id
    );
    let globex_schedule = format!("/api/v1/instagram/connections/{globex}/posting-schedule");
    // Slots every minute: the first free one is one to two minutes ahead.
    let slots = every_minute(12);
    let version = save_schedule(&s.user, &acme_schedule, slots.clone()).await;
    save_schedule(&s.user, &globex_schedule, slots).await;

    let missed = add(&s.user, &s.connection_id, &s.image, "Queued, slot missed").await;
    let kept = add(&s.user, &s.connection_id, &s.image2, "Queued, slot kept").await;
    let other = add(&s.user, &globex, &s.image, "Another account's queue").await;
    let s1 = at(&missed["scheduled_at"]);
    let s2 = at(&kept["scheduled_at"]);
    assert_eq!(s2 - s1, chrono::Duration::minutes(1), "the next slot");
    assert_eq!(
        at(&other["scheduled_at"]),
        s1,
        "the other account's first slot"
    );
    // Scheduled by hand at the same instant: not in the queue.
    let by_hand = s
        .post(json!({
            "kind": "image", "caption": "Scheduled by hand", "items": [{ "media_id": s.image2 }],
            "scheduled_at": s1.to_rfc3339(),
        }))
        .await;

    let paused = s
        .user
        .post(&pause_path(&acme_schedule), json!({ "version": version }))
        .await;
    assert_eq!(paused.status, 200, "{:?}", paused.body);
    assert_eq!(paused.body["schedule"]["paused"], true);
    assert_eq!(paused.body["held"], 2, "both queued posts");
    assert_eq!(paused.body["publishing_anyway"], json!([]));
    assert_eq!(s.get(&id(&missed)).await["held"], true);
    assert_eq!(s.get(&by_hand).await["held"], false);

    // The slot comes: the post scheduled by hand and the other account's queued post publish,
    // the paused queue's post does not.
    s.wait_for(&by_hand, "published", Duration::from_secs(200))
        .await;
    s.wait_for(&id(&other), "published", Duration::from_secs(60))
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let held = s.get(&id(&missed)).await;
    assert_eq!(
        (held["status"].as_str(), held["held"].as_bool()),
        (Some("scheduled"), Some(true)),
        "{held}"
    );
    assert!(
        Utc::now() > s1 + chrono::Duration::seconds(4),
        "its slot passed"
    );
    let store = s.env.store().await;
    assert!(
        store
            .workflows()
            .by_post(&id(&missed))
            .await
            .unwrap()
            .is_none(),
        "never claimed"
    );
    assert_eq!(
        s.publishes().len(),
        1,
        "acme published only the post by hand"
    );

    // Resume: the missed post moves to the next free slot at least a minute ahead, after the
    // kept one, which keeps its own.
    let version = paused.body["schedule"]["version"].as_i64().unwrap();
    let resumed = s
        .user
        .post(&resume_path(&acme_schedule), json!({ "version": version }))
        .await;
    assert_eq!(resumed.status, 200, "{:?}", resumed.body);
    assert_eq!(resumed.body["schedule"]["paused"], false);
    assert_eq!(resumed.body["released"], 2);
    let moved = resumed.body["moved"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{:?}", resumed.body);
    assert_eq!(moved[0]["post"]["id"], missed["id"]);
    assert_eq!(at(&moved[0]["from"]), s1);
    let new_slot = at(&moved[0]["post"]["scheduled_at"]);
    assert_eq!(new_slot.second(), 0, "a slot of the schedule");
    assert!(
        new_slot > Utc::now() + chrono::Duration::seconds(50),
        "not now"
    );
    assert!(new_slot > s2, "after the kept post");
    assert_eq!(moved[0]["post"]["queued"], true);
    assert_eq!(moved[0]["post"]["held"], false);
    assert_eq!(at(&s.get(&id(&kept)).await["scheduled_at"]), s2, "kept");

    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        s.get(&id(&missed)).await["status"],
        "scheduled",
        "not published late"
    );
    let kept = s
        .wait_for(&id(&kept), "published", Duration::from_secs(90))
        .await;
    assert!(at(&kept["published_at"]) >= s2, "{kept}");
    let published = s
        .wait_for(&id(&missed), "published", Duration::from_secs(150))
        .await;
    assert!(
        at(&published["published_at"]) >= new_slot,
        "at its new slot: {published}"
    );
    assert_eq!(s.publishes().len(), 3);
    s.assert_exactly_once();
}

/// Each post's (time, version, status, held) as the api shows it.
async fn snapshot(owner: &Owner, ids: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        let post = owner.client.get(&format!("/api/v1/posts/{id}")).await.body;
        out.push(json!([
            post["scheduled_at"],
            post["version"],
            post["status"],
            post["held"]
        ]));
    }
    out
}

#[tokio::test]
async fn pause_and_resume_are_compare_and_sets_and_a_paused_queue_still_takes_posts() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let path = ada.schedule_path();

    // Nothing saved yet: nothing to pause.
    let none = ada
        .client
        .post(&pause_path(&path), json!({ "version": 1 }))
        .await;
    assert_eq!(none.status, 409, "{:?}", none.body);
    let slots = slots_from_now();
    let version = save_schedule(&ada.client, &path, slots.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let added = ada
            .client
            .post("/api/v1/posts", ada.queued(json!({})))
            .await;
        assert_eq!(added.status, 201, "{:?}", added.body);
        assert_eq!(added.body["held"], false, "a queue not paused");
        ids.push(id(&added.body));
    }
    let by_hand = ada
        .client
        .post(
            "/api/v1/posts",
            json!({
                "kind": "image", "connection_id": ada.connection_id, "caption": "By hand",
                "items": [{ "media_id": ada.image }],
                "scheduled_at": (Utc::now() + chrono::Duration::hours(2)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(by_hand.status, 201, "{:?}", by_hand.body);
    let mut all = ids.clone();
    all.push(id(&by_hand.body));

    // Bad input and a stale version: JSON errors, nothing changed.
    let schedule = ada.client.get(&path).await.body;
    assert_eq!(schedule["paused"], false);
    let before = snapshot(&ada, &all).await;
    let bob = owner(&api, &store, "bob@example.com").await;
    for (who, target, body, status, field) in [
        (
            &ada,
            pause_path(&path),
            json!({ "version": 0 }),
            422,
            Some("version"),
        ),
        (&ada, pause_path(&path), json!({}), 422, None),
        (
            &ada,
            pause_path(&path),
            json!({ "version": "one" }),
            422,
            None,
        ),
        (
            &ada,
            pause_path(&path),
            json!({ "version": version, "why": 1 }),
            422,
            None,
        ),
        (
            &ada,
            pause_path(&path),
            json!({ "version": version + 1 }),
            409,
            None,
        ),
        (
            &ada,
            resume_path(&path),
            json!({ "version": version }),
            409,
            None,
        ),
        (
            &bob,
            pause_path(&path),
            json!({ "version": version }),
            404,
            None,
        ),
    ] {
        let reply = who.client.post(&target, body.clone()).await;
        assert_eq!(reply.status, status, "{target} {body}: {:?}", reply.body);
        assert!(reply.body["code"].is_string(), "{:?}", reply.body);
        assert!(reply.body["message"].is_string(), "{:?}", reply.body);
        if let Some(field) = field {
            assert_eq!(reply.body["field"], field);
        }
    }
    let not_paused = ada
        .client
        .post(&resume_path(&path), json!({ "version": version }))
        .await;
    assert!(
        not_paused.body["message"]
            .as_str()
            .unwrap()
            .contains("not paused"),
        "{:?}",
        not_paused.body
    );
    assert_eq!(ada.client.get(&path).await.body, schedule, "unchanged");
    assert_eq!(snapshot(&ada, &all).await, before, "unchanged");

    // Paused: the queued posts are held, the one scheduled by hand is not.
    let paused = ada
        .client
        .post(&pause_path(&path), json!({ "version": version }))
        .await;
    assert_eq!(paused.status, 200, "{:?}", paused.body);
    assert_eq!(paused.body["held"], 2);
    assert!(paused.body["schedule"]["paused_at"].is_string());
    let version = paused.body["schedule"]["version"].as_i64().unwrap();
    let held: Vec<Value> = snapshot(&ada, &all)
        .await
        .iter()
        .map(|p| p[3].clone())
        .collect();
    assert_eq!(held, [json!(true), json!(true), json!(false)]);
    let again = ada
        .client
        .post(&pause_path(&path), json!({ "version": version }))
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("already paused")
    );
    let stale = ada
        .client
        .post(&resume_path(&path), json!({ "version": version - 1 }))
        .await;
    assert_eq!(stale.status, 409, "{:?}", stale.body);
    assert_eq!(
        ada.client.get(&path).await.body["paused"],
        true,
        "still paused"
    );

    // Changing the slots keeps the pause; adding to a paused queue is allowed: the post takes
    // the next free slot and waits, held.
    let edited = save_schedule(&ada.client, &path, slots).await;
    assert_eq!(ada.client.get(&path).await.body["paused"], true);
    let added = ada
        .client
        .post("/api/v1/posts", ada.queued(json!({})))
        .await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    assert_eq!(
        (&added.body["queued"], &added.body["held"]),
        (&json!(true), &json!(true))
    );
    let times: BTreeSet<DateTime<Utc>> = snapshot(&ada, &ids)
        .await
        .iter()
        .map(|p| at(&p[0]))
        .collect();
    assert!(
        times.iter().all(|t| *t < at(&added.body["scheduled_at"])),
        "after the queued posts"
    );
    ids.push(id(&added.body));

    // Rescheduled by hand, a post leaves the queue and is not held any more.
    let post = ada
        .client
        .get(&format!("/api/v1/posts/{}", ids[0]))
        .await
        .body;
    let moved = ada
        .client
        .post(
            &format!("/api/v1/posts/{}/reschedule", ids[0]),
            json!({
                "version": post["version"],
                "scheduled_at": (Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(
        (&moved.body["queued"], &moved.body["held"]),
        (&json!(false), &json!(false))
    );

    let resumed = ada
        .client
        .post(&resume_path(&path), json!({ "version": edited }))
        .await;
    assert_eq!(resumed.status, 200, "{:?}", resumed.body);
    assert_eq!(resumed.body["released"], 2);
    assert_eq!(resumed.body["moved"], json!([]), "every slot still ahead");
    for post in snapshot(&ada, &ids[1..]).await {
        assert_eq!(post[3], false, "released: {post}");
    }

    // A queued post the publisher claimed before the pause cannot be stopped: the pause says so.
    let read = store.posts().by_id(&ids[1]).await.unwrap().unwrap();
    let claimed = store.posts().claim_for_publishing(&read).await.unwrap();
    assert!(claimed.is_some(), "claimed");
    let version = resumed.body["schedule"]["version"].as_i64().unwrap();
    let paused = ada
        .client
        .post(&pause_path(&path), json!({ "version": version }))
        .await;
    assert_eq!(paused.status, 200, "{:?}", paused.body);
    let anyway: Vec<&str> = paused.body["publishing_anyway"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(anyway, [ids[1].as_str()]);
    assert_eq!(paused.body["held"], 1, "the added post");
}

#[tokio::test]
async fn a_pause_racing_adds_and_claims_holds_every_post_it_does_not_list() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let path = ada.schedule_path();
    let version = save_schedule(&ada.client, &path, slots_from_now()).await;
    let mut queued = Vec::new();
    for _ in 0..6 {
        let added = ada
            .client
            .post("/api/v1/posts", ada.queued(json!({})))
            .await;
        assert_eq!(added.status, 201, "{:?}", added.body);
        queued.push(id(&added.body));
    }
    let mut reads = Vec::new();
    for post_id in &queued {
        reads.push(store.posts().by_id(post_id).await.unwrap().unwrap());
    }

    // All at once: the publisher claims each post at the version it read, six more posts are
    // added, and the queue is paused.
    let claims = reads.iter().map(|post| {
        let store = store.clone();
        async move { store.posts().claim_for_publishing(post).await.unwrap() }
    });
    let adds = (0..6).map(|_| {
        let client = ada.client.clone();
        let body = ada.queued(json!({}));
        async move { client.post("/api/v1/posts", body).await }
    });
    let pause_at = pause_path(&path);
    let pause = ada.client.post(&pause_at, json!({ "version": version }));
    let (claimed, added, paused) = tokio::join!(
        futures::future::join_all(claims),
        futures::future::join_all(adds),
        pause
    );
    assert_eq!(paused.status, 200, "{:?}", paused.body);
    let listed: BTreeSet<String> = paused.body["publishing_anyway"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    let landed: BTreeSet<String> = claimed.iter().flatten().map(|p| p.id.clone()).collect();
    assert_eq!(
        listed, landed,
        "the pause lists exactly the claims that landed"
    );
    for reply in &added {
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        queued.push(id(&reply.body));
    }
    for post_id in &queued {
        let post = store.posts().by_id(post_id).await.unwrap().unwrap();
        if landed.contains(post_id) {
            assert_eq!(post.content.status, PostStatus::Publishing);
        } else {
            assert_eq!(post.content.status, PostStatus::Scheduled, "{post_id}");
            assert!(
                post.held.is_some_and(|h| h > ADDING),
                "{post_id} held by the pause: {:?}",
                post.held
            );
            assert!(
                store
                    .posts()
                    .claim_for_publishing(&post)
                    .await
                    .unwrap()
                    .is_none(),
                "a held post is never claimed"
            );
        }
    }
    assert!(
        store
            .posts()
            .due(Utc::now() + chrono::Duration::days(30), 100)
            .await
            .unwrap()
            .is_empty(),
        "nothing to dispatch"
    );
}

#[tokio::test]
async fn writes_interrupted_by_a_dying_api_are_finished_by_the_next_add() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let path = ada.schedule_path();
    save_schedule(&ada.client, &path, slots_from_now()).await;
    let first = id(&add(&ada.client, &ada.connection_id, &ada.image, "First").await);
    let second = id(&add(&ada.client, &ada.connection_id, &ada.image, "Second").await);
    let db = env.database().await;
    let posts = db.collection::<mongodb::bson::Document>("posts");
    let schedules = db.collection::<mongodb::bson::Document>("posting_schedules");

    // An add that died before its queue's state was known: its post stays held.
    posts
        .update_one(doc! { "_id": &first }, doc! { "$set": { "held": ADDING } })
        .await
        .unwrap();
    let third = id(&add(&ada.client, &ada.connection_id, &ada.image, "Third").await);
    assert!(
        held_of(&store, &[&first, &second, &third])
            .await
            .iter()
            .all(Option::is_none),
        "the next add released it"
    );

    // A pause that died after writing the schedule, before holding the posts.
    let version = ada.client.get(&path).await.body["version"]
        .as_i64()
        .unwrap();
    schedules
        .update_one(
            doc! { "_id": &ada.connection_id },
            doc! { "$set": {
                "paused": { "version": version + 1, "at": mongodb::bson::DateTime::now() },
                "version": version + 1,
            } },
        )
        .await
        .unwrap();
    let fourth = add(&ada.client, &ada.connection_id, &ada.image, "Fourth").await;
    assert_eq!(fourth["held"], true);
    let held = held_of(&store, &[&first, &second, &third, &id(&fourth)]).await;
    assert!(
        held.iter().all(|h| *h == Some(version + 1)),
        "the next add held the whole queue: {held:?}"
    );
}

async fn held_of(store: &Store, ids: &[&str]) -> Vec<Option<i64>> {
    let mut out = Vec::new();
    for post_id in ids {
        out.push(store.posts().by_id(post_id).await.unwrap().unwrap().held);
    }
    out
}

/// The dispatcher and the late count leave held posts alone: nothing waits in Redis for a
/// paused queue, and a held post past its time is not "late".
#[tokio::test]
async fn held_posts_are_neither_due_nor_late() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let path = ada.schedule_path();
    let version = save_schedule(&ada.client, &path, slots_from_now()).await;
    let post = id(&add(&ada.client, &ada.connection_id, &ada.image, "Queued").await);
    let paused = ada
        .client
        .post(&pause_path(&path), json!({ "version": version }))
        .await;
    assert_eq!(paused.status, 200, "{:?}", paused.body);
    // As if its slot had passed while paused.
    let passed = Utc::now() - chrono::Duration::minutes(5);
    env.database()
        .await
        .collection::<mongodb::bson::Document>("posts")
        .update_one(
            doc! { "_id": &post },
            doc! { "$set": { "scheduled_at": mongodb::bson::DateTime::from_chrono(passed) } },
        )
        .await
        .unwrap();
    let posts = store.posts();
    assert!(posts.due(Utc::now(), 100).await.unwrap().is_empty());
    assert_eq!(posts.count_late(Utc::now()).await.unwrap(), 0);

    let resumed = ada
        .client
        .post(
            &resume_path(&path),
            json!({ "version": paused.body["schedule"]["version"] }),
        )
        .await;
    assert_eq!(resumed.status, 200, "{:?}", resumed.body);
    let now = Utc::now();
    let due = posts
        .due(now + chrono::Duration::days(1), 100)
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "released, in a new slot");
    assert!(due[0].content.scheduled_at.unwrap() > now, "not late");
    assert_eq!(posts.count_late(now).await.unwrap(), 0);
}

//! Reordering an account's queue through the real api: `POST /posts/{id}/queue-move` swaps a
//! queued post with its neighbour by compare-and-set on both versions; bad or stale moves change
//! nothing; concurrent moves never put two posts on one slot nor lose one; a move interrupted
//! between its writes is finished by the next one.

use std::collections::{BTreeMap, BTreeSet};

use aistudio_jobs::store::{Store, moving_key, queue_slot_key};
use aistudio_tests::{Api, TestEnv};
use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use serde_json::{Value, json};

use crate::posting_schedule::{Owner, at, owner, slots_from_now};

/// Saves a schedule and adds `n` posts to the queue one after the other; their ids, soonest
/// first, and the instants of the schedule's first `n` slots.
async fn queue_of(owner: &Owner, n: usize) -> (Vec<String>, Vec<DateTime<Utc>>) {
    let saved = owner
        .client
        .put(
            &owner.schedule_path(),
            json!({ "version": 0, "time_zone": "Europe/Paris", "slots": slots_from_now() }),
        )
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    let mut ids = Vec::new();
    let mut times = Vec::new();
    for _ in 0..n {
        let added = owner
            .client
            .post("/api/v1/posts", owner.queued(json!({})))
            .await;
        assert_eq!(added.status, 201, "{:?}", added.body);
        assert_eq!(added.body["queued"], true);
        ids.push(added.body["id"].as_str().unwrap().to_string());
        times.push(at(&added.body["scheduled_at"]));
    }
    (ids, times)
}

/// Each post's (time, version, status, queued) as the api shows it.
async fn snapshot(owner: &Owner, ids: &[String]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for id in ids {
        let post = owner.client.get(&format!("/api/v1/posts/{id}")).await.body;
        out.insert(
            id.clone(),
            json!([
                post["scheduled_at"],
                post["version"],
                post["status"],
                post["queued"]
            ]),
        );
    }
    out
}

async fn version(owner: &Owner, id: &str) -> i64 {
    owner.client.get(&format!("/api/v1/posts/{id}")).await.body["version"]
        .as_i64()
        .unwrap()
}

fn move_path(id: &str) -> String {
    format!("/api/v1/posts/{id}/queue-move")
}

/// Every post of the queue holds exactly one slot of `times`, its key naming its own time.
async fn assert_one_post_per_slot(
    store: &Store,
    owner: &Owner,
    ids: &[String],
    times: &[DateTime<Utc>],
) {
    let mut held = BTreeSet::new();
    for id in ids {
        let post = store.posts().by_id(id).await.unwrap().expect("not lost");
        let at = post.content.scheduled_at.unwrap();
        assert_eq!(post.content.status.as_str(), "scheduled", "{id}");
        assert_eq!(
            post.queue_slot.as_deref(),
            Some(queue_slot_key(&owner.connection_id, at).as_str()),
            "{id} holds the key of its own time"
        );
        assert!(held.insert(at), "{id} shares {at} with another post");
    }
    assert_eq!(
        held.into_iter().collect::<Vec<_>>(),
        times.to_vec(),
        "the same slots, each held once"
    );
}

#[tokio::test]
async fn a_queued_post_swaps_slots_with_its_neighbour_and_bad_moves_change_nothing() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let (ids, times) = queue_of(&ada, 4).await;

    let v2 = version(&ada, &ids[2]).await;
    let moved = ada
        .client
        .post(
            &move_path(&ids[2]),
            json!({ "direction": "earlier", "version": v2 }),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["moved"]["id"], ids[2].as_str());
    assert_eq!(at(&moved.body["moved"]["scheduled_at"]), times[1]);
    assert_eq!(moved.body["swapped_with"]["id"], ids[1].as_str());
    assert_eq!(at(&moved.body["swapped_with"]["scheduled_at"]), times[2]);
    assert_eq!(moved.body["moved"]["queued"], true);
    assert!(moved.body["moved"]["version"].as_i64().unwrap() > v2);
    // The slots listing agrees.
    let listed = ada
        .client
        .get(&format!("{}/slots", ada.schedule_path()))
        .await
        .body;
    let holders: Vec<&str> = listed["items"].as_array().unwrap()[..4]
        .iter()
        .map(|s| s["post_id"].as_str().unwrap())
        .collect();
    assert_eq!(holders, [&ids[0], &ids[2], &ids[1], &ids[3]]);
    let order = [
        ids[0].clone(),
        ids[2].clone(),
        ids[1].clone(),
        ids[3].clone(),
    ];
    assert_one_post_per_slot(&store, &ada, &order, &times).await;

    let before = snapshot(&ada, &ids).await;
    let first_version = version(&ada, &ids[0]).await;
    let last_version = version(&ada, &ids[3]).await;
    let bob = owner(&api, &store, "bob@example.com").await;
    for (who, id, body, status, field) in [
        // Stale: the version before the move.
        (
            &ada,
            &ids[2],
            json!({ "direction": "earlier", "version": v2 }),
            409,
            None,
        ),
        (
            &ada,
            &ids[0],
            json!({ "direction": "earlier", "version": first_version }),
            409,
            None,
        ),
        (
            &ada,
            &ids[3],
            json!({ "direction": "later", "version": last_version }),
            409,
            None,
        ),
        (
            &ada,
            &ids[1],
            json!({ "direction": "sideways", "version": 1 }),
            422,
            Some("direction"),
        ),
        (
            &ada,
            &ids[1],
            json!({ "direction": "later", "version": 0 }),
            422,
            Some("version"),
        ),
        (&ada, &ids[1], json!({ "direction": "later" }), 422, None),
        (
            &ada,
            &ids[1],
            json!({ "direction": "later", "version": 1, "slot": 3 }),
            422,
            None,
        ),
        (
            &bob,
            &ids[1],
            json!({ "direction": "later", "version": 1 }),
            404,
            None,
        ),
    ] {
        let reply = who.client.post(&move_path(id), body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.body);
        assert!(
            reply.body["code"].is_string(),
            "a JSON error: {:?}",
            reply.body
        );
        if let Some(field) = field {
            assert_eq!(reply.body["field"], field, "{:?}", reply.body);
        }
    }
    let first = ada
        .client
        .post(
            &move_path(&ids[0]),
            json!({ "direction": "earlier", "version": first_version }),
        )
        .await;
    assert!(
        first.body["message"].as_str().unwrap().contains("first"),
        "{:?}",
        first.body
    );
    assert_eq!(snapshot(&ada, &ids).await, before, "nothing changed");

    // A post scheduled by hand is not in the queue: it does not move, and is not a neighbour.
    let by_hand = ada
        .client
        .post(
            "/api/v1/posts",
            json!({
                "kind": "image", "connection_id": ada.connection_id, "caption": "By hand",
                "items": [{ "media_id": ada.image }],
                "scheduled_at": (times[3] + chrono::Duration::minutes(1)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(by_hand.status, 201, "{:?}", by_hand.body);
    assert_eq!(by_hand.body["queued"], false);
    let refused = ada
        .client
        .post(
            &move_path(by_hand.body["id"].as_str().unwrap()),
            json!({ "direction": "earlier", "version": by_hand.body["version"] }),
        )
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    // A canceled queued post neither moves nor is a neighbour: the one after it swaps with the
    // one before it.
    let canceled = ada
        .client
        .post(
            &format!("/api/v1/posts/{}/cancel", ids[1]),
            json!({ "version": version(&ada, &ids[1]).await }),
        )
        .await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);
    let gone = ada
        .client
        .post(
            &move_path(&ids[1]),
            json!({ "direction": "earlier", "version": canceled.body["version"] }),
        )
        .await;
    assert_eq!(gone.status, 409, "{:?}", gone.body);
    let over = ada
        .client
        .post(
            &move_path(&ids[3]),
            json!({ "direction": "earlier", "version": version(&ada, &ids[3]).await }),
        )
        .await;
    assert_eq!(over.status, 200, "{:?}", over.body);
    assert_eq!(over.body["swapped_with"]["id"], ids[2].as_str());
    assert_eq!(at(&over.body["moved"]["scheduled_at"]), times[1]);
}

#[tokio::test]
async fn concurrent_moves_never_put_two_posts_on_one_slot_nor_lose_one() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let (ids, times) = queue_of(&ada, 5).await;

    for round in 0..4 {
        // Every post moves both ways at once, each request from the version it read. However
        // the requests interleave, at least one lands: the moves never refuse one another all.
        let mut moved = 0;
        let mut moves = Vec::new();
        for id in &ids {
            let v = version(&ada, id).await;
            for direction in ["earlier", "later"] {
                let client = ada.client.clone();
                let path = move_path(id);
                let body = json!({ "direction": direction, "version": v });
                moves.push(async move { client.post(&path, body).await });
            }
        }
        for reply in futures::future::join_all(moves).await {
            assert!(
                [200, 409].contains(&reply.status),
                "round {round}: {:?}",
                reply.body
            );
            if reply.status == 200 {
                moved += 1;
            }
        }
        assert!(moved > 0, "round {round}: no move landed");
        assert_one_post_per_slot(&store, &ada, &ids, &times).await;
    }
}

#[tokio::test]
async fn a_move_interrupted_between_its_writes_is_finished_by_the_next_one() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let (ids, times) = queue_of(&ada, 3).await;
    let key = |at: DateTime<Utc>| queue_slot_key(&ada.connection_id, at);

    // As if the api died after the neighbour took the slot: post 0 holds a moving key to slot 1,
    // post 1 already holds slot 0; both are at slot 0's time, written a minute ago.
    let posts = env
        .database()
        .await
        .collection::<mongodb::bson::Document>("posts");
    let long_ago = mongodb::bson::DateTime::from_chrono(Utc::now() - chrono::Duration::minutes(1));
    for (id, slot) in [
        (&ids[0], moving_key(&key(times[0]), &key(times[1]))),
        (&ids[1], key(times[0])),
    ] {
        posts
            .update_one(
                doc! { "_id": id },
                doc! { "$set": {
                    "queue_slot": slot,
                    "scheduled_at": mongodb::bson::DateTime::from_chrono(times[0]),
                    "updated_at": long_ago,
                } },
            )
            .await
            .unwrap();
    }
    // The next move on the queue (here refused: post 2 is last) finishes it first.
    let last = ada
        .client
        .post(
            &move_path(&ids[2]),
            json!({ "direction": "later", "version": version(&ada, &ids[2]).await }),
        )
        .await;
    assert_eq!(last.status, 409, "{:?}", last.body);
    let order = [ids[1].clone(), ids[0].clone(), ids[2].clone()];
    assert_one_post_per_slot(&store, &ada, &order, &times).await;
    let post0 = store.posts().by_id(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        post0.content.scheduled_at,
        Some(times[1]),
        "finished forward"
    );
}

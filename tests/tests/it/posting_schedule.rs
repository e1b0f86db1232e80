//! Posting schedules through the real api: weekly slots per Instagram account, "Add to queue"
//! (`POST /posts` with `queue: true`) filling the next free slot, concurrent adds never sharing
//! one, and the slots of a period with the posts holding them.

use std::collections::BTreeSet;

use aistudio_jobs::store::{ConnectionStatus, Store};
use aistudio_tests::{Api, ApiClient, TestEnv, connect_instagram, fixtures};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// A signed-in user with an active connection and one image.
pub(crate) struct Owner {
    pub(crate) client: ApiClient,
    pub(crate) connection_id: String,
    pub(crate) image: String,
}

pub(crate) async fn owner(api: &Api, store: &Store, email: &str) -> Owner {
    let client = ApiClient::new(&api.url)
        .sign_up("Owner", email, "correct horse battery")
        .await;
    let user_id = client.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let connection_id =
        connect_instagram(store, &user_id, "queue.shop", ConnectionStatus::Active).await;
    let upload = client
        .upload("square.jpg", "image/jpeg", fixtures::jpeg(400, 400))
        .await;
    assert_eq!(upload.status, 201, "{:?}", upload.body);
    Owner {
        client,
        connection_id,
        image: upload.body["id"].as_str().unwrap().to_string(),
    }
}

impl Owner {
    pub(crate) fn schedule_path(&self) -> String {
        format!(
            "/api/v1/instagram/connections/{}/posting-schedule",
            self.connection_id
        )
    }

    pub(crate) fn queued(&self, extra: Value) -> Value {
        let mut body = json!({
            "kind": "image",
            "connection_id": self.connection_id,
            "caption": "Queued",
            "items": [{ "media_id": self.image }],
            "queue": true,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }
}

pub(crate) fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Every day at 3, 6, 9 and 12 hours from now (UTC, to the minute): the next slot is hours away,
/// so no slot falls near the one-minute lead whatever the time the test runs.
pub(crate) fn slots_from_now() -> Vec<Value> {
    let now = Utc::now();
    let mut slots = Vec::new();
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        for hours in [3, 6, 9, 12] {
            let time = (now + Duration::hours(hours)).format("%H:%M").to_string();
            slots.push(json!({ "day": day, "time": time }));
        }
    }
    slots
}

#[tokio::test]
async fn a_posting_schedule_is_saved_by_version_and_bad_input_changes_nothing() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;
    let path = ada.schedule_path();

    let empty = ada.client.get(&path).await;
    assert_eq!(empty.status, 200, "{:?}", empty.body);
    assert_eq!(
        (
            &empty.body["version"],
            &empty.body["time_zone"],
            &empty.body["slots"]
        ),
        (&json!(0), &json!("UTC"), &json!([]))
    );

    let refused = ada
        .client
        .put(
            &path,
            json!({
                "version": 0, "time_zone": "Mars/Olympus",
                "slots": [
                    { "day": "monday", "time": "09:30" },
                    { "day": "tue", "time": "25:00" },
                    { "day": "wed", "time": "18:00" },
                    { "day": "wed", "time": "18:00" },
                ],
            }),
        )
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["time_zone", "slots[0].day", "slots[1].time", "slots[3]"]
    );
    assert_eq!(ada.client.get(&path).await.body["version"], 0, "unchanged");

    let saved = ada
        .client
        .put(
            &path,
            json!({
                "version": 0, "time_zone": "Europe/Paris",
                "slots": [{ "day": "wed", "time": "18:00" }, { "day": "mon", "time": "09:30" }],
            }),
        )
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 1);
    assert_eq!(
        saved.body["slots"],
        json!([{ "day": "mon", "time": "09:30" }, { "day": "wed", "time": "18:00" }])
    );
    let stale = ada
        .client
        .put(
            &path,
            json!({ "version": 0, "time_zone": "UTC", "slots": [] }),
        )
        .await;
    assert_eq!(stale.status, 409, "{:?}", stale.body);
    assert_eq!(ada.client.get(&path).await.body, saved.body);

    // Another user's account: 404 everywhere, nothing changed.
    let bob = owner(&api, &store, "bob@example.com").await;
    for reply in [
        bob.client.get(&path).await,
        bob.client
            .put(
                &path,
                json!({ "version": 1, "time_zone": "UTC", "slots": [] }),
            )
            .await,
        bob.client.get(&format!("{path}/slots")).await,
    ] {
        assert_eq!(reply.status, 404, "{:?}", reply.body);
    }
    assert_eq!(ada.client.get(&path).await.body, saved.body);
}

#[tokio::test]
async fn added_to_the_queue_posts_take_the_next_free_slots_and_never_share_one() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let ada = owner(&api, &store, "ada@example.com").await;

    // No schedule yet: refused, naming `queue`; nothing stored.
    let refused = ada
        .client
        .post("/api/v1/posts", ada.queued(json!({})))
        .await;
    assert_eq!(
        (refused.status, refused.body["field"].as_str()),
        (422, Some("queue")),
        "{:?}",
        refused.body
    );
    let with_time = ada
        .client
        .post(
            "/api/v1/posts",
            ada.queued(json!({ "scheduled_at": "2030-01-01T09:00:00Z" })),
        )
        .await;
    assert_eq!(
        (with_time.status, with_time.body["field"].as_str()),
        (422, Some("queue"))
    );
    let no_connection = ada
        .client
        .post(
            "/api/v1/posts",
            ada.queued(json!({ "connection_id": null })),
        )
        .await;
    assert_eq!(
        (no_connection.status, no_connection.body["field"].as_str()),
        (422, Some("connection_id"))
    );
    assert_eq!(
        ada.client.get("/api/v1/posts").await.body["items"],
        json!([]),
        "nothing stored"
    );

    let saved = ada
        .client
        .put(
            &ada.schedule_path(),
            json!({ "version": 0, "time_zone": "UTC", "slots": slots_from_now() }),
        )
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    let slots_path = format!("{}/slots", ada.schedule_path());
    let upcoming: Vec<DateTime<Utc>> = ada.client.get(&slots_path).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| at(&s["at"]))
        .collect();
    assert_eq!(upcoming.len(), 14 * 4, "four a day for 14 days");

    // A post scheduled by hand at the first slot takes it.
    let by_hand = ada
        .client
        .post(
            "/api/v1/posts",
            json!({
                "kind": "image", "connection_id": ada.connection_id, "caption": "By hand",
                "items": [{ "media_id": ada.image }],
                "scheduled_at": upcoming[0].to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(by_hand.status, 201, "{:?}", by_hand.body);

    // Six added at once: six distinct slots, the six after the one taken, in the schedule's zone.
    let adds = (0..6).map(|_| {
        let client = ada.client.clone();
        let body = ada.queued(json!({}));
        async move { client.post("/api/v1/posts", body).await }
    });
    let replies = futures::future::join_all(adds).await;
    let mut times = BTreeSet::new();
    for reply in &replies {
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        assert_eq!(reply.body["status"], "scheduled");
        assert_eq!(reply.body["time_zone"], "UTC");
        times.insert(at(&reply.body["scheduled_at"]));
    }
    assert_eq!(
        times.into_iter().collect::<Vec<_>>(),
        upcoming[1..7].to_vec(),
        "each took its own slot, the earliest free ones"
    );

    // The period's slots name the post holding each; the rest are free.
    let listed = ada.client.get(&slots_path).await.body;
    let holders: Vec<Option<&str>> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .take(8)
        .map(|s| s["post_id"].as_str())
        .collect();
    assert_eq!(holders[0], by_hand.body["id"].as_str());
    assert!(holders[1..7].iter().all(Option::is_some));
    assert_eq!(holders[7], None);

    // Canceling a queued post frees its slot: the next add takes it, before later free slots.
    let third = replies
        .iter()
        .find(|r| at(&r.body["scheduled_at"]) == upcoming[3])
        .unwrap();
    let id = third.body["id"].as_str().unwrap();
    let canceled = ada
        .client
        .post(
            &format!("/api/v1/posts/{id}/cancel"),
            json!({ "version": third.body["version"] }),
        )
        .await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);
    let again = ada
        .client
        .post("/api/v1/posts", ada.queued(json!({})))
        .await;
    assert_eq!(again.status, 201, "{:?}", again.body);
    assert_eq!(at(&again.body["scheduled_at"]), upcoming[3]);
    let next = ada
        .client
        .post("/api/v1/posts", ada.queued(json!({})))
        .await;
    assert_eq!(at(&next.body["scheduled_at"]), upcoming[7]);
}

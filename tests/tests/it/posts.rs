//! Posts through the real api: composing each kind under Instagram's rules, scheduling,
//! editing, rescheduling, canceling and deleting, races between concurrent changes (and with
//! the publisher's claim), media in use, listings, summary, calendar and tenant isolation.

use std::time::Duration;

use aistudio_jobs::store::{ConnectionStatus, PostStatus, Store};
use aistudio_tests::fixtures::{self, Movie};
use aistudio_tests::{Api, ApiClient, TestEnv, Worker, connect_instagram, eventually};
use chrono::Utc;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// A signed-in user with an active Instagram connection and a small media library.
struct Author {
    client: ApiClient,
    user_id: String,
    connection_id: String,
    square: String,
    tall: String,
    reel: String,
    long_video: String,
}

async fn upload(client: &ApiClient, name: &str, content_type: &str, bytes: Vec<u8>) -> String {
    let reply = client.upload(name, content_type, bytes).await;
    assert_eq!(reply.status, 201, "{name}: {:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

async fn author(api: &Api, store: &Store, email: &str) -> Author {
    let client = ApiClient::new(&api.url)
        .sign_up("Author", email, PASSWORD)
        .await;
    let user_id = client.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let connection_id =
        connect_instagram(store, &user_id, "ada.shop", ConnectionStatus::Active).await;
    let square = upload(
        &client,
        "square.jpg",
        "image/jpeg",
        fixtures::jpeg(400, 400),
    )
    .await;
    let tall = upload(&client, "tall.jpg", "image/jpeg", fixtures::jpeg(400, 800)).await;
    let reel = upload(
        &client,
        "reel.mp4",
        "video/mp4",
        fixtures::movie(&Movie::default()),
    )
    .await;
    let long_video = upload(
        &client,
        "long.mp4",
        "video/mp4",
        fixtures::movie(&Movie {
            duration_ms: 75_000,
            ..Movie::default()
        }),
    )
    .await;
    Author {
        client,
        user_id,
        connection_id,
        square,
        tall,
        reel,
        long_video,
    }
}

fn in_hours(hours: i64) -> String {
    (Utc::now() + chrono::Duration::hours(hours))
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339()
}

impl Author {
    fn post(&self, kind: &str, items: &[&str], extra: Value) -> Value {
        let mut body = json!({
            "kind": kind,
            "connection_id": self.connection_id,
            "caption": "Hello #launch",
            "items": items.iter().map(|id| json!({ "media_id": id })).collect::<Vec<_>>(),
            "scheduled_at": in_hours(24),
            "time_zone": "Europe/Paris",
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    }

    async fn create(&self, body: Value) -> Value {
        let reply = self.client.post("/api/v1/posts", body).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body
    }
}

async fn post_count(store: &Store, user_id: &str) -> usize {
    store
        .posts()
        .page_for_user(user_id, &Default::default(), Default::default(), None, 1000)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn each_kind_is_composed_and_instagram_rules_are_checked_at_scheduling() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;

    let image = a.create(a.post("image", &[&a.square], json!({}))).await;
    assert_eq!(image["status"], "scheduled");
    assert_eq!(image["version"], 1);
    assert_eq!(image["time_zone"], "Europe/Paris");
    assert!(
        image["scheduled_at_local"]
            .as_str()
            .unwrap()
            .ends_with("+01:00")
            || image["scheduled_at_local"]
                .as_str()
                .unwrap()
                .ends_with("+02:00")
    );
    let carousel = a
        .create(a.post("carousel", &[&a.square, &a.reel, &a.square], json!({})))
        .await;
    assert_eq!(carousel["items"].as_array().unwrap().len(), 3);
    let cover = upload(
        &a.client,
        "cover.jpg",
        "image/jpeg",
        fixtures::jpeg(540, 960),
    )
    .await;
    let reel = a
        .create(a.post("reel", &[&a.reel], json!({ "cover_media_id": cover })))
        .await;
    assert_eq!(reel["cover_media_id"], cover.as_str());
    let story = a.create(a.post("story", &[&a.tall], json!({}))).await;
    assert_eq!(story["kind"], "story");
    let now = a
        .create(a.post(
            "image",
            &[&a.square],
            json!({ "scheduled_at": null, "publish_now": true }),
        ))
        .await;
    assert_eq!(
        (now["status"].as_str(), now["publish_now"].as_bool()),
        (Some("scheduled"), Some(true))
    );
    // A draft may be incomplete and break the rules; they are checked when it is scheduled.
    let draft = a
        .create(a.post(
            "carousel",
            &[&a.tall],
            json!({ "scheduled_at": null, "connection_id": null }),
        ))
        .await;
    assert_eq!(draft["status"], "draft");
    assert!(draft["scheduled_at"].is_null());
    let stored = post_count(&store, &a.user_id).await;
    assert_eq!(stored, 6);

    let tags: String = (0..31).map(|i| format!("#t{i} ")).collect();
    let mentions: String = (0..21).map(|i| format!("@u{i} ")).collect();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            a.post(
                "image",
                &[&a.square],
                json!({ "caption": "é".repeat(2201) }),
            ),
            "caption",
            "2201 characters",
        ),
        (
            a.post("image", &[&a.square], json!({ "caption": tags })),
            "caption",
            "31 hashtags",
        ),
        (
            a.post("image", &[&a.square], json!({ "caption": mentions })),
            "caption",
            "21 accounts",
        ),
        (
            a.post(
                "image",
                &[&a.square],
                json!({ "scheduled_at": in_hours(-1) }),
            ),
            "scheduled_at",
            "in the past",
        ),
        (
            a.post(
                "image",
                &[&a.square],
                json!({ "scheduled_at": "2030-01-01T10:00:00" }),
            ),
            "scheduled_at",
            "offset",
        ),
        (
            a.post(
                "image",
                &[&a.square],
                json!({ "time_zone": "Mars/Olympus" }),
            ),
            "time_zone",
            "IANA",
        ),
        (
            a.post("image", &[&a.square], json!({ "publish_now": true })),
            "publish_now",
            "cannot be combined",
        ),
        (
            a.post("image", &[&a.tall], json!({})),
            "items[0].media_id",
            "4:5",
        ),
        (
            a.post("image", &[&a.reel], json!({})),
            "items[0].media_id",
            "as a reel",
        ),
        (
            a.post("image", &[&a.square, &a.square], json!({})),
            "items",
            "exactly 1",
        ),
        (
            a.post("carousel", &[&a.square], json!({})),
            "items",
            "2 to 10",
        ),
        (
            a.post("carousel", &[a.square.as_str(); 11], json!({})),
            "items",
            "at most 10",
        ),
        (
            a.post("carousel", &[&a.square, &a.tall], json!({})),
            "items[1].media_id",
            "item 2:",
        ),
        (
            a.post("carousel", &[&a.square, &a.long_video], json!({})),
            "items[1].media_id",
            "at most 60 s",
        ),
        (
            a.post("reel", &[&a.square], json!({})),
            "items[0].media_id",
            "needs a video",
        ),
        (
            a.post("reel", &[&a.reel], json!({ "cover_media_id": a.reel })),
            "cover_media_id",
            "must be an image",
        ),
        (
            a.post("image", &[&a.square], json!({ "cover_media_id": a.square })),
            "cover_media_id",
            "only reels",
        ),
        (
            a.post("story", &[&a.long_video], json!({})),
            "items[0].media_id",
            "story videos",
        ),
        (
            a.post("image", &[&a.square], json!({ "connection_id": null })),
            "connection_id",
            "required",
        ),
        (
            a.post("image", &[&a.square], json!({ "connection_id": "nope" })),
            "connection_id",
            "no such",
        ),
        (
            a.post("image", &["0123456789abcdef"], json!({})),
            "items[0].media_id",
            "no such media",
        ),
        (
            a.post(
                "image",
                &[&a.reel],
                json!({ "items": [{ "media_id": a.reel, "alt_text": "x" }], "kind": "reel" }),
            ),
            "items[0].alt_text",
            "only for images",
        ),
        (
            a.post(
                "image",
                &[&a.square],
                json!({ "items": [{ "media_id": a.square, "alt_text": "x".repeat(1001) }] }),
            ),
            "items[0].alt_text",
            "1000",
        ),
        (
            a.post("video", &[&a.square], json!({})),
            "kind",
            "unknown kind `video`",
        ),
        (
            a.post("image", &[&a.square], json!({ "priority": 1 })),
            "priority",
            "unknown field",
        ),
        (
            a.post("image", &[&a.square], json!({ "version": 1 })),
            "version",
            "editing",
        ),
    ];
    for (body, field, expected) in cases {
        let reply = a.client.post("/api/v1/posts", body.clone()).await;
        assert_eq!(reply.status, 422, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["field"], field, "{body}: {:?}", reply.body);
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{field}: {message}");
    }

    // A connection that needs reconnecting takes drafts, not scheduled posts.
    let parked = connect_instagram(
        &store,
        &a.user_id,
        "old.shop",
        ConnectionStatus::NeedsReconnect,
    )
    .await;
    let reply = a
        .client
        .post(
            "/api/v1/posts",
            a.post("image", &[&a.square], json!({ "connection_id": parked })),
        )
        .await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("@old.shop must be reconnected")
    );
    assert_eq!(
        post_count(&store, &a.user_id).await,
        stored,
        "nothing stored by refusals"
    );
}

#[tokio::test]
async fn edit_reschedule_cancel_and_delete_follow_the_state_rules() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;

    // Draft -> scheduled by an edit.
    let draft = a
        .create(a.post("image", &[&a.tall], json!({ "scheduled_at": null })))
        .await;
    let id = draft["id"].as_str().unwrap();
    let path = format!("/api/v1/posts/{id}");
    let missing_version = a
        .client
        .put(&path, a.post("image", &[&a.square], json!({})))
        .await;
    assert_eq!(
        (
            missing_version.status,
            missing_version.body["field"].as_str()
        ),
        (422, Some("version"))
    );
    let refused = a
        .client
        .put(&path, a.post("image", &[&a.tall], json!({ "version": 1 })))
        .await;
    assert_eq!(
        refused.status, 422,
        "scheduling checks the rules: {:?}",
        refused.body
    );
    let scheduled = a
        .client
        .put(
            &path,
            a.post(
                "image",
                &[&a.square],
                json!({ "version": 1, "caption": "Now square" }),
            ),
        )
        .await;
    assert_eq!(scheduled.status, 200, "{:?}", scheduled.body);
    assert_eq!(
        (
            scheduled.body["status"].as_str(),
            scheduled.body["version"].as_i64()
        ),
        (Some("scheduled"), Some(2))
    );
    assert_eq!(scheduled.body["caption"], "Now square");

    // The media it uses cannot be deleted; the one it stopped using can.
    let in_use = a
        .client
        .delete(&format!("/api/v1/media/{}", a.square))
        .await;
    assert_eq!(in_use.status, 409, "{:?}", in_use.body);
    // It names the post by a link, not in the text a person reads.
    assert_eq!(in_use.body["code"], "media_in_use");
    assert_eq!(in_use.body["post_id"], id);
    let message = in_use.body["message"].as_str().unwrap();
    assert!(
        message.contains("scheduled post") && !message.contains(id),
        "{message}"
    );
    assert_eq!(
        a.client
            .delete(&format!("/api/v1/media/{}", a.tall))
            .await
            .status,
        204
    );

    // A stale version loses.
    let stale = a
        .client
        .put(
            &path,
            a.post("image", &[&a.square], json!({ "version": 1 })),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale.body["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{:?}",
        stale.body
    );

    // Reschedule.
    let at = in_hours(48);
    let moved = a
        .client
        .post(
            &format!("{path}/reschedule"),
            json!({ "version": 2, "scheduled_at": at, "time_zone": "America/New_York" }),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["version"], 3);
    assert_eq!(moved.body["time_zone"], "America/New_York");
    let past = a
        .client
        .post(
            &format!("{path}/reschedule"),
            json!({ "version": 3, "scheduled_at": in_hours(-2) }),
        )
        .await;
    assert_eq!(
        (past.status, past.body["field"].as_str()),
        (422, Some("scheduled_at"))
    );
    let nothing = a
        .client
        .post(&format!("{path}/reschedule"), json!({ "version": 3 }))
        .await;
    assert_eq!(nothing.status, 422);

    // Cancel: terminal; no more edits, reschedules or cancels; the media is free again.
    let canceled = a
        .client
        .post(&format!("{path}/cancel"), json!({ "version": 3 }))
        .await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);
    assert_eq!(
        (
            canceled.body["status"].as_str(),
            canceled.body["version"].as_i64()
        ),
        (Some("canceled"), Some(4))
    );
    let again = a.client.post(&format!("{path}/cancel"), json!({})).await;
    assert_eq!(again.status, 409);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("is canceled")
    );
    let edit = a
        .client
        .put(
            &path,
            a.post("image", &[&a.square], json!({ "version": 4 })),
        )
        .await;
    assert_eq!(edit.status, 409);
    let late = a
        .client
        .post(
            &format!("{path}/reschedule"),
            json!({ "version": 4, "scheduled_at": in_hours(5) }),
        )
        .await;
    assert_eq!(late.status, 409);
    let draft_cancel = a
        .create(a.post("image", &[&a.square], json!({ "scheduled_at": null })))
        .await;
    let reply = a
        .client
        .post(
            &format!(
                "/api/v1/posts/{}/cancel",
                draft_cancel["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, 409, "a draft is not scheduled");

    // Delete: our record goes; a post being published cannot be deleted. With a version, only
    // that version: a stale one is refused and deletes nothing.
    let stale = a.client.delete(&format!("{path}?version=3")).await;
    assert_eq!(stale.status, 409, "{:?}", stale.body);
    let message = stale.body["message"].as_str().unwrap();
    assert!(
        message.contains("you sent version 3, it is now at version 4"),
        "{message}"
    );
    for bad in ["version=four", "version=4&force=true"] {
        let reply = a.client.delete(&format!("{path}?{bad}")).await;
        assert_eq!(reply.status, 422, "{bad}: {:?}", reply.body);
    }
    assert_eq!(a.client.get(&path).await.status, 200, "nothing deleted");
    assert_eq!(
        a.client.delete(&format!("{path}?version=4")).await.status,
        204
    );
    let recreated = a.create(a.post("image", &[&a.square], json!({}))).await;
    let path = format!("/api/v1/posts/{}", recreated["id"].as_str().unwrap());
    assert_eq!(a.client.delete(&path).await.status, 204);
    assert_eq!(a.client.get(&path).await.status, 404);
    assert_eq!(a.client.delete(&path).await.status, 404);
    let busy = a.create(a.post("image", &[&a.square], json!({}))).await;
    let busy_id = busy["id"].as_str().unwrap();
    let read = store.posts().by_id(busy_id).await.unwrap().unwrap();
    store
        .posts()
        .claim_for_publishing(&read)
        .await
        .unwrap()
        .unwrap();
    // Claimed ahead of its time: the refusal says it is being prepared, not published.
    let reply = a.client.delete(&format!("/api/v1/posts/{busy_id}")).await;
    assert_eq!(reply.status, 409);
    let message = reply.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("the post is being prepared for publishing at ")
            && message.contains(" UTC and cannot be deleted now"),
        "{message}"
    );
    let edit = a
        .client
        .put(
            &format!("/api/v1/posts/{busy_id}"),
            a.post("image", &[&a.square], json!({ "version": 2 })),
        )
        .await;
    assert_eq!(edit.status, 409, "publishing posts are not editable");
    let message = edit.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("the post is being prepared for publishing at ")
            && message.ends_with("it can no longer be edited"),
        "{message}"
    );
}

#[tokio::test]
async fn concurrent_changes_to_one_version_exactly_one_wins() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let post = a.create(a.post("image", &[&a.square], json!({}))).await;
    let id = post["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/posts/{id}");

    // 16 edits of version 1 at once: one lands, 15 get 409.
    let edits = (0..16).map(|i| {
        let client = a.client.clone();
        let body = a.post(
            "image",
            &[&a.square],
            json!({ "version": 1, "caption": format!("edit {i}") }),
        );
        let path = path.clone();
        async move { client.put(&path, body).await }
    });
    let replies = futures::future::join_all(edits).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 409));
    let current = a.client.get(&path).await.body;
    assert_eq!(current["version"], 2);
    assert_eq!(
        current["caption"], won[0].body["caption"],
        "the winner's content is stored"
    );

    // Edits, reschedules and cancels of version 2 racing each other: exactly one lands.
    let mut racers = Vec::new();
    for i in 0..6 {
        let client = a.client.clone();
        let path = path.clone();
        let edit = a.post(
            "image",
            &[&a.square],
            json!({ "version": 2, "caption": format!("race {i}") }),
        );
        let at = in_hours(30 + i);
        racers.push(tokio::spawn(async move {
            match i % 3 {
                0 => client.put(&path, edit).await.status,
                1 => {
                    client
                        .post(
                            &format!("{path}/reschedule"),
                            json!({ "version": 2, "scheduled_at": at }),
                        )
                        .await
                        .status
                }
                _ => {
                    client
                        .post(&format!("{path}/cancel"), json!({ "version": 2 }))
                        .await
                        .status
                }
            }
        }));
    }
    let statuses: Vec<u16> = futures::future::join_all(racers)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(a.client.get(&path).await.body["version"], 3);

    // Unversioned cancels of a fresh post: one wins, the rest find it canceled.
    let post = a.create(a.post("image", &[&a.square], json!({}))).await;
    let cancel_path = format!("/api/v1/posts/{}/cancel", post["id"].as_str().unwrap());
    let cancels = (0..10).map(|_| {
        let client = a.client.clone();
        let path = cancel_path.clone();
        async move { client.post(&path, json!({})).await.status }
    });
    let statuses = futures::future::join_all(cancels).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_cancel_racing_the_publishers_claim_never_lets_both_win() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    for round in 0..12 {
        let post = a.create(a.post("image", &[&a.square], json!({}))).await;
        let id = post["id"].as_str().unwrap().to_string();
        let claim = {
            let store = store.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let read = store.posts().by_id(&id).await.unwrap().unwrap();
                store.posts().claim_for_publishing(&read).await.unwrap()
            })
        };
        let client = a.client.clone();
        let cancel_path = format!("/api/v1/posts/{id}/cancel");
        let cancel = tokio::spawn(async move { client.post(&cancel_path, json!({})).await.status });
        let (claimed, canceled) = (claim.await.unwrap(), cancel.await.unwrap());
        let stored = store.posts().by_id(&id).await.unwrap().unwrap();
        match (claimed, canceled) {
            (Some(claimed), 409) => {
                assert_eq!(
                    stored.content.status,
                    PostStatus::Publishing,
                    "round {round}"
                );
                assert_eq!(claimed.content.caption, "Hello #launch");
            }
            (None, 200) => assert_eq!(stored.content.status, PostStatus::Canceled, "round {round}"),
            other => panic!("round {round}: both or neither won: {other:?}"),
        }
        // An edit that landed first makes the claim of the old version fail.
        let post = a.create(a.post("image", &[&a.square], json!({}))).await;
        let id = post["id"].as_str().unwrap();
        let old = store.posts().by_id(id).await.unwrap().unwrap();
        let edited = a
            .client
            .put(
                &format!("/api/v1/posts/{id}"),
                a.post(
                    "image",
                    &[&a.square],
                    json!({ "version": 1, "caption": "new" }),
                ),
            )
            .await;
        assert_eq!(edited.status, 200);
        assert!(
            store
                .posts()
                .claim_for_publishing(&old)
                .await
                .unwrap()
                .is_none(),
            "old version"
        );
        let new = store.posts().by_id(id).await.unwrap().unwrap();
        let claimed = store
            .posts()
            .claim_for_publishing(&new)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            claimed.content.caption, "new",
            "the claimed version is the edited one"
        );
    }
}

#[tokio::test]
async fn media_deletion_racing_a_post_never_leaves_a_post_without_its_media() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let (mut deleted, mut scheduled) = (0, 0);
    for _ in 0..10 {
        let media = upload(&a.client, "p.jpg", "image/jpeg", fixtures::jpeg(300, 300)).await;
        let create = {
            let client = a.client.clone();
            let body = a.post("image", &[&media], json!({}));
            tokio::spawn(async move { client.post("/api/v1/posts", body).await })
        };
        let delete = {
            let client = a.client.clone();
            let path = format!("/api/v1/media/{media}");
            tokio::spawn(async move { client.delete(&path).await.status })
        };
        let (created, delete_status) = (create.await.unwrap(), delete.await.unwrap());
        let exists = a.client.get(&format!("/api/v1/media/{media}")).await.status == 200;
        match (created.status, delete_status) {
            (201, 409) => {
                assert!(exists);
                scheduled += 1;
            }
            (422, 204) => {
                assert!(!exists);
                assert_eq!(created.body["field"], "items[0].media_id");
                deleted += 1;
            }
            other => panic!("inconsistent outcome {other:?}, media exists: {exists}"),
        }
    }
    assert_eq!(deleted + scheduled, 10);
    eprintln!("media deleted first {deleted} times, post scheduled first {scheduled} times");

    // Deleting the post frees its media.
    let media = upload(&a.client, "q.jpg", "image/jpeg", fixtures::jpeg(300, 300)).await;
    let post = a.create(a.post("image", &[&media], json!({}))).await;
    assert_eq!(
        a.client
            .delete(&format!("/api/v1/media/{media}"))
            .await
            .status,
        409
    );
    assert_eq!(
        a.client
            .delete(&format!("/api/v1/posts/{}", post["id"].as_str().unwrap()))
            .await
            .status,
        204
    );
    assert_eq!(
        a.client
            .delete(&format!("/api/v1/media/{media}"))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn listings_filter_and_page_stably_with_summary_and_calendar() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let second =
        connect_instagram(&store, &a.user_id, "second.shop", ConnectionStatus::Active).await;

    // 9 scheduled posts one hour apart starting in 2 days, on two connections, and 2 drafts.
    let base = Utc::now() + chrono::Duration::days(2);
    let mut scheduled = Vec::new();
    for i in 0..9 {
        let at = (base + chrono::Duration::hours(i)).to_rfc3339();
        let connection = if i % 3 == 0 {
            &second
        } else {
            &a.connection_id
        };
        let post = a
            .create(a.post(
                "image",
                &[&a.square],
                json!({ "scheduled_at": at, "connection_id": connection }),
            ))
            .await;
        scheduled.push(post["id"].as_str().unwrap().to_string());
    }
    for _ in 0..2 {
        a.create(a.post("image", &[&a.square], json!({ "scheduled_at": null })))
            .await;
    }
    let ids = |reply: &aistudio_tests::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };

    // Schedule order, pages of 4, with a new post inserted after the first page: stable.
    let first = a
        .client
        .get("/api/v1/posts?order=schedule&status=scheduled&limit=4")
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let mut seen = ids(&first);
    a.create(a.post(
        "image",
        &[&a.square],
        json!({ "scheduled_at": (base + chrono::Duration::minutes(30)).to_rfc3339() }),
    ))
    .await;
    let mut cursor = first.body["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let page = a
            .client
            .get(&format!(
                "/api/v1/posts?order=schedule&status=scheduled&limit=4&cursor={c}"
            ))
            .await;
        assert_eq!(page.status, 200);
        seen.extend(ids(&page));
        cursor = page.body["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(
        seen, scheduled,
        "each once, soonest first, the late insert before the cursor not repeated"
    );

    let by_connection = a
        .client
        .get(&format!("/api/v1/posts?connection_id={second}&limit=100"))
        .await;
    assert_eq!(ids(&by_connection).len(), 3);
    let drafts = a.client.get("/api/v1/posts?status=draft").await;
    assert_eq!(ids(&drafts).len(), 2);
    let from = (base + chrono::Duration::hours(2)).to_rfc3339();
    let to = (base + chrono::Duration::hours(5)).to_rfc3339();
    let range = a
        .client
        .get(&format!(
            "/api/v1/posts?order=schedule&from={}&to={}",
            urlencode(&from),
            urlencode(&to)
        ))
        .await;
    assert_eq!(ids(&range), scheduled[2..5].to_vec(), "{:?}", range.body);
    let newest = a.client.get("/api/v1/posts?limit=100").await;
    assert_eq!(ids(&newest).len(), 12);
    for bad in [
        "status=done",
        "order=random",
        "from=yesterday",
        "limit=0",
        "cursor=x.y",
        "colour=red",
    ] {
        let reply = a.client.get(&format!("/api/v1/posts?{bad}")).await;
        assert_eq!(reply.status, 422, "{bad}: {:?}", reply.body);
    }

    // Summary: counts per status, the next scheduled post, the last published one.
    a.client
        .post(&format!("/api/v1/posts/{}/cancel", scheduled[8]), json!({}))
        .await;
    let summary = a.client.get("/api/v1/posts/summary").await;
    assert_eq!(summary.status, 200, "{:?}", summary.body);
    assert_eq!(summary.body["counts"]["scheduled"], 9);
    assert_eq!(summary.body["counts"]["draft"], 2);
    assert_eq!(summary.body["counts"]["canceled"], 1);
    assert_eq!(summary.body["counts"]["published"], 0);
    assert_eq!(summary.body["next_scheduled"]["id"], scheduled[0].as_str());
    assert!(summary.body["last_published"].is_null());

    // Calendar: days in the user's zone. 23:30 UTC on a winter day is 00:30 the next day in Paris.
    let late = chrono::NaiveDate::from_ymd_opt(Utc::now().year_ce().1 as i32 + 1, 1, 14)
        .unwrap()
        .and_hms_opt(23, 30, 0)
        .unwrap()
        .and_utc();
    a.create(a.post(
        "image",
        &[&a.square],
        json!({ "scheduled_at": late.to_rfc3339() }),
    ))
    .await;
    let day = late.date_naive();
    let next = day.succ_opt().unwrap();
    let paris = a
        .client
        .get(&format!(
            "/api/v1/posts/calendar?from={day}&to={next}&time_zone=Europe/Paris"
        ))
        .await;
    assert_eq!(paris.status, 200, "{:?}", paris.body);
    let days = paris.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["posts"].as_array().unwrap().len(), 0);
    assert_eq!(days[1]["posts"][0]["local_time"], "00:30");
    let utc = a
        .client
        .get(&format!("/api/v1/posts/calendar?from={day}&to={day}"))
        .await;
    assert_eq!(utc.body["days"][0]["posts"][0]["local_time"], "23:30");
    for bad in [
        format!("from={day}&to=2020-01-01"),
        format!("from={day}&to={}", day + chrono::Duration::days(80)),
        format!("from=14/01&to={day}"),
        format!("from={day}&to={day}&time_zone=Nowhere"),
    ] {
        assert_eq!(
            a.client
                .get(&format!("/api/v1/posts/calendar?{bad}"))
                .await
                .status,
            422,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_calendar_gives_each_post_its_version_account_and_picture() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let day = (Utc::now() + chrono::Duration::days(3)).date_naive();
    let at = |hour: u32| day.and_hms_opt(hour, 0, 0).unwrap().and_utc().to_rfc3339();
    let image = a
        .create(a.post(
            "image",
            &[],
            json!({ "items": [{ "media_id": a.square, "alt_text": "A red square" }], "scheduled_at": at(8) }),
        ))
        .await;
    let carousel = a
        .create(a.post(
            "carousel",
            &[&a.reel, &a.square],
            json!({ "scheduled_at": at(9) }),
        ))
        .await;
    let covered = a
        .create(a.post(
            "reel",
            &[&a.reel],
            json!({ "cover_media_id": a.square, "scheduled_at": at(10) }),
        ))
        .await;
    let reel = a
        .create(a.post("reel", &[&a.reel], json!({ "scheduled_at": at(11) })))
        .await;
    // A canceled post whose image was deleted from the library afterwards.
    let gone = a
        .create(a.post("story", &[&a.tall], json!({ "scheduled_at": at(12) })))
        .await;
    let gone_path = format!("/api/v1/posts/{}", gone["id"].as_str().unwrap());
    let canceled = a
        .client
        .post(&format!("{gone_path}/cancel"), json!({ "version": 1 }))
        .await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);
    let removed = a.client.delete(&format!("/api/v1/media/{}", a.tall)).await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    // Rescheduled within the day: the calendar gives the version to send next.
    let moved = a
        .client
        .post(
            &format!("/api/v1/posts/{}/reschedule", image["id"].as_str().unwrap()),
            json!({ "version": 1, "scheduled_at": at(7) }),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);

    let reply = a
        .client
        .get(&format!("/api/v1/posts/calendar?from={day}&to={day}"))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let posts = reply.body["days"][0]["posts"].as_array().unwrap().clone();
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = [&image, &carousel, &covered, &reel, &gone]
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected, "by time");
    for post in &posts {
        assert_eq!(post["connection_id"], a.connection_id.as_str());
    }
    let versions: Vec<i64> = posts
        .iter()
        .map(|p| p["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1, 1, 1, 2]);
    let picture = |i: usize| posts[i]["thumbnail"].clone();
    let content = |id: &str| format!("/api/v1/media/{id}/content");
    assert_eq!(
        picture(0),
        json!({ "media_id": a.square, "kind": "image", "content_url": content(&a.square), "alt_text": "A red square" }),
        "the first item, with its alternative text"
    );
    assert_eq!(
        picture(1),
        json!({ "media_id": a.reel, "kind": "video", "content_url": content(&a.reel), "alt_text": null }),
        "a carousel's first item, even a video"
    );
    assert_eq!(
        picture(2),
        json!({ "media_id": a.square, "kind": "image", "content_url": content(&a.square), "alt_text": null }),
        "a reel's cover"
    );
    assert_eq!(picture(3)["kind"], "video", "a reel without a cover");
    assert!(picture(4).is_null(), "its media is gone: {:?}", picture(4));
    let (status, headers, bytes) = a.client.get_bytes(&content(&a.square)).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (200, "image/jpeg")
    );
    assert!(!bytes.is_empty());
}

fn urlencode(raw: &str) -> String {
    raw.replace('+', "%2B").replace(':', "%3A")
}

use chrono::Datelike;

#[tokio::test]
async fn another_users_posts_answer_404_on_every_endpoint() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let owner = author(&api, &store, "ada@example.com").await;
    let other = author(&api, &store, "eve@example.com").await;
    let post = owner
        .create(owner.post("image", &[&owner.square], json!({})))
        .await;
    let id = post["id"].as_str().unwrap();
    let path = format!("/api/v1/posts/{id}");
    assert_eq!(other.client.get(&path).await.status, 404);
    let put = other
        .client
        .put(
            &path,
            other.post("image", &[&other.square], json!({ "version": 1 })),
        )
        .await;
    assert_eq!(put.status, 404);
    let moved = other
        .client
        .post(
            &format!("{path}/reschedule"),
            json!({ "version": 1, "scheduled_at": in_hours(3) }),
        )
        .await;
    assert_eq!(moved.status, 404);
    assert_eq!(
        other
            .client
            .post(&format!("{path}/cancel"), json!({}))
            .await
            .status,
        404
    );
    assert_eq!(other.client.delete(&path).await.status, 404);
    assert_eq!(
        other.client.get("/api/v1/posts").await.body["items"],
        json!([])
    );
    assert_eq!(
        other.client.get("/api/v1/posts/summary").await.body["counts"]["scheduled"],
        0
    );
    // Another user's media and connection cannot be used either.
    let theirs = other
        .client
        .post(
            "/api/v1/posts",
            other.post("image", &[&owner.square], json!({})),
        )
        .await;
    assert_eq!(
        (theirs.status, theirs.body["field"].as_str()),
        (422, Some("items[0].media_id"))
    );
    let theirs = other
        .client
        .post(
            "/api/v1/posts",
            other.post(
                "image",
                &[&other.square],
                json!({ "connection_id": owner.connection_id }),
            ),
        )
        .await;
    assert_eq!(
        (theirs.status, theirs.body["field"].as_str()),
        (422, Some("connection_id"))
    );
    let unchanged = owner.client.get(&path).await.body;
    assert_eq!(
        (unchanged["status"].as_str(), unchanged["version"].as_i64()),
        (Some("scheduled"), Some(1))
    );
    let anon = ApiClient::new(&api.url);
    for route in ["/api/v1/posts", "/api/v1/posts/summary", path.as_str()] {
        assert_eq!(anon.get(route).await.status, 401, "{route}");
    }
}

#[tokio::test]
async fn openapi_documents_exactly_the_routes_that_exist() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let doc = anon.get("/openapi.json").await.body;
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    // Every documented operation is routed (never "no such route" nor 405), and refuses a
    // request without a session exactly when the document says it needs one.
    for (method, path) in &documented {
        let concrete = path
            .replace("{id}", "0123456789abcdef")
            .replace("{code}", "0123");
        let needs_session = paths[path][method.to_lowercase()]["security"].is_array();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let reply = anon.send(method.clone(), &concrete, None).await;
        assert_ne!(reply.status, 405, "{method} {path}");
        assert_ne!(reply.body["message"], "no such route", "{method} {path}");
        assert_eq!(
            reply.status == 401,
            needs_session,
            "{method} {path} answered {} without a session",
            reply.status
        );
    }
    // Every content route is documented.
    for expected in [
        ("POST", "/api/v1/media"),
        ("GET", "/api/v1/media"),
        ("GET", "/api/v1/media/{id}"),
        ("GET", "/api/v1/media/{id}/content"),
        ("DELETE", "/api/v1/media/{id}"),
        ("POST", "/api/v1/posts"),
        ("GET", "/api/v1/posts"),
        ("GET", "/api/v1/posts/{id}"),
        ("PUT", "/api/v1/posts/{id}"),
        ("DELETE", "/api/v1/posts/{id}"),
        ("POST", "/api/v1/posts/{id}/reschedule"),
        ("POST", "/api/v1/posts/{id}/cancel"),
        ("GET", "/api/v1/posts/summary"),
        ("GET", "/api/v1/posts/calendar"),
    ] {
        assert!(
            documented.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} is not documented"
        );
    }
    let delete_op = &doc["paths"]["/api/v1/posts/{id}"]["delete"];
    let delete_doc = format!("{} {}", delete_op["summary"], delete_op["description"]);
    assert!(
        delete_doc.contains("cannot delete published media"),
        "{delete_doc}"
    );
}

#[tokio::test]
async fn deleting_the_account_deletes_its_posts_and_media_files() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let _worker = Worker::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let keep = author(&api, &store, "keep@example.com").await;
    a.create(a.post("image", &[&a.square], json!({}))).await;
    keep.create(keep.post("image", &[&keep.square], json!({})))
        .await;
    let reply = a
        .client
        .post("/api/v1/me/deletion", json!({ "confirm": true }))
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    let code = reply.body["confirmation_code"]
        .as_str()
        .unwrap()
        .to_string();
    let receipt = eventually(Duration::from_secs(30), "the deletion to complete", || {
        let anon = ApiClient::new(&api.url);
        let path = format!("/api/v1/deletions/{code}");
        async move {
            let r = anon.get(&path).await;
            (r.body["status"] == "completed").then_some(r.body)
        }
    })
    .await;
    assert_eq!(receipt["deleted"]["posts"], 1);
    assert_eq!(receipt["deleted"]["media"], 4);
    assert_eq!(post_count(&store, &a.user_id).await, 0);
    assert!(
        store
            .media()
            .ids_for_user(&a.user_id)
            .await
            .unwrap()
            .is_empty()
    );
    let files = env
        .database()
        .await
        .collection::<mongodb::bson::Document>("media_files.files")
        .count_documents(mongodb::bson::doc! {})
        .await
        .unwrap();
    assert_eq!(files, 4, "only the other user's files remain");
    assert_eq!(post_count(&store, &keep.user_id).await, 1);
}

/// `reply` is a 422 naming `field`, with `field` among its `errors`.
fn assert_refused(reply: &aistudio_tests::Reply, field: &str, what: &str) {
    assert_eq!(reply.status, 422, "{what}: {:?}", reply.body);
    assert_eq!(reply.body["field"], field, "{what}: {:?}", reply.body);
    let listed: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no `errors` in {:?}", reply.body))
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(listed.contains(&field), "{what}: {listed:?}");
}

#[tokio::test]
async fn dates_outside_the_accepted_range_are_refused_naming_the_field() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let post = a.create(a.post("image", &[&a.square], json!({}))).await;
    let path = format!("/api/v1/posts/{}", post["id"].as_str().unwrap());
    let before = a.client.get(&path).await.body;
    let three_years = (Utc::now() + chrono::Duration::days(3 * 365)).to_rfc3339();

    // Schedule times: past the horizon, past what the database stores, or a leap second.
    for at in [
        "9999-12-31T23:59:59-12:00",
        three_years.as_str(),
        "2030-06-30T23:59:60Z",
    ] {
        let created = a
            .client
            .post(
                "/api/v1/posts",
                a.post("image", &[&a.square], json!({ "scheduled_at": at })),
            )
            .await;
        assert_refused(&created, "scheduled_at", at);
        let edited = a
            .client
            .put(
                &path,
                a.post(
                    "image",
                    &[&a.square],
                    json!({ "scheduled_at": at, "version": 1 }),
                ),
            )
            .await;
        assert_refused(&edited, "scheduled_at", at);
        let moved = a
            .client
            .post(
                &format!("{path}/reschedule"),
                json!({ "version": 1, "scheduled_at": at }),
            )
            .await;
        assert_refused(&moved, "scheduled_at", at);
    }
    let horizon = a
        .client
        .post(
            "/api/v1/posts",
            a.post(
                "image",
                &[&a.square],
                json!({ "scheduled_at": three_years }),
            ),
        )
        .await;
    assert!(
        horizon.body["message"]
            .as_str()
            .unwrap()
            .contains("730 days"),
        "{:?}",
        horizon.body
    );
    assert_eq!(post_count(&store, &a.user_id).await, 1, "nothing stored");
    assert_eq!(
        a.client.get(&path).await.body,
        before,
        "the post is unchanged"
    );

    // The latest accepted time reads back as valid RFC 3339 in the post's zone.
    let latest = (Utc::now() + chrono::Duration::days(729)).to_rfc3339();
    let far = a
        .create(a.post(
            "image",
            &[&a.square],
            json!({ "scheduled_at": latest, "time_zone": "Pacific/Kiritimati" }),
        ))
        .await;
    let local = far["scheduled_at_local"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(local).is_ok(),
        "{local}"
    );

    // Filters and cursors: a bounded range of instants.
    for (query, field) in [
        ("from=9999-12-31T23:59:59-12:00", "from"),
        ("to=9999-12-31T23:59:59Z", "to"),
        ("from=0000-01-01T00:00:00Z", "from"),
        ("to=0000-01-01T00:00:00%2B01:00", "to"),
        ("cursor=8000000000000000.abc", "cursor"),
        ("cursor=-8000000000000000.abc", "cursor"),
        ("cursor=-1.abc", "cursor"),
        ("order=schedule&cursor=253402300800000.abc", "cursor"),
    ] {
        let reply = a.client.get(&format!("/api/v1/posts?{query}")).await;
        assert_refused(&reply, field, query);
    }
    for (query, field) in [
        ("from=9999-12-31&to=9999-12-31", "from"),
        ("from=0000-01-01&to=0000-01-02", "from"),
        ("from=-0001-01-01&to=-0001-01-02", "from"),
        ("from=2099-12-31&to=2100-01-01", "to"),
    ] {
        let reply = a
            .client
            .get(&format!("/api/v1/posts/calendar?{query}"))
            .await;
        assert_refused(&reply, field, query);
    }
    let ok = a
        .client
        .get("/api/v1/posts?from=2000-01-01T00:00:00Z&to=2099-12-31T00:00:00Z")
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_post_lists_every_invalid_field() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let fields = |reply: &aistudio_tests::Reply| -> Vec<String> {
        reply.body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no `errors` in {:?}", reply.body))
            .iter()
            .map(|e| {
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
                e["field"].as_str().unwrap().to_string()
            })
            .collect()
    };

    // Every broken rule at once; `field`/`message` repeat the first one.
    let bad = json!({
        "kind": "video",
        "connection_id": "nope",
        "caption": "é".repeat(2201),
        "items": [{ "media_id": "0123456789abcdef" }],
        "scheduled_at": in_hours(-1),
        "time_zone": "Mars/Olympus",
        "version": 1,
    });
    let created = a.client.post("/api/v1/posts", bad.clone()).await;
    assert_eq!(created.status, 422, "{:?}", created.body);
    let listed = fields(&created);
    for field in [
        "version",
        "kind",
        "caption",
        "time_zone",
        "scheduled_at",
        "items[0].media_id",
        "connection_id",
    ] {
        assert!(listed.contains(&field.to_string()), "{field}: {listed:?}");
    }
    assert_eq!(created.body["field"], created.body["errors"][0]["field"]);
    assert_eq!(
        created.body["message"],
        created.body["errors"][0]["message"]
    );
    assert_eq!(created.body["code"], "validation_failed");

    // Instagram's rules for each item, all named.
    let items = a
        .client
        .post(
            "/api/v1/posts",
            a.post(
                "carousel",
                &[&a.square, &a.tall, &a.long_video],
                json!({ "caption": "é".repeat(2201) }),
            ),
        )
        .await;
    assert_eq!(
        fields(&items),
        ["caption", "items[1].media_id", "items[2].media_id"]
    );

    // An edit: the missing version and the rules together.
    let draft = a
        .create(a.post("image", &[&a.square], json!({ "scheduled_at": null })))
        .await;
    let path = format!("/api/v1/posts/{}", draft["id"].as_str().unwrap());
    let before = a.client.get(&path).await.body;
    let mut edit = bad.clone();
    edit.as_object_mut().unwrap().remove("version");
    edit["kind"] = json!("image");
    edit["publish_now"] = json!(true);
    let edited = a.client.put(&path, edit).await;
    assert_eq!(edited.status, 422, "{:?}", edited.body);
    let listed = fields(&edited);
    for field in [
        "version",
        "caption",
        "time_zone",
        "publish_now",
        "connection_id",
    ] {
        assert!(listed.contains(&field.to_string()), "{field}: {listed:?}");
    }

    // A reschedule: time and zone together.
    let scheduled = a.create(a.post("image", &[&a.square], json!({}))).await;
    let scheduled_path = format!("/api/v1/posts/{}", scheduled["id"].as_str().unwrap());
    let scheduled_before = a.client.get(&scheduled_path).await.body;
    let moved = a
        .client
        .post(
            &format!("{scheduled_path}/reschedule"),
            json!({ "version": 1, "scheduled_at": "tomorrow", "time_zone": "Nowhere" }),
        )
        .await;
    assert_eq!(fields(&moved), ["scheduled_at", "time_zone"]);

    assert_eq!(post_count(&store, &a.user_id).await, 2, "nothing stored");
    assert_eq!(
        a.client.get(&path).await.body,
        before,
        "the draft is unchanged"
    );
    assert_eq!(
        a.client.get(&scheduled_path).await.body,
        scheduled_before,
        "the scheduled post is unchanged"
    );
}

#[tokio::test]
async fn openapi_gives_create_and_edit_their_own_schemas_and_lists_every_error() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let doc = ApiClient::new(&api.url).get("/openapi.json").await.body;
    let schema_of = |path: &str, method: &str| -> Value {
        let body =
            &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
        let name = body["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: {body}"))
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        doc["components"]["schemas"][&name].clone()
    };
    let create = schema_of("/api/v1/posts", "post");
    assert!(create["properties"]["kind"].is_object(), "{create}");
    assert!(
        create["properties"].get("version").is_none(),
        "create takes no version: {create}"
    );
    let edit = schema_of("/api/v1/posts/{id}", "put");
    assert!(edit["properties"]["version"].is_object(), "{edit}");
    let required: Vec<&str> = edit["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"version"), "{edit}");

    let error = &doc["components"]["schemas"]["ErrorOut"];
    let errors = &error["properties"]["errors"];
    assert!(
        errors.to_string().contains("FieldErrorOut"),
        "ErrorOut lists every field error: {error}"
    );
    let item = &doc["components"]["schemas"]["FieldErrorOut"];
    for property in ["field", "message"] {
        assert!(item["properties"][property].is_object(), "{item}");
    }
}

#[tokio::test]
async fn duplicating_a_post_in_any_state_makes_a_new_draft_without_its_time() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let a = author(&api, &store, "ada@example.com").await;
    let original = a
        .create(a.post(
            "carousel",
            &[&a.square, &a.reel],
            json!({ "items": [{ "media_id": a.square, "alt_text": "A square" }, { "media_id": a.reel }] }),
        ))
        .await;
    let id = original["id"].as_str().unwrap();
    let canceled = a
        .client
        .post(
            &format!("/api/v1/posts/{id}/cancel"),
            json!({ "version": original["version"] }),
        )
        .await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);

    let copy = a
        .client
        .post(&format!("/api/v1/posts/{id}/duplicate"), json!({}))
        .await;
    assert_eq!(copy.status, 201, "{:?}", copy.body);
    assert_ne!(copy.body["id"], original["id"]);
    assert_eq!(copy.body["status"], "draft");
    assert_eq!(copy.body["version"], 1);
    assert!(copy.body["scheduled_at"].is_null(), "{:?}", copy.body);
    for field in ["kind", "caption", "items", "time_zone", "connection_id"] {
        assert_eq!(copy.body[field], original[field], "{field}");
    }
    let after = a.client.get(&format!("/api/v1/posts/{id}")).await.body;
    assert_eq!(after["status"], "canceled", "the original is unchanged");

    // A media item deleted since is left out; another user's post is not found.
    let copy_id = copy.body["id"].as_str().unwrap();
    assert_eq!(
        a.client
            .delete(&format!("/api/v1/posts/{copy_id}"))
            .await
            .status,
        204
    );
    let deleted = a.client.delete(&format!("/api/v1/media/{}", a.reel)).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    let second = a
        .client
        .post(&format!("/api/v1/posts/{id}/duplicate"), json!({}))
        .await;
    assert_eq!(second.status, 201, "{:?}", second.body);
    assert_eq!(
        second.body["items"],
        json!([{ "media_id": a.square, "alt_text": "A square" }])
    );
    let bob = ApiClient::new(&api.url)
        .sign_up("Bob", "bob@example.com", PASSWORD)
        .await;
    let refused = bob
        .post(&format!("/api/v1/posts/{id}/duplicate"), json!({}))
        .await;
    assert_eq!(refused.status, 404, "{:?}", refused.body);
}

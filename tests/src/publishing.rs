//! A publishing world for tests: simulator, api, workers with fast workflow timings, a user
//! with a real Instagram connection (through the consent screen) and a media library.

use std::time::Duration;

use aistudio_jobs::store::{Step, Workflow, WorkflowEvent};
use aistudio_sim::{SimConfig, SimHandle, Simulator};
use serde_json::{Value, json};

use crate::fixtures::{self, Movie};
use crate::{Api, ApiClient, Browser, TestEnv, Worker, eventually};

/// Everything a publishing test needs.
#[derive(Debug)]
pub struct Studio {
    /// The simulator.
    pub sim: SimHandle,
    /// The environment (database, namespace, settings).
    pub env: TestEnv,
    /// The api.
    pub api: Api,
    /// The signed-in user.
    pub user: ApiClient,
    /// The user's connection id.
    pub connection_id: String,
    /// Media ids: a square image, a second image, a video.
    pub image: String,
    /// A second image.
    pub image2: String,
    /// A video.
    pub video: String,
}

/// A post to store scheduled, as [`Studio::insert_posts`] takes it.
#[derive(Debug, Clone)]
pub struct ScheduledPost {
    /// Its kind.
    pub kind: aistudio_jobs::domain::PostKind,
    /// Its media ids, in order.
    pub media: Vec<String>,
    /// Its caption.
    pub caption: String,
    /// When it is due.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Fast workflow timings for tests (the benchmarks take them out again).
pub const FAST_WORKFLOW: [(&str, &str); 7] = [
    ("AISTUDIO__WORKFLOW__DISPATCH_CRON", "* * * * * *"),
    ("AISTUDIO__WORKFLOW__RETRY_BASE_MS", "300"),
    ("AISTUDIO__WORKFLOW__RETRY_MAX_MS", "2000"),
    ("AISTUDIO__WORKFLOW__POLL_INITIAL_MS", "300"),
    ("AISTUDIO__WORKFLOW__POLL_MAX_MS", "1000"),
    ("AISTUDIO__WORKFLOW__LATE_AFTER_SECS", "30"),
    // Workflows start at the due time, so races with it are tested as such; preparing ahead
    // has its own test.
    ("AISTUDIO__WORKFLOW__PREPARE_AHEAD_SECS", "0"),
];

/// Applies [`FAST_WORKFLOW`].
pub fn fast_workflow(env: &mut TestEnv) {
    for (key, value) in FAST_WORKFLOW {
        env.set(key, value);
    }
}

impl Studio {
    /// Starts the simulator and api with `configure` applied, signs a user up, connects
    /// Instagram account `acme` and uploads the media. Workers are started by the caller.
    pub async fn start(configure: impl FnOnce(&mut TestEnv)) -> Self {
        Self::start_with_sim(|_| {}, configure).await
    }

    /// As [`Studio::start`], with the simulator configured by `sim_config` first (e.g. its
    /// SMTP sink).
    pub async fn start_with_sim(
        sim_config: impl FnOnce(&mut SimConfig),
        configure: impl FnOnce(&mut TestEnv),
    ) -> Self {
        let mut config = SimConfig::default();
        config.instagram.image_processing_ms = 300;
        config.instagram.video_processing_ms = 600;
        sim_config(&mut config);
        let sim = Simulator::start(config).await.expect("simulator");
        let mut env = TestEnv::new();
        env.use_sim(&sim);
        fast_workflow(&mut env);
        configure(&mut env);
        let api = Api::start(&env).await;
        // Workers sign video URLs with the api's public address.
        env.set("AISTUDIO__SERVER__PUBLIC_BASE_URL", &api.url);
        let anon = ApiClient::new(&api.url);
        let reply = anon
            .post(
                "/api/v1/auth/signup",
                json!({ "name": "Studio", "email": "studio@example.com", "password": "a long enough password" }),
            )
            .await;
        let cookie = reply.session_cookie().expect("signed up");
        let outcome = Browser::new(Some(&cookie))
            .connect_instagram(&api.url, "acme")
            .await;
        assert_eq!(outcome, "instagram=connected");
        let user = anon.with_cookie(&cookie);
        let connection_id = user.get("/api/v1/instagram/connections").await.body[0]["id"]
            .as_str()
            .expect("connection")
            .to_string();
        let upload = |name: &'static str, kind: &'static str, bytes: Vec<u8>| {
            let user = user.clone();
            async move {
                let reply = user.upload(name, kind, bytes).await;
                assert_eq!(reply.status, 201, "{:?}", reply.body);
                reply.body["id"].as_str().unwrap().to_string()
            }
        };
        let image = upload("a.jpg", "image/jpeg", fixtures::jpeg(600, 600)).await;
        let image2 = upload("b.jpg", "image/jpeg", fixtures::jpeg(640, 640)).await;
        let video = upload("v.mp4", "video/mp4", fixtures::movie(&Movie::default())).await;
        Self {
            sim,
            env,
            api,
            user,
            connection_id,
            image,
            image2,
            video,
        }
    }

    /// Starts a worker.
    pub async fn worker(&self) -> Worker {
        Worker::start(&self.env).await
    }

    /// Creates a post; its id.
    pub async fn post(&self, body: Value) -> String {
        let mut body = body;
        body["connection_id"] = json!(self.connection_id);
        if body.get("scheduled_at").is_none() {
            body["publish_now"] = json!(true);
        }
        let reply = self.user.post("/api/v1/posts", body).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["id"].as_str().unwrap().to_string()
    }

    /// Stores `n` image posts scheduled at `at` directly (bulk, for fault tests that need many
    /// posts due together); their ids.
    pub async fn insert_scheduled(
        &self,
        n: usize,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Vec<String> {
        use aistudio_jobs::domain::PostKind;
        let posts: Vec<ScheduledPost> = (0..n)
            .map(|i| ScheduledPost {
                kind: PostKind::Image,
                media: vec![
                    if i % 2 == 0 {
                        &self.image
                    } else {
                        &self.image2
                    }
                    .clone(),
                ],
                caption: format!("bulk post {i}"),
                at,
            })
            .collect();
        self.insert_posts(&posts).await
    }

    /// Stores scheduled posts directly; their ids.
    pub async fn insert_posts(&self, posts: &[ScheduledPost]) -> Vec<String> {
        use aistudio_jobs::store::{Post, PostContent, PostItem, PostStatus};
        let user_id = self.user.get("/api/v1/me").await.body["id"]
            .as_str()
            .expect("user id")
            .to_string();
        let store = self.env.store().await;
        let mut ids = Vec::new();
        for post in posts {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let now = chrono::Utc::now();
            store
                .posts()
                .insert(&Post {
                    id: id.clone(),
                    user_id: user_id.clone(),
                    content: PostContent {
                        connection_id: Some(self.connection_id.clone()),
                        kind: post.kind,
                        caption: post.caption.clone(),
                        items: post
                            .media
                            .iter()
                            .map(|m| PostItem {
                                media_id: m.clone(),
                                alt_text: None,
                            })
                            .collect(),
                        cover_media_id: None,
                        status: PostStatus::Scheduled,
                        scheduled_at: Some(post.at),
                        publish_now: false,
                        time_zone: "UTC".into(),
                    },
                    version: 1,
                    pin_token: uuid::Uuid::new_v4().simple().to_string(),
                    created_at: now,
                    updated_at: now,
                    published_at: None,
                    ig_media_id: None,
                    permalink: None,
                    failure_reason: None,
                    media_unresolved: None,
                    settled_at: None,
                    queue_slot: None,
                    parked_at: None,
                    held: None,
                })
                .await
                .expect("post stored");
            ids.push(id);
        }
        ids
    }

    /// An image post for now.
    pub async fn image_post(&self, caption: &str) -> String {
        self.post(
            json!({ "kind": "image", "caption": caption, "items": [{ "media_id": self.image }] }),
        )
        .await
    }

    /// The post as the API shows it.
    pub async fn get(&self, id: &str) -> Value {
        self.user.get(&format!("/api/v1/posts/{id}")).await.body
    }

    /// Waits until the post reaches `status`.
    pub async fn wait_for(&self, id: &str, status: &str, timeout: Duration) -> Value {
        eventually(timeout, &format!("post {id} to be {status}"), || async {
            let post = self.get(id).await;
            (post["status"] == status).then_some(post)
        })
        .await
    }

    /// The containers the simulator holds for account `acme`.
    pub fn containers(&self) -> Vec<Value> {
        let report = serde_json::to_value(self.sim.inspect()).expect("report serialises");
        report["accounts"]
            .as_array()
            .and_then(|accounts| accounts.iter().find(|a| a["username"] == "acme"))
            .and_then(|a| a["containers"].as_array().cloned())
            .unwrap_or_default()
    }

    /// The simulator's publishes for account `acme`, in order.
    pub fn publishes(&self) -> Vec<aistudio_sim::PublishReport> {
        self.sim
            .inspect()
            .account("acme")
            .map(|a| a.publishes.clone())
            .unwrap_or_default()
    }

    /// What Instagram tells about a published media of `acme`: its `permalink` and
    /// `timestamp`.
    pub async fn instagram_media(&self, media_id: &str) -> Value {
        let token = self
            .sim
            .issue_instagram_token("acme", aistudio_sim::TokenKind::LongLived)
            .expect("a token for acme");
        reqwest::Client::new()
            .get(format!("{}/v25.0/{media_id}", self.sim.urls().graph))
            .bearer_auth(token.access_token)
            .query(&[("fields", "permalink,timestamp")])
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// Waits until the published post's record is final: it has its permalink, or says why it
    /// has none.
    pub async fn wait_settled(&self, id: &str, timeout: Duration) -> Value {
        eventually(timeout, &format!("post {id} to have its link"), || async {
            let post = self.get(id).await;
            (post["permalink"].is_string() || post["media_unresolved"].is_string()).then_some(post)
        })
        .await
    }

    /// The post's workflow events, once one of them is `what` (`found`): a worker writes its
    /// events in batches, a moment after their step.
    pub async fn events_with(
        &self,
        id: &str,
        what: &str,
        found: impl Fn(&WorkflowEvent) -> bool,
    ) -> Vec<WorkflowEvent> {
        let store = self.env.store().await;
        let found = &found;
        let store = &store;
        eventually(Duration::from_secs(15), what, || async move {
            let events = store.workflow_events().for_post(id, 100).await.ok()?;
            events.iter().any(found).then_some(events)
        })
        .await
    }

    /// Asserts the simulator saw no duplicate and no stray publish; the number of publishes.
    pub fn assert_exactly_once(&self) -> usize {
        let report = self.sim.inspect();
        let value = serde_json::to_value(&report).expect("report serialises");
        assert!(report.exactly_once, "duplicates or orphans: {value}");
        value["accounts"]
            .as_array()
            .map(|accounts| {
                accounts
                    .iter()
                    .map(|a| a["publishes"].as_array().map_or(0, Vec::len))
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// A workflow of post `post_id` at `step`, due at `next_run_at`, held by nobody, with nothing
/// done yet: for tests that store one directly.
pub fn unleased_workflow(
    post_id: &str,
    step: Step,
    next_run_at: chrono::DateTime<chrono::Utc>,
) -> Workflow {
    Workflow {
        post_id: post_id.into(),
        user_id: "someone".into(),
        connection_id: "a-connection".into(),
        post_version: 1,
        step,
        attempts: 0,
        items: Vec::new(),
        cover_url: None,
        parent_container_id: None,
        container_generation: 0,
        poll_started_at: None,
        publish_attempted_at: None,
        ig_media_id: None,
        waiting_reason: None,
        next_run_at,
        lease_owner: None,
        lease_expires_at: None,
        created_at: chrono::Utc::now(),
        revision: 0,
        unsaved: Default::default(),
    }
}

//! The admin console, driven over HTTP against the real api: who may see and do what, CSRF,
//! compare-and-set refusals, the audit log, every page and every action.

use std::time::Duration;

use aistudio_jobs::queue::PushOptions;
use aistudio_jobs::store::{
    Connection, ConnectionStatus, MediaUnresolved, Post, PostContent, PostItem, PostStatus, Role,
    Settlement, StepError, StepOutcome, Store, WorkflowEvent,
};
use aistudio_jobs::tasks::Canary;
use aistudio_tests::{Api, ApiClient, TestEnv, Worker, eventually};
use chrono::{DateTime, Utc};

pub(crate) const PASSWORD: &str = "a long enough password";

/// A browser-like client of the console: no redirects followed, the console cookie carried.
pub(crate) struct Console {
    base: String,
    http: reqwest::Client,
    pub(crate) cookie: Option<String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// The value of the first hidden input named `name`.
    pub(crate) fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker).expect("the field is on the page") + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

pub(crate) fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

impl Console {
    pub(crate) fn new(api: &Api) -> Self {
        Self {
            base: api.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    async fn read(request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => request.header("cookie", format!("aistudio_admin={c}")),
            None => request,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        Self::read(self.with_cookie(self.http.get(format!("{}{path}", self.base)))).await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::read(
            self.with_cookie(self.http.post(format!("{}{path}", self.base)))
                .form(form),
        )
        .await
    }

    /// Signs in through the form; the page the sign-in answered with.
    pub(crate) async fn sign_in(&mut self, email: &str) -> Page {
        self.sign_in_with(email, PASSWORD).await
    }

    /// Signs in through the form with `password`; the page the sign-in answered with.
    pub(crate) async fn sign_in_with(&mut self, email: &str, password: &str) -> Page {
        let form = Self::read(self.http.get(format!("{}/admin/login", self.base))).await;
        assert_eq!(form.status, 200);
        let login_cookie = set_cookie(&form.headers, "aistudio_admin_login").unwrap();
        let page = Self::read(
            self.http
                .post(format!("{}/admin/login", self.base))
                .header("cookie", format!("aistudio_admin_login={login_cookie}"))
                .form(&[
                    ("email", email),
                    ("password", password),
                    ("login_csrf", &form.hidden("login_csrf")),
                    ("next", "/admin"),
                ]),
        )
        .await;
        if let Some(cookie) = set_cookie(&page.headers, "aistudio_admin").filter(|c| !c.is_empty())
        {
            self.cookie = Some(cookie);
        }
        page
    }

    /// The CSRF token of this session (from any signed-in page).
    pub(crate) async fn csrf(&self) -> String {
        self.get("/admin/audit").await.hidden("csrf")
    }
}

pub(crate) async fn account(api: &Api, store: &Store, email: &str, role: Role) -> String {
    let client = ApiClient::new(&api.url)
        .sign_up("Someone", email, PASSWORD)
        .await;
    store.users().set_role(email, role).await.unwrap();
    client.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A staff account made in the store, as an operator would (no sign-up, so no sign-up email
/// waits in the queue of a test that counts what is due).
async fn staff_account(store: &Store, email: &str, role: Role) {
    let password = aistudio_jobs::domain::Password::parse("password", PASSWORD).unwrap();
    let hash = aistudio_jobs::crypto::password::hash(&password, 4)
        .await
        .unwrap();
    store
        .users()
        .insert(&aistudio_jobs::store::User {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: "Staff".into(),
            email: email.into(),
            password_hash: Some(hash),
            google_sub: None,
            picture: None,
            role,
            status: aistudio_jobs::store::UserStatus::Active,
            created_at: Utc::now(),
            email_verified_at: Some(Utc::now()),
        })
        .await
        .unwrap();
}

async fn connection(
    store: &Store,
    user_id: &str,
    username: &str,
    ig: &str,
    status: ConnectionStatus,
) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    store
        .connections()
        .insert(&Connection {
            id: id.clone(),
            user_id: user_id.to_string(),
            ig_user_id: ig.to_string(),
            username: username.to_string(),
            token: None,
            token_expires_at: None,
            token_refreshed_at: None,
            status,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    id
}

async fn post(
    store: &Store,
    user_id: &str,
    connection_id: &str,
    status: PostStatus,
    at: DateTime<Utc>,
) -> Post {
    let now = Utc::now();
    let post = Post {
        id: uuid::Uuid::new_v4().simple().to_string(),
        user_id: user_id.to_string(),
        content: PostContent {
            connection_id: Some(connection_id.to_string()),
            kind: aistudio_jobs::domain::PostKind::Image,
            caption: "Spring <sale>".into(),
            items: vec![PostItem {
                media_id: "m1".into(),
                alt_text: None,
            }],
            cover_media_id: None,
            status,
            scheduled_at: Some(at),
            publish_now: false,
            time_zone: "Europe/Paris".into(),
        },
        version: 3,
        pin_token: "pin".into(),
        created_at: now,
        updated_at: now,
        published_at: None,
        ig_media_id: None,
        permalink: None,
        failure_reason: (status == PostStatus::Failed)
            .then(|| "Instagram refused the image".into()),
        media_unresolved: None,
        settled_at: None,
        queue_slot: None,
        parked_at: None,
        held: None,
    };
    store.posts().insert(&post).await.unwrap();
    post
}

async fn failed_step(store: &Store, post: &Post, message: &str) {
    let started = Utc::now() - chrono::Duration::seconds(30);
    store
        .workflow_events()
        .record(&WorkflowEvent {
            post_id: post.id.clone(),
            user_id: post.user_id.clone(),
            step: "create_containers".into(),
            attempt: 2,
            worker: "worker-test-1-abc".into(),
            started_at: started,
            ended_at: started + chrono::Duration::milliseconds(1500),
            outcome: StepOutcome::Failed,
            error: Some(StepError {
                class: "bad_content".into(),
                code: Some(36003),
                subcode: Some(2207009),
                message: message.into(),
            }),
            next_retry_at: None,
            note: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn who_may_see_the_console_and_what_operators_see() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let customer = account(&api, &store, "customer@example.com", Role::User).await;
    account(&api, &store, "operator@example.com", Role::Operator).await;
    let ig = connection(
        &store,
        &customer,
        "bakery",
        "17841400000001",
        ConnectionStatus::Active,
    )
    .await;
    let failed = post(&store, &customer, &ig, PostStatus::Failed, Utc::now()).await;
    failed_step(&store, &failed, "Unsupported aspect ratio").await;

    // Anonymous: to the sign-in page, then back.
    let mut anonymous = Console::new(&api);
    let page = anonymous.get("/admin/posts?status=failed").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        "/admin/login?next=%2Fadmin%2Fposts%3Fstatus%3Dfailed"
    );
    assert_eq!(anonymous.get("/admin/overview/stream").await.status, 303);
    // A sign-in form without its double-submit token is refused.
    let forged = anonymous
        .post(
            "/admin/login",
            &[
                ("email", "operator@example.com"),
                ("password", PASSWORD),
                ("login_csrf", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    // A wrong password.
    let wrong = Console::read(anonymous.http.get(format!("{}/admin/login", api.url))).await;
    assert!(wrong.body.contains("<label for=\"email\">Email</label>"));

    // A customer cannot reach the console.
    let page = anonymous.sign_in("customer@example.com").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        anonymous.cookie.is_none(),
        "no console session for a customer"
    );

    // An operator sees every page.
    let mut operator = Console::new(&api);
    let signed_in = operator.sign_in("operator@example.com").await;
    assert_eq!(
        (signed_in.status, signed_in.location().as_str()),
        (303, "/admin")
    );
    let cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("aistudio_admin="))
        .unwrap()
        .to_string();
    for attribute in ["Path=/admin", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let overview = operator.get("/admin").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    for text in [
        "data-count=\"publish:scheduled\"",
        "data-count=\"canary:dead\"",
        "data-count=\"posts:failed\">1<",
        "Publish lateness",
        "Throughput",
    ] {
        assert!(overview.body.contains(text), "overview lacks {text}");
    }
    let csp = overview.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.starts_with("default-src 'self'"));
    assert_eq!(operator.get("/admin?window=24h").await.status, 200);
    assert_eq!(operator.get("/admin/assets/admin.js").await.status, 200);

    let search = operator
        .get("/admin/posts?status=failed&account=bakery")
        .await;
    assert_eq!(search.status, 200);
    assert!(search.body.contains(&failed.id));
    assert!(search.body.contains("<b>1</b> posts match"));
    assert!(search.body.contains("customer@example.com"));
    assert!(
        !search.body.contains("Bulk retry"),
        "operators get no action buttons"
    );
    let by_error = operator.get("/admin/posts?error=aspect+ratio").await;
    assert!(by_error.body.contains(&failed.id), "{}", by_error.body);
    let by_code = operator.get("/admin/posts?error=2207009").await;
    assert!(by_code.body.contains(&failed.id));
    let too_wide = operator
        .get("/admin/posts?error=aspect&from=2024-01-01&to=2024-06-01")
        .await;
    assert_eq!(too_wide.status, 400);
    let none = operator
        .get("/admin/posts?email=nobody%40example.com")
        .await;
    assert!(none.body.contains("<b>0</b> posts match"));

    let detail = operator.get(&format!("/admin/posts/{}", failed.id)).await;
    assert_eq!(detail.status, 200);
    for text in [
        "create_containers",
        "worker-test-1-abc",
        "code 36003/2207009",
        "Unsupported aspect ratio",
        "1.5 s",
        "Spring &lt;sale&gt;",
        "@bakery",
        "Read-only",
    ] {
        assert!(detail.body.contains(text), "detail lacks {text}");
    }
    assert!(!detail.body.contains("ciphertext"));
    // A published post whose media could not be told apart says so instead of a link.
    let unresolved = post(&store, &customer, &ig, PostStatus::Published, Utc::now()).await;
    let settled = store
        .posts()
        .settle(
            &unresolved.id,
            &Settlement {
                unresolved: Some(MediaUnresolved::Ambiguous),
                ..Settlement::default()
            },
        )
        .await
        .unwrap();
    assert!(settled);
    let detail = operator
        .get(&format!("/admin/posts/{}", unresolved.id))
        .await;
    assert_eq!(detail.status, 200);
    for text in ["ambiguous", "could not be determined uniquely"] {
        assert!(detail.body.contains(text), "detail lacks {text}");
    }
    for path in ["/admin/workers", "/admin/queues", "/admin/audit"] {
        assert_eq!(operator.get(path).await.status, 200, "{path}");
    }

    // An operator cannot act, even with a valid token: 403 and nothing changes.
    assert_eq!(
        operator
            .get(&format!("/admin/posts/{}/retry", failed.id))
            .await
            .status,
        403
    );
    let csrf = operator.csrf().await;
    let refused = operator
        .post(
            &format!("/admin/posts/{}/retry", failed.id),
            &[("csrf", &csrf), ("version", "3")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("read-only"));
    let unchanged = store.posts().by_id(&failed.id).await.unwrap().unwrap();
    assert_eq!(
        (unchanged.content.status, unchanged.version),
        (PostStatus::Failed, 3)
    );
    assert_eq!(
        operator
            .get("/admin/bulk?action=retry&status=failed")
            .await
            .status,
        403
    );

    // Live counts arrive as server-sent events.
    let response = operator
        .with_cookie(
            operator
                .http
                .get(format!("{}/admin/overview/stream", api.url)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut response = response;
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: counts\ndata: {"), "{text}");
    assert!(text.contains("\"queue\":\"publish\""));

    // Sign-out needs the token too, then the session is gone.
    assert_eq!(
        operator
            .post("/admin/logout", &[("csrf", "wrong")])
            .await
            .status,
        403
    );
    let out = operator.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location().as_str()), (303, "/admin/login"));
    assert_eq!(operator.get("/admin").await.status, 303);
    let audit = store.audit_log().recent(None, None, 20).await.unwrap();
    let (refused, done): (Vec<_>, Vec<_>) = audit.iter().partition(|e| e.reason.is_some());
    let actions: Vec<&str> = done.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["sign_out", "sign_in"]);
    // The refusals too (those of one reason within a minute may share an entry).
    let mut reasons: Vec<&str> = refused.iter().filter_map(|e| e.reason.as_deref()).collect();
    reasons.sort_unstable();
    reasons.dedup();
    assert_eq!(
        reasons,
        [
            "csrf_wrong",
            "no_console_role",
            "role_required",
            "sign_in_form_invalid"
        ]
    );
}

#[tokio::test]
async fn admins_act_with_confirmation_csrf_and_compare_and_set_and_every_action_is_audited() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    let queue = env.queue();
    let customer = account(&api, &store, "shop@example.com", Role::User).await;
    account(&api, &store, "admin@example.com", Role::Admin).await;
    let ig = connection(
        &store,
        &customer,
        "shop",
        "17841400000002",
        ConnectionStatus::Active,
    )
    .await;
    let failed = post(
        &store,
        &customer,
        &ig,
        PostStatus::Failed,
        Utc::now() - chrono::Duration::hours(1),
    )
    .await;
    let mut admin = Console::new(&api);
    assert_eq!(admin.sign_in("admin@example.com").await.status, 303);
    let csrf = admin.csrf().await;
    let retry = format!("/admin/posts/{}/retry", failed.id);

    // The confirmation page carries the version the admin saw.
    let confirm = admin.get(&retry).await;
    assert_eq!(confirm.status, 200);
    assert_eq!(confirm.hidden("version"), "3");
    assert!(confirm.body.contains("Confirm: retry"));

    // Missing or wrong CSRF token: refused, nothing changes.
    assert_eq!(admin.post(&retry, &[("version", "3")]).await.status, 403);
    assert_eq!(
        admin
            .post(&retry, &[("csrf", &"0".repeat(64)), ("version", "3")])
            .await
            .status,
        403
    );
    assert_eq!(
        store
            .posts()
            .by_id(&failed.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        3
    );

    // A stale version is refused with what the post is now.
    let stale = admin
        .post(&retry, &[("csrf", &csrf), ("version", "2")])
        .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale.body.contains("changed since you looked at it"),
        "{}",
        stale.body
    );
    assert!(stale.body.contains("it is now failed, version 3"));

    // Retry now: scheduled for now, at the next version, and queued.
    let done = admin
        .post(&retry, &[("csrf", &csrf), ("version", "3")])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("publishing job queued"));
    let retried = store.posts().by_id(&failed.id).await.unwrap().unwrap();
    assert_eq!(
        (retried.content.status, retried.version),
        (PostStatus::Scheduled, 4)
    );
    assert!(retried.failure_reason.is_none());
    assert!((Utc::now() - retried.content.scheduled_at.unwrap()).num_seconds() < 30);
    let counts = aistudio_jobs::queue::inspect::queue_counts(&queue, "publish")
        .await
        .unwrap();
    assert_eq!(counts.scheduled + counts.queued, 1);
    // The same retry again (the post changed state meanwhile) is refused.
    let again = admin
        .post(&retry, &[("csrf", &csrf), ("version", "3")])
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("it is now scheduled, version 4"));

    // Reschedule, then cancel.
    let path = format!("/admin/posts/{}/reschedule", failed.id);
    assert!(
        admin
            .get(&path)
            .await
            .body
            .contains("type=\"datetime-local\"")
    );
    let at = (Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    assert_eq!(
        admin
            .post(&path, &[("csrf", &csrf), ("version", "4"), ("at", &at)])
            .await
            .status,
        200
    );
    let moved = store.posts().by_id(&failed.id).await.unwrap().unwrap();
    assert_eq!(
        moved
            .content
            .scheduled_at
            .unwrap()
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        at
    );
    let cancel = format!("/admin/posts/{}/cancel", failed.id);
    assert_eq!(
        admin
            .post(&cancel, &[("csrf", &csrf), ("version", "5")])
            .await
            .status,
        200
    );
    assert_eq!(
        store
            .posts()
            .by_id(&failed.id)
            .await
            .unwrap()
            .unwrap()
            .content
            .status,
        PostStatus::Canceled
    );

    // Resume one parked post, then the rest of the account's parked posts.
    let parked: Vec<Post> = futures::future::join_all((0..3).map(|_| {
        post(
            &store,
            &customer,
            &ig,
            PostStatus::NeedsReconnect,
            Utc::now() + chrono::Duration::days(1),
        )
    }))
    .await;
    let resume = format!("/admin/posts/{}/resume", parked[0].id);
    assert_eq!(
        admin
            .post(&resume, &[("csrf", &csrf), ("version", "3")])
            .await
            .status,
        200
    );
    assert_eq!(
        store
            .posts()
            .by_id(&parked[0].id)
            .await
            .unwrap()
            .unwrap()
            .content
            .status,
        PostStatus::Scheduled
    );
    let overview = admin.get("/admin").await;
    assert!(
        overview
            .body
            .contains(&format!("/admin/accounts/{ig}/resume"))
    );
    let confirm = admin.get(&format!("/admin/accounts/{ig}/resume")).await;
    assert!(
        confirm.body.contains("<b>2</b> parked posts"),
        "{}",
        confirm.body
    );
    let resumed = admin
        .post(&format!("/admin/accounts/{ig}/resume"), &[("csrf", &csrf)])
        .await;
    assert!(
        resumed.body.contains("2 parked posts of @shop resumed"),
        "{}",
        resumed.body
    );

    // Bulk retry over a filter: a preview of how many, then the action.
    let more: Vec<Post> = futures::future::join_all(
        (0..3).map(|_| post(&store, &customer, &ig, PostStatus::Failed, Utc::now())),
    )
    .await;
    post(&store, &customer, &ig, PostStatus::Published, Utc::now()).await;
    let preview = admin
        .get("/admin/bulk?action=retry&email=shop%40example.com")
        .await;
    assert_eq!(preview.status, 200);
    assert!(
        preview
            .body
            .contains("<b>3</b> posts match the filter and are failed"),
        "{}",
        preview.body
    );
    let bulk = admin
        .post(
            "/admin/bulk",
            &[
                ("csrf", &csrf),
                ("action", "retry"),
                ("email", "shop@example.com"),
            ],
        )
        .await;
    assert!(
        bulk.body.contains("3 posts changed, 0 changed meanwhile"),
        "{}",
        bulk.body
    );
    for p in &more {
        assert_eq!(
            store
                .posts()
                .by_id(&p.id)
                .await
                .unwrap()
                .unwrap()
                .content
                .status,
            PostStatus::Scheduled
        );
    }
    assert_eq!(
        admin
            .post(
                "/admin/bulk",
                &[("action", "cancel"), ("email", "shop@example.com")]
            )
            .await
            .status,
        403
    );

    // Requeue a dead job.
    queue
        .push(
            Canary {
                canary_id: "dead-one".into(),
                hold_ms: 0,
            },
            PushOptions::default(),
        )
        .await
        .unwrap();
    let mut redis = env.redis().await;
    let ns = &env.namespace;
    let ids: Vec<String> = redis::cmd("ZRANGE")
        .arg(format!("{ns}:canary:scheduled"))
        .arg(0)
        .arg(-1)
        .query_async(&mut redis)
        .await
        .unwrap();
    let id = ids[0].clone();
    let _: () = redis::pipe()
        .cmd("ZREM")
        .arg(format!("{ns}:canary:scheduled"))
        .arg(&id)
        .ignore()
        .cmd("SADD")
        .arg(format!("{ns}:canary:dead"))
        .arg(&id)
        .ignore()
        .query_async(&mut redis)
        .await
        .unwrap();
    let queues = admin.get("/admin/queues").await;
    assert!(
        queues
            .body
            .contains(&format!("/admin/queues/canary/dead/{id}/requeue")),
        "{}",
        queues.body
    );
    let job = admin
        .get(&format!("/admin/queues/job?queue=canary&id={id}"))
        .await;
    assert!(job.body.contains("dead-one") && job.body.contains("dead"));
    let requeue = format!("/admin/queues/canary/dead/{id}/requeue");
    assert_eq!(admin.get(&requeue).await.status, 200);
    assert_eq!(admin.post(&requeue, &[("csrf", "")]).await.status, 403);
    assert_eq!(admin.post(&requeue, &[("csrf", &csrf)]).await.status, 200);
    let (dead, active): (u64, u64) = redis::pipe()
        .cmd("SCARD")
        .arg(format!("{ns}:canary:dead"))
        .cmd("LLEN")
        .arg(format!("{ns}:canary:active"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!((dead, active), (0, 1));
    assert_eq!(
        admin.post(&requeue, &[("csrf", &csrf)]).await.status,
        409,
        "no longer dead"
    );

    // Every action is in the audit log, refusals included, and shown.
    let audit = store.audit_log().recent(None, None, 50).await.unwrap();
    let (refused, audit): (Vec<_>, Vec<_>) = audit.into_iter().partition(|e| e.reason.is_some());
    assert!(
        refused
            .iter()
            .all(|e| e.reason.as_deref().is_some_and(|r| r.starts_with("csrf_"))),
        "{refused:?}"
    );
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("sign_in", "done"),
            ("retry", "refused"),
            ("retry", "done"),
            ("retry", "refused"),
            ("reschedule", "done"),
            ("cancel", "done"),
            ("resume", "done"),
            ("resume_account", "done"),
            ("bulk_retry", "done"),
            ("requeue_dead", "done"),
            ("requeue_dead", "refused"),
        ]
    );
    assert!(audit.iter().all(|e| e.actor_email == "admin@example.com"));
    let page = admin.get("/admin/audit").await;
    assert!(page.body.contains("bulk_retry") && page.body.contains(&format!("post:{}", failed.id)));
    let detail = admin.get(&format!("/admin/posts/{}", failed.id)).await;
    assert!(
        detail.body.contains("at version 3: failed -&gt; scheduled"),
        "{}",
        detail.body
    );
}

#[tokio::test]
async fn workers_report_presence_and_dead_ones_are_marked() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__REDIS__HEARTBEAT_SECS", "1");
    let api = Api::start(&env).await;
    let store = env.store().await;
    account(&api, &store, "ops@example.com", Role::Operator).await;
    let mut console = Console::new(&api);
    console.sign_in("ops@example.com").await;
    let worker = Worker::start(&env).await;
    let pid = worker.process.pid().to_string();
    env.queue()
        .push(
            Canary {
                canary_id: "slow".into(),
                hold_ms: 4000,
            },
            PushOptions::default(),
        )
        .await
        .unwrap();
    let page = eventually(
        Duration::from_secs(20),
        "the worker listed with a job in flight",
        || async {
            let page = console.get("/admin/workers").await;
            let row = page
                .body
                .split("<tr")
                .find(|r| r.contains(&format!(">{pid}<")))?
                .to_string();
            (row.contains("s-alive")
                && row.contains(&format!(">{}<", env!("CARGO_PKG_VERSION")))
                && row.contains("class=\"num\">1</td></tr>"))
            .then_some(row)
        },
    )
    .await;
    assert!(page.contains("worker-"));
    worker.process.signal("KILL");
    eventually(
        Duration::from_secs(20),
        "the killed worker marked dead",
        || async {
            let page = console.get("/admin/workers").await;
            page.body
                .split("<tr")
                .find(|r| r.contains(&format!(">{pid}<")))
                .filter(|r| r.contains("class=\"dead\"") && r.contains("s-dead"))
                .map(|_| ())
        },
    )
    .await;
}

/// The `<tr ...>` row of `html` that contains `marker`.
fn row<'a>(html: &'a str, marker: &str) -> &'a str {
    html.split("<tr")
        .find(|r| r.contains(marker))
        .unwrap_or_else(|| panic!("no row with {marker} in:\n{html}"))
}

/// The element of `html` with `id`, up to the end of its first `</closing>` tag.
fn element<'a>(html: &'a str, id: &str, closing: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id} in:\n{html}"));
    let end = html[start..]
        .find(&format!("</{closing}>"))
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// Registers `consumer` in `queue`'s workers zset with a heartbeat `age_secs` old, as
/// apalis-redis does.
async fn register_consumer(env: &TestEnv, queue: &str, consumer: &str, age_secs: i64) {
    let mut redis = env.redis().await;
    let _: () = redis::cmd("ZADD")
        .arg(format!("{}:{queue}:workers", env.namespace))
        .arg(Utc::now().timestamp() - age_secs)
        .arg(consumer)
        .query_async(&mut redis)
        .await
        .unwrap();
}

/// The first live-counts event of the overview's stream.
async fn first_counts(console: &Console) -> serde_json::Value {
    let mut response = console
        .with_cookie(
            console
                .http
                .get(format!("{}/admin/overview/stream", console.base)),
        )
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("a data line");
    serde_json::from_str(data).unwrap()
}

#[tokio::test]
async fn a_queue_with_due_jobs_and_no_live_consumer_is_flagged_until_a_worker_serves_it() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    staff_account(&store, "ops@example.com", Role::Operator).await;
    let mut console = Console::new(&api);
    console.sign_in("ops@example.com").await;
    let queue = env.queue();

    let overview = console.get("/admin").await;
    assert!(
        overview
            .body
            .contains("<div id=\"queue-alerts\" class=\"alerts\" role=\"alert\"></div>"),
        "nothing is due, nothing to flag"
    );
    assert_eq!(
        overview
            .body
            .matches("data-count=\"publish:scheduled\"")
            .count(),
        1,
        "each queue is listed once"
    );
    assert!(
        overview
            .body
            .contains("<th scope=\"col\" class=\"num\">live consumers</th>")
    );

    // One canary due now, one due in an hour; no consumer anywhere.
    for (id, run_at) in [
        ("now", None),
        (
            "later",
            Some(std::time::SystemTime::now() + Duration::from_secs(3600)),
        ),
    ] {
        queue
            .push(
                Canary {
                    canary_id: id.into(),
                    hold_ms: 0,
                },
                PushOptions {
                    run_at,
                    ..PushOptions::default()
                },
            )
            .await
            .unwrap();
    }
    // A consumer whose heartbeat is older than the orphan window (10 s) does not count.
    register_consumer(&env, "canary", "worker-gone-1-0badcafe:canary", 60).await;
    let overview = console.get("/admin").await;
    let alerts = element(&overview.body, "queue-alerts", "div");
    assert!(
        alerts.contains(
            "<strong>No live consumer on canary:</strong> 1 job is due and nothing will take it \
             (no consumer heartbeated in the last 10 s)."
        ),
        "{alerts}"
    );
    assert!(alerts.contains("<a href=\"/admin/workers#consumers-canary\">Consumers of canary</a>"));
    assert_eq!(
        alerts.matches("class=\"alert-item\"").count(),
        1,
        "{alerts}"
    );
    let canary = row(&overview.body, "data-count=\"canary:due\"");
    assert!(canary.starts_with(" data-queue=\"canary\" class=\"unattended\">"));
    assert!(canary.contains("data-count=\"canary:due\">1<"), "{canary}");
    assert!(canary.contains("data-count=\"canary:live\">0<"), "{canary}");

    // The live counts carry the same facts.
    let counts = first_counts(&console).await;
    assert_eq!(counts["orphan_after_secs"], 10);
    let canary = counts["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["queue"] == "canary")
        .unwrap()
        .clone();
    assert_eq!(
        canary,
        serde_json::json!({"queue": "canary", "registered": 1, "live": 0, "due": 1, "unattended": true})
    );

    // A real worker serves the queue: it runs the due canary, its consumers are live, the alert
    // is gone (the canary due in an hour is not due).
    let worker = Worker::start(&env).await;
    let pid = worker.process.pid();
    let overview = eventually(
        Duration::from_secs(20),
        "the alert gone and a live canary consumer counted",
        || async {
            let page = console.get("/admin").await;
            (page.body.contains("data-count=\"canary:live\">1<")
                && page.body.contains("data-count=\"canary:due\">0<"))
            .then_some(page)
        },
    )
    .await;
    assert!(
        !overview.body.contains("alert-item"),
        "{}",
        element(&overview.body, "queue-alerts", "div")
    );

    // The workers page lists the worker's consumers from its presence record, each next to
    // its registration in Redis.
    let (page, name) = eventually(
        Duration::from_secs(20),
        "the worker's consumers listed, all live",
        || async {
            let page = console.get("/admin/workers").await.body;
            let name = page
                .split("<section id=\"w-")
                .skip(1)
                .find(|s| s.contains(&format!("pid {pid}")))?
                .split('"')
                .next()?
                .to_string();
            row(&page, &format!(">{pid}<"))
                .contains("consumers</a>, all live")
                .then_some((page, name))
        },
    )
    .await;
    let section = element(&page, &format!("w-{name}"), "section");
    let canary = row(section, "<th scope=\"row\">canary</th>");
    assert!(
        canary.contains("<td><span class=\"badge s-live\">live</span></td>"),
        "{canary}"
    );
    assert!(
        canary.contains(&format!("<span class=\"muted mono\">{name}:canary</span>")),
        "{canary}"
    );
    let schedule = row(section, "<th scope=\"row\">dispatch-schedule</th>");
    assert!(schedule.contains("none (a cron schedule)"), "{schedule}");
    assert!(section.contains("<th scope=\"row\">publish</th>"));
    let registrations = element(&page, "consumers-canary", "tbody");
    assert!(
        registrations.contains(&format!("<a class=\"mono\" href=\"#w-{name}\">{name}</a>")),
        "{registrations}"
    );
}

#[tokio::test]
async fn the_workers_page_marks_stalled_consumers_and_missing_or_expired_registrations() {
    use aistudio_jobs::queue::presence::{ConsumerLiveness, Presence, write_presence};

    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let store = env.store().await;
    account(&api, &store, "ops@example.com", Role::Operator).await;
    let mut console = Console::new(&api);
    console.sign_in("ops@example.com").await;
    let queue = env.queue();

    // A process that reports one stalled consumer and is registered on publish (fresh) and
    // canary (expired) only; and a vanished process still registered on publish.
    let process = "worker-forged-7-0000beef";
    let consumer =
        |queue: &str, progress: f64, poll: Option<f64>, stalled: bool| ConsumerLiveness {
            queue: queue.into(),
            progress_age_secs: progress,
            last_poll_age_secs: poll,
            stall_after_secs: 11.0,
            stalled,
        };
    let now = Utc::now();
    write_presence(
        &queue,
        &Presence {
            worker: process.into(),
            host: "forged-host".into(),
            pid: 7,
            version: "0.0.7".into(),
            started_at: now - chrono::Duration::seconds(60),
            last_heartbeat: now,
            in_flight: 0,
            interval_secs: 5,
            stopped_at: None,
            consumers: vec![
                consumer("publish", 1.5, Some(0.2), false),
                consumer("canary", 42.0, Some(41.0), true),
                consumer("token-refresh", 2.0, Some(0.4), false),
                consumer("dispatch-schedule", 3.0, None, false),
            ],
        },
    )
    .await
    .unwrap();
    register_consumer(&env, "publish", &format!("{process}:publish"), 0).await;
    register_consumer(&env, "canary", &format!("{process}:canary:r1"), 600).await;
    register_consumer(&env, "publish", "worker-vanished-9-0000dead:publish", 900).await;
    queue
        .push(
            Canary {
                canary_id: "due".into(),
                hold_ms: 0,
            },
            PushOptions::default(),
        )
        .await
        .unwrap();

    let page = console.get("/admin/workers").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = page.body;
    let summary = row(&page, "<td class=\"num\">7</td>");
    assert!(summary.contains("s-alive"), "{summary}");
    assert!(
        summary.contains(&format!(
            "<a href=\"#w-{process}\">4 consumers</a>: 1 <span class=\"badge s-stalled\">stalled</span>, \
             1 registration <span class=\"badge s-expired\">expired</span>, \
             1 registration <span class=\"badge s-missing\">missing</span>"
        )),
        "{summary}"
    );

    let section = element(&page, &format!("w-{process}"), "section");
    assert!(section.contains("forged-host, pid 7"));
    let publish = row(section, "<th scope=\"row\">publish</th>");
    assert!(publish.starts_with("><th"), "not marked: {publish}");
    assert!(publish.contains("<td><span class=\"badge s-live\">live</span></td><td class=\"num\">1.5 s</td><td class=\"num\">200 ms</td><td class=\"num\">11.0 s</td>"), "{publish}");
    assert!(
        publish.contains("<span class=\"badge s-live\">live</span> heartbeat"),
        "{publish}"
    );
    let canary = row(section, "<th scope=\"row\">canary</th>");
    assert!(canary.starts_with(" class=\"dead\">"), "{canary}");
    assert!(
        canary.contains("<td><span class=\"badge s-stalled\">stalled</span></td><td class=\"num\">42.0 s</td><td class=\"num\">41.0 s</td>"),
        "{canary}"
    );
    assert!(
        canary.contains("<span class=\"badge s-expired\">expired</span> heartbeat 10 min"),
        "{canary}"
    );
    let refresh = row(section, "<th scope=\"row\">token-refresh</th>");
    assert!(refresh.starts_with(" class=\"dead\">"), "{refresh}");
    assert!(
        refresh.contains(
            "<span class=\"badge s-missing\">missing</span> not in the queue's workers set"
        ),
        "{refresh}"
    );
    let schedule = row(section, "<th scope=\"row\">dispatch-schedule</th>");
    assert!(
        schedule.contains("<td class=\"num\">never</td>"),
        "{schedule}"
    );

    let publish = element(&page, "consumers-publish", "tbody");
    assert!(
        publish.contains("publish: 1 live of 2 registered, 0 due</th>"),
        "{publish}"
    );
    let vanished = row(publish, "worker-vanished-9-0000dead:publish");
    assert!(vanished.starts_with(" class=\"dead\">"), "{vanished}");
    assert!(
        vanished.contains("(no record of this process, or it stopped)"),
        "{vanished}"
    );
    assert!(
        vanished.contains("<span class=\"badge s-expired\">expired</span>"),
        "{vanished}"
    );
    let forged = row(publish, &format!("{process}:publish"));
    assert!(
        forged.contains(&format!("href=\"#w-{process}\"")),
        "{forged}"
    );
    assert!(
        forged.contains("<span class=\"badge s-live\">live</span>"),
        "{forged}"
    );
    let canary = element(&page, "consumers-canary", "tbody");
    assert!(
        canary.contains(
            "canary: 0 live of 1 registered, 1 due <span class=\"badge s-no_live_consumer\">no live consumer</span>"
        ),
        "{canary}"
    );
    let refresh = element(&page, "consumers-token-refresh", "tbody");
    assert!(refresh.contains("No consumer registered."), "{refresh}");

    // Registered is not live: the overview flags canary, whose only consumer expired.
    let overview = console.get("/admin").await;
    let alerts = element(&overview.body, "queue-alerts", "div");
    assert!(
        alerts.contains("<strong>No live consumer on canary:</strong> 1 job is due"),
        "{alerts}"
    );
    assert!(!alerts.contains("on publish"), "{alerts}");
    let queues = console.get("/admin/queues").await;
    assert!(
        queues.body.contains(
            "due 1 · <a href=\"/admin/workers#consumers-canary\">live consumers 0</a> of 1 registered"
        ),
        "{}",
        queues.body
    );
}

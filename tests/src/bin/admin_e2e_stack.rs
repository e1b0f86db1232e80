//! The stack the admin console's browser tests run against: the simulator (in process), the
//! api and a worker (the real binaries) on a fresh database and Redis namespace, an admin
//! account granted with `aistudio-ctl`, and a customer with a real Instagram connection (through
//! the simulator's consent flow), an uploaded image and one failed post with its workflow
//! events.
//!
//! Prints one JSON line (`{"api": ..., "admin_email": ..., "password": ..., "failed_post": ...}`),
//! then reads commands on stdin until it closes, each answered with one line:
//! `canaries <count> <hold_ms>` pushes canary jobs (`ok`); `worker kill` SIGKILLs the worker
//! (`ok`); `worker start` starts a new one (`ok <pid>`). The processes stop when stdin closes.

use std::io::Write;

use aistudio_jobs::domain::PostKind;
use aistudio_jobs::queue::PushOptions;
use aistudio_jobs::store::{
    Post, PostContent, PostItem, PostStatus, StepError, StepOutcome, WorkflowEvent,
};
use aistudio_jobs::tasks::Canary;
use aistudio_sim::{SimConfig, Simulator};
use aistudio_tests::{Api, ApiClient, Browser, TestEnv, Worker, binary, fixtures};
use anyhow::{Context, bail};
use chrono::Utc;

const PASSWORD: &str = "e2e admin password";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sim = Simulator::start(SimConfig::default()).await?;
    let mut env = TestEnv::new();
    env.use_sim(&sim)
        .set("AISTUDIO__SECURITY__COOKIE_SECURE", "false");
    let api = Api::start(&env).await;
    let mut worker = Some(Worker::start(&env).await);
    let store = env.store().await;

    let admin_email = "ada.admin@example.com";
    ApiClient::new(&api.url)
        .sign_up("Ada Admin", admin_email, PASSWORD)
        .await;
    let granted = std::process::Command::new(binary("aistudio-ctl"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.process_env())
        .args(["grant-role", admin_email, "admin"])
        .output()?;
    if !granted.status.success() {
        bail!(
            "grant-role failed: {}",
            String::from_utf8_lossy(&granted.stderr)
        );
    }

    // The customer, connected through the simulator's consent screen, with one image.
    let anon = ApiClient::new(&api.url);
    let signup = anon
        .post(
            "/api/v1/auth/signup",
            serde_json::json!({ "name": "Bea Baker", "email": "bea@bakery.example", "password": PASSWORD }),
        )
        .await;
    let cookie = signup.session_cookie().context("customer signed up")?;
    let customer = anon.with_cookie(&cookie);
    let user_id = customer.get("/api/v1/me").await.body["id"]
        .as_str()
        .context("customer id")?
        .to_string();
    let outcome = Browser::new(Some(&cookie))
        .connect_instagram(&api.url, "bea_bakery")
        .await;
    let connection = store
        .connections()
        .list_for_user(&user_id)
        .await?
        .into_iter()
        .next()
        .with_context(|| format!("no connection after consent ({outcome})"))?;
    let upload = customer
        .with_token(&cookie)
        .upload("croissant.jpg", "image/jpeg", fixtures::jpeg(1080, 1080))
        .await;
    let media_id = upload.body["id"]
        .as_str()
        .context("media uploaded")?
        .to_string();

    // A post that failed at 09:00 (an hour ago here), with its workflow events.
    let now = Utc::now();
    let at = now - chrono::Duration::hours(1);
    let post = Post {
        id: uuid::Uuid::new_v4().simple().to_string(),
        user_id: user_id.clone(),
        content: PostContent {
            connection_id: Some(connection.id.clone()),
            kind: PostKind::Image,
            caption: "Fresh croissants every morning".into(),
            items: vec![PostItem {
                media_id,
                alt_text: Some("A basket of croissants".into()),
            }],
            cover_media_id: None,
            status: PostStatus::Failed,
            scheduled_at: Some(at),
            publish_now: false,
            time_zone: "Europe/Paris".into(),
        },
        version: 4,
        pin_token: uuid::Uuid::new_v4().simple().to_string(),
        created_at: at - chrono::Duration::days(1),
        updated_at: at + chrono::Duration::minutes(3),
        published_at: None,
        ig_media_id: None,
        permalink: None,
        failure_reason: Some(
            "Instagram could not fetch the image (temporary error); retries ran out".into(),
        ),
        media_unresolved: None,
        settled_at: None,
        queue_slot: None,
        parked_at: None,
        held: None,
    };
    store.posts().insert(&post).await?;
    let steps = [
        ("claim", 1, StepOutcome::Succeeded, None, 0),
        ("prepare_media", 1, StepOutcome::Succeeded, None, 1),
        (
            "create_containers",
            1,
            StepOutcome::Retrying,
            Some((
                -2,
                None,
                "Media download has failed.: The media could not be fetched from the URI",
            )),
            2,
        ),
        (
            "create_containers",
            2,
            StepOutcome::Failed,
            Some((
                -2,
                Some(2207003),
                "It takes too long to download the media.",
            )),
            3,
        ),
    ];
    for (step, attempt, outcome, error, minute) in steps {
        let started = at + chrono::Duration::minutes(minute);
        store
            .workflow_events()
            .record(&WorkflowEvent {
                post_id: post.id.clone(),
                user_id: user_id.clone(),
                step: step.into(),
                attempt,
                worker: "worker-e2e-4242-0badcafe".into(),
                started_at: started,
                ended_at: started + chrono::Duration::milliseconds(830 * i64::from(attempt)),
                outcome,
                error: error.map(|(code, subcode, message)| StepError {
                    class: "transient".into(),
                    code: Some(code),
                    subcode,
                    message: message.into(),
                }),
                next_retry_at: (outcome == StepOutcome::Retrying)
                    .then(|| started + chrono::Duration::minutes(1)),
                note: None,
            })
            .await?;
    }

    let line = serde_json::json!({
        "api": api.url,
        "admin_email": admin_email,
        "password": PASSWORD,
        "failed_post": post.id,
        "customer_email": "bea@bakery.example",
        "username": connection.username,
        "worker_pid": worker.as_ref().map(|w| w.process.pid()),
    });
    let mut out = std::io::stdout();
    writeln!(out, "{line}")?;
    out.flush()?;

    let queue = env.queue();
    let (tx, mut commands) = tokio::sync::mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(command) = commands.recv().await {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["canaries", count, hold] => {
                for i in 0..count.parse::<u32>()? {
                    queue
                        .push(
                            Canary {
                                canary_id: format!("e2e-{i}"),
                                hold_ms: hold.parse()?,
                            },
                            PushOptions::default(),
                        )
                        .await?;
                }
                writeln!(out, "ok")?;
            }
            ["worker", "kill"] => {
                if let Some(w) = worker.take() {
                    w.process.signal("KILL");
                }
                writeln!(out, "ok")?;
            }
            ["worker", "start"] => {
                let started = Worker::start(&env).await;
                writeln!(out, "ok {}", started.process.pid())?;
                worker = Some(started);
            }
            _ => writeln!(out, "unknown command")?,
        }
        out.flush()?;
    }
    drop(worker);
    drop(api);
    Ok(())
}

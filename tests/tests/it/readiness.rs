//! `/readyz` follows the real state of Redis and MongoDB, for the api and the worker; meanwhile
//! the api answers 503 with `Retry-After` and a worker logs the jobs that fail.

use std::time::Duration;

use aistudio_tests::{
    Api, ApiClient, RedisServer, TestEnv, UnansweringProxy, Worker, wait_for_status,
};

#[tokio::test]
async fn readyz_turns_503_naming_redis_while_it_is_down_and_recovers() {
    let mut redis = RedisServer::start().await;
    let mut env = TestEnv::new();
    env.redis_url = redis.url();
    let api = Api::start(&env).await;
    let worker = Worker::start(&env).await;
    let api_ready = format!("{}/readyz", api.url);
    let worker_ready = format!("{}/readyz", worker.ops_url);

    let body = wait_for_status(&api_ready, 200, Duration::from_secs(20)).await;
    assert_eq!(body["checks"]["mongodb"], "ok");
    assert_eq!(body["checks"]["redis"], "ok");
    let body = wait_for_status(&worker_ready, 200, Duration::from_secs(20)).await;
    assert_eq!(body["checks"]["consumers"], "ok", "{body}");
    // Every consumer's liveness is exported, live ones at 0.
    let metrics =
        aistudio_tests::eventually(Duration::from_secs(10), "consumer metrics", || async {
            let text = reqwest::get(format!("{}/metrics", worker.ops_url))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            text.contains("aistudio_queue_consumer_last_poll_age_seconds{queue=\"publish\"}")
                .then_some(text)
        })
        .await;
    for queue in aistudio_jobs::tasks::QUEUES {
        for line in [
            format!("aistudio_queue_consumer_stalled{{queue=\"{queue}\"}} 0"),
            format!("aistudio_queue_consumer_restarts_total{{queue=\"{queue}\"}} 0"),
        ] {
            assert!(metrics.contains(&line), "{line} in\n{metrics}");
        }
    }
    assert!(
        metrics.contains("aistudio_queue_consumer_stalled{queue=\"dispatch-schedule\"} 0"),
        "cron schedules are supervised too"
    );

    redis.stop().await;
    for url in [&api_ready, &worker_ready] {
        let body = wait_for_status(url, 503, Duration::from_secs(20)).await;
        assert_eq!(body["code"], "not_ready");
        assert_eq!(body["message"], "unreachable: redis", "{body}");
        assert_eq!(body["checks"]["mongodb"], "ok");
        assert_ne!(body["checks"]["redis"], "ok");
    }

    redis.restart().await;
    for url in [&api_ready, &worker_ready] {
        let body = wait_for_status(url, 200, Duration::from_secs(30)).await;
        assert_eq!(body["checks"]["redis"], "ok");
    }
}

/// A test environment whose MongoDB URL points at a port nothing listens on, given up on after
/// a second.
fn env_without_mongodb() -> TestEnv {
    let mut env = TestEnv::new();
    env.mongo_url = format!("mongodb://127.0.0.1:{}", aistudio_tests::free_port());
    env.set("AISTUDIO__MONGO__CONNECT_TIMEOUT_SECS", "1");
    env
}

#[tokio::test]
async fn readyz_names_mongodb_when_it_cannot_be_reached() {
    let env = env_without_mongodb();
    let api = Api::start(&env).await;
    let body = wait_for_status(&format!("{}/readyz", api.url), 503, Duration::from_secs(20)).await;
    assert_eq!(body["message"], "unreachable: mongodb", "{body}");
    assert_eq!(body["checks"]["redis"], "ok");
}

#[tokio::test]
async fn a_worker_logs_each_job_that_fails_while_mongodb_cannot_be_reached() {
    let env = env_without_mongodb();
    let worker = Worker::start(&env).await;
    // The dispatcher's tick (every second) reads the database: each one fails.
    let line = aistudio_tests::eventually(Duration::from_secs(30), "a failed job logged", || {
        let output = worker.process.output();
        async move {
            output
                .lines()
                .find(|l| l.contains("\"job failed\"") && l.contains(":publish-dispatch"))
                .map(str::to_string)
        }
    })
    .await;
    let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(entry["level"], "WARN", "{line}");
    assert!(
        entry["error"].as_str().is_some_and(|e| !e.is_empty()),
        "the error is named: {line}"
    );
}

#[tokio::test]
async fn requests_that_need_mongodb_get_503_with_retry_after_while_it_cannot_be_reached() {
    let env = env_without_mongodb();
    let api = Api::start(&env).await;
    let client = reqwest::Client::new();
    let requests = [
        client
            .post(format!("{}/api/v1/auth/token", api.url))
            .json(&serde_json::json!({"email": "a@example.com", "password": "a long password"})),
        client
            .post(format!("{}/api/v1/auth/signup", api.url))
            .json(&serde_json::json!({
                "name": "A", "email": "a@example.com", "password": "a long password"
            })),
        client
            .get(format!("{}/api/v1/posts", api.url))
            .bearer_auth("a-session-token-the-database-would-have-to-look-up"),
    ];
    for request in requests {
        let response = request.send().await.expect("the api answers");
        let what = response.url().path().to_string();
        assert_eq!(response.status(), 503, "{what}");
        assert_eq!(
            response.headers()["retry-after"],
            "5",
            "{what}: clients are told when to try again"
        );
        let body: serde_json::Value = response.json().await.expect("a JSON error");
        assert_eq!(body["code"], "unavailable", "{what}: {body}");
        assert_eq!(
            body["message"], "the database cannot be reached; try again shortly",
            "{what}"
        );
    }
}

#[tokio::test]
async fn the_admin_console_says_the_database_cannot_be_reached() {
    let env = env_without_mongodb();
    let api = Api::start(&env).await;
    let response = reqwest::Client::new()
        .get(format!("{}/admin/posts", api.url))
        .header("cookie", "aistudio_admin=a-console-session-to-look-up")
        .send()
        .await
        .expect("the api answers");
    assert_eq!(response.status(), 503);
    let page = response.text().await.expect("a page");
    assert!(page.contains("Database unreachable"), "{page}");
    assert!(page.contains("/readyz names what is down"), "{page}");
}

/// `env` with its MongoDB behind a proxy that swallows the first `limit` commands naming
/// `command`: the server takes them and never answers, while the connection stays open.
async fn env_with_unanswered(
    env: &TestEnv,
    command: &'static [u8],
    limit: usize,
) -> (TestEnv, UnansweringProxy) {
    let proxy = UnansweringProxy::start(&env.mongo_address(), command, limit).await;
    let mut env = env.clone();
    env.mongo_url = format!(
        "mongodb://127.0.0.1:{}/?directConnection=true&retryWrites=false",
        proxy.port
    );
    (env, proxy)
}

#[tokio::test]
async fn the_api_and_a_worker_start_when_mongodb_never_answers_index_creation_and_create_the_indexes_later()
 {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__MONGO__CONNECT_TIMEOUT_SECS", "2");

    // Without a bound on that wait, `start` panics: /healthz is never served.
    let (api_env, api_proxy) = env_with_unanswered(&env, b"createIndexes", 1).await;
    let api = Api::start(&api_env).await;
    assert_eq!(
        api_proxy.swallowed(),
        1,
        "the api's createIndexes went unanswered"
    );
    let (status, _) = aistudio_tests::get_json(&format!("{}/readyz", api.url)).await;
    assert_eq!(status, 200, "MongoDB answers everything else");
    let client = ApiClient::new(&api.url);
    client
        .sign_up("Ada", "ada@example.com", "a long enough password")
        .await;

    let (worker_env, worker_proxy) = env_with_unanswered(&env, b"createIndexes", 1).await;
    let worker = Worker::start(&worker_env).await;
    assert_eq!(
        worker_proxy.swallowed(),
        1,
        "the worker's createIndexes went unanswered"
    );
    wait_for_status(
        &format!("{}/readyz", worker.ops_url),
        200,
        Duration::from_secs(20),
    )
    .await;

    // Both went on trying in the background, and say when they are done: the indexes exist.
    for (who, process) in [("api", &api.process), ("worker", &worker.process)] {
        aistudio_tests::eventually(Duration::from_secs(20), who, || {
            let output = process.output();
            async move { output.contains("indexes created").then_some(()) }
        })
        .await;
    }
    let users = env
        .database()
        .await
        .collection::<mongodb::bson::Document>("users");
    aistudio_tests::eventually(Duration::from_secs(20), "the unique email index", || {
        let users = users.clone();
        async move {
            let names = users.list_index_names().await.ok()?;
            names.iter().any(|n| n == "email_unique").then_some(())
        }
    })
    .await;
    for (who, process) in [("api", &api.process), ("worker", &worker.process)] {
        let output = process.output();
        assert!(
            output.contains("could not create indexes yet")
                && output.contains("no answer within 2s"),
            "{who} says why it started without its indexes:\n{output}"
        );
    }
}

#[tokio::test]
async fn readyz_names_mongodb_when_it_answers_ping_but_not_reads() {
    let env = TestEnv::new();
    // Every `find` command (its first element, a string named `find`) goes unanswered.
    let (env, proxy) = env_with_unanswered(&env, b"\x02find\x00", usize::MAX).await;
    let api = Api::start(&env).await;
    let body = wait_for_status(&format!("{}/readyz", api.url), 503, Duration::from_secs(20)).await;
    assert_eq!(body["message"], "unreachable: mongodb", "{body}");
    assert_eq!(
        body["checks"]["mongodb"], "unreachable: no answer within 3s",
        "{body}"
    );
    assert_eq!(body["checks"]["redis"], "ok");
    assert!(proxy.swallowed() > 0);
}

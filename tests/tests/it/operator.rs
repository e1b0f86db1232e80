//! Operator tooling: roles are granted by `aistudio-ctl`, never by the API; stalled deletions
//! are re-driven by maintenance.

use std::time::Duration;

use aistudio_tests::{Api, ApiClient, TestEnv, Worker, binary, eventually};
use mongodb::bson::{DateTime, doc};
use serde_json::json;

fn ctl(env: &TestEnv, args: &[&str]) -> std::process::Output {
    std::process::Command::new(binary("aistudio-ctl"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.process_env())
        .args(args)
        .output()
        .expect("aistudio-ctl runs")
}

#[tokio::test]
async fn roles_are_granted_by_the_operator_command_only() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Olive", "olive@example.com", "a long enough password")
        .await;
    assert_eq!(user.get("/api/v1/me").await.body["role"], "user");

    let out = ctl(&env, &["grant-role", "Olive@Example.com", "operator"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "olive@example.com is now operator"
    );
    assert_eq!(user.get("/api/v1/me").await.body["role"], "operator");

    let bad = ctl(&env, &["grant-role", "olive@example.com", "superuser"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));
    let missing = ctl(&env, &["grant-role", "nobody@example.com", "admin"]);
    assert!(!missing.status.success());
    assert_eq!(
        user.get("/api/v1/me").await.body["role"],
        "operator",
        "unchanged"
    );

    let refused = user
        .send(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(json!({ "name": "Olive", "role": "admin" })),
        )
        .await;
    assert_eq!(
        (refused.status, refused.body["field"].as_str()),
        (422, Some("role"))
    );
}

#[test]
fn help_goes_to_stdout_with_success_and_a_wrong_command_fails_with_the_usage() {
    // Help needs no database: it works with none reachable.
    let mut env = TestEnv::new();
    env.set(
        "AISTUDIO__MONGO__URL",
        "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200",
    );
    for flag in ["--help", "-h", "help"] {
        let out = ctl(&env, &[flag]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{flag}: {out:?}");
        assert!(
            stdout.starts_with("usage: aistudio-ctl"),
            "{flag}: {stdout}"
        );
        assert!(stdout.contains("grant-role") && stdout.contains("rotate-token-keys"));
        assert!(out.stderr.is_empty(), "{flag}: {out:?}");
    }
    let wrong = ctl(&env, &["grant-rol"]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    assert!(wrong.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.starts_with("usage: aistudio-ctl"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

#[tokio::test]
async fn a_stalled_deletion_is_re_driven_by_maintenance() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__WORKER__MAINTENANCE_CRON", "* * * * * *");
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Stalled", "stalled@example.com", "a long enough password")
        .await;
    let user_id = user.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let store = env.store().await;
    assert!(store.users().mark_deleting(&user_id).await.unwrap());
    // A request recorded ten minutes ago whose job never reached the queue.
    let db = mongodb::Client::with_uri_str(&env.mongo_url)
        .await
        .unwrap()
        .database(&env.database);
    db.collection::<mongodb::bson::Document>("deletion_requests")
        .insert_one(doc! {
            "_id": "0123456789abcdef0123456789abcdef",
            "kind": "account",
            "subject_id": &user_id,
            "status": "pending",
            "requested_at": DateTime::from_millis(DateTime::now().timestamp_millis() - 600_000),
            "deleted": {},
        })
        .await
        .unwrap();

    let _worker = Worker::start(&env).await;
    eventually(
        Duration::from_secs(30),
        "the stalled deletion to complete",
        || async {
            let r = store
                .deletion_requests()
                .find("0123456789abcdef0123456789abcdef")
                .await
                .ok()??;
            (r.status == aistudio_jobs::store::DeletionStatus::Completed).then_some(())
        },
    )
    .await;
    assert!(store.users().by_id(&user_id).await.unwrap().is_none());
}

#[tokio::test]
async fn an_operator_deletes_an_account_by_email_as_its_owner_would() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let user = anon
        .sign_up("Gone", "gone@example.com", "a long enough password")
        .await;
    let user_id = user.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();

    let unknown = ctl(&env, &["delete-account", "nobody@example.com"]);
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account with email"));

    let out = ctl(&env, &["delete-account", "Gone@Example.com"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let code = said
        .split("confirmation code ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("{said}"))
        .to_string();
    assert!(
        said.ends_with(&format!("/deletion-status/{code}")),
        "{said}"
    );
    // At once: the session is revoked and the account cannot sign in.
    assert_eq!(user.get("/api/v1/me").await.status, 401);
    let login = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "gone@example.com", "password": "a long enough password" }),
        )
        .await;
    assert_ne!(login.status, 200);

    let _worker = Worker::start(&env).await;
    let store = env.store().await;
    eventually(
        Duration::from_secs(30),
        "the deletion to complete",
        || async {
            let r = store.deletion_requests().find(&code).await.ok()??;
            (r.status == aistudio_jobs::store::DeletionStatus::Completed).then_some(())
        },
    )
    .await;
    assert!(store.users().by_id(&user_id).await.unwrap().is_none());
    let status = reqwest::get(format!("{}/api/v1/deletions/{code}", api.url))
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
}

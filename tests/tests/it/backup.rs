//! Backups: `aistudio-ctl backup` writes the whole database through the driver, and
//! `aistudio-ctl restore` brings it back into an empty database (refusing one that holds
//! documents unless told to replace it) with everything the product needs: accounts sign in,
//! connections, media bytes (GridFS) and posts are there, and a post due after the restore is
//! published from a Redis namespace that never saw it (Redis is not in a backup, and need not be).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use aistudio_config::ExposeSecret;
use aistudio_jobs::crypto::vault::Vault;
use aistudio_tests::{Api, ApiClient, Studio, TestEnv, Worker, binary};
use serde_json::json;

fn ctl(env: &TestEnv, args: &[&str]) -> Output {
    std::process::Command::new(binary("aistudio-ctl"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.process_env())
        .args(args)
        .output()
        .expect("aistudio-ctl runs")
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "aistudio-ctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new folder under the system's temporary folder.
fn scratch_dir() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("aistudio-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn backup_file(dir: &Path) -> PathBuf {
    dir.join("aistudio.backup.gz")
}

/// The same environment (token key, providers) on a new database and a new Redis namespace.
fn elsewhere(env: &TestEnv) -> TestEnv {
    let fresh = TestEnv::new();
    let mut env = env.clone();
    env.database = fresh.database;
    env.namespace = fresh.namespace;
    env
}

async fn log_in(api: &Api, email: &str) -> Option<ApiClient> {
    let reply = ApiClient::new(&api.url)
        .post(
            "/api/v1/auth/login",
            json!({ "email": email, "password": "a long enough password" }),
        )
        .await;
    let cookie = reply.session_cookie()?;
    Some(ApiClient::new(&api.url).with_cookie(&cookie))
}

#[tokio::test]
async fn a_backup_restores_accounts_connections_media_and_posts_into_a_fresh_database() {
    let studio = Studio::start(|_| {}).await;
    let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let scheduled = studio
        .post(json!({ "kind": "image", "caption": "Kept for Thursday", "items": [{ "media_id": studio.image }], "scheduled_at": later }))
        .await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(20)).to_rfc3339();
    let due_after_restore = studio
        .post(json!({ "kind": "image", "caption": "Due after the restore", "items": [{ "media_id": studio.image2 }], "scheduled_at": soon }))
        .await;
    let (status, _, image_bytes) = studio
        .user
        .get_bytes(&format!("/api/v1/media/{}/content", studio.image))
        .await;
    assert_eq!(status, 200);

    let dir = scratch_dir();
    let file = backup_file(&dir);
    let path = file.to_str().unwrap();
    let said = succeeded(&ctl(&studio.env, &["backup", "--out", path]));
    assert!(said.starts_with("backed up "), "{said}");
    assert!(!dir.join("aistudio.backup.gz.partial").exists());
    let text = {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    for collection in [
        "users",
        "connections",
        "posts",
        "media",
        "media_files.files",
        "media_files.chunks",
    ] {
        assert!(
            text.contains(&format!(r#"{{"collection":{{"name":"{collection}","#)),
            "{collection} is in the backup"
        );
    }
    // Tokens stay sealed: the plaintext is nowhere in the file.
    let connection = studio
        .env
        .store()
        .await
        .connections()
        .by_id(&studio.connection_id)
        .await
        .unwrap()
        .unwrap();
    let token = Vault::new(&studio.env.settings().security)
        .unwrap()
        .open(connection.token.as_ref().unwrap(), &studio.connection_id)
        .unwrap();
    assert!(token.expose_secret().len() > 8);
    assert!(
        !text.contains(token.expose_secret()),
        "plaintext token in the backup"
    );

    let fresh = elsewhere(&studio.env);
    let said = succeeded(&ctl(&fresh, &["restore", "--from", path]));
    assert!(said.starts_with("restored "), "{said}");
    let api = Api::start(&fresh).await;
    let user = log_in(&api, "studio@example.com")
        .await
        .expect("the restored account signs in");
    let posts = user.get("/api/v1/posts").await.body["items"].clone();
    let listed = posts
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == scheduled.as_str())
        .unwrap_or_else(|| panic!("{scheduled} listed in {posts}"));
    assert_eq!(listed["status"], "scheduled");
    assert_eq!(listed["caption"], "Kept for Thursday");
    let connections = user.get("/api/v1/instagram/connections").await.body;
    assert_eq!(connections[0]["username"], "acme");
    assert_eq!(connections[0]["status"], "active");
    let (status, _, restored_bytes) = user
        .get_bytes(&format!("/api/v1/media/{}/content", studio.image))
        .await;
    assert_eq!(status, 200);
    assert!(
        restored_bytes == image_bytes,
        "the media's bytes are restored"
    );

    // A worker on the restored database and an empty Redis namespace publishes the post that
    // fell due: the token opens with the configured key, and MongoDB alone drives the queue.
    let _worker = Worker::start(&fresh).await;
    aistudio_tests::eventually(
        Duration::from_secs(90),
        "the post due after the restore to publish",
        || {
            let user = user.clone();
            let id = due_after_restore.clone();
            async move {
                let post = user.get(&format!("/api/v1/posts/{id}")).await.body;
                (post["status"] == "published").then_some(())
            }
        },
    )
    .await;
    assert_eq!(studio.publishes().len(), 1, "published once");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn restore_refuses_a_database_with_documents_unless_replacing_and_refuses_a_cut_file() {
    let source = TestEnv::new();
    let api = Api::start(&source).await;
    ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", "a long enough password")
        .await;
    let dir = scratch_dir();
    let file = backup_file(&dir);
    let path = file.to_str().unwrap();
    succeeded(&ctl(&source, &["backup", "--out", path]));

    let target = TestEnv::new();
    let target_api = Api::start(&target).await;
    ApiClient::new(&target_api.url)
        .sign_up("Bea", "bea@example.com", "a long enough password")
        .await;
    let refused = ctl(&target, &["restore", "--from", path]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("database {} is not empty", target.database))
            && stderr.contains("--replace"),
        "{stderr}"
    );
    assert!(
        log_in(&target_api, "bea@example.com").await.is_some(),
        "unchanged"
    );
    assert!(log_in(&target_api, "ada@example.com").await.is_none());

    succeeded(&ctl(&target, &["restore", "--from", path, "--replace"]));
    assert!(log_in(&target_api, "ada@example.com").await.is_some());
    assert!(
        log_in(&target_api, "bea@example.com").await.is_none(),
        "replaced"
    );

    // A file cut short is refused before anything is written.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.join("cut.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let empty = TestEnv::new();
    let out = ctl(&empty, &["restore", "--from", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("backup file"),
        "{out:?}"
    );
    let names = empty
        .database()
        .await
        .list_collection_names()
        .await
        .unwrap();
    assert!(names.is_empty(), "nothing written: {names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_help_names_backup_and_restore_and_a_wrong_use_prints_the_usage() {
    // Neither needs a database.
    let mut env = TestEnv::new();
    env.set(
        "AISTUDIO__MONGO__URL",
        "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200",
    );
    let help = succeeded(&ctl(&env, &["--help"]));
    assert!(help.contains("backup --out <file>"), "{help}");
    assert!(help.contains("restore --from <file> [--replace]"), "{help}");
    for wrong in [
        &["backup"][..],
        &["backup", "--out"],
        &["restore", "backup.gz"],
        &["restore", "--from", "backup.gz", "--force"],
    ] {
        let out = ctl(&env, wrong);
        assert_eq!(out.status.code(), Some(2), "{wrong:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("usage: aistudio-ctl"),
            "{wrong:?}"
        );
    }
}

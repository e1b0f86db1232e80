//! Datastores that require credentials, as docker-compose.yml runs them: Redis with the users
//! of the ACL file `deploy/generate-secrets` makes (the `default` user behind a password, the
//! application's own `aistudio` user without dangerous commands), and a MongoDB-compatible
//! server with SCRAM authentication whose application user may only read and write its own
//! database. Also `rediss://` and MongoDB over TLS with verified certificates, and an Atlas-style
//! `mongodb+srv://` URL resolved through DNS. No password is ever logged or answered.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aistudio_jobs::store::DeletionStatus;
use aistudio_tests::{
    Api, MongoServer, Process, RedisServer, Studio, TestEnv, TlsFiles, Worker, eventually,
    free_port, repo_root, wait_for_status,
};
use mongodb::bson::{Document, doc};

/// The application's MongoDB password: every URL-reserved character, so it must be
/// percent-encoded in the connection string.
const MONGO_PASSWORD: &str = "p@ss:w/rd?#%[mongo]-s3cret";

/// A folder of the test's own (secrets, certificates, data), removed with everything in it
/// when the test ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn scratch() -> Scratch {
    Scratch(std::env::temp_dir().join(format!(
        "aistudio-datastore-auth-{}",
        uuid::Uuid::new_v4().simple()
    )))
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .trim_end()
        .to_string()
}

/// Runs `deploy/generate-secrets` into `dir/secrets`.
fn generate_secrets(dir: &Path) -> PathBuf {
    let secrets = dir.join("secrets");
    let status = std::process::Command::new(repo_root().join("deploy/generate-secrets"))
        .arg(&secrets)
        .status()
        .expect("deploy/generate-secrets runs");
    assert!(status.success());
    secrets
}

/// A Redis started as compose starts it (`--aclfile` with the generated users, plus `extra`
/// arguments), and the application user's password from the generated `redis_url`.
async fn compose_redis(secrets: &Path, extra: &[&str]) -> (RedisServer, String) {
    let acl = secrets.join("redis_users.acl");
    let mut args = vec!["--aclfile", acl.to_str().unwrap()];
    args.extend_from_slice(extra);
    let redis = RedisServer::start_with(&args).await;
    let url = read(&secrets.join("redis_url"));
    let password = url
        .strip_prefix("redis://aistudio:")
        .and_then(|rest| rest.strip_suffix("@redis:6379"))
        .unwrap_or_else(|| panic!("the generated redis_url names user aistudio at redis:6379"))
        .to_string();
    (redis, password)
}

/// A MongoDB-compatible server requiring authentication, with `root` (every database) and
/// `aistudio` (read and write `database` only), both with [`MONGO_PASSWORD`].
async fn secured_mongo(folder: &Path, database: &str) -> MongoServer {
    let mut server = MongoServer::start(folder).await;
    let client = mongodb::Client::with_uri_str(server.url()).await.unwrap();
    client
        .database("admin")
        .run_command(doc! { "createUser": "root", "pwd": MONGO_PASSWORD,
        "roles": [{ "role": "root", "db": "admin" }] })
        .await
        .expect("root user created");
    client
        .database(database)
        .run_command(doc! { "createUser": "aistudio", "pwd": MONGO_PASSWORD,
        "roles": [{ "role": "readWrite", "db": database }] })
        .await
        .expect("application user created");
    drop(client);
    server.restart_with(&["--auth"]).await;
    server
}

fn mongo_url(server: &MongoServer, password: &str, database: &str) -> String {
    format!(
        "mongodb://aistudio:{}@127.0.0.1:{}/{database}?retryWrites=false",
        encoded(password),
        server.port
    )
}

/// Runs `aistudio-ctl` with `env`'s settings; its exit status and output.
async fn ctl(env: &TestEnv, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(aistudio_tests::binary("aistudio-ctl"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.process_env())
        .args(args)
        .output()
        .await
        .expect("aistudio-ctl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} shows a password:\n{text}");
    }
}

#[tokio::test]
async fn a_post_publishes_through_a_redis_acl_user_and_a_mongodb_user_of_its_own() {
    let dir = scratch();
    let secrets = generate_secrets(&dir);
    let (redis, redis_password) = compose_redis(&secrets, &[]).await;
    let database = TestEnv::new().database;
    let mongo = secured_mongo(&dir, &database).await;

    // Neither lets a client without the password in.
    let mut anonymous = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let refused: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut anonymous).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("NOAUTH")),
        "{refused:?}"
    );
    let anonymous = mongodb::Client::with_uri_str(mongo.url()).await.unwrap();
    let refused = anonymous
        .database(&database)
        .collection::<Document>("probe")
        .insert_one(doc! {})
        .await;
    assert!(refused.is_err(), "an anonymous insert was accepted");

    let redis_url = format!("redis://aistudio:{redis_password}@127.0.0.1:{}", redis.port);
    let mongo_url = mongo_url(&mongo, MONGO_PASSWORD, &database);
    let s = Studio::start(|env| {
        env.database = database.clone();
        env.redis_url = redis_url.clone();
        env.mongo_url = mongo_url.clone();
    })
    .await;
    let worker = s.worker().await;
    let post = s.image_post("Published behind passwords").await;
    s.wait_for(&post, "published", Duration::from_secs(60))
        .await;
    assert_eq!(s.assert_exactly_once(), 1);

    // The operator's command reaches both with the same settings: it starts the account's
    // deletion in MongoDB and queues its job in Redis, which the worker then runs.
    let (started, ctl_output) = ctl(&s.env, &["delete-account", "studio@example.com"]).await;
    assert!(started, "{ctl_output}");
    let code = ctl_output
        .split("confirmation code ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("{ctl_output}"))
        .to_string();
    let store = s.env.store().await;
    eventually(
        Duration::from_secs(30),
        "the deletion to complete",
        || async {
            let request = store.deletion_requests().find(&code).await.ok()??;
            (request.status == DeletionStatus::Completed).then_some(())
        },
    )
    .await;

    let shown_redis = format!("redis://aistudio:***@127.0.0.1:{}", redis.port);
    let shown_mongo = format!("mongodb://aistudio:***@127.0.0.1:{}/{database}", mongo.port);
    let mongo_encoded = encoded(MONGO_PASSWORD);
    for (what, output) in [
        ("api", s.api.process.output()),
        ("worker", worker.process.output()),
        ("aistudio-ctl", ctl_output),
    ] {
        assert!(
            output.contains(&shown_redis),
            "{what} names its Redis:\n{output}"
        );
        assert!(
            output.contains(&shown_mongo),
            "{what} names its MongoDB:\n{output}"
        );
        assert_no_secret(
            what,
            &output,
            &[&redis_password, MONGO_PASSWORD, &mongo_encoded],
        );
        assert!(
            !output.contains("NOPERM"),
            "{what}: the ACL refused a command the product needs:\n{output}"
        );
    }
}

#[tokio::test]
async fn a_wrong_password_makes_readyz_name_the_datastore_without_showing_the_password() {
    const WRONG: &str = "wrong-Pa55word-never-shown";
    let dir = scratch();
    let secrets = generate_secrets(&dir);
    let (redis, redis_password) = compose_redis(&secrets, &[]).await;
    let mut env = TestEnv::new();
    let mongo = secured_mongo(&dir, &env.database).await;
    env.mongo_url = mongo_url(&mongo, MONGO_PASSWORD, &env.database);
    env.redis_url = format!("redis://aistudio:{WRONG}@127.0.0.1:{}", redis.port);
    let api = Api::start(&env).await;
    let worker = Worker::start(&env).await;
    for url in [
        format!("{}/readyz", api.url),
        format!("{}/readyz", worker.ops_url),
    ] {
        let body = wait_for_status(&url, 503, Duration::from_secs(30)).await;
        assert_eq!(body["message"], "unreachable: redis", "{body}");
        assert_eq!(body["checks"]["mongodb"], "ok", "{body}");
        let redis_check = body["checks"]["redis"].as_str().unwrap().to_lowercase();
        assert!(redis_check.contains("authentication failed"), "{body}");
        assert_no_secret(&url, &body.to_string(), &[WRONG, &redis_password]);
    }

    // The same with MongoDB's password wrong and Redis's right.
    env.redis_url = format!("redis://aistudio:{redis_password}@127.0.0.1:{}", redis.port);
    env.mongo_url = mongo_url(&mongo, WRONG, &env.database);
    env.set("AISTUDIO__MONGO__CONNECT_TIMEOUT_SECS", "2");
    let refused = Api::start(&env).await;
    let body = wait_for_status(
        &format!("{}/readyz", refused.url),
        503,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(body["message"], "unreachable: mongodb", "{body}");
    assert_eq!(body["checks"]["redis"], "ok", "{body}");
    assert!(
        body["checks"]["mongodb"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("authentication failed"),
        "{body}"
    );

    let mongo_encoded = encoded(MONGO_PASSWORD);
    for (what, output) in [
        ("api", api.process.output()),
        ("worker", worker.process.output()),
        (
            "api with the wrong MongoDB password",
            refused.process.output(),
        ),
    ] {
        assert_no_secret(
            what,
            &output,
            &[WRONG, &redis_password, MONGO_PASSWORD, &mongo_encoded],
        );
    }
    assert_no_secret("/readyz", &body.to_string(), &[WRONG, &redis_password]);
}

#[tokio::test]
async fn rediss_and_mongodb_tls_reach_only_servers_whose_certificate_is_trusted() {
    let dir = scratch();
    let tls = TlsFiles::generate(&dir.join("tls"));
    let (ca, cert, key) = (
        tls.ca.to_str().unwrap(),
        tls.cert.to_str().unwrap(),
        tls.key.to_str().unwrap(),
    );
    let secrets = generate_secrets(&dir);
    let tls_port = free_port().to_string();
    let (_redis, redis_password) = compose_redis(
        &secrets,
        &[
            "--tls-port",
            &tls_port,
            "--tls-cert-file",
            cert,
            "--tls-key-file",
            key,
            "--tls-ca-cert-file",
            ca,
            "--tls-auth-clients",
            "no",
        ],
    )
    .await;
    let mut mongo = MongoServer::start(&dir).await;
    mongo
        .restart_with(&["--tls-cert-file", cert, "--tls-key-file", key])
        .await;

    let mut env = TestEnv::new();
    env.redis_url = format!("rediss://aistudio:{redis_password}@localhost:{tls_port}");
    env.mongo_url = format!(
        "mongodb://localhost:{}/?tls=true&tlsCAFile={ca}&retryWrites=false",
        mongo.port
    );
    // Redis servers are verified against the system's authorities, or this bundle.
    env.set("SSL_CERT_FILE", ca);
    let api = Api::start(&env).await;
    let worker = Worker::start(&env).await;
    let body = wait_for_status(&format!("{}/readyz", api.url), 200, Duration::from_secs(30)).await;
    assert_eq!(body["checks"]["redis"], "ok", "{body}");
    assert_eq!(body["checks"]["mongodb"], "ok", "{body}");
    // Every queue consumer heartbeats through TLS.
    let body = wait_for_status(
        &format!("{}/readyz", worker.ops_url),
        200,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(body["checks"]["consumers"], "ok", "{body}");
    assert_no_secret("worker", &worker.process.output(), &[&redis_password]);

    // Without the test authority neither server's certificate is trusted: both are named
    // unreachable rather than used unverified.
    env.unset("SSL_CERT_FILE");
    env.mongo_url = format!(
        "mongodb://localhost:{}/?tls=true&retryWrites=false",
        mongo.port
    );
    env.set("AISTUDIO__MONGO__CONNECT_TIMEOUT_SECS", "2");
    let untrusting = Api::start(&env).await;
    let body = wait_for_status(
        &format!("{}/readyz", untrusting.url),
        503,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(body["message"], "unreachable: mongodb, redis", "{body}");
    assert_no_secret("/readyz", &body.to_string(), &[&redis_password]);
}

#[tokio::test]
async fn an_atlas_srv_url_is_resolved_through_dns_and_its_password_never_shown() {
    const PASSWORD: &str = "srv-Pa55word-never-shown";
    let mut env = TestEnv::new();
    // `.invalid` never resolves, so this needs no internet: the driver must get as far as
    // asking DNS for the SRV record (a build without SRV support refuses the scheme instead).
    env.mongo_url = format!(
        "mongodb+srv://aistudio:{PASSWORD}@cluster0.aistudio.invalid/aistudio?retryWrites=true&w=majority"
    );
    let error = aistudio_jobs::store::Store::connect(&env.settings().mongo)
        .await
        .expect_err("the name does not resolve")
        .to_string();
    assert!(error.contains("DNS resolution"), "{error}");
    assert!(!error.contains("feature"), "{error}");
    assert_no_secret("the error", &error, &[PASSWORD]);

    // The api stops with that reason, and prints no password either.
    let mut vars = env.process_env();
    vars.insert(
        "AISTUDIO__SERVER__LISTEN".into(),
        format!("127.0.0.1:{}", free_port()),
    );
    vars.insert(
        "AISTUDIO__SERVER__METRICS_LISTEN".into(),
        format!("127.0.0.1:{}", free_port()),
    );
    let mut api = Process::spawn("aistudio-api", &vars);
    let status = api.wait_exit(Duration::from_secs(60)).await;
    assert!(!status.success());
    let output = api.output();
    assert!(
        output.contains("mongo.url cannot be used") && output.contains("DNS resolution"),
        "{output}"
    );
    assert_no_secret("the api", &output, &[PASSWORD]);
}

//! One isolated environment per test: database, namespace, settings for spawned processes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aistudio_config::{Settings, Sources};
use aistudio_jobs::queue::Queue;
use aistudio_jobs::store::Store;

/// A test's private slice of the shared services.
#[derive(Debug, Clone)]
pub struct TestEnv {
    /// Unique MongoDB database name.
    pub database: String,
    /// Unique Redis namespace.
    pub namespace: String,
    /// MongoDB URL.
    pub mongo_url: String,
    /// Redis URL.
    pub redis_url: String,
    /// Extra `AISTUDIO__` variables for every process of this test.
    pub vars: BTreeMap<String, String>,
    /// The token key (`t1`), base64 of 32 bytes.
    pub token_key: String,
}

/// Base64 of the 32 ASCII bytes of a 32-character hex string.
fn base64_32(hex32: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hex32.as_bytes())
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    /// A new environment with unique names.
    pub fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        // A random token key per test, as production would have its own.
        let key: String = uuid::Uuid::new_v4().simple().to_string();
        Self {
            token_key: base64_32(&key),
            database: format!("t_{id}"),
            namespace: format!("t{id}"),
            mongo_url: std::env::var("AISTUDIO_TEST_MONGO_URL")
                .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/?retryWrites=false".into()),
            redis_url: std::env::var("AISTUDIO_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            vars: BTreeMap::new(),
        }
    }

    /// Sets an extra `AISTUDIO__...` variable.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.vars.insert(key.to_string(), value.into());
        self
    }

    /// Removes an extra variable again (the setting falls back to its default).
    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.vars.remove(key);
        self
    }

    /// Points every provider (Instagram, Graph API, ImgBB, Google, and email when the simulator
    /// runs its SMTP sink) at a running simulator, with the simulator's credentials.
    pub fn use_sim(&mut self, sim: &aistudio_sim::SimHandle) -> &mut Self {
        let urls = sim.urls().clone();
        let config = sim.config().clone();
        let google = &urls.google;
        self.set("AISTUDIO__INSTAGRAM__OAUTH_BASE_URL", &urls.instagram)
            .set("AISTUDIO__INSTAGRAM__API_BASE_URL", &urls.instagram_api)
            .set("AISTUDIO__INSTAGRAM__GRAPH_BASE_URL", &urls.graph)
            .set(
                "AISTUDIO__INSTAGRAM__CLIENT_ID",
                &config.instagram.client_id,
            )
            .set(
                "AISTUDIO__INSTAGRAM__CLIENT_SECRET",
                &config.instagram.client_secret,
            )
            .set("AISTUDIO__IMGBB__BASE_URL", &urls.imgbb)
            .set("AISTUDIO__IMGBB__API_KEY", &config.imgbb.api_key)
            .set(
                "AISTUDIO__GOOGLE__AUTH_URL",
                format!("{google}/o/oauth2/v2/auth"),
            )
            .set("AISTUDIO__GOOGLE__TOKEN_URL", format!("{google}/token"))
            .set(
                "AISTUDIO__GOOGLE__USERINFO_URL",
                format!("{google}/v1/userinfo"),
            )
            .set(
                "AISTUDIO__GOOGLE__JWKS_URL",
                format!("{google}/oauth2/v3/certs"),
            )
            .set("AISTUDIO__GOOGLE__ISSUER", &urls.google_issuer)
            .set("AISTUDIO__GOOGLE__CLIENT_ID", &config.google.client_id)
            .set(
                "AISTUDIO__GOOGLE__CLIENT_SECRET",
                &config.google.client_secret,
            );
        if let Some(smtp) = sim.smtp_addr() {
            self.set("AISTUDIO__MAIL__SMTP_HOST", smtp.ip().to_string())
                .set("AISTUDIO__MAIL__SMTP_PORT", smtp.port().to_string())
                .set("AISTUDIO__MAIL__TLS", "none")
                .set("AISTUDIO__MAIL__FROM", "AIStudio <no-reply@aistudio.test>");
        }
        self
    }

    /// The complete environment a spawned process gets.
    pub fn process_env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::from([
            ("AISTUDIO__ENVIRONMENT".into(), "test".into()),
            ("AISTUDIO__MONGO__URL".into(), self.mongo_url.clone()),
            ("AISTUDIO__MONGO__DATABASE".into(), self.database.clone()),
            ("AISTUDIO__REDIS__URL".into(), self.redis_url.clone()),
            ("AISTUDIO__REDIS__NAMESPACE".into(), self.namespace.clone()),
            ("AISTUDIO__LOG__FORMAT".into(), "json".into()),
            ("AISTUDIO__LOG__LEVEL".into(), "info".into()),
            (
                "AISTUDIO_CONFIG_DIR".into(),
                config_dir().display().to_string(),
            ),
            ("AISTUDIO__SECURITY__CURRENT_TOKEN_KEY".into(), "t1".into()),
            (
                "AISTUDIO__NOTIFICATIONS__UNSUBSCRIBE_KEY".into(),
                format!("unsubscribe-{}", self.token_key),
            ),
            (
                "AISTUDIO__SECURITY__TOKEN_KEYS__T1".into(),
                self.token_key.clone(),
            ),
        ]);
        env.extend(self.vars.clone());
        env
    }

    /// The settings the processes of this test load.
    pub fn settings(&self) -> Settings {
        let sources = Sources {
            config_dir: Some(config_dir()),
            config_file: None,
            env: self.process_env().into_iter().collect(),
        };
        Settings::load_from(&sources).expect("test settings are valid")
    }

    /// `host:port` of the MongoDB URL (`mongodb://host:port[/...]`), to put a proxy before it.
    pub fn mongo_address(&self) -> String {
        let rest = self.mongo_url.trim_start_matches("mongodb://");
        rest.split(['/', '?']).next().unwrap_or(rest).to_string()
    }

    /// A store on this test's database.
    pub async fn store(&self) -> Store {
        Store::connect(&self.settings().mongo)
            .await
            .expect("store connects")
    }

    /// This test's database, for reading and changing stored documents as they are.
    pub async fn database(&self) -> mongodb::Database {
        mongodb::Client::with_uri_str(&self.mongo_url)
            .await
            .expect("mongo client")
            .database(&self.database)
    }

    /// A plain connection to this test's Redis, for reading and changing keys as they are.
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.redis_url.as_str())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("redis connects")
    }

    /// A queue handle on this test's namespace.
    pub fn queue(&self) -> Queue {
        Queue::connect(&self.settings().redis).expect("queue connects")
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn config_dir() -> PathBuf {
    repo_root().join("config/files")
}

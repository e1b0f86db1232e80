//! The typed settings tree. Field names are the configuration keys.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The deployment environment; production is the strict one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine, against the simulator.
    Development,
    /// Automated tests.
    Test,
    /// Real customers: real providers, real secrets.
    Production,
}

/// Every setting of every process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Which environment this is.
    pub environment: Environment,
    /// The HTTP API.
    pub server: ServerSettings,
    /// The worker processes.
    pub worker: WorkerSettings,
    /// MongoDB, the system of record.
    pub mongo: MongoSettings,
    /// Redis, the job queue.
    pub redis: RedisSettings,
    /// The publishing workflow.
    pub workflow: WorkflowSettings,
    /// Logging.
    pub log: LogSettings,
    /// Keys, password hashing and sessions.
    pub security: SecuritySettings,
    /// The Instagram app (Instagram API with Instagram Login).
    pub instagram: InstagramSettings,
    /// ImgBB, the public image host Instagram fetches images from.
    pub imgbb: ImgbbSettings,
    /// Google sign-in (OpenID Connect).
    pub google: GoogleSettings,
    /// The media library: upload limits and where uploads are spooled.
    pub media: MediaSettings,
    /// Outgoing email (SMTP).
    pub mail: MailSettings,
    /// Account notifications (in the dashboard and by email).
    pub notifications: NotificationSettings,
    /// Outbound webhooks to customers' own systems.
    pub webhooks: WebhookSettings,
}

/// The HTTP API process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the API listens on.
    pub listen: SocketAddr,
    /// Address of the API's Prometheus `/metrics` listener.
    pub metrics_listen: SocketAddr,
    /// The URL users and Meta reach the API at (OAuth redirects, status pages, signed media URLs).
    pub public_base_url: String,
    /// Largest accepted request body for JSON endpoints, in bytes.
    pub body_limit_bytes: usize,
    /// Requests running longer than this are answered 408.
    pub request_timeout_secs: u64,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// HTTPS served by the api itself (without a proxy in front).
    pub tls: TlsSettings,
}

/// The api's own TLS: a certificate chain and its private key, as PEM files, read again when
/// they change. Both empty: the api serves plain HTTP (behind a proxy that terminates TLS).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM file of the certificate, followed by its intermediates.
    pub cert_file: String,
    /// PEM file of the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: String,
}

impl TlsSettings {
    /// Whether the api terminates TLS itself.
    pub fn enabled(&self) -> bool {
        !self.cert_file.is_empty()
    }
}

/// The worker process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Address of the worker's `/healthz` and `/metrics` listener.
    pub metrics_listen: SocketAddr,
    /// Jobs one worker process runs at once, per queue.
    pub concurrency: usize,
    /// How long running jobs may take to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Cron expression (with seconds) of the queue-maintenance job.
    pub maintenance_cron: String,
    /// Finished jobs older than this are removed from Redis by maintenance.
    pub vacuum_older_than_secs: u64,
    /// How long a consumer restarted for stalling may stay stalled before the process exits
    /// (non-zero) so its own supervisor replaces it.
    pub consumer_restart_timeout_secs: u64,
}

/// MongoDB connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MongoSettings {
    /// Connection string; may carry credentials, so it is secret.
    pub url: SecretString,
    /// Database name.
    pub database: String,
    /// Give up connecting or selecting a server after this long; a starting process also waits
    /// this long at most for each index-creation answer.
    pub connect_timeout_secs: u64,
    /// Close a pooled connection once it has been idle this long, before the server or a
    /// firewall on the way drops it unseen (a write on such a connection fails, and is not
    /// retried). 0 keeps idle connections; the URL's `maxIdleTimeMS` wins when it has one.
    pub max_idle_secs: u64,
}

impl MongoSettings {
    /// The connection string as it may be logged or shown: its password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        crate::connection_url::redacted(self.url.expose_secret())
    }
}

/// Redis connection and queue tuning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// Connection string; may carry credentials, so it is secret.
    pub url: SecretString,
    /// Prefix of every queue key, so several deployments or tests can share one Redis.
    pub namespace: String,
    /// How often idle workers look for new jobs.
    pub poll_interval_ms: u64,
    /// Worker heartbeat period.
    pub heartbeat_secs: u64,
    /// Heartbeats a worker may miss before its jobs are handed to others.
    pub missed_heartbeats: usize,
    /// Most jobs one fetch takes (a consumer never holds more than its concurrency).
    pub batch_size: usize,
    /// How long an idempotency key blocks a duplicate push.
    pub idempotency_ttl_secs: u64,
}

impl RedisSettings {
    /// The connection string as it may be logged or shown: its password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        crate::connection_url::redacted(self.url.expose_secret())
    }

    /// How long after its last heartbeat a dead worker's jobs are recovered.
    pub fn orphan_after(&self) -> Duration {
        Duration::from_secs(self.heartbeat_secs * self.missed_heartbeats as u64)
    }
}

/// The publishing workflow: dispatch, retries, polling, leases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSettings {
    /// Cron expression (with seconds) of the dispatcher.
    pub dispatch_cron: String,
    /// Posts due within this many seconds are moved into the queue.
    pub dispatch_lookahead_secs: u64,
    /// A post's workflow starts this long before its time (media uploaded, containers created
    /// and processed) and publishes at the time; the post is no longer editable from then on.
    /// 0 starts it at the time.
    pub prepare_ahead_secs: u64,
    /// Most publishing jobs waiting in Redis at once (keeps the due backlog bounded).
    pub max_queued: u64,
    /// Cron expression (with seconds) of the reconciler.
    pub reconcile_cron: String,
    /// How long a worker's lease on a post lasts without renewal.
    pub lease_secs: u64,
    /// Attempts of one step before the post fails (transient errors).
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter.
    pub retry_base_ms: u64,
    /// Longest retry delay.
    pub retry_max_ms: u64,
    /// First container poll delay; grows to `poll_max_ms`.
    pub poll_initial_ms: u64,
    /// Longest container poll delay.
    pub poll_max_ms: u64,
    /// Give up on containers still processing after this long.
    pub poll_timeout_secs: u64,
    /// A scheduled post this late is reported as late.
    pub late_after_secs: u64,
    /// Lifetime of the signed public URLs of videos.
    pub media_url_ttl_secs: u64,
}

/// Log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter directive, e.g. `info` or `aistudio_jobs=debug,info`.
    pub level: String,
    /// `json` (one object per line) or `pretty`.
    pub format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

/// Keys, password hashing and sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Id (in `token_keys`) of the key new token ciphertexts are sealed with.
    pub current_token_key: String,
    /// AES-256 keys by id, base64 of exactly 32 bytes; older ids stay to decrypt until rotated.
    pub token_keys: BTreeMap<String, SecretString>,
    /// bcrypt cost for passwords (at least 12).
    pub bcrypt_cost: u32,
    /// Session lifetime.
    pub session_ttl_hours: u64,
    /// Mark the session cookie `Secure` (only off for plain-http local runs).
    pub cookie_secure: bool,
    /// Failed log-ins for one email within the window before further attempts are refused.
    pub login_max_failures_per_account: u64,
    /// Failed log-ins from one client address within the window before it is refused.
    pub login_max_failures_per_ip: u64,
    /// The log-in failure window.
    pub login_window_secs: u64,
    /// A password reset link works this long (and once).
    pub password_reset_ttl_mins: u64,
    /// Password reset requests for one email address per hour; more get 429.
    pub password_reset_per_email_per_hour: u64,
    /// Password reset requests from one client address per hour; more get 429.
    pub password_reset_per_ip_per_hour: u64,
    /// An email verification link works this long (and once).
    pub email_verification_ttl_hours: u64,
    /// Verification emails one account may ask to be sent again per hour; more get 429.
    pub email_verification_resends_per_hour: u64,
}

/// The Instagram app and the Instagram hosts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstagramSettings {
    /// Instagram app id.
    pub client_id: String,
    /// Instagram app secret (also the key of Meta's `signed_request` callbacks).
    pub client_secret: SecretString,
    /// Base URL of the authorize page (`https://www.instagram.com`).
    pub oauth_base_url: String,
    /// Base URL of the code exchange (`https://api.instagram.com`).
    pub api_base_url: String,
    /// Base URL of the Graph API (`https://graph.instagram.com`).
    pub graph_base_url: String,
    /// Graph API version path segment, e.g. `v25.0`.
    pub graph_version: String,
    /// Cron expression (with seconds) of the token-refresh sweep.
    pub refresh_cron: String,
    /// Tokens expiring within this many days (and at least 24 h old) are refreshed.
    pub refresh_window_days: u64,
}

/// ImgBB.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImgbbSettings {
    /// Base URL (`https://api.imgbb.com`).
    pub base_url: String,
    /// API key.
    pub api_key: SecretString,
    /// Uploaded images are deleted by ImgBB after this many seconds (60 to 15552000).
    pub expiration_secs: u64,
}

/// Google sign-in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleSettings {
    /// OAuth client id; also the expected `aud` of id tokens.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// Authorization endpoint.
    pub auth_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// Userinfo endpoint.
    pub userinfo_url: String,
    /// JWKS (id token signing keys) endpoint.
    pub jwks_url: String,
    /// Expected `iss` of id tokens.
    pub issuer: String,
}

/// The media library.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// Largest stored image (always JPEG, after any conversion), in bytes: Instagram's 8 MB.
    pub max_image_bytes: u64,
    /// Largest PNG or WebP upload accepted for conversion to JPEG, in bytes.
    pub max_image_upload_bytes: u64,
    /// Largest image, in pixels (width x height), decoded for conversion or checks.
    pub max_image_pixels: u64,
    /// Most memory one image decode may use, in bytes (checked from the image's header).
    pub max_decode_bytes: u64,
    /// Longest side of a stored image, in pixels: larger images are scaled down to it (keeping
    /// their aspect ratio) and stored as a new JPEG.
    pub max_image_side: u32,
    /// Uploads checked (decoded or probed) at once by one api process.
    pub max_concurrent_checks: u32,
    /// Of those, how many one user may have at once.
    pub max_concurrent_checks_per_user: u32,
    /// How long an upload waits for a free check before it is answered 429 with `Retry-After`.
    pub check_wait_secs: u64,
    /// Largest video upload, in bytes: Instagram's 300 MB for reels.
    pub max_video_bytes: u64,
    /// Uploads (which may be large and slow) may take this long; other requests get
    /// `server.request_timeout_secs`.
    pub upload_timeout_secs: u64,
    /// Folder where an upload is spooled while it is checked (empty: the system temp folder).
    pub spool_dir: String,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTls {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// No encryption: only for a local sink (refused in production).
    None,
}

/// Outgoing email: password reset, verification and notifications, sent over SMTP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// SMTP server host name.
    pub smtp_host: String,
    /// SMTP server port.
    pub smtp_port: u16,
    /// `tls`, `starttls` or `none`.
    pub tls: MailTls,
    /// SMTP user name (empty: no authentication).
    pub username: String,
    /// SMTP password.
    pub password: SecretString,
    /// The sender, e.g. `AIStudio <no-reply@example.com>`.
    pub from: String,
    /// Time limit of one SMTP conversation.
    pub timeout_secs: u64,
    /// Delivery attempts of one email before it is marked failed (temporary errors only;
    /// a permanent refusal fails it at once).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub retry_base_secs: u64,
    /// Longest wait between two attempts.
    pub retry_max_secs: u64,
}

/// Account notifications: the unsubscribe links of their emails and the dashboard's live count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// HMAC-SHA256 key that signs the one-click unsubscribe links of notification emails
    /// (at least 32 characters in production). Changing it invalidates the links already sent.
    pub unsubscribe_key: SecretString,
    /// How often an open live stream (`/api/v1/notifications/stream`) reads the unread count.
    pub stream_poll_ms: u64,
    /// How far back the maintenance sweep looks for a failed, parked or published post whose
    /// notification was not raised (a worker stopped between the change and the raise).
    pub sweep_hours: u64,
}

/// Outbound webhooks: delivery limits, retries, and which hosts may be reached.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Hosts (names or IP literals, as written in endpoint URLs) that may be reached over plain
    /// http and at loopback, private or link-local addresses. Empty in production (refused
    /// otherwise); local runs and tests list `127.0.0.1` or `localhost`. A TOML list, or a
    /// comma-separated string (environment variables).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allow_hosts: Vec<String>,
    /// Time limit of one delivery attempt: connect, send, and read the answer.
    pub timeout_secs: u64,
    /// Most bytes of an answer read (the rest is not read; only the status counts).
    pub max_response_bytes: u64,
    /// Wait before the second attempt; doubled for each further one, with jitter.
    pub retry_base_secs: u64,
    /// Longest wait between two attempts.
    pub retry_max_secs: u64,
    /// An event is attempted until this long after it happened, then its delivery fails.
    pub retry_window_secs: u64,
    /// An endpoint whose deliveries failed without a success for this long is disabled (its
    /// owner is emailed).
    pub disable_after_secs: u64,
    /// Attempts kept in a delivery's log (the oldest are dropped).
    pub log_attempts: u32,
    /// Most endpoints one user may register.
    pub max_endpoints_per_user: u32,
}

/// A list given as a TOML array or as one comma-separated string (environment variables).
fn list_or_comma_separated<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::List(items) => items,
        Raw::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

//! Start-up validation: every problem is collected and reported with its key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::{ConfigError, Environment, MailTls, Problem, Settings, connection_url};

/// The public development key shipped in `development.toml`; production refuses it.
const DEVELOPMENT_TOKEN_KEY: &str = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE=";

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_string(),
            message: message.into(),
        });
    }

    fn require(&mut self, key: &str, ok: bool, message: &str) {
        if !ok {
            self.fail(key, message);
        }
    }

    fn url(&mut self, key: &str, value: &str, production: bool) {
        let url = match Url::parse(value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            Ok(_) => return self.fail(key, "must be an http(s) URL"),
            Err(e) => return self.fail(key, format!("is not a valid URL ({e})")),
        };
        if production {
            if url.scheme() != "https" {
                self.fail(
                    key,
                    "must use https in production (an http URL points at the simulator or a test host)",
                );
            } else if is_loopback(&url) {
                self.fail(
                    key,
                    "points at a loopback host in production (the simulator is not allowed)",
                );
            }
        }
    }

    fn present(&mut self, key: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(key, "is required in production");
        }
    }

    fn secret_present(&mut self, key: &str, value: &SecretString) {
        self.present(key, value.expose_secret());
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => true,
    }
}

/// Decodes a token key, which must be base64 of exactly 32 bytes.
pub fn decode_token_key(encoded: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|_| "is not valid base64".to_string())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("must decode to exactly 32 bytes, got {}", bytes.len()))
}

pub(crate) fn check(s: &Settings) -> Result<(), ConfigError> {
    let production = s.environment == Environment::Production;
    let mut c = Checker {
        problems: Vec::new(),
    };

    check_public_base_url(&mut c, &s.server.public_base_url, production);
    check_tls(&mut c, &s.server.tls);
    c.url(
        "instagram.oauth_base_url",
        &s.instagram.oauth_base_url,
        production,
    );
    c.url(
        "instagram.api_base_url",
        &s.instagram.api_base_url,
        production,
    );
    c.url(
        "instagram.graph_base_url",
        &s.instagram.graph_base_url,
        production,
    );
    c.url("imgbb.base_url", &s.imgbb.base_url, production);
    c.url("google.auth_url", &s.google.auth_url, production);
    c.url("google.token_url", &s.google.token_url, production);
    c.url("google.userinfo_url", &s.google.userinfo_url, production);
    c.url("google.jwks_url", &s.google.jwks_url, production);
    c.url("google.issuer", &s.google.issuer, production);

    let mongo = s.mongo.url.expose_secret();
    c.require(
        "mongo.url",
        mongo.starts_with("mongodb://") || mongo.starts_with("mongodb+srv://"),
        "must start with mongodb:// or mongodb+srv://",
    );
    c.require(
        "mongo.database",
        !s.mongo.database.is_empty(),
        "must not be empty",
    );
    let redis = s.redis.url.expose_secret();
    c.require(
        "redis.url",
        redis.starts_with("redis://") || redis.starts_with("rediss://"),
        "must start with redis:// or rediss://",
    );
    for (key, url) in [("mongo.url", mongo), ("redis.url", redis)] {
        if let Some(problem) = connection_url::credentials_problem(url) {
            c.fail(key, problem);
        }
    }
    c.require(
        "redis.namespace",
        !s.redis.namespace.is_empty() && !s.redis.namespace.contains(char::is_whitespace),
        "must be a non-empty word without spaces",
    );
    c.require(
        "redis.batch_size",
        s.redis.batch_size > 0,
        "must be at least 1",
    );
    c.require(
        "worker.consumer_restart_timeout_secs",
        s.worker.consumer_restart_timeout_secs > 0,
        "must be at least 1",
    );
    c.require(
        "redis.heartbeat_secs",
        s.redis.heartbeat_secs > 0,
        "must be at least 1",
    );
    c.require(
        "redis.missed_heartbeats",
        s.redis.missed_heartbeats > 0,
        "must be at least 1",
    );
    c.require(
        "redis.poll_interval_ms",
        s.redis.poll_interval_ms > 0,
        "must be at least 1",
    );
    c.require(
        "redis.idempotency_ttl_secs",
        s.redis.idempotency_ttl_secs > 0,
        "must be at least 1 (0 would make idempotency keys expire at once)",
    );
    c.require(
        "worker.concurrency",
        s.worker.concurrency > 0,
        "must be at least 1",
    );
    if let Err(e) = cron::Schedule::try_from(s.worker.maintenance_cron.as_str()) {
        c.fail(
            "worker.maintenance_cron",
            format!("is not a valid cron expression with seconds ({e})"),
        );
    }
    if let Err(e) = cron::Schedule::try_from(s.instagram.refresh_cron.as_str()) {
        c.fail(
            "instagram.refresh_cron",
            format!("is not a valid cron expression with seconds ({e})"),
        );
    }
    c.require(
        "instagram.refresh_window_days",
        (1..=59).contains(&s.instagram.refresh_window_days),
        "must be between 1 and 59 (tokens live 60 days)",
    );
    for (key, expression) in [
        ("workflow.dispatch_cron", &s.workflow.dispatch_cron),
        ("workflow.reconcile_cron", &s.workflow.reconcile_cron),
    ] {
        if let Err(e) = cron::Schedule::try_from(expression.as_str()) {
            c.fail(
                key,
                format!("is not a valid cron expression with seconds ({e})"),
            );
        }
    }
    c.require(
        "workflow.max_queued",
        (1..=5000).contains(&s.workflow.max_queued),
        "must be between 1 and 5000 (the publishing backlog held in Redis at once)",
    );
    c.require(
        "workflow.lease_secs",
        s.workflow.lease_secs >= 10,
        "must be at least 10",
    );
    c.require(
        "workflow.max_attempts",
        s.workflow.max_attempts >= 1,
        "must be at least 1",
    );
    c.require(
        "workflow.retry_base_ms",
        s.workflow.retry_base_ms >= 1,
        "must be at least 1",
    );
    c.require(
        "workflow.prepare_ahead_secs",
        s.workflow.prepare_ahead_secs < s.workflow.dispatch_lookahead_secs
            && s.workflow.prepare_ahead_secs <= 3600,
        "must be below workflow.dispatch_lookahead_secs and at most 3600",
    );
    c.require(
        "workflow.poll_initial_ms",
        s.workflow.poll_initial_ms >= 1,
        "must be at least 1",
    );
    c.require(
        "server.body_limit_bytes",
        s.server.body_limit_bytes >= 1024,
        "must be at least 1024",
    );
    c.require(
        "security.bcrypt_cost",
        (12..=31).contains(&s.security.bcrypt_cost),
        "must be between 12 and 31",
    );
    c.require(
        "security.login_max_failures_per_account",
        s.security.login_max_failures_per_account > 0,
        "must be at least 1",
    );
    c.require(
        "security.login_max_failures_per_ip",
        s.security.login_max_failures_per_ip > 0,
        "must be at least 1",
    );
    c.require(
        "security.login_window_secs",
        s.security.login_window_secs > 0,
        "must be at least 1",
    );
    c.require(
        "imgbb.expiration_secs",
        (60..=15_552_000).contains(&s.imgbb.expiration_secs),
        "must be between 60 and 15552000 (ImgBB's limits)",
    );
    c.require(
        "instagram.graph_version",
        s.instagram.graph_version.starts_with('v'),
        "must look like v25.0",
    );

    check_media(&mut c, s);
    check_mail(&mut c, s, production);
    check_notifications(&mut c, s, production);
    check_webhooks(&mut c, s, production);
    check_token_keys(&mut c, s, production);

    if production {
        c.present("instagram.client_id", &s.instagram.client_id);
        c.secret_present("instagram.client_secret", &s.instagram.client_secret);
        c.present("google.client_id", &s.google.client_id);
        c.secret_present("google.client_secret", &s.google.client_secret);
        c.secret_present("imgbb.api_key", &s.imgbb.api_key);
        c.require(
            "security.cookie_secure",
            s.security.cookie_secure,
            "must be true in production (session cookies are sent over HTTPS only)",
        );
    }

    if c.problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid(c.problems))
    }
}

/// Where users, Meta and the session cookie reach the service: production only over HTTPS.
fn check_public_base_url(c: &mut Checker, value: &str, production: bool) {
    let key = "server.public_base_url";
    if production && value.starts_with("http://") {
        return c.fail(
            key,
            "must be an https URL in production (sessions, passwords and Meta's callbacks travel \
             over it; serve the api behind the HTTPS proxy or with server.tls)",
        );
    }
    c.url(key, value, production);
}

fn check_tls(c: &mut Checker, tls: &crate::TlsSettings) {
    if tls.cert_file.is_empty() != tls.key_file.is_empty() {
        let (key, other) = if tls.cert_file.is_empty() {
            ("server.tls.cert_file", "server.tls.key_file")
        } else {
            ("server.tls.key_file", "server.tls.cert_file")
        };
        c.fail(key, format!("is required when {other} is set"));
    }
}

fn check_webhooks(c: &mut Checker, s: &Settings, production: bool) {
    let w = &s.webhooks;
    c.require(
        "webhooks.allow_hosts",
        !production || w.allow_hosts.is_empty(),
        "must be empty in production (deliveries never reach private addresses there)",
    );
    c.require(
        "webhooks.timeout_secs",
        (1..=60).contains(&w.timeout_secs),
        "must be between 1 and 60",
    );
    c.require(
        "webhooks.max_response_bytes",
        w.max_response_bytes <= 1_048_576,
        "must be at most 1048576",
    );
    c.require(
        "webhooks.retry_base_secs",
        w.retry_base_secs > 0 && w.retry_base_secs <= w.retry_max_secs,
        "must be at least 1 and at most webhooks.retry_max_secs",
    );
    c.require(
        "webhooks.retry_window_secs",
        w.retry_window_secs > 0,
        "must be at least 1",
    );
    c.require(
        "webhooks.disable_after_secs",
        w.disable_after_secs > 0,
        "must be at least 1",
    );
    c.require(
        "webhooks.log_attempts",
        (1..=100).contains(&w.log_attempts),
        "must be between 1 and 100",
    );
    c.require(
        "webhooks.max_endpoints_per_user",
        w.max_endpoints_per_user > 0,
        "must be at least 1",
    );
}

fn check_mail(c: &mut Checker, s: &Settings, production: bool) {
    let m = &s.mail;
    c.require("mail.smtp_port", m.smtp_port > 0, "must be a port number");
    c.require(
        "mail.from",
        m.from.is_empty() && !production || m.from.contains('@'),
        "must be an address, e.g. `AIStudio <no-reply@example.com>`",
    );
    c.require(
        "mail.timeout_secs",
        m.timeout_secs > 0,
        "must be at least 1",
    );
    c.require(
        "mail.max_attempts",
        m.max_attempts > 0,
        "must be at least 1",
    );
    c.require(
        "mail.retry_base_secs",
        m.retry_base_secs > 0 && m.retry_base_secs <= m.retry_max_secs,
        "must be at least 1 and at most mail.retry_max_secs",
    );
    c.require(
        "security.password_reset_ttl_mins",
        (5..=24 * 60).contains(&s.security.password_reset_ttl_mins),
        "must be between 5 minutes and a day",
    );
    c.require(
        "security.email_verification_ttl_hours",
        (1..=30 * 24).contains(&s.security.email_verification_ttl_hours),
        "must be between 1 hour and 30 days",
    );
    c.require(
        "security.email_verification_resends_per_hour",
        s.security.email_verification_resends_per_hour > 0,
        "must be at least 1",
    );
    if production {
        c.present("mail.smtp_host", &m.smtp_host);
        c.require(
            "mail.tls",
            m.tls != MailTls::None,
            "must be `tls` or `starttls` in production",
        );
        if !m.username.is_empty() {
            c.secret_present("mail.password", &m.password);
        }
    }
}

fn check_notifications(c: &mut Checker, s: &Settings, production: bool) {
    let n = &s.notifications;
    c.require(
        "notifications.stream_poll_ms",
        (100..=60_000).contains(&n.stream_poll_ms),
        "must be between 100 and 60000",
    );
    c.require(
        "notifications.sweep_hours",
        (1..=24 * 30).contains(&n.sweep_hours),
        "must be between 1 and 720",
    );
    if production {
        c.require(
            "notifications.unsubscribe_key",
            n.unsubscribe_key.expose_secret().len() >= 32,
            "must be at least 32 characters in production",
        );
    }
}

fn check_token_keys(c: &mut Checker, s: &Settings, production: bool) {
    let current = &s.security.current_token_key;
    if current.is_empty() {
        if production {
            c.fail(
                "security.current_token_key",
                "is required in production (id of the AES-256 key in security.token_keys)",
            );
        }
    } else if !s.security.token_keys.contains_key(current) {
        c.fail(
            "security.current_token_key",
            format!("names key \"{current}\", which is not in security.token_keys"),
        );
    }
    for (id, key) in &s.security.token_keys {
        let name = format!("security.token_keys.{id}");
        if let Err(message) = decode_token_key(key.expose_secret()) {
            c.fail(&name, message);
        } else if production && key.expose_secret().trim() == DEVELOPMENT_TOKEN_KEY {
            c.fail(
                &name,
                "is the public development key; generate a new one for production",
            );
        }
    }
}

fn check_media(c: &mut Checker, s: &Settings) {
    let m = &s.media;
    c.require(
        "media.max_image_bytes",
        (1024..=8 * 1024 * 1024).contains(&m.max_image_bytes),
        "must be between 1024 and 8388608 (Instagram refuses images over 8 MB)",
    );
    c.require(
        "media.max_image_upload_bytes",
        m.max_image_upload_bytes >= m.max_image_bytes,
        "must be at least media.max_image_bytes",
    );
    c.require(
        "media.max_image_pixels",
        (100_000..=200_000_000).contains(&m.max_image_pixels),
        "must be between 100000 and 200000000",
    );
    c.require(
        "media.max_decode_bytes",
        m.max_decode_bytes >= 64 * 1024 * 1024,
        "must be at least 67108864",
    );
    c.require(
        "media.max_image_side",
        (320..=8192).contains(&m.max_image_side),
        "must be between 320 and 8192 (Instagram shows images at least 320 px wide)",
    );
    c.require(
        "media.max_concurrent_checks",
        m.max_concurrent_checks > 0,
        "must be at least 1",
    );
    c.require(
        "media.max_concurrent_checks_per_user",
        (1..=m.max_concurrent_checks).contains(&m.max_concurrent_checks_per_user),
        "must be between 1 and media.max_concurrent_checks",
    );
    c.require(
        "media.max_video_bytes",
        (1024..=300 * 1024 * 1024).contains(&m.max_video_bytes),
        "must be between 1024 and 314572800 (Instagram refuses videos over 300 MB)",
    );
    c.require(
        "media.upload_timeout_secs",
        m.upload_timeout_secs > 0,
        "must be at least 1",
    );
}

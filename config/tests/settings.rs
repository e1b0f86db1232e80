//! Loading, layering, validation and redaction of settings.

use std::collections::HashMap;
use std::path::PathBuf;

use aistudio_config::{ConfigError, Environment, ExposeSecret, Settings, Sources};

const PROD_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes

fn sources(vars: &[(&str, &str)]) -> Sources {
    Sources {
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("files")),
        config_file: None,
        env: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
    }
}

fn production(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("AISTUDIO__ENVIRONMENT", "production"),
        (
            "AISTUDIO__SERVER__PUBLIC_BASE_URL",
            "https://app.aistudio.example",
        ),
        ("AISTUDIO__SECURITY__CURRENT_TOKEN_KEY", "k1"),
        ("AISTUDIO__SECURITY__TOKEN_KEYS__K1", PROD_KEY),
        ("AISTUDIO__INSTAGRAM__CLIENT_ID", "ig-app"),
        ("AISTUDIO__INSTAGRAM__CLIENT_SECRET", "ig-secret-value"),
        ("AISTUDIO__GOOGLE__CLIENT_ID", "google-app"),
        ("AISTUDIO__GOOGLE__CLIENT_SECRET", "google-secret-value"),
        ("AISTUDIO__IMGBB__API_KEY", "imgbb-key-value"),
        (
            "AISTUDIO__NOTIFICATIONS__UNSUBSCRIBE_KEY",
            "unsubscribe-key-value-of-32-characters",
        ),
        ("AISTUDIO__MAIL__SMTP_HOST", "smtp.mail.example"),
        ("AISTUDIO__MAIL__USERNAME", "aistudio"),
        ("AISTUDIO__MAIL__PASSWORD", "smtp-secret-value"),
        (
            "AISTUDIO__MAIL__FROM",
            "AIStudio <no-reply@aistudio.example>",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.retain(|(key, _)| key != k);
        vars.push((k.to_string(), v.to_string()));
    }
    vars
}

fn load_production(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars = production(extra);
    let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Settings::load_from(&sources(&borrowed))
}

fn problem_for(err: &ConfigError, key: &str) -> String {
    err.problems()
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("no problem reported for {key}; got: {err}"))
}

#[test]
fn defaults_load_with_the_development_layer() {
    let s = Settings::load_from(&sources(&[])).expect("defaults load");
    assert_eq!(s.environment, Environment::Development);
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.redis.namespace, "aistudio");
    assert_eq!(s.security.bcrypt_cost, 12);
    // The development layer points the providers at the local simulator.
    assert!(
        s.instagram
            .graph_base_url
            .starts_with("http://127.0.0.1:9200")
    );
    assert_eq!(s.security.current_token_key, "dev");
}

#[test]
fn embedded_defaults_load_without_any_file() {
    let s = Settings::load_from(&Sources::default()).expect("embedded defaults load");
    assert_eq!(s.instagram.graph_base_url, "https://graph.instagram.com");
    assert_eq!(s.redis.idempotency_ttl_secs, 86400);
}

#[test]
fn environment_variables_override_nested_keys() {
    let s = Settings::load_from(&sources(&[
        ("AISTUDIO__REDIS__NAMESPACE", "tenant-a"),
        ("AISTUDIO__WORKER__CONCURRENCY", "3"),
        ("AISTUDIO__SECURITY__TOKEN_KEYS__K2", PROD_KEY),
        ("AISTUDIO__SECURITY__CURRENT_TOKEN_KEY", "k2"),
        ("UNRELATED__REDIS__NAMESPACE", "ignored"),
    ]))
    .expect("loads");
    assert_eq!(s.redis.namespace, "tenant-a");
    assert_eq!(s.worker.concurrency, 3);
    assert_eq!(s.security.current_token_key, "k2");
    assert_eq!(s.security.token_keys.len(), 2, "k2 added beside dev");
}

#[test]
fn an_explicit_file_layers_over_the_environment_file() {
    let dir = std::env::temp_dir().join(format!("aistudio-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("override.toml");
    std::fs::write(&file, "[mongo]\ndatabase = \"from-file\"\n").unwrap();
    let mut src = sources(&[]);
    src.config_file = Some(file);
    let s = Settings::load_from(&src).expect("loads");
    assert_eq!(s.mongo.database, "from-file");
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let err = Settings::load_from(&sources(&[("AISTUDIO__SERVER__LISTN", "x")])).unwrap_err();
    assert!(err.to_string().contains("listn"), "{err}");
}

#[test]
fn a_complete_production_configuration_loads() {
    let s = load_production(&[
        ("AISTUDIO__SECURITY__COOKIE_SECURE", "true"),
        ("AISTUDIO__ENVIRONMENT", "production"),
    ]);
    // the production layer starts from the embedded https defaults; no file for production exists
    let s = s.expect("valid production settings load");
    assert_eq!(s.environment, Environment::Production);
    assert_eq!(s.instagram.client_secret.expose_secret(), "ig-secret-value");
}

#[test]
fn production_refuses_simulator_urls() {
    let err = load_production(&[
        (
            "AISTUDIO__INSTAGRAM__GRAPH_BASE_URL",
            "http://127.0.0.1:9200/graph",
        ),
        ("AISTUDIO__IMGBB__BASE_URL", "https://localhost:9200/imgbb"),
    ])
    .unwrap_err();
    assert!(problem_for(&err, "instagram.graph_base_url").contains("must use https in production"));
    assert!(problem_for(&err, "imgbb.base_url").contains("loopback"));
}

#[test]
fn production_refuses_a_missing_token_key() {
    let err = load_production(&[("AISTUDIO__SECURITY__CURRENT_TOKEN_KEY", "")]).unwrap_err();
    assert!(problem_for(&err, "security.current_token_key").contains("required in production"));
}

#[test]
fn production_refuses_a_malformed_token_key() {
    let err = load_production(&[("AISTUDIO__SECURITY__TOKEN_KEYS__K1", "c2hvcnQ=")]).unwrap_err();
    assert_eq!(
        problem_for(&err, "security.token_keys.k1"),
        "must decode to exactly 32 bytes, got 5"
    );
    let err =
        load_production(&[("AISTUDIO__SECURITY__TOKEN_KEYS__K1", "not base64 !!")]).unwrap_err();
    assert_eq!(
        problem_for(&err, "security.token_keys.k1"),
        "is not valid base64"
    );
}

#[test]
fn production_refuses_the_public_development_key() {
    let err = load_production(&[(
        "AISTUDIO__SECURITY__TOKEN_KEYS__K1",
        "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE=",
    )])
    .unwrap_err();
    assert!(problem_for(&err, "security.token_keys.k1").contains("development key"));
}

#[test]
fn production_refuses_missing_oauth_credentials() {
    let err = load_production(&[
        ("AISTUDIO__INSTAGRAM__CLIENT_SECRET", ""),
        ("AISTUDIO__GOOGLE__CLIENT_ID", ""),
    ])
    .unwrap_err();
    assert_eq!(
        problem_for(&err, "instagram.client_secret"),
        "is required in production"
    );
    assert_eq!(
        problem_for(&err, "google.client_id"),
        "is required in production"
    );
}

#[test]
fn production_refuses_to_start_without_mail_or_with_plaintext_smtp() {
    let err = load_production(&[
        ("AISTUDIO__MAIL__SMTP_HOST", ""),
        ("AISTUDIO__MAIL__FROM", ""),
        ("AISTUDIO__MAIL__PASSWORD", ""),
        ("AISTUDIO__MAIL__TLS", "none"),
    ])
    .unwrap_err();
    assert_eq!(
        problem_for(&err, "mail.smtp_host"),
        "is required in production"
    );
    assert!(problem_for(&err, "mail.from").contains("must be an address"));
    assert_eq!(
        problem_for(&err, "mail.password"),
        "is required in production"
    );
    assert!(problem_for(&err, "mail.tls").contains("in production"));
    // Development delivers to the simulator's sink, in plain text on loopback.
    let dev = Settings::load_from(&sources(&[("AISTUDIO__ENVIRONMENT", "development")])).unwrap();
    assert_eq!(dev.mail.tls, aistudio_config::MailTls::None);
}

#[test]
fn a_zero_idempotency_ttl_is_refused_everywhere() {
    let err = Settings::load_from(&sources(&[("AISTUDIO__REDIS__IDEMPOTENCY_TTL_SECS", "0")]))
        .unwrap_err();
    assert!(problem_for(&err, "redis.idempotency_ttl_secs").contains("expire at once"));
}

#[test]
fn preparing_ahead_must_fit_inside_the_dispatch_lookahead() {
    let err = Settings::load_from(&sources(&[
        ("AISTUDIO__WORKFLOW__DISPATCH_LOOKAHEAD_SECS", "60"),
        ("AISTUDIO__WORKFLOW__PREPARE_AHEAD_SECS", "60"),
    ]))
    .unwrap_err();
    assert!(problem_for(&err, "workflow.prepare_ahead_secs").contains("dispatch_lookahead"));
    let ok = Settings::load_from(&sources(&[(
        "AISTUDIO__WORKFLOW__PREPARE_AHEAD_SECS",
        "59",
    )]))
    .expect("59 s fits in the default 60 s lookahead");
    assert_eq!(ok.workflow.prepare_ahead_secs, 59);
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let vars = production(&[("AISTUDIO__MONGO__URL", "mongodb://admin:hunter2pw@db:27017")]);
    let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Settings::load_from(&sources(&borrowed)).expect("loads");
    let printed = format!("{s:?}");
    for secret in [
        "ig-secret-value",
        "google-secret-value",
        "imgbb-key-value",
        "smtp-secret-value",
        PROD_KEY,
        "hunter2pw",
    ] {
        assert!(
            !printed.contains(secret),
            "{secret} leaked into Debug output"
        );
    }
    assert!(printed.contains("REDACTED"));
}

#[test]
fn media_limits_beyond_instagrams_are_refused() {
    let err = Settings::load_from(&sources(&[
        ("AISTUDIO__MEDIA__MAX_IMAGE_BYTES", "9000000"),
        ("AISTUDIO__MEDIA__MAX_VIDEO_BYTES", "400000000"),
        ("AISTUDIO__MEDIA__MAX_IMAGE_UPLOAD_BYTES", "1024"),
    ]))
    .unwrap_err();
    assert!(problem_for(&err, "media.max_image_bytes").contains("8 MB"));
    assert!(problem_for(&err, "media.max_video_bytes").contains("300 MB"));
    assert!(problem_for(&err, "media.max_image_upload_bytes").contains("at least"));
    let defaults = Settings::load_from(&sources(&[])).unwrap();
    assert_eq!(defaults.media.max_image_bytes, 8 * 1024 * 1024);
    assert_eq!(defaults.media.max_video_bytes, 300 * 1024 * 1024);
}

#[test]
fn production_refuses_a_short_unsubscribe_key() {
    let err =
        load_production(&[("AISTUDIO__NOTIFICATIONS__UNSUBSCRIBE_KEY", "too-short")]).unwrap_err();
    assert!(problem_for(&err, "notifications.unsubscribe_key").contains("at least 32"));
}

#[test]
fn webhook_allow_hosts_take_a_comma_separated_variable_and_are_refused_in_production() {
    let s = Settings::load_from(&sources(&[(
        "AISTUDIO__WEBHOOKS__ALLOW_HOSTS",
        "127.0.0.1, localhost",
    )]))
    .unwrap();
    assert_eq!(s.webhooks.allow_hosts, ["127.0.0.1", "localhost"]);
    assert!(
        load_production(&[])
            .unwrap()
            .webhooks
            .allow_hosts
            .is_empty()
    );
    let err = load_production(&[("AISTUDIO__WEBHOOKS__ALLOW_HOSTS", "localhost")]).unwrap_err();
    assert!(problem_for(&err, "webhooks.allow_hosts").contains("empty in production"));
}

#[test]
fn production_refuses_plain_http_and_insecure_cookies_while_development_keeps_them() {
    let err = load_production(&[
        (
            "AISTUDIO__SERVER__PUBLIC_BASE_URL",
            "http://app.aistudio.example",
        ),
        ("AISTUDIO__SECURITY__COOKIE_SECURE", "false"),
    ])
    .unwrap_err();
    assert!(
        problem_for(&err, "server.public_base_url").contains("must be an https URL in production"),
        "{err}"
    );
    assert!(
        problem_for(&err, "security.cookie_secure").contains("must be true in production"),
        "{err}"
    );
    assert_eq!(err.problems().len(), 2, "{err}");

    let development = Settings::load_from(&sources(&[])).expect("development loads");
    assert!(development.server.public_base_url.starts_with("http://"));
    assert!(!development.security.cookie_secure);
    assert!(!development.server.tls.enabled());
}

#[test]
fn the_apis_own_tls_needs_both_files() {
    for (set, missing) in [
        ("AISTUDIO__SERVER__TLS__CERT_FILE", "server.tls.key_file"),
        ("AISTUDIO__SERVER__TLS__KEY_FILE", "server.tls.cert_file"),
    ] {
        let err = Settings::load_from(&sources(&[(set, "/etc/aistudio/tls.pem")])).unwrap_err();
        assert!(
            problem_for(&err, missing).contains("is required when"),
            "{err}"
        );
    }
    let both = Settings::load_from(&sources(&[
        ("AISTUDIO__SERVER__TLS__CERT_FILE", "/etc/aistudio/cert.pem"),
        ("AISTUDIO__SERVER__TLS__KEY_FILE", "/etc/aistudio/key.pem"),
    ]))
    .expect("both files set");
    assert!(both.server.tls.enabled());
}

/// A fresh folder for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aistudio-config-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_file_variable_supplies_the_value_of_its_key() {
    let dir = scratch("secret-files");
    let redis = dir.join("redis_url");
    let mongo = dir.join("mongo_url");
    std::fs::write(&redis, "redis://aistudio:s3cr%40t@redis:6379\n").unwrap();
    std::fs::write(&mongo, "mongodb://aistudio:pw@mongo:27017/aistudio\r\n").unwrap();
    let s = Settings::load_from(&sources(&[
        ("AISTUDIO__REDIS__URL_FILE", redis.to_str().unwrap()),
        ("AISTUDIO__MONGO__URL_FILE", mongo.to_str().unwrap()),
    ]))
    .expect("loads");
    assert_eq!(
        s.redis.url.expose_secret(),
        "redis://aistudio:s3cr%40t@redis:6379"
    );
    assert_eq!(
        s.mongo.url.expose_secret(),
        "mongodb://aistudio:pw@mongo:27017/aistudio"
    );
    assert_eq!(s.redis.redacted_url(), "redis://aistudio:***@redis:6379");
    assert_eq!(
        s.mongo.redacted_url(),
        "mongodb://aistudio:***@mongo:27017/aistudio"
    );
}

#[test]
fn a_missing_secret_file_or_a_doubly_set_key_is_refused_naming_the_variable() {
    let dir = scratch("secret-files-refused");
    let missing = dir.join("absent");
    let err = Settings::load_from(&sources(&[(
        "AISTUDIO__REDIS__URL_FILE",
        missing.to_str().unwrap(),
    )]))
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("AISTUDIO__REDIS__URL_FILE"), "{text}");
    assert!(text.contains(missing.to_str().unwrap()), "{text}");

    let file = dir.join("redis_url");
    std::fs::write(&file, "redis://aistudio:filepass@redis:6379").unwrap();
    let err = Settings::load_from(&sources(&[
        ("AISTUDIO__REDIS__URL_FILE", file.to_str().unwrap()),
        (
            "AISTUDIO__REDIS__URL",
            "redis://aistudio:envpass@redis:6379",
        ),
    ]))
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("AISTUDIO__REDIS__URL and AISTUDIO__REDIS__URL_FILE"),
        "{text}"
    );
    assert!(
        !text.contains("filepass") && !text.contains("envpass"),
        "{text}"
    );
}

#[test]
fn connection_strings_with_raw_reserved_characters_in_the_password_are_refused_without_echoing_it()
{
    let err = Settings::load_from(&sources(&[
        (
            "AISTUDIO__MONGO__URL",
            "mongodb://app:hunter?s3kr1t@mongo/aistudio",
        ),
        (
            "AISTUDIO__REDIS__URL",
            "redis://app:hunter/s3kr1t@redis:6379",
        ),
    ]))
    .unwrap_err();
    for key in ["mongo.url", "redis.url"] {
        assert!(problem_for(&err, key).contains("percent-encode"), "{err}");
    }
    let text = err.to_string();
    assert!(
        !text.contains("hunter") && !text.contains("s3kr1t"),
        "{text}"
    );
    let s = Settings::load_from(&sources(&[(
        "AISTUDIO__MONGO__URL",
        "mongodb+srv://app:pass%3Fword@cluster0.example.net/aistudio",
    )]))
    .expect("an encoded password and an SRV URL load");
    assert_eq!(
        s.mongo.redacted_url(),
        "mongodb+srv://app:***@cluster0.example.net/aistudio"
    );
}

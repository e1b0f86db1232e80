//! Start-up configuration: credentials the simulated providers accept, timings, limits,
//! preloaded accounts and users, and faults active from the first request.
//!
//! Every field has a default, so an empty JSON object (or TOML file) is a complete config.

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::faults::FaultRule;

/// Everything the simulator needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Address to bind. Default `127.0.0.1:0` (a random free port).
    pub listen: SocketAddr,
    /// Base URL advertised in responses (image URLs, permalinks, OIDC discovery), for when
    /// clients reach the simulator through another name (e.g. `http://sim:8090` in a container
    /// network). Default: `http://{bound address}`.
    pub public_base_url: Option<String>,
    /// Seed for every generated id, token and code, and for rate-based faults.
    /// `None` seeds from the operating system.
    pub seed: Option<u64>,
    /// How long a `timeout` fault holds a request before giving up, in milliseconds.
    pub hang_ms: u64,
    /// The simulated Instagram (Login + Graph API).
    pub instagram: InstagramConfig,
    /// The simulated ImgBB.
    pub imgbb: ImgbbConfig,
    /// The simulated Google OpenID Connect provider.
    pub google: GoogleConfig,
    /// The SMTP sink and its inbox (off unless `smtp.listen` is set).
    pub smtp: SmtpConfig,
    /// Faults active from start-up.
    pub faults: Vec<FaultRule>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: None,
            seed: None,
            hang_ms: 600_000,
            instagram: InstagramConfig::default(),
            imgbb: ImgbbConfig::default(),
            google: GoogleConfig::default(),
            smtp: SmtpConfig::default(),
            faults: Vec::new(),
        }
    }
}

impl SimConfig {
    /// Reads a config file: `.toml` as TOML, anything else as JSON.
    pub fn from_file(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::Config(format!("cannot read {}: {e}", path.display())))?;
        let is_toml = path.extension().is_some_and(|ext| ext == "toml");
        if is_toml {
            toml::from_str(&text).map_err(|e| SimError::Config(format!("{}: {e}", path.display())))
        } else {
            serde_json::from_str(&text)
                .map_err(|e| SimError::Config(format!("{}: {e}", path.display())))
        }
    }
}

/// Shape of the short-lived token exchange answer (`POST /oauth/access_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenShape {
    /// `{"access_token","user_id":<number>,"permissions":[...]}`: what clients receive.
    #[default]
    Flat,
    /// `{"data":[{"access_token","user_id":"...","permissions":"a,b"}]}`: the documented shape.
    Data,
}

/// Shape of `GET /me` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MeShape {
    /// `{"user_id","username","id"}`.
    #[default]
    Flat,
    /// `{"data":[{"user_id","username","id"}]}`.
    Data,
}

/// How ImgBB renders the numeric fields `width`, `height`, `size`, `time`, `expiration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NumberStyle {
    /// As JSON strings (`"width":"640"`), as in ImgBB's documented example.
    #[default]
    String,
    /// As JSON numbers (`"width":640`).
    Number,
}

/// The Instagram app registered with the simulated Instagram, and publishing behaviour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstagramConfig {
    /// The Instagram app id (`client_id`).
    pub client_id: String,
    /// The Instagram app secret (`client_secret`); also the key of Meta `signed_request`s.
    pub client_secret: String,
    /// Shape of the short-lived token exchange answer.
    pub token_response_shape: TokenShape,
    /// Shape of `/me` answers.
    pub me_response_shape: MeShape,
    /// Time an image container stays `IN_PROGRESS` before `FINISHED`, in milliseconds.
    pub image_processing_ms: u64,
    /// Time a video container stays `IN_PROGRESS` before `FINISHED`, in milliseconds.
    pub video_processing_ms: u64,
    /// Default `quota_total` (publishes per rolling 24 h) for accounts without their own.
    pub quota_total: u32,
    /// Timeout of the simulator's own download of media URLs, in milliseconds.
    pub media_fetch_timeout_ms: u64,
    /// When a media download fails, answer `status_code: ""` (with the `Error: ...` status)
    /// instead of `status_code: "ERROR"`: both have been observed.
    pub empty_status_code_on_download_error: bool,
    /// How long a published media stays out of the `/{ig-user-id}/media` and `/stories`
    /// lists, in milliseconds: Instagram's lists can lag behind a publish.
    pub media_list_lag_ms: u64,
    /// Accounts that exist from start-up.
    pub accounts: Vec<IgAccountSpec>,
}

impl Default for InstagramConfig {
    fn default() -> Self {
        Self {
            client_id: "990000000000001".to_owned(),
            client_secret: "sim-instagram-app-secret".to_owned(),
            token_response_shape: TokenShape::Flat,
            me_response_shape: MeShape::Flat,
            image_processing_ms: 1_000,
            video_processing_ms: 3_000,
            quota_total: 100,
            media_fetch_timeout_ms: 10_000,
            empty_status_code_on_download_error: false,
            media_list_lag_ms: 0,
            accounts: vec![IgAccountSpec {
                username: "aistudio_demo".to_owned(),
                ..IgAccountSpec::default()
            }],
        }
    }
}

/// An Instagram professional account to create.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct IgAccountSpec {
    /// The account's username.
    pub username: String,
    /// Professional account id (`user_id` of `/me`, used in publishing paths and webhooks).
    /// Generated when absent.
    pub user_id: Option<String>,
    /// App-scoped id (`id` of `/me`, `user_id` of the token exchange). Generated when absent.
    pub app_scoped_id: Option<String>,
    /// This account's `quota_total`; the Instagram default when absent.
    pub quota_total: Option<u32>,
}

/// The ImgBB API key and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImgbbConfig {
    /// The accepted API `key`.
    pub api_key: String,
    /// Largest accepted image, in bytes (ImgBB: 32 MiB).
    pub max_upload_bytes: u64,
    /// Rendering of numeric fields in upload answers.
    pub number_style: NumberStyle,
}

impl Default for ImgbbConfig {
    fn default() -> Self {
        Self {
            api_key: "sim-imgbb-key".to_owned(),
            max_upload_bytes: 32 * 1024 * 1024,
            number_style: NumberStyle::String,
        }
    }
}

/// The Google OAuth client and the Google users who can sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GoogleConfig {
    /// OAuth client id (also the id token `aud`).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Redirect URIs accepted at authorize; empty accepts any. The token exchange must always
    /// present the redirect URI used at authorize.
    pub allowed_redirect_uris: Vec<String>,
    /// `iss` of id tokens and of the discovery document. Default: `{base}/google`.
    pub issuer: Option<String>,
    /// Users who can sign in.
    pub users: Vec<GoogleUser>,
}

impl Default for GoogleConfig {
    fn default() -> Self {
        Self {
            client_id: "sim-google-client-id.apps.googleusercontent.com".to_owned(),
            client_secret: "sim-google-client-secret".to_owned(),
            allowed_redirect_uris: Vec::new(),
            issuer: None,
            users: vec![
                GoogleUser {
                    sub: "100000000000000000001".to_owned(),
                    email: "alice@example.com".to_owned(),
                    email_verified: true,
                    name: "Alice Example".to_owned(),
                    picture: Some("https://example.com/avatars/alice.png".to_owned()),
                },
                GoogleUser {
                    sub: "100000000000000000002".to_owned(),
                    email: "bob@example.com".to_owned(),
                    email_verified: false,
                    name: "Bob Unverified".to_owned(),
                    picture: None,
                },
            ],
        }
    }
}

/// The SMTP sink: where it listens and its limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Address of the SMTP server (plain TCP, no TLS). `None`: no SMTP server.
    pub listen: Option<SocketAddr>,
    /// Name the server gives in its greeting and `EHLO` answer.
    pub hostname: String,
    /// Largest accepted message (after dot-unstuffing), in bytes; advertised as `SIZE`.
    pub max_message_bytes: u64,
    /// Recipients accepted per message.
    pub max_recipients: usize,
    /// How long a connection may stay silent before the server closes it (421), in ms.
    pub idle_timeout_ms: u64,
    /// Messages kept in the inbox; the oldest go first beyond this.
    pub inbox_capacity: usize,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            listen: None,
            hostname: "sim.localhost".to_owned(),
            max_message_bytes: 10 * 1024 * 1024,
            max_recipients: 100,
            idle_timeout_ms: 300_000,
            inbox_capacity: 1000,
        }
    }
}

/// A Google account that can sign in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GoogleUser {
    /// Stable subject identifier.
    pub sub: String,
    /// Email address.
    pub email: String,
    /// Whether Google asserts the address is verified.
    #[serde(default)]
    pub email_verified: bool,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Profile picture URL.
    #[serde(default)]
    pub picture: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::SimConfig;

    #[test]
    fn example_file_matches_defaults() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let parsed = SimConfig::from_file(&path).expect("example config parses");
        let defaults = SimConfig::default();
        assert_eq!(parsed.listen.to_string(), "127.0.0.1:8090");
        assert_eq!(parsed.seed, Some(42));
        assert_eq!(parsed.instagram.client_id, defaults.instagram.client_id);
        assert_eq!(parsed.instagram.accounts, defaults.instagram.accounts);
        assert_eq!(parsed.google.users, defaults.google.users);
        assert_eq!(
            parsed.imgbb.max_upload_bytes,
            defaults.imgbb.max_upload_bytes
        );
        assert!(parsed.faults.is_empty());
        assert_eq!(parsed.smtp.listen, None);
        assert_eq!(
            parsed.smtp.max_message_bytes,
            defaults.smtp.max_message_bytes
        );
        assert_eq!(parsed.smtp.hostname, defaults.smtp.hostname);
    }

    #[test]
    fn empty_json_is_a_complete_config() {
        let parsed: SimConfig = serde_json::from_str("{}").expect("parses");
        assert_eq!(parsed.instagram.quota_total, 100);
        let bad: Result<SimConfig, _> = serde_json::from_str(r#"{"instagramm":{}}"#);
        assert!(bad.is_err(), "unknown keys are refused");
    }
}

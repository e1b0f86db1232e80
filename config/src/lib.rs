//! Typed, layered, validated settings for every AIStudio process.
//!
//! Settings are read, in order, from the embedded defaults (`config/files/default.toml`), the
//! optional `<AISTUDIO_CONFIG_DIR>/<environment>.toml`, the optional file named by
//! `AISTUDIO_CONFIG_FILE`, and finally `AISTUDIO__SECTION__KEY` environment variables (or
//! `AISTUDIO__SECTION__KEY_FILE`, naming a file that holds the value). The result is
//! validated once at start-up: a process never runs with settings that production would regret
//! (simulator URLs, a missing or malformed token key, missing OAuth credentials).
//!
//! Every credential is a [`Secret`] whose `Debug` output is redacted; connection strings are
//! shown only through [`connection_url::redacted`].
#![forbid(unsafe_code)]

pub mod connection_url;
mod env_files;
mod error;
mod load;
mod settings;
mod validate;

pub use error::{ConfigError, Problem};
pub use load::{DEFAULTS, Sources};
pub use secrecy::{ExposeSecret, SecretString as Secret};
pub use settings::{
    Environment, GoogleSettings, ImgbbSettings, InstagramSettings, LogFormat, LogSettings,
    MailSettings, MailTls, MediaSettings, MongoSettings, NotificationSettings, RedisSettings,
    SecuritySettings, ServerSettings, Settings, TlsSettings, WebhookSettings, WorkerSettings,
};
pub use validate::decode_token_key;

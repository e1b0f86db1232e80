//! A stateful simulator of the external services AIStudio talks to, for tests and local runs:
//!
//! - Instagram Login (consent screen, code exchange, long-lived tokens, refresh, `/me`) and the
//!   Graph API content publishing flow (containers that really download their media, processing
//!   delays, expiry, publish, permalink, the rolling publishing quota);
//! - ImgBB uploads, served back at their URL until they expire;
//! - Google OpenID Connect (consent screen, PKCE, RS256 id tokens, JWKS, userinfo);
//! - helpers for Meta's `signed_request` callbacks;
//! - an SMTP sink on its own port (when configured) with an inbox page and JSON API;
//! - fault injection per endpoint, a simulated clock, and an inspection report that proves
//!   every post was published exactly once.
//!
//! All services share one port, each under its own path prefix (see [`BaseUrls`]). Written
//! from the providers' public documentation only, independently of the product's clients.

#![forbid(unsafe_code)]

mod admin;
mod clock;
mod config;
mod control;
mod error;
pub mod faults;
mod google;
mod graph_error;
mod handle;
mod html;
mod ids;
mod imgbb;
mod inspect;
mod instagram;
mod mail;
mod media_sniff;
pub mod meta;
mod multipart;
mod params;
mod redirect;
mod server;
mod settings;
mod shared;
mod smtp;
mod time_fmt;
mod urls;

pub use config::{
    GoogleConfig, GoogleUser, IgAccountSpec, ImgbbConfig, InstagramConfig, MeShape, NumberStyle,
    SimConfig, SmtpConfig, TokenShape,
};
pub use control::{IssuedToken, TokenTarget};
pub use error::SimError;
pub use faults::{ActiveFault, Effect, Endpoint, FaultId, FaultRule};
pub use google::{GOOGLE_KEY_ID, google_jwks, sign_google_claims, sign_with_rogue_key};
pub use handle::{SimHandle, Simulator};
pub use inspect::{
    AccountReport, ContainerReport, PublishReport, Report, UploadReport, find_anomalies,
};
pub use instagram::{IgAccount, MediaType, StatusCode, TokenKind};
pub use mail::{MailAddress, MailHeader, MailMessage};
pub use settings::{Settings, SettingsPatch};
pub use urls::BaseUrls;

//! The base URL of each simulated service. All live on one port under path prefixes, so
//! each is a separately configurable base URL in the product.

use serde::{Deserialize, Serialize};

/// Base URLs (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseUrls {
    /// The simulator itself, e.g. `http://127.0.0.1:40123`.
    pub root: String,
    /// Replaces `https://www.instagram.com` (`/oauth/authorize`).
    pub instagram: String,
    /// Replaces `https://api.instagram.com` (`/oauth/access_token`).
    pub instagram_api: String,
    /// Replaces `https://graph.instagram.com` (`/access_token`, `/refresh_access_token`,
    /// `/{version}/...`).
    pub graph: String,
    /// Replaces `https://api.imgbb.com` (`/1/upload`); uploaded images are served below it.
    pub imgbb: String,
    /// Replaces `https://accounts.google.com`, `https://oauth2.googleapis.com`,
    /// `https://openidconnect.googleapis.com` and `https://www.googleapis.com`
    /// (`/o/oauth2/v2/auth`, `/token`, `/v1/userinfo`, `/oauth2/v3/certs`,
    /// `/.well-known/openid-configuration`).
    pub google: String,
    /// The issuer (`iss`) of Google id tokens.
    pub google_issuer: String,
    /// Admin and inspection endpoints (`/_sim`).
    pub admin: String,
    /// The SMTP sink's inbox: the page, and the JSON API under `/api/messages`.
    pub mail: String,
}

impl BaseUrls {
    pub(crate) fn new(root: &str, google_issuer: Option<&str>) -> Self {
        let root = root.trim_end_matches('/').to_owned();
        let google = format!("{root}/google");
        Self {
            instagram: format!("{root}/instagram"),
            instagram_api: format!("{root}/instagram-api"),
            graph: format!("{root}/graph"),
            imgbb: format!("{root}/imgbb"),
            google_issuer: google_issuer.map_or_else(|| google.clone(), str::to_owned),
            google,
            admin: format!("{root}/_sim"),
            mail: format!("{root}/mail"),
            root,
        }
    }
}

//! The public view of an account (never the password hash).

use aistudio_jobs::store::User;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An account as the owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserOut {
    /// Account id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email (normalised).
    pub email: String,
    /// Picture from Google, if signed in with Google.
    pub picture: Option<String>,
    /// `user`, `operator` or `admin`.
    pub role: &'static str,
    /// Whether the account can sign in with a password.
    pub has_password: bool,
    /// Whether a Google account is linked.
    pub google_linked: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the owner confirmed the email address; `null` while it is not confirmed.
    pub email_verified_at: Option<DateTime<Utc>>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            picture: u.picture.clone(),
            role: u.role.as_str(),
            has_password: u.password_hash.is_some(),
            google_linked: u.google_sub.is_some(),
            created_at: u.created_at,
            email_verified_at: u.email_verified_at,
        }
    }
}

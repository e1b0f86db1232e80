//! Sessions: only the SHA-256 of each token is stored, with its kind, expiry and revocation.
//!
//! A session is issued for one place and works only there: the dashboard's cookie and API
//! bearer tokens are the customer's sessions (the api takes either), console sessions are the
//! admin console's only, and a console session never outlives [`CONSOLE_MAX_LIFETIME`].

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{StoreError, bson_now};
use crate::crypto::session_token;

pub(super) const COLLECTION: &str = "sessions";

/// Longest life of a console session, whatever `security.session_ttl_hours` says.
pub const CONSOLE_MAX_LIFETIME: Duration = Duration::hours(12);

/// What a session was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// The dashboard's cookie (sign-up, log-in, Google sign-in).
    Dashboard,
    /// A bearer token for API clients (`POST /auth/token`).
    Api,
    /// The admin console's cookie.
    Console,
}

impl SessionKind {
    /// Whether the api takes this session (the customer's own sessions).
    pub fn is_customer(self) -> bool {
        matches!(self, Self::Dashboard | Self::Api)
    }
}

/// A stored session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    /// SHA-256 (hex) of the token.
    #[serde(rename = "_id")]
    pub token_hash: String,
    /// Whose session.
    pub user_id: String,
    /// Created.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Unusable after this instant; the TTL index removes it later.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub expires_at: DateTime<Utc>,
    /// Set when revoked (log-out, password change, account deletion).
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub revoked_at: Option<DateTime<Utc>>,
    /// What it was issued for; absent on sessions stored before kinds existed (see
    /// [`Session::kind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SessionKind>,
}

impl Session {
    /// What the session is for. A session stored without a kind is taken for a console
    /// session when it was issued for at most [`CONSOLE_MAX_LIFETIME`] (console sessions never
    /// lasted longer), else for a customer's session: a long-lived token never opens the
    /// console, and a console session never becomes an API token.
    pub fn kind(&self) -> SessionKind {
        self.kind.unwrap_or_else(|| {
            if self.expires_at - self.created_at <= CONSOLE_MAX_LIFETIME {
                SessionKind::Console
            } else {
                SessionKind::Dashboard
            }
        })
    }

    /// Whether it can be used at `now`: neither revoked nor expired, and a console session
    /// not older than [`CONSOLE_MAX_LIFETIME`].
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        let console_expired =
            self.kind() == SessionKind::Console && now - self.created_at >= CONSOLE_MAX_LIFETIME;
        self.revoked_at.is_none() && self.expires_at > now && !console_expired
    }
}

/// Repository of [`Session`]s.
#[derive(Debug, Clone)]
pub struct Sessions {
    collection: Collection<Session>,
}

impl Sessions {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Starts a session of `kind` (a console session lasts at most
    /// [`CONSOLE_MAX_LIFETIME`]); returns the token for the client (never stored).
    pub async fn create(
        &self,
        user_id: &str,
        kind: SessionKind,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let (token, token_hash) = session_token::generate();
        let now = Utc::now();
        let ttl = match kind {
            SessionKind::Console => ttl.min(CONSOLE_MAX_LIFETIME),
            SessionKind::Dashboard | SessionKind::Api => ttl,
        };
        self.collection
            .insert_one(Session {
                token_hash,
                user_id: user_id.to_string(),
                created_at: now,
                expires_at: now + ttl,
                revoked_at: None,
                kind: Some(kind),
            })
            .await?;
        Ok(token)
    }

    /// The session of `token` if it can be used now ([`Session::is_valid_at`]); the caller
    /// checks that its [`Session::kind`] is the one it takes.
    pub async fn find_valid(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let session = self
            .collection
            .find_one(doc! { "_id": session_token::digest(token) })
            .await?;
        Ok(session.filter(|s| s.is_valid_at(Utc::now())))
    }

    /// Revokes one session.
    pub async fn revoke(&self, token: &str) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": session_token::digest(token), "revoked_at": null },
                doc! { "$set": { "revoked_at": bson_now() } },
            )
            .await?;
        Ok(())
    }

    /// Revokes every session of a user except `keep` (a token hash); how many were revoked.
    pub async fn revoke_all(&self, user_id: &str, keep: Option<&str>) -> Result<u64, StoreError> {
        let mut filter = doc! { "user_id": user_id, "revoked_at": null };
        if let Some(keep) = keep {
            filter.insert("_id", doc! { "$ne": keep });
        }
        let result = self
            .collection
            .update_many(filter, doc! { "$set": { "revoked_at": bson_now() } })
            .await?;
        Ok(result.modified_count)
    }

    /// Deletes every session of a user (account deletion); how many.
    pub async fn delete_all(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{Session, SessionKind};

    fn session(kind: Option<SessionKind>, lifetime: Duration) -> Session {
        let created_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Session {
            token_hash: "h".into(),
            user_id: "u".into(),
            created_at,
            expires_at: created_at + lifetime,
            revoked_at: None,
            kind,
        }
    }

    #[test]
    fn sessions_stored_without_a_kind_are_told_apart_by_their_lifetime() {
        let console = session(None, Duration::hours(12));
        assert_eq!(console.kind(), SessionKind::Console);
        let customer = session(None, Duration::hours(720));
        assert_eq!(customer.kind(), SessionKind::Dashboard);
        assert!(customer.kind().is_customer());
        let stored = session(Some(SessionKind::Api), Duration::hours(1));
        assert_eq!(stored.kind(), SessionKind::Api);
    }

    #[test]
    fn a_console_session_dies_at_twelve_hours_whatever_its_expiry() {
        let console = session(Some(SessionKind::Console), Duration::hours(720));
        let start = console.created_at;
        assert!(console.is_valid_at(start + Duration::hours(11)));
        assert!(!console.is_valid_at(start + Duration::hours(12)));
        let api = session(Some(SessionKind::Api), Duration::hours(720));
        assert!(api.is_valid_at(start + Duration::hours(13)));
        assert!(!api.is_valid_at(start + Duration::hours(720)));
    }
}

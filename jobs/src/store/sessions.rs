//! Sessions: only the SHA-256 of each token is stored, with its expiry and revocation.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{StoreError, bson_now};
use crate::crypto::session_token;

pub(super) const COLLECTION: &str = "sessions";

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

    /// Starts a session; returns the token for the client (never stored).
    pub async fn create(&self, user_id: &str, ttl: Duration) -> Result<String, StoreError> {
        let (token, token_hash) = session_token::generate();
        let now = Utc::now();
        self.collection
            .insert_one(Session {
                token_hash,
                user_id: user_id.to_string(),
                created_at: now,
                expires_at: now + ttl,
                revoked_at: None,
            })
            .await?;
        Ok(token)
    }

    /// The session of `token` if it is neither expired nor revoked.
    pub async fn find_valid(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let session = self
            .collection
            .find_one(doc! { "_id": session_token::digest(token) })
            .await?;
        Ok(session.filter(|s| s.revoked_at.is_none() && s.expires_at > Utc::now()))
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

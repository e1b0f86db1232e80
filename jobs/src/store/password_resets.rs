//! Password resets: single-use links valid for a short time. The api records the request; the
//! email job creates the token when it sends the link, so the token never sits in a job payload
//! or in Redis, and only its SHA-256 is stored.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::single_use_links::{self, SingleUseLink};

pub(super) const COLLECTION: &str = "password_resets";

/// A requested reset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PasswordReset {
    /// Random id (what the email job carries).
    #[serde(rename = "_id")]
    pub id: String,
    /// The account.
    pub user_id: String,
    /// Requested.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Unusable after this instant; the TTL index removes it a day later.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub expires_at: DateTime<Utc>,
    /// SHA-256 (hex) of the token in the link, once the link was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// Set when used, or when another reset of the account was used.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub used_at: Option<DateTime<Utc>>,
}

impl SingleUseLink for PasswordReset {
    fn id(&self) -> &str {
        &self.id
    }

    fn user_id(&self) -> &str {
        &self.user_id
    }

    fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// Repository of [`PasswordReset`]s.
#[derive(Debug, Clone)]
pub struct PasswordResets {
    collection: Collection<PasswordReset>,
}

impl PasswordResets {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Records a reset of `user_id`'s password, valid for `ttl`.
    pub async fn create(&self, user_id: &str, ttl: Duration) -> Result<PasswordReset, StoreError> {
        let now = Utc::now();
        let reset = PasswordReset {
            id: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user_id.to_string(),
            created_at: now,
            expires_at: now + ttl,
            token_hash: None,
            used_at: None,
        };
        self.collection.insert_one(&reset).await?;
        Ok(reset)
    }

    /// Makes the token of a reset's link (replacing any made before, whose email may not have
    /// arrived); `None` once the reset was used or expired.
    pub async fn issue_token(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, PasswordReset)>, StoreError> {
        single_use_links::issue_token(&self.collection, id, now).await
    }

    /// Uses the reset whose link carries `token`: its account once, if it is unused and
    /// unexpired; every other pending reset of the account stops working too.
    pub async fn redeem(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let reset = single_use_links::redeem(&self.collection, token, now).await?;
        Ok(reset.map(|r| r.user_id))
    }

    /// Deletes every reset of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

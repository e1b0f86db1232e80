//! Email verifications: single-use links that prove an account's address. As with password
//! resets, the api records the request and the email job makes the token when it sends the
//! link, so the token never sits in a job payload or in Redis, and only its SHA-256 is stored.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::single_use_links::{self, SingleUseLink};

pub(super) const COLLECTION: &str = "email_verifications";

/// A requested verification of one address of an account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmailVerification {
    /// Random id (what the email names).
    #[serde(rename = "_id")]
    pub id: String,
    /// The account.
    pub user_id: String,
    /// The address the link proves (the account's address when it was requested).
    pub email: String,
    /// Requested.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Unusable after this instant; the TTL index removes it a day later.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub expires_at: DateTime<Utc>,
    /// SHA-256 (hex) of the token in the link, once the link was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// Set when used, or when another verification of the account was used.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub used_at: Option<DateTime<Utc>>,
}

impl SingleUseLink for EmailVerification {
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

/// Repository of [`EmailVerification`]s.
#[derive(Debug, Clone)]
pub struct EmailVerifications {
    collection: Collection<EmailVerification>,
}

impl EmailVerifications {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Records a verification of `email` for `user_id`, valid for `ttl`.
    pub async fn create(
        &self,
        user_id: &str,
        email: &str,
        ttl: Duration,
    ) -> Result<EmailVerification, StoreError> {
        let now = Utc::now();
        let verification = EmailVerification {
            id: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user_id.to_string(),
            email: email.to_string(),
            created_at: now,
            expires_at: now + ttl,
            token_hash: None,
            used_at: None,
        };
        self.collection.insert_one(&verification).await?;
        Ok(verification)
    }

    /// Makes the token of a verification's link (replacing any made before, whose email may
    /// not have arrived); `None` once the verification was used or expired.
    pub async fn issue_token(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, EmailVerification)>, StoreError> {
        single_use_links::issue_token(&self.collection, id, now).await
    }

    /// Uses the verification whose link carries `token`, once, if it is unused and unexpired;
    /// every other pending verification of the account stops working too.
    pub async fn redeem(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EmailVerification>, StoreError> {
        single_use_links::redeem(&self.collection, token, now).await
    }

    /// Deletes every verification of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

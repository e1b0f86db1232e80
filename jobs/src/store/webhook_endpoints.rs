//! Webhook endpoints: where a user wants events sent, which events, and whether deliveries
//! there are on. The signing secret is sealed with the token vault (the endpoint id is its
//! associated data), shown once when made, and never read back out through the api.
//!
//! `failing_since` is when the current run of failed attempts began (cleared by any success);
//! a run longer than `webhooks.disable_after_secs` disables the endpoint.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{self, Bson, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::compare_and_set::update_then_read;
use super::{SealedToken, StoreError, bson_now};

pub(super) const COLLECTION: &str = "webhook_endpoints";

/// A registered endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookEndpoint {
    /// `whep_` and random hex.
    #[serde(rename = "_id")]
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// The `whsec_` signing secret, sealed.
    pub secret: SealedToken,
    /// Created.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Since when every attempt failed (none since a success); `None` when the last attempt
    /// succeeded or none was made.
    #[serde(
        default,
        with = "bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub failing_since: Option<DateTime<Utc>>,
    /// Why deliveries were turned off automatically (absent when on, or turned off by its owner).
    #[serde(default)]
    pub disabled_reason: Option<String>,
}

/// What an update changes (absent fields stay).
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    /// A new URL.
    pub url: Option<String>,
    /// New event types.
    pub events: Option<Vec<String>>,
    /// On or off; turning it on clears the failure streak and the reason it was turned off.
    pub enabled: Option<bool>,
}

/// Repository of [`WebhookEndpoint`]s.
#[derive(Debug, Clone)]
pub struct WebhookEndpoints {
    collection: Collection<WebhookEndpoint>,
}

impl WebhookEndpoints {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Stores a new endpoint.
    pub async fn insert(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        self.collection.insert_one(endpoint).await?;
        Ok(())
    }

    /// The endpoint `id`.
    pub async fn by_id(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// The endpoint `id` if `user_id` owns it.
    pub async fn by_id_for_user(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "user_id": user_id })
            .await?)
    }

    /// The user's endpoints, oldest first.
    pub async fn list_for_user(&self, user_id: &str) -> Result<Vec<WebhookEndpoint>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "user_id": user_id })
            .sort(doc! { "user_id": 1, "created_at": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// How many endpoints the user has.
    pub async fn count_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .count_documents(doc! { "user_id": user_id })
            .await?)
    }

    /// The user's enabled endpoints subscribed to `event_type`.
    pub async fn subscribed(
        &self,
        user_id: &str,
        event_type: &str,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "user_id": user_id, "enabled": true, "events": event_type })
            .await?
            .try_collect()
            .await?)
    }

    /// Applies `changes` to the user's endpoint; the endpoint after, `None` if not theirs.
    pub async fn update(
        &self,
        id: &str,
        user_id: &str,
        changes: &EndpointChanges,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let mut set = doc! { "updated_at": bson_now() };
        if let Some(url) = &changes.url {
            set.insert("url", url);
        }
        if let Some(events) = &changes.events {
            set.insert("events", events);
        }
        if let Some(enabled) = changes.enabled {
            set.insert("enabled", enabled);
            set.insert("disabled_reason", Bson::Null);
            if enabled {
                set.insert("failing_since", Bson::Null);
            }
        }
        update_then_read(
            &self.collection,
            doc! { "_id": id, "user_id": user_id },
            doc! { "$set": set },
        )
        .await
    }

    /// Replaces the sealed secret of the user's endpoint; whether it was theirs.
    pub async fn replace_secret(
        &self,
        id: &str,
        user_id: &str,
        secret: &SealedToken,
    ) -> Result<bool, StoreError> {
        let sealed = bson::to_bson(secret).map_err(|e| StoreError::Encode(e.to_string()))?;
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "user_id": user_id },
                doc! { "$set": { "secret": sealed, "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Records a successful attempt: the failure streak ends.
    pub async fn record_success(&self, id: &str) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id, "failing_since": { "$ne": Bson::Null } },
                doc! { "$set": { "failing_since": Bson::Null } },
            )
            .await?;
        Ok(())
    }

    /// Records a failed attempt at `at`; when the streak began.
    pub async fn record_failure(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id, "failing_since": Bson::Null },
                doc! { "$set": { "failing_since": bson::DateTime::from_chrono(at) } },
            )
            .await?;
        Ok(self
            .by_id(id)
            .await?
            .and_then(|e| e.failing_since)
            .unwrap_or(at))
    }

    /// Turns deliveries off for `reason`; true if this call turned them off.
    pub async fn disable(&self, id: &str, reason: &str) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "enabled": true },
                doc! { "$set": { "enabled": false, "disabled_reason": reason, "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Deletes the user's endpoint; whether it existed.
    pub async fn delete(&self, id: &str, user_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .collection
            .delete_one(doc! { "_id": id, "user_id": user_id })
            .await?
            .deleted_count
            == 1)
    }

    /// Deletes every endpoint of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

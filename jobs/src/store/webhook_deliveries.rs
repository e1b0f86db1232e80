//! Webhook deliveries: one document per (endpoint, event), its `_id` made of both, so an event
//! raised twice is delivered once. The body is fixed when the event is raised, so every retry
//! sends the same bytes under the same `webhook-id`. The delivery job claims a document with a
//! lease, attempts, and records the attempt in the delivery's log (the last
//! `webhooks.log_attempts` are kept).

use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use mongodb::bson::{self, Bson, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{StoreError, outbox_lease};

pub(super) const COLLECTION: &str = "webhook_deliveries";

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: the retry window ended, the endpoint answered 410, or it was disabled or deleted.
    Failed,
}

impl DeliveryStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// One attempt, as logged.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// When it started.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
    /// The HTTP status answered, if any.
    pub status_code: Option<u16>,
    /// Why no answer came (connection refused, time-out, a refused address), in words.
    pub error: Option<String>,
    /// How long the endpoint took, in milliseconds.
    pub response_ms: u64,
}

/// One event for one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookDelivery {
    /// `<endpoint id>.<event id>`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The endpoint's owner.
    pub user_id: String,
    /// The event (`webhook-id`).
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The exact body sent.
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts started so far.
    pub attempts: u32,
    /// Not attempted before this instant.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub next_attempt_at: DateTime<Utc>,
    /// Retried until `webhooks.retry_window_secs` after this: the event's time, or the time
    /// it was last redelivered.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub window_start: DateTime<Utc>,
    /// An attempt in progress holds the delivery until then.
    #[serde(
        default,
        with = "bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub lease_until: Option<DateTime<Utc>>,
    /// Created.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Why it failed, when it did.
    #[serde(default)]
    pub failure: Option<String>,
    /// The latest attempts, oldest first.
    #[serde(default)]
    pub log: Vec<DeliveryAttempt>,
}

impl WebhookDelivery {
    /// The id of `event_id`'s delivery to `endpoint_id`.
    pub fn id_for(endpoint_id: &str, event_id: &str) -> String {
        format!("{endpoint_id}.{event_id}")
    }
}

/// Repository of [`WebhookDelivery`]s.
#[derive(Debug, Clone)]
pub struct WebhookDeliveries {
    collection: Collection<WebhookDelivery>,
}

impl WebhookDeliveries {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Stores `delivery` unless its (endpoint, event) has one; whether it was stored.
    pub async fn insert_once(&self, delivery: &WebhookDelivery) -> Result<bool, StoreError> {
        match self.collection.insert_one(delivery).await {
            Ok(_) => Ok(true),
            Err(e) => match StoreError::from(e) {
                StoreError::Duplicate => Ok(false),
                other => Err(other),
            },
        }
    }

    /// The delivery `id`.
    pub async fn by_id(&self, id: &str) -> Result<Option<WebhookDelivery>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// The delivery `id` if it belongs to the user's endpoint `endpoint_id`.
    pub async fn by_id_for_endpoint(
        &self,
        id: &str,
        endpoint_id: &str,
        user_id: &str,
    ) -> Result<Option<WebhookDelivery>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "endpoint_id": endpoint_id, "user_id": user_id })
            .await?)
    }

    /// The endpoint's latest deliveries, newest first.
    pub async fn latest_for_endpoint(
        &self,
        endpoint_id: &str,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "endpoint_id": endpoint_id })
            .sort(doc! { "endpoint_id": 1, "created_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Takes a pending, due delivery that no attempt holds, for `lease`, counting the attempt.
    pub async fn claim(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<WebhookDelivery>, StoreError> {
        outbox_lease::claim(&self.collection, id, now, lease).await
    }

    /// Ends the claimed attempt of `delivery`: its log becomes `log`, and its status and next
    /// attempt as given; the lease is let go.
    pub async fn finish(
        &self,
        delivery: &WebhookDelivery,
        log: &[DeliveryAttempt],
        status: DeliveryStatus,
        next_attempt_at: DateTime<Utc>,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        let log = bson::to_bson(log).map_err(|e| StoreError::Encode(e.to_string()))?;
        self.collection
            .update_one(
                doc! { "_id": &delivery.id, "status": "pending", "attempts": delivery.attempts as i64 },
                doc! { "$set": {
                    "log": log,
                    "status": status.as_str(),
                    "next_attempt_at": bson::DateTime::from_chrono(next_attempt_at),
                    "failure": failure.map_or(Bson::Null, |f| Bson::String(f.to_string())),
                    "lease_until": Bson::Null,
                } },
            )
            .await?;
        Ok(())
    }

    /// Fails a pending delivery without an attempt (its endpoint is disabled or gone).
    pub async fn give_up(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id, "status": "pending" },
                doc! { "$set": { "status": "failed", "failure": reason, "lease_until": Bson::Null } },
            )
            .await?;
        Ok(())
    }

    /// Makes the delivery due again now, with a new retry window (redelivery); the delivery
    /// after.
    pub async fn redeliver(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebhookDelivery>, StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id },
                doc! { "$set": {
                    "status": "pending",
                    "next_attempt_at": bson::DateTime::from_chrono(now),
                    "window_start": bson::DateTime::from_chrono(now),
                    "failure": Bson::Null,
                } },
            )
            .await?;
        self.by_id(id).await
    }

    /// Pending deliveries whose attempt is due and that no attempt holds, with their attempt
    /// counts (for the sweep that queues again what Redis lost), oldest first.
    pub async fn due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(String, u32)>, StoreError> {
        outbox_lease::due(&self.collection, now, limit).await
    }

    /// Fails every pending delivery of an endpoint (it was disabled); how many.
    pub async fn give_up_for_endpoint(
        &self,
        endpoint_id: &str,
        reason: &str,
    ) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .update_many(
                doc! { "endpoint_id": endpoint_id, "status": "pending" },
                doc! { "$set": { "status": "failed", "failure": reason } },
            )
            .await?
            .modified_count)
    }

    /// Deletes every delivery of an endpoint; how many.
    pub async fn delete_for_endpoint(&self, endpoint_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "endpoint_id": endpoint_id })
            .await?
            .deleted_count)
    }

    /// Deletes every delivery of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

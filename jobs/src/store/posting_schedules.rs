//! Posting schedules: per Instagram connection, the weekly time slots that "Add to queue" fills,
//! in the account's time zone, and whether its queue is paused. One document per connection
//! (`_id` = the connection id).

use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::compare_and_set::update_then_read;
use crate::domain::WeeklySlot;

pub(super) const COLLECTION: &str = "posting_schedules";

/// The posting schedule of one connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PostingSchedule {
    /// The connection it belongs to.
    #[serde(rename = "_id")]
    pub connection_id: String,
    /// The connection's owner.
    pub user_id: String,
    /// The IANA time zone of the slots.
    pub time_zone: String,
    /// The weekly slots, sorted by day then time.
    pub slots: Vec<WeeklySlot>,
    /// Incremented by every change; a change names the version it starts from.
    pub version: i64,
    /// Last changed.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub updated_at: DateTime<Utc>,
    /// Set while the queue is paused: no queued post of the connection publishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<QueuePause>,
}

/// A pause of a connection's queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueuePause {
    /// The schedule version the pause wrote: the mark of the posts it holds
    /// ([`super::Post::held`]). Versions only grow, so a later pause holds with a larger one.
    pub version: i64,
    /// When the queue was paused.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
}

/// Repository of [`PostingSchedule`]s.
#[derive(Debug, Clone)]
pub struct PostingSchedules {
    collection: Collection<PostingSchedule>,
}

impl PostingSchedules {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// The schedule of the user's connection, if one was ever saved.
    pub async fn for_connection(
        &self,
        connection_id: &str,
        user_id: &str,
    ) -> Result<Option<PostingSchedule>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": connection_id, "user_id": user_id })
            .await?)
    }

    /// Saves `time_zone` and `slots` as the next version after `version` (0: none saved yet),
    /// leaving a pause as it is. `None` when another change landed first (or, for version 0,
    /// a schedule already exists).
    pub async fn save(
        &self,
        connection_id: &str,
        user_id: &str,
        version: i64,
        time_zone: &str,
        slots: Vec<WeeklySlot>,
    ) -> Result<Option<PostingSchedule>, StoreError> {
        let schedule = PostingSchedule {
            connection_id: connection_id.to_string(),
            user_id: user_id.to_string(),
            time_zone: time_zone.to_string(),
            slots,
            version: version.saturating_add(1),
            updated_at: Utc::now(),
            paused: None,
        };
        if version == 0 {
            return match self.collection.insert_one(&schedule).await {
                Ok(_) => Ok(Some(schedule)),
                Err(e) => match StoreError::from(e) {
                    StoreError::Duplicate => Ok(None),
                    other => Err(other),
                },
            };
        }
        let slots = mongodb::bson::to_bson(&schedule.slots)
            .map_err(|e| StoreError::Encode(e.to_string()))?;
        update_then_read(
            &self.collection,
            doc! { "_id": connection_id, "user_id": user_id, "version": version },
            doc! {
                "$set": {
                    "time_zone": time_zone,
                    "slots": slots,
                    "updated_at": mongodb::bson::DateTime::from_chrono(schedule.updated_at),
                },
                "$inc": { "version": 1 },
            },
        )
        .await
    }

    /// Pauses the queue of the saved schedule at `version`, if it is not paused; the schedule
    /// as written, or `None` when it changed meanwhile, is paused already or was never saved.
    pub async fn pause(
        &self,
        connection_id: &str,
        user_id: &str,
        version: i64,
    ) -> Result<Option<PostingSchedule>, StoreError> {
        let pause = QueuePause {
            version: version.saturating_add(1),
            at: Utc::now(),
        };
        let pause =
            mongodb::bson::to_bson(&pause).map_err(|e| StoreError::Encode(e.to_string()))?;
        update_then_read(
            &self.collection,
            doc! { "_id": connection_id, "user_id": user_id, "version": version, "paused": null },
            doc! {
                "$set": { "paused": pause, "updated_at": mongodb::bson::DateTime::now() },
                "$inc": { "version": 1 },
            },
        )
        .await
    }

    /// Resumes the paused queue of the schedule at `version`; the schedule as written, or
    /// `None` when it changed meanwhile or is not paused.
    pub async fn resume(
        &self,
        connection_id: &str,
        user_id: &str,
        version: i64,
    ) -> Result<Option<PostingSchedule>, StoreError> {
        update_then_read(
            &self.collection,
            doc! {
                "_id": connection_id, "user_id": user_id, "version": version,
                "paused": { "$ne": null },
            },
            doc! {
                "$unset": { "paused": "" },
                "$set": { "updated_at": mongodb::bson::DateTime::now() },
                "$inc": { "version": 1 },
            },
        )
        .await
    }

    /// Removes every schedule of the user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }

    /// Removes the schedule of a connection (the connection is removed); how many (0 or 1).
    pub async fn delete_for_connection(&self, connection_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_one(doc! { "_id": connection_id })
            .await?
            .deleted_count)
    }
}

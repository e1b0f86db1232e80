//! Posting schedules: per Instagram connection, the weekly time slots that "Add to queue" fills,
//! in the account's time zone. One document per connection (`_id` = the connection id).

use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
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

    /// Saves `time_zone` and `slots` as the next version after `version` (0: none saved yet).
    /// `None` when another change landed first (or, for version 0, a schedule already exists).
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
            version: version + 1,
            updated_at: Utc::now(),
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
        let replaced = self
            .collection
            .replace_one(
                doc! { "_id": connection_id, "user_id": user_id, "version": version },
                &schedule,
            )
            .await?;
        Ok((replaced.modified_count == 1).then_some(schedule))
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

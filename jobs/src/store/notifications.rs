//! The notification center: one document per account event shown in the dashboard. Its id is
//! derived from the event's key, so raising the same event again stores nothing new.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{self, Bson, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::NotificationKind;

pub(super) const COLLECTION: &str = "notifications";

/// One notification in a user's notification center.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Notification {
    /// SHA-256 (hex) of the event key.
    #[serde(rename = "_id")]
    pub id: String,
    /// The event, e.g. `post_failed:<post id>:<version>`.
    pub event: String,
    /// The account it is for.
    pub user_id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// One line saying what happened.
    pub title: String,
    /// What it means and what to do, in plain words.
    pub body: String,
    /// The object it is about (a post or a connection id).
    pub object_id: String,
    /// Where in the dashboard to act on it (a path below `/app/`).
    pub link: String,
    /// Raised.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// When the user marked it read.
    #[serde(
        default,
        with = "bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub read_at: Option<DateTime<Utc>>,
}

/// Repository of [`Notification`]s.
#[derive(Debug, Clone)]
pub struct Notifications {
    collection: Collection<Notification>,
}

impl Notifications {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Stores `notification` unless its event already has one; whether it was stored.
    pub async fn insert_once(&self, notification: &Notification) -> Result<bool, StoreError> {
        match self.collection.insert_one(notification).await {
            Ok(_) => Ok(true),
            Err(e) => match StoreError::from(e) {
                StoreError::Duplicate => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Which of these ids are stored.
    pub async fn existing(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Notification> = self
            .collection
            .find(doc! { "_id": { "$in": ids } })
            .await?
            .try_collect()
            .await?;
        Ok(found.into_iter().map(|n| n.id).collect())
    }

    /// A page of a user's notifications, newest first, strictly after `after`.
    pub async fn page_for_user(
        &self,
        user_id: &str,
        after: Option<(DateTime<Utc>, String)>,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let mut filter = doc! { "user_id": user_id };
        if let Some((at, id)) = after {
            let at = bson::DateTime::from_chrono(at);
            filter.insert(
                "$or",
                vec![
                    doc! { "created_at": { "$lt": at } },
                    doc! { "created_at": at, "_id": { "$lt": id } },
                ],
            );
        }
        Ok(self
            .collection
            .find(filter)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many of a user's notifications are unread.
    pub async fn unread_count(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .count_documents(doc! { "user_id": user_id, "read_at": Bson::Null })
            .await?)
    }

    /// Marks one of a user's notifications read (once: the first time stays); the
    /// notification, or `None` when the user has no such notification.
    pub async fn mark_read(
        &self,
        user_id: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Notification>, StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id, "user_id": user_id, "read_at": Bson::Null },
                doc! { "$set": { "read_at": bson::DateTime::from_chrono(at) } },
            )
            .await?;
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "user_id": user_id })
            .await?)
    }

    /// Marks every unread notification of a user read; how many.
    pub async fn mark_all_read(&self, user_id: &str, at: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .update_many(
                doc! { "user_id": user_id, "read_at": Bson::Null },
                doc! { "$set": { "read_at": bson::DateTime::from_chrono(at) } },
            )
            .await?
            .modified_count)
    }

    /// Deletes every notification of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

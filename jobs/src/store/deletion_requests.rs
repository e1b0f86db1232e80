//! Deletion requests and their receipts: what was deleted and when, without personal data.
//!
//! The id doubles as the confirmation code shown to the user (or to Meta). While the request is
//! pending it holds the id of what is being deleted; once completed only counts remain.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::compare_and_set::update_then_read;
use super::{StoreError, bson_now};

pub(super) const COLLECTION: &str = "deletion_requests";

/// What is being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionKind {
    /// A whole AIStudio account, at its owner's request.
    Account,
    /// Everything tied to an Instagram user, at Meta's request.
    InstagramData,
}

/// Progress of a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionStatus {
    /// Accepted; the deletion job has not finished.
    Pending,
    /// Everything is deleted.
    Completed,
}

/// A deletion request / receipt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletionRequest {
    /// Random id, also the confirmation code.
    #[serde(rename = "_id")]
    pub id: String,
    /// What is deleted.
    pub kind: DeletionKind,
    /// Id of the account or Instagram user, only while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
    /// Progress.
    pub status: DeletionStatus,
    /// When it was requested.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub requested_at: DateTime<Utc>,
    /// When it completed.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub completed_at: Option<DateTime<Utc>>,
    /// Documents deleted, per kind of record.
    #[serde(default)]
    pub deleted: BTreeMap<String, i64>,
}

/// Repository of [`DeletionRequest`]s.
#[derive(Debug, Clone)]
pub struct DeletionRequests {
    collection: Collection<DeletionRequest>,
}

impl DeletionRequests {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Records a new pending request, or returns the one already pending for this subject
    /// (a unique index makes concurrent requests converge on one).
    pub async fn open(
        &self,
        kind: DeletionKind,
        subject_id: &str,
    ) -> Result<DeletionRequest, StoreError> {
        match self.create(kind, subject_id).await {
            Err(StoreError::Duplicate) => self
                .pending_for(kind, subject_id)
                .await?
                .ok_or(StoreError::Duplicate),
            other => other,
        }
    }

    async fn create(
        &self,
        kind: DeletionKind,
        subject_id: &str,
    ) -> Result<DeletionRequest, StoreError> {
        let mut code = [0u8; 16];
        rand::rng().fill_bytes(&mut code);
        let request = DeletionRequest {
            id: hex::encode(code),
            kind,
            subject_id: Some(subject_id.to_string()),
            status: DeletionStatus::Pending,
            requested_at: Utc::now(),
            completed_at: None,
            deleted: BTreeMap::new(),
        };
        self.collection.insert_one(&request).await?;
        Ok(request)
    }

    /// The request with this id.
    pub async fn find(&self, id: &str) -> Result<Option<DeletionRequest>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// The pending request for this subject, if any.
    pub async fn pending_for(
        &self,
        kind: DeletionKind,
        subject_id: &str,
    ) -> Result<Option<DeletionRequest>, StoreError> {
        let kind = mongodb::bson::to_bson(&kind).map_err(|e| StoreError::Encode(e.to_string()))?;
        Ok(self
            .collection
            .find_one(doc! { "kind": kind, "subject_id": subject_id, "status": "pending" })
            .await?)
    }

    /// Adds `count` deleted records of `what` to the receipt.
    pub async fn add_count(&self, id: &str, what: &str, count: u64) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id },
                doc! { "$inc": { format!("deleted.{what}"): count as i64 } },
            )
            .await?;
        Ok(())
    }

    /// Marks the request completed and forgets the subject's id.
    pub async fn complete(&self, id: &str) -> Result<Option<DeletionRequest>, StoreError> {
        update_then_read(
            &self.collection,
            doc! { "_id": id },
            doc! {
                "$set": { "status": "completed", "completed_at": bson_now() },
                "$unset": { "subject_id": "" },
            },
        )
        .await
    }

    /// Pending requests older than `before`, for the sweep that re-drives stalled deletions.
    pub async fn stalled(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DeletionRequest>, StoreError> {
        use futures::TryStreamExt;
        Ok(self
            .collection
            .find(doc! {
                "status": "pending",
                "requested_at": { "$lt": mongodb::bson::DateTime::from_chrono(before) },
            })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}

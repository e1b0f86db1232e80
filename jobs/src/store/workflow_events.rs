//! The publishing workflow's event log: one document per step attempt (which step, which
//! attempt, which worker, when, how it ended, and the Graph API error if any). The admin
//! console's timeline reads it; nothing here ever holds a token.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const COLLECTION: &str = "workflow_events";

/// How a step attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Done; the workflow moved on.
    Succeeded,
    /// Will be tried again (`next_retry_at`).
    Retrying,
    /// Waiting on purpose (container processing, throttling, quota window).
    Waiting,
    /// The post failed.
    Failed,
    /// The post was parked until the account is reconnected.
    Parked,
    /// Nothing to do (canceled, already done, lease held elsewhere).
    Skipped,
}

/// The Graph API (or other provider) error of a step attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepError {
    /// The error class the workflow acted on (e.g. `transient`, `throttled`, `bad_content`).
    pub class: String,
    /// Graph API error code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Graph API error subcode, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<i64>,
    /// The message.
    pub message: String,
}

/// One step attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkflowEvent {
    /// The post.
    pub post_id: String,
    /// Its owner.
    pub user_id: String,
    /// The step (`claim`, `prepare_media`, `create_containers`, `poll_containers`, `publish`,
    /// `fetch_permalink`).
    pub step: String,
    /// Attempt number of this step (1-based).
    pub attempt: u32,
    /// The worker process that ran it.
    pub worker: String,
    /// When it started.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub started_at: DateTime<Utc>,
    /// When it ended.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub ended_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: StepOutcome,
    /// What went wrong, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
    /// When it will be tried again.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub next_retry_at: Option<DateTime<Utc>>,
    /// A short note (e.g. the container or media id produced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Repository of [`WorkflowEvent`]s.
#[derive(Debug, Clone)]
pub struct WorkflowEvents {
    collection: Collection<WorkflowEvent>,
}

impl WorkflowEvents {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Appends an event.
    pub async fn record(&self, event: &WorkflowEvent) -> Result<(), StoreError> {
        self.collection.insert_one(event).await?;
        Ok(())
    }

    /// Appends events in one command.
    pub async fn record_many(&self, events: &[WorkflowEvent]) -> Result<(), StoreError> {
        if !events.is_empty() {
            self.collection.insert_many(events).await?;
        }
        Ok(())
    }

    /// A post's events, oldest first (at most `limit`).
    pub async fn for_post(
        &self,
        post_id: &str,
        limit: i64,
    ) -> Result<Vec<WorkflowEvent>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "post_id": post_id })
            .sort(doc! { "started_at": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Deletes every event of a user's posts (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }

    /// Deletes every event of one post; how many.
    pub async fn delete_for_post(&self, post_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "post_id": post_id })
            .await?
            .deleted_count)
    }

    /// Events that started in `[from, to)`, oldest first, at most `limit`: what the console's
    /// throughput and failure-rate charts are drawn from.
    pub async fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WorkflowEvent>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "started_at": {
                "$gte": mongodb::bson::DateTime::from_chrono(from),
                "$lt": mongodb::bson::DateTime::from_chrono(to),
            } })
            .sort(doc! { "started_at": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Ids of posts with an event in `[from, to)` whose error message contains `text` (case
    /// insensitive) or whose Graph error code or subcode is `text`; at most `limit` ids.
    pub async fn post_ids_with_error(
        &self,
        text: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut matches = vec![doc! { "error.message": {
            "$regex": escape_regex(text), "$options": "i",
        } }];
        if let Ok(code) = text.trim().parse::<i64>() {
            matches.push(doc! { "error.code": code });
            matches.push(doc! { "error.subcode": code });
        }
        matches.push(doc! { "error.class": text.trim() });
        let mut cursor = self
            .collection
            .find(doc! {
                "started_at": {
                    "$gte": mongodb::bson::DateTime::from_chrono(from),
                    "$lt": mongodb::bson::DateTime::from_chrono(to),
                },
                "$or": matches,
            })
            .sort(doc! { "started_at": -1 })
            .limit(20 * limit as i64)
            .await?;
        let mut ids: Vec<String> = Vec::new();
        while let Some(event) = cursor.try_next().await? {
            if !ids.contains(&event.post_id) {
                ids.push(event.post_id);
                if ids.len() >= limit {
                    break;
                }
            }
        }
        Ok(ids)
    }

    /// The newest events that wait for a later time (`waiting` or `retrying` with
    /// `next_retry_at` after `now`), at most `limit`: deferred posts.
    pub async fn deferred(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WorkflowEvent>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "outcome": { "$in": ["waiting", "retrying"] },
                "next_retry_at": { "$gt": mongodb::bson::DateTime::from_chrono(now) },
            })
            .sort(doc! { "started_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}

/// `text` with every regular-expression metacharacter escaped, so a search is literal.
fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$|?*+()[]{}-/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn searches_are_literal() {
        assert_eq!(super::escape_regex("a.b*(c)"), r"a\.b\*\(c\)");
        assert_eq!(super::escape_regex("plain"), "plain");
    }
}

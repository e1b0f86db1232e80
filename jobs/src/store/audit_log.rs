//! The audit log: every operator action in the admin console (who, what, when, on what, and how
//! it ended), kept for the console to show and for incident reviews.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const COLLECTION: &str = "audit_log";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It was done.
    Done,
    /// It was refused (the target changed meanwhile, or is in the wrong state).
    Refused,
    /// It failed (a dependency error).
    Failed,
}

impl AuditOutcome {
    /// The outcome's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// One audited action.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// Opaque id.
    #[serde(rename = "_id")]
    pub id: String,
    /// When.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
    /// The operator's user id.
    pub actor_id: String,
    /// The operator's email, as it was at the time.
    pub actor_email: String,
    /// What (`retry`, `cancel`, `bulk_retry`, `requeue_dead`, `sign_in`, ...).
    pub action: String,
    /// On what (`post:<id>`, `account:<id>`, `job:<queue>/<id>`, `filter:<query>`).
    pub target: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Details for a human (new time, counts, the refusal's reason).
    pub detail: String,
}

/// Repository of [`AuditEntry`]s.
#[derive(Debug, Clone)]
pub struct AuditLog {
    collection: Collection<AuditEntry>,
}

impl AuditLog {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Appends an entry.
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.collection.insert_one(entry).await?;
        Ok(())
    }

    /// The newest entries (at most `limit`), optionally only those about `target`, before
    /// `before` (for paging).
    pub async fn recent(
        &self,
        target: Option<&str>,
        before: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut filter = doc! {};
        if let Some(target) = target {
            filter.insert("target", target);
        }
        if let Some(before) = before {
            filter.insert(
                "at",
                doc! { "$lt": mongodb::bson::DateTime::from_chrono(before) },
            );
        }
        Ok(self
            .collection
            .find(filter)
            .sort(doc! { "at": -1, "_id": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}

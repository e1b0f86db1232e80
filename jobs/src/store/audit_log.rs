//! The audit log: every operator action in the admin console (who, what, when, on what, from
//! where, and how it ended), refused attempts included, kept for the console to show and for
//! incident reviews.
//!
//! Refusals are written with [`AuditLog::record_refusal`]: entries with the same key (reason,
//! address, and the signed-in operator if any) within one clock minute are one entry whose
//! `repeats` counts them, so a flood writes at most one entry per key per minute. Refusals are
//! kept [`REFUSAL_RETENTION`]; actions are kept for good.

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const COLLECTION: &str = "audit_log";

/// How long refused attempts stay in the log (the TTL index on `discard_at`).
pub const REFUSAL_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

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
    /// The client's address (absent on entries written before addresses were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Why an attempt was refused, as a code (`csrf_wrong`, `role_required`,
    /// `wrong_password`, ...); absent on actions that ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How many attempts this entry stands for (refusals of one key within a minute).
    #[serde(default = "one")]
    pub repeats: u32,
    /// When the TTL index removes it (refusals only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub discard_at: Option<DateTime<Utc>>,
}

fn one() -> u32 {
    1
}

/// The id shared by refusals of `key` in the minute of `at`.
fn refusal_id(key: &str, at: DateTime<Utc>) -> String {
    let minute = at
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(at)
        .format("%Y%m%dT%H%M");
    format!("refusal:{minute}:{key}")
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

    /// Records a refused attempt: the first of `key` in this minute is stored as `entry` (its
    /// id and retention set here), later ones only add to its `repeats`.
    pub async fn record_refusal(&self, key: &str, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut stored = mongodb::bson::to_document(&AuditEntry {
            id: refusal_id(key, entry.at),
            discard_at: Some(entry.at + REFUSAL_RETENTION),
            ..entry.clone()
        })
        .map_err(|e| StoreError::Encode(e.to_string()))?;
        stored.remove("repeats");
        let id = stored.remove("_id").unwrap_or_default();
        let update: Document = doc! { "$setOnInsert": stored, "$inc": { "repeats": 1 } };
        self.collection
            .update_one(doc! { "_id": id }, update)
            .upsert(true)
            .await?;
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn refusals_of_one_key_share_an_id_within_a_clock_minute() {
        let at = |s| Utc.with_ymd_and_hms(2026, 12, 2, 10, 15, s).unwrap();
        let id = super::refusal_id("csrf_wrong|127.0.0.1|u1", at(0));
        assert_eq!(id, "refusal:20261202T1015:csrf_wrong|127.0.0.1|u1");
        assert_eq!(id, super::refusal_id("csrf_wrong|127.0.0.1|u1", at(59)));
        assert_ne!(id, super::refusal_id("csrf_wrong|127.0.0.2|u1", at(59)));
        let next = Utc.with_ymd_and_hms(2026, 12, 2, 10, 16, 0).unwrap();
        assert_ne!(id, super::refusal_id("csrf_wrong|127.0.0.1|u1", next));
    }
}

//! One document per canary job: proof that a job pushed to the queue was run by a worker.

use chrono::{DateTime, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const COLLECTION: &str = "canary_runs";

/// A completed canary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CanaryRun {
    /// The id the canary was pushed with.
    pub canary_id: String,
    /// Worker process that ran it.
    pub worker: String,
    /// When the worker started it.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub started_at: DateTime<Utc>,
    /// When the worker finished it.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub finished_at: DateTime<Utc>,
}

/// Repository of [`CanaryRun`]s.
#[derive(Debug, Clone)]
pub struct CanaryRuns {
    collection: Collection<CanaryRun>,
}

impl CanaryRuns {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Records a finished canary.
    pub async fn record(&self, run: &CanaryRun) -> Result<(), StoreError> {
        self.collection.insert_one(run).await?;
        Ok(())
    }

    /// Every run of one canary id (more than one means it ran twice).
    pub async fn find(&self, canary_id: &str) -> Result<Vec<CanaryRun>, StoreError> {
        use futures::TryStreamExt;
        Ok(self
            .collection
            .find(doc! { "canary_id": canary_id })
            .await?
            .try_collect()
            .await?)
    }
}

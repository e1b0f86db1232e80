//! One document per run of the periodic queue-maintenance job.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::doc;
use mongodb::options::FindOptions;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const COLLECTION: &str = "maintenance_runs";

/// What one maintenance run did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaintenanceRun {
    /// The cron tick (Unix seconds) the run belongs to.
    pub tick: i64,
    /// Worker process that ran it.
    pub worker: String,
    /// Finished jobs removed from Redis.
    pub vacuumed: u64,
    /// When the run started.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub started_at: DateTime<Utc>,
    /// When the run finished.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub finished_at: DateTime<Utc>,
}

/// Repository of [`MaintenanceRun`]s.
#[derive(Debug, Clone)]
pub struct MaintenanceRuns {
    collection: Collection<MaintenanceRun>,
}

impl MaintenanceRuns {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Appends a run. Runs are never merged: two documents for one tick mean it ran twice.
    pub async fn record(&self, run: &MaintenanceRun) -> Result<(), StoreError> {
        self.collection.insert_one(run).await?;
        Ok(())
    }

    /// The most recent runs, newest tick first.
    pub async fn recent(&self, limit: i64) -> Result<Vec<MaintenanceRun>, StoreError> {
        let options = FindOptions::builder()
            .sort(doc! { "tick": -1 })
            .limit(limit)
            .build();
        Ok(self
            .collection
            .find(doc! {})
            .with_options(options)
            .await?
            .try_collect()
            .await?)
    }
}

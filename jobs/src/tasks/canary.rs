//! Canary jobs: an operator (or a test) pushes one and sees it recorded by a worker, which
//! proves the whole path (api or CLI -> Redis -> worker -> MongoDB). A canary may ask the
//! worker to hold it for a while, to observe in-flight behaviour such as a graceful shutdown.

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::queue::Job;
use crate::store::{CanaryRun, Store, StoreError};

/// Queue name of canary jobs.
pub const QUEUE: &str = "canary";

/// Longest a canary may hold a worker slot.
pub const MAX_HOLD: Duration = Duration::from_secs(120);

/// A canary job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Canary {
    /// Caller-chosen id, recorded with the run.
    pub canary_id: String,
    /// How long the worker keeps the job running before recording it (capped at [`MAX_HOLD`]).
    pub hold_ms: u64,
}

impl Job for Canary {
    const QUEUE: &'static str = QUEUE;
}

impl Canary {
    /// Holds for the requested time, then records the run.
    #[tracing::instrument(skip(store), fields(canary_id = %self.canary_id))]
    pub async fn run(&self, store: &Store, worker: &str) -> Result<CanaryRun, StoreError> {
        let started_at = Utc::now();
        tokio::time::sleep(Duration::from_millis(self.hold_ms).min(MAX_HOLD)).await;
        let run = CanaryRun {
            canary_id: self.canary_id.clone(),
            worker: worker.to_string(),
            started_at,
            finished_at: Utc::now(),
        };
        store.canary_runs().record(&run).await?;
        tracing::info!("canary finished");
        Ok(run)
    }
}

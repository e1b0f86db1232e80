//! Periodic queue maintenance: removes finished jobs from Redis and records the run.
//!
//! Every worker process runs the same cron schedule, so each tick is pushed by every process;
//! the push carries the idempotency key `maintenance:<tick>`, so Redis keeps exactly one job
//! per tick and exactly one worker runs it.

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::queue::{Job, Queue, QueueError, vacuum_finished};
use crate::store::{MaintenanceRun, Store, StoreError};

/// Queue name of maintenance jobs.
pub const QUEUE: &str = "maintenance";

/// One maintenance run, for one cron tick.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueueMaintenance {
    /// The cron tick (Unix seconds).
    pub tick: i64,
}

impl Job for QueueMaintenance {
    const QUEUE: &'static str = QUEUE;
}

/// Why a maintenance run failed.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Re-driving stalled deletions failed.
    #[error(transparent)]
    Sweep(#[from] crate::tasks::deletion_sweep::SweepError),
    /// Raising missed notifications failed.
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
}

impl QueueMaintenance {
    /// Pushes the job of one tick; any number of processes may call this for the same tick.
    pub async fn enqueue(queue: &Queue, tick: i64) -> Result<(), QueueError> {
        queue.push_tick(Self { tick }, tick).await
    }

    /// Vacuums every queue, re-drives stalled deletions, queues again the due emails and webhook
    /// deliveries Redis lost, and records the run.
    #[tracing::instrument(skip(queue, store), fields(tick = self.tick))]
    pub async fn run(
        &self,
        queue: &Queue,
        store: &Store,
        worker: &str,
        older_than: Duration,
        notify_window: chrono::Duration,
    ) -> Result<MaintenanceRun, MaintenanceError> {
        let started_at = Utc::now();
        let mut vacuumed = 0;
        for name in crate::tasks::QUEUES {
            vacuumed += vacuum_finished(queue, name, older_than).await?;
        }
        crate::tasks::deletion_sweep::redrive_stalled_deletions(store, queue, self.tick).await?;
        requeue_due_emails(store, queue).await?;
        crate::notify::sweep(store, queue, started_at - notify_window).await?;
        requeue_due_webhooks(store, queue).await?;
        let run = MaintenanceRun {
            tick: self.tick,
            worker: worker.to_string(),
            vacuumed,
            started_at,
            finished_at: Utc::now(),
        };
        store.maintenance_runs().record(&run).await?;
        metrics::counter!("aistudio_maintenance_runs_total").increment(1);
        metrics::counter!("aistudio_jobs_vacuumed_total").increment(vacuumed);
        tracing::info!(vacuumed, "queue maintenance finished");
        Ok(run)
    }
}

/// Queues every pending email whose attempt is due and that no attempt holds (Redis lost its
/// job, or a worker died holding it); the push is deduplicated with the job already queued.
async fn requeue_due_emails(store: &Store, queue: &Queue) -> Result<(), MaintenanceError> {
    for (email_id, attempts) in store.emails().due(Utc::now(), 1000).await? {
        crate::tasks::SendEmail::enqueue(queue, &email_id, attempts, None).await?;
    }
    Ok(())
}

/// Queues every pending webhook delivery whose attempt is due and that no attempt holds (Redis
/// lost its job, a worker died holding it, or its first push failed).
async fn requeue_due_webhooks(store: &Store, queue: &Queue) -> Result<(), MaintenanceError> {
    for (delivery_id, attempts) in store.webhook_deliveries().due(Utc::now(), 1000).await? {
        crate::tasks::DeliverWebhook::enqueue(queue, &delivery_id, attempts, None).await?;
    }
    Ok(())
}

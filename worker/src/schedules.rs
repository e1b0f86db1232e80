//! Periodic schedules. Every worker process runs each schedule; what a tick does is pushed to
//! the queue with an idempotency key, so it runs once per tick however many processes there are.

use aistudio_jobs::tasks::{QueueMaintenance, RefreshSweep};
use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;

use crate::deps::Deps;

/// On each maintenance tick, pushes that tick's maintenance job (deduplicated across processes).
pub async fn enqueue_maintenance(tick: Tick, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let tick = i64::try_from(tick.get_timestamp())?;
    QueueMaintenance::enqueue(&deps.queue, tick).await?;
    tracing::debug!(tick, "maintenance tick pushed");
    Ok(())
}

/// On each token-refresh tick, pushes that tick's sweep (deduplicated across processes).
pub async fn enqueue_refresh_sweep(tick: Tick, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let tick = i64::try_from(tick.get_timestamp())?;
    RefreshSweep::enqueue(&deps.queue, tick).await?;
    Ok(())
}

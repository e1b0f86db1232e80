//! Periodic schedules. Every worker process runs each schedule; what a tick does is pushed to
//! the queue with an idempotency key, so it runs once per tick however many processes there are.

use aistudio_jobs::tasks::{QueueMaintenance, RefreshSweep};
use aistudio_jobs::workflow::dispatcher::Dispatch;
use aistudio_jobs::workflow::reconciler::Reconcile;
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

/// On each dispatcher tick, pushes that tick's run (deduplicated across processes).
pub async fn enqueue_dispatch(tick: Tick, deps: Data<Deps>) -> Result<(), BoxDynError> {
    Dispatch::enqueue(&deps.queue, i64::try_from(tick.get_timestamp())?).await?;
    Ok(())
}

/// On each reconciler tick, pushes that tick's run (deduplicated across processes).
pub async fn enqueue_reconcile(tick: Tick, deps: Data<Deps>) -> Result<(), BoxDynError> {
    Reconcile::enqueue(&deps.queue, i64::try_from(tick.get_timestamp())?).await?;
    Ok(())
}

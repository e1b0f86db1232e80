//! apalis handlers: thin adapters from a queued payload to the job's logic in `aistudio-jobs`.

use std::time::Duration;

use aistudio_jobs::tasks::token_refresh::RefreshError;
use aistudio_jobs::tasks::{
    Canary, DeleteAccount, DeleteInstagramData, QueueMaintenance, RefreshSweep, RefreshToken,
};
use apalis::prelude::{AbortError, BoxDynError, Data};

use aistudio_jobs::tasks::{DeliverWebhook, PublishPost, SendEmail};
use aistudio_jobs::workflow::dispatcher::Dispatch;
use aistudio_jobs::workflow::reconciler::Reconcile;

use crate::deps::Deps;

/// Runs one queue-maintenance tick.
pub async fn run_maintenance(job: QueueMaintenance, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let older_than = Duration::from_secs(deps.settings.worker.vacuum_older_than_secs);
    let notify_window = chrono::Duration::hours(deps.settings.notifications.sweep_hours as i64);
    job.run(
        &deps.queue,
        &deps.store,
        &deps.worker,
        older_than,
        notify_window,
    )
    .await?;
    Ok(())
}

/// Runs one canary.
pub async fn run_canary(job: Canary, deps: Data<Deps>) -> Result<(), BoxDynError> {
    job.run(&deps.store, &deps.worker).await?;
    Ok(())
}

/// Deletes one account (idempotent, resumable).
pub async fn run_account_deletion(job: DeleteAccount, deps: Data<Deps>) -> Result<(), BoxDynError> {
    job.run(&deps.store, &deps.queue, deps.media.as_ref())
        .await?;
    Ok(())
}

/// Deletes what is tied to an Instagram user (Meta's data-deletion callback).
pub async fn run_instagram_data_deletion(
    job: DeleteInstagramData,
    deps: Data<Deps>,
) -> Result<(), BoxDynError> {
    job.run(&deps.store, &deps.queue).await?;
    Ok(())
}

/// Pushes the refreshes that are due.
pub async fn run_refresh_sweep(job: RefreshSweep, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let window = chrono::Duration::days(deps.settings.instagram.refresh_window_days as i64);
    job.run(&deps.store, &deps.queue, window).await?;
    Ok(())
}

/// Refreshes one token; permanent failures are not retried.
pub async fn run_token_refresh(job: RefreshToken, deps: Data<Deps>) -> Result<(), BoxDynError> {
    match job
        .run(&deps.store, &deps.queue, &deps.vault, &deps.instagram)
        .await
    {
        Ok(_) => Ok(()),
        Err(RefreshError::Permanent(reason)) => {
            Err(AbortError::new(RefreshError::Permanent(reason)).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Drives one post's publishing workflow.
pub async fn run_publish(job: PublishPost, deps: Data<Deps>) -> Result<(), BoxDynError> {
    deps.engine.drive(&job.post_id).await?;
    Ok(())
}

/// Queues the posts that are due.
pub async fn run_dispatch(job: Dispatch, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let w = &deps.settings.workflow;
    job.run(
        &deps.store,
        &deps.queue,
        Duration::from_secs(w.dispatch_lookahead_secs),
        Duration::from_secs(w.prepare_ahead_secs),
        w.max_queued,
    )
    .await?;
    Ok(())
}

/// Resumes stalled workflows and refreshes the late/parked/deferred gauges.
pub async fn run_reconcile(job: Reconcile, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let w = &deps.settings.workflow;
    job.run(
        &deps.store,
        &deps.queue,
        chrono::Duration::seconds(w.lease_secs as i64),
        chrono::Duration::seconds(w.late_after_secs as i64),
    )
    .await?;
    Ok(())
}

/// Delivers one outbox email (its outcome is recorded in the outbox, retries scheduled there).
pub async fn run_send_email(job: SendEmail, deps: Data<Deps>) -> Result<(), BoxDynError> {
    job.run(&deps.store, &deps.queue, &deps.mailer, &deps.settings)
        .await?;
    Ok(())
}

/// Attempts one webhook delivery (its outcome is recorded with the delivery, retries scheduled
/// there).
pub async fn run_deliver_webhook(job: DeliverWebhook, deps: Data<Deps>) -> Result<(), BoxDynError> {
    job.run(&deps.store, &deps.queue, &deps.vault, &deps.settings)
        .await?;
    Ok(())
}

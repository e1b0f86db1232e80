//! apalis handlers: thin adapters from a queued payload to the job's logic in `aistudio-jobs`.

use std::time::Duration;

use aistudio_jobs::tasks::token_refresh::RefreshError;
use aistudio_jobs::tasks::{
    Canary, DeleteAccount, DeleteInstagramData, QueueMaintenance, RefreshSweep, RefreshToken,
};
use apalis::prelude::{AbortError, BoxDynError, Data};

use crate::deps::Deps;

/// Runs one queue-maintenance tick.
pub async fn run_maintenance(job: QueueMaintenance, deps: Data<Deps>) -> Result<(), BoxDynError> {
    let older_than = Duration::from_secs(deps.settings.worker.vacuum_older_than_secs);
    job.run(&deps.queue, &deps.store, &deps.worker, older_than)
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
    job.run(&deps.store, &deps.store.media_files()).await?;
    Ok(())
}

/// Deletes what is tied to an Instagram user (Meta's data-deletion callback).
pub async fn run_instagram_data_deletion(
    job: DeleteInstagramData,
    deps: Data<Deps>,
) -> Result<(), BoxDynError> {
    job.run(&deps.store).await?;
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
    match job.run(&deps.store, &deps.vault, &deps.instagram).await {
        Ok(_) => Ok(()),
        Err(RefreshError::Permanent(reason)) => {
            Err(AbortError::new(RefreshError::Permanent(reason)).into())
        }
        Err(e) => Err(e.into()),
    }
}

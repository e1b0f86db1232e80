//! apalis handlers: thin adapters from a queued payload to the job's logic in `aistudio-jobs`.

use std::time::Duration;

use aistudio_jobs::tasks::{Canary, DeleteAccount, QueueMaintenance};
use apalis::prelude::{BoxDynError, Data};

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

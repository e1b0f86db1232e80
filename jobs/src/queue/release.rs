//! Clean hand-back of a stopping worker's prefetched jobs.
//!
//! A worker fetches jobs in batches into its own in-flight set. When it stops, jobs it fetched
//! but never started would otherwise wait for the orphan timeout (and apalis-redis's own close
//! path leaves the worker registered). After the worker has finished its running jobs, this
//! moves whatever is still in its in-flight set back to the queue and unregisters it.

use std::sync::LazyLock;

use redis::Script;

use super::{Queue, QueueError};

static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("release.lua")));

/// Returns the jobs `worker` still holds in queue `name` to the queue; how many went back.
pub async fn release_worker(queue: &Queue, name: &str, worker: &str) -> Result<u64, QueueError> {
    let config = queue.config_for(name);
    let mut conn = queue.connection();
    let released: u64 = RELEASE
        .key(format!("{}:{}", config.inflight_jobs_set(), worker))
        .key(config.active_jobs_list())
        .key(config.signal_list())
        .key(config.workers_set())
        .arg(worker)
        .invoke_async(&mut conn)
        .await?;
    Ok(released)
}

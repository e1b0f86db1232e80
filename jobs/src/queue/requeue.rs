//! Requeueing a dead job: one task id moved from a queue's dead set back to its active list by
//! a script that touches only that job's keys (bounded, whatever the size of the queue).

use std::sync::LazyLock;

use redis::Script;

use super::{Queue, QueueError};

static REQUEUE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("requeue.lua")));

/// What became of a requeue request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeued {
    /// The job is back in the active list with a fresh attempt count.
    Done,
    /// The job is not in the dead set (already requeued, or never dead).
    NotDead,
    /// The job's payload is gone (vacuumed): nothing to run.
    DataGone,
}

/// Moves dead job `id` of queue `name` back to the queue.
pub async fn requeue_dead(queue: &Queue, name: &str, id: &str) -> Result<Requeued, QueueError> {
    let config = queue.config_for(name);
    let mut conn = queue.connection();
    let result: i64 = REQUEUE
        .key(config.dead_jobs_set())
        .key(config.active_jobs_list())
        .key(config.signal_list())
        .key(format!("{}:{id}", config.job_meta_hash()))
        .key(config.job_data_hash())
        .arg(id)
        .invoke_async(&mut conn)
        .await?;
    Ok(match result {
        1 => Requeued::Done,
        0 => Requeued::NotDead,
        _ => Requeued::DataGone,
    })
}

//! Removal of finished jobs from Redis.
//!
//! apalis-redis keeps every finished job's data until vacuumed, and its own vacuum reads the
//! whole data hash in one script call (blocking Redis on a large backlog) and leaves the done
//! set growing. This walks the done set in bounded batches instead.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use redis::Script;

use super::{Queue, QueueError};

static VACUUM: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("vacuum.lua")));

const BATCH: u32 = 500;

/// Removes jobs of queue `name` that finished more than `older_than` ago; returns how many.
pub async fn vacuum_finished(
    queue: &Queue,
    name: &str,
    older_than: Duration,
) -> Result<u64, QueueError> {
    let config = queue.config_for(name);
    let cutoff = SystemTime::now()
        .checked_sub(older_than)
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut conn = queue.connection();
    let mut cursor = String::from("0");
    let mut removed = 0;
    loop {
        let (next, batch): (String, u64) = VACUUM
            .key(config.done_jobs_set())
            .key(config.job_data_hash())
            .key(config.job_meta_hash())
            .arg(&cursor)
            .arg(BATCH)
            .arg(cutoff)
            .invoke_async(&mut conn)
            .await?;
        removed += batch;
        if next == "0" {
            return Ok(removed);
        }
        cursor = next;
    }
}

//! Per-account throttle gates: when Instagram throttles an account, no call is made for that
//! account until the gate opens; other accounts are unaffected.

use std::time::Duration;

use crate::queue::{Queue, QueueError};

fn key(queue: &Queue, ig_user_id: &str) -> String {
    queue.queue_name(&format!("throttle:{ig_user_id}"))
}

/// Closes the gate of an account for `wait`.
pub async fn close(queue: &Queue, ig_user_id: &str, wait: Duration) -> Result<(), QueueError> {
    let mut conn = queue.connection();
    redis::cmd("SET")
        .arg(key(queue, ig_user_id))
        .arg(1)
        .arg("PX")
        .arg(wait.as_millis().max(1) as u64)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

/// How long the account's gate stays closed, if it is.
pub async fn closed_for(queue: &Queue, ig_user_id: &str) -> Result<Option<Duration>, QueueError> {
    let mut conn = queue.connection();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(key(queue, ig_user_id))
        .query_async(&mut conn)
        .await?;
    Ok((ttl > 0).then(|| Duration::from_millis(ttl as u64)))
}

//! Fixed-window request budgets in Redis (e.g. password reset requests per email and per
//! address): each request spends one; past the budget the caller is told how long to wait.

use std::time::Duration;

use crate::queue::{Queue, QueueError};

/// Spends one request of `key`'s budget of `limit` per `window`; `Some(seconds to wait)` when
/// the budget is already spent (the refused request is not counted).
pub async fn spend(
    queue: &Queue,
    key: &str,
    limit: u64,
    window: Duration,
) -> Result<Option<u64>, QueueError> {
    let key = queue.queue_name(&format!("budget:{key}"));
    let mut conn = queue.connection();
    let (count, ttl): (u64, i64) = redis::pipe()
        .incr(&key, 1)
        .cmd("EXPIRE")
        .arg(&key)
        .arg(window.as_secs().max(1))
        .arg("NX")
        .ignore()
        .ttl(&key)
        .query_async(&mut conn)
        .await?;
    if count <= limit {
        return Ok(None);
    }
    redis::cmd("DECR")
        .arg(&key)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(Some(ttl.max(1) as u64))
}

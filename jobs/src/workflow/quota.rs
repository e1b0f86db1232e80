//! The per-account publishing ledger: Instagram allows `quota_total` publishes per rolling
//! 24 hours (read from Instagram); a Redis ledger reserves a slot atomically before each
//! publish, so workers publishing for the same account at once never exceed it.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use crate::queue::{Queue, QueueError};

static RESERVE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("quota.lua")));

/// Instagram's rolling window.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

fn key(queue: &Queue, ig_user_id: &str) -> String {
    queue.queue_name(&format!("quota:{ig_user_id}"))
}

/// Reserves a slot for `post_id`; `Some(wait)` when the window is full.
pub async fn reserve(
    queue: &Queue,
    ig_user_id: &str,
    post_id: &str,
    limit: u32,
) -> Result<Option<Duration>, QueueError> {
    let mut conn = queue.connection();
    let now = chrono::Utc::now().timestamp_millis();
    let wait: i64 = RESERVE
        .key(key(queue, ig_user_id))
        .arg(now)
        .arg(WINDOW.as_millis() as i64)
        .arg(limit)
        .arg(post_id)
        .invoke_async(&mut conn)
        .await?;
    Ok((wait > 0).then(|| Duration::from_millis(wait as u64)))
}

/// Gives a reservation back (the publish definitely did not happen).
pub async fn release(queue: &Queue, ig_user_id: &str, post_id: &str) -> Result<(), QueueError> {
    let mut conn = queue.connection();
    redis::cmd("ZREM")
        .arg(key(queue, ig_user_id))
        .arg(post_id)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

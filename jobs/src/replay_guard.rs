//! Refuses a value seen before (e.g. the signature of a Meta `signed_request`), remembered in
//! Redis for as long as the value could otherwise be accepted.

use std::time::Duration;

use crate::queue::{Queue, QueueError};

/// Records `value` under `scope`; true the first time, false for every replay within `ttl`.
pub async fn first_use(
    queue: &Queue,
    scope: &str,
    value: &str,
    ttl: Duration,
) -> Result<bool, QueueError> {
    let key = queue.queue_name(&format!("seen:{scope}:{value}"));
    let mut conn = queue.connection();
    let set: Option<String> = redis::cmd("SET")
        .arg(&key)
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(ttl.as_secs().max(1))
        .query_async(&mut conn)
        .await?;
    Ok(set.is_some())
}

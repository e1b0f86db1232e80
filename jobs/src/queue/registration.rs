//! Whether consumers are still registered in their queues' workers sets (apalis-redis's
//! `<namespace>:<queue>:workers`, consumer names scored by their last heartbeat). Another
//! worker's orphan recovery removes a consumer that stopped heartbeating.

use super::{Queue, QueueError};

/// For each `(queue, consumer name)`, whether the consumer is registered; one round trip.
pub async fn registered(
    queue: &Queue,
    consumers: &[(&str, &str)],
) -> Result<Vec<bool>, QueueError> {
    if consumers.is_empty() {
        // Still a round trip: the caller learns whether Redis answers.
        queue.ping().await?;
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for (name, consumer) in consumers {
        pipe.zscore(queue.config_for(name).workers_set(), *consumer);
    }
    let mut conn = queue.connection();
    let scores: Vec<Option<f64>> =
        tokio::time::timeout(super::RESPONSE_TIMEOUT, pipe.query_async(&mut conn))
            .await
            .map_err(|_| QueueError::Timeout(super::RESPONSE_TIMEOUT))??;
    Ok(scores.iter().map(Option::is_some).collect())
}

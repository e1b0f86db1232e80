//! Queue liveness on the api's `/metrics`: for every queue the workers serve, the jobs that are
//! due and the consumers that are live (`aistudio_queue_due_jobs{queue}`,
//! `aistudio_queue_live_consumers{queue}`), read from Redis when Prometheus scrapes, with the
//! same bounded commands as the admin console ([`queue_liveness`]).
//!
//! The api exports them, not the workers: when no worker is left to consume a queue, no worker
//! is left to report it either.

use std::time::Duration;

use aistudio_jobs::queue::Queue;
use aistudio_jobs::queue::consumers::queue_liveness;
use chrono::Utc;

/// Longest a scrape waits for Redis; past it the previous values are rendered.
const READ_LIMIT: Duration = Duration::from_secs(2);

/// Reads every queue's due jobs and live consumers and sets their gauges. When Redis does not
/// answer in time the gauges keep their previous values and a warning is logged.
pub async fn record(queue: &Queue) {
    let names = aistudio_jobs::tasks::QUEUES;
    match tokio::time::timeout(READ_LIMIT, queue_liveness(queue, names, Utc::now())).await {
        Ok(Ok(queues)) => {
            for liveness in queues {
                metrics::gauge!("aistudio_queue_due_jobs", "queue" => liveness.queue.clone())
                    .set(liveness.due as f64);
                metrics::gauge!("aistudio_queue_live_consumers", "queue" => liveness.queue)
                    .set(liveness.live as f64);
            }
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "queue liveness not read for /metrics"),
        Err(_) => {
            tracing::warn!(limit = ?READ_LIMIT, "queue liveness not read for /metrics in time")
        }
    }
}

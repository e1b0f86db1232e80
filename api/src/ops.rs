//! The operations listener: Prometheus `/metrics` on its own port, never exposed publicly.

use aistudio_jobs::queue::Queue;
use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::queue_gauges;

/// The metrics router: each scrape first reads the queues' liveness from Redis.
pub fn router(handle: PrometheusHandle, queue: Queue) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (handle, queue) = (handle.clone(), queue.clone());
            async move {
                queue_gauges::record(&queue).await;
                handle.render()
            }
        }),
    )
}

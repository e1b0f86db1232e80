//! The operations listener: Prometheus `/metrics` on its own port, never exposed publicly.

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

/// The metrics router.
pub fn router(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move { handle.render() }
        }),
    )
}

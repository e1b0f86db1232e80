//! The worker's operations listener: `/healthz`, `/readyz` and Prometheus `/metrics`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::deps::Deps;

#[derive(Clone)]
struct OpsState {
    deps: Deps,
    metrics: PrometheusHandle,
}

/// The operations router.
pub fn router(deps: Deps, metrics: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(get_readiness))
        .route(
            "/metrics",
            get(|State(s): State<OpsState>| async move { s.metrics.render() }),
        )
        .with_state(OpsState { deps, metrics })
}

async fn get_readiness(State(s): State<OpsState>) -> (StatusCode, Json<serde_json::Value>) {
    let readiness = aistudio_jobs::readiness::check(&s.deps.store, &s.deps.queue).await;
    let status = if readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "code": if readiness.is_ready() { "ready" } else { "not_ready" },
        "message": if readiness.is_ready() {
            "all dependencies reachable".to_string()
        } else {
            format!("unreachable: {}", readiness.failing().join(", "))
        },
        "worker": &*s.deps.worker,
        "checks": readiness,
    });
    (status, Json(body))
}

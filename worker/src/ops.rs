//! The worker's operations listener: `/healthz`, `/readyz` and Prometheus `/metrics`.
//!
//! `/readyz` is 503 when MongoDB or Redis does not answer, or when a queue consumer of this
//! process is stalled (named in `message` and in `checks.consumers`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::deps::Deps;
use crate::supervision::Supervision;

#[derive(Clone)]
struct OpsState {
    deps: Deps,
    supervision: Supervision,
    metrics: PrometheusHandle,
}

/// The operations router.
pub fn router(deps: Deps, supervision: Supervision, metrics: PrometheusHandle) -> Router {
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
        .with_state(OpsState {
            deps,
            supervision,
            metrics,
        })
}

async fn get_readiness(State(s): State<OpsState>) -> (StatusCode, Json<serde_json::Value>) {
    let readiness = aistudio_jobs::readiness::check(&s.deps.store, &s.deps.queue).await;
    let stalled = s.supervision.stalled();
    let (status, body) = readiness_answer(&readiness, &stalled);
    let mut body = body;
    body["worker"] = serde_json::json!(&*s.deps.worker);
    (status, Json(body))
}

/// The `/readyz` status and body for these dependency checks and stalled consumers.
fn readiness_answer(
    readiness: &aistudio_jobs::readiness::Readiness,
    stalled: &[String],
) -> (StatusCode, serde_json::Value) {
    let mut problems = Vec::new();
    if !readiness.is_ready() {
        problems.push(format!("unreachable: {}", readiness.failing().join(", ")));
    }
    if !stalled.is_empty() {
        problems.push(format!("stalled queue consumers: {}", stalled.join(", ")));
    }
    let ready = problems.is_empty();
    let mut checks = serde_json::json!(readiness);
    checks["consumers"] = serde_json::json!(if stalled.is_empty() {
        "ok".to_string()
    } else {
        format!("stalled: {}", stalled.join(", "))
    });
    let body = serde_json::json!({
        "code": if ready { "ready" } else { "not_ready" },
        "message": if ready {
            "all dependencies reachable, every queue consumer live".to_string()
        } else {
            problems.join("; ")
        },
        "checks": checks,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aistudio_jobs::readiness::Readiness;

    fn reachable() -> Readiness {
        Readiness {
            mongodb: "ok".into(),
            redis: "ok".into(),
        }
    }

    #[test]
    fn a_stalled_consumer_makes_the_worker_unready_and_is_named() {
        let (status, body) = readiness_answer(&reachable(), &["publish-dispatch".into()]);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "not_ready");
        assert_eq!(body["message"], "stalled queue consumers: publish-dispatch");
        assert_eq!(body["checks"]["consumers"], "stalled: publish-dispatch");
        assert_eq!(body["checks"]["redis"], "ok");
    }

    #[test]
    fn live_consumers_and_reachable_dependencies_are_ready() {
        let (status, body) = readiness_answer(&reachable(), &[]);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["checks"]["consumers"], "ok");
    }
}

//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;

/// Liveness answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthOut {
    /// Always `ok` while the process serves requests.
    pub status: &'static str,
}

/// Readiness answer: `ready` with every check `ok`, or `not_ready` naming what failed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadinessOut {
    /// `ready` or `not_ready`.
    pub code: &'static str,
    /// Which dependencies are unreachable, if any.
    pub message: String,
    /// `ok`, or why, per dependency.
    pub checks: ChecksOut,
}

/// Per-dependency check results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChecksOut {
    /// MongoDB.
    pub mongodb: String,
    /// Redis.
    pub redis: String,
}

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(get_health))
        .route("/readyz", get(get_readiness))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthOut)))]
pub async fn get_health() -> Json<HealthOut> {
    Json(HealthOut { status: "ok" })
}

/// MongoDB answers a read and Redis a `PING`, each within 3 s.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Every dependency answered", body = ReadinessOut),
        (status = 503, description = "A dependency is unreachable; `checks` says which", body = ReadinessOut),
    ))]
pub async fn get_readiness(State(state): State<AppState>) -> Response {
    let readiness = aistudio_jobs::readiness::check(&state.store, &state.queue).await;
    let ready = readiness.is_ready();
    let body = ReadinessOut {
        code: if ready { "ready" } else { "not_ready" },
        message: if ready {
            "all dependencies reachable".into()
        } else {
            format!("unreachable: {}", readiness.failing().join(", "))
        },
        checks: ChecksOut {
            mongodb: readiness.mongodb,
            redis: readiness.redis,
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

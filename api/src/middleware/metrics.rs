//! HTTP metrics: request count and latency per route template, method and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Records `aistudio_http_requests_total` and `aistudio_http_request_duration_seconds`.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("aistudio_http_requests_total", &labels).increment(1);
    metrics::histogram!("aistudio_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

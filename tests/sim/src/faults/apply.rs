//! Carrying out a fault decision inside a request.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Notify;

use super::{Decision, Effect, Endpoint, Family};
use crate::graph_error::GraphError;
use crate::html;
use crate::shared::Shared;

/// Lets a handler close its own connection without answering (installed per connection by
/// the server).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

impl ConnKill {
    /// Closes the connection and never returns.
    pub(crate) async fn drop_connection(&self) -> Response {
        self.0.notify_one();
        std::future::pending::<Response>().await
    }
}

/// The call being guarded.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Endpoint name for counters and rules.
    pub endpoint: Endpoint,
    /// Age of the object read by the call, for fresh-read faults.
    pub age_ms: Option<i64>,
    /// Object or account the call is about (used in error texts and usage headers).
    pub subject: Option<String>,
    /// The connection's kill switch.
    pub kill: Option<ConnKill>,
}

impl Call {
    /// A call with no object and no known connection.
    pub(crate) fn new(endpoint: Endpoint, kill: Option<ConnKill>) -> Self {
        Self {
            endpoint,
            age_ms: None,
            subject: None,
            kill,
        }
    }

    /// Sets the subject.
    pub(crate) fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the read object's age.
    pub(crate) fn aged(mut self, age_ms: Option<i64>) -> Self {
        self.age_ms = age_ms;
        self
    }
}

/// Counts the call, applies faults, and runs `action` unless a fault replaces it.
pub(crate) async fn guarded<F, Fut>(shared: &Shared, call: Call, action: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let decision = decide(shared, call.endpoint, call.age_ms);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None => action().await,
        Some((effect, false)) => render(shared, &call, effect).await,
        Some((effect, true)) => {
            let _real_answer = action().await;
            render(shared, &call, effect).await
        }
    }
}

/// Counts one call to `endpoint` and decides which faults hit it (counted when one does).
pub(crate) fn decide(shared: &Shared, endpoint: Endpoint, age_ms: Option<i64>) -> Decision {
    let mut guard = shared.lock();
    let state = &mut *guard;
    *state.calls.entry(endpoint).or_default() += 1;
    let decision = state.faults.decide(endpoint, age_ms, &mut state.ids);
    if decision.terminal.is_some() {
        *state.faults_fired.entry(endpoint).or_default() += 1;
    }
    decision
}

async fn render(shared: &Shared, call: &Call, effect: Effect) -> Response {
    let family = call.endpoint.family();
    match effect {
        Effect::GraphError {
            code,
            subcode,
            http_status,
            is_transient,
            message,
        } => {
            let default_status = if matches!(code, 1 | 2) { 500 } else { 400 };
            let status = status_or(http_status.unwrap_or(default_status));
            let message = message.unwrap_or_else(|| default_message(code).to_owned());
            error_in_family(family, status, code, subcode, is_transient, message)
        }
        Effect::Http {
            status,
            body,
            content_type,
            retry_after,
        } => {
            let status = status_or(status);
            let body = body.unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned());
            let mut response = (status, body).into_response();
            let content_type = content_type.unwrap_or_else(|| "text/plain; charset=utf-8".into());
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
        Effect::Latency { .. } | Effect::SmtpReply { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Effect::Drop => drop_or_fail(call).await,
        Effect::Timeout { ms } => {
            let hold = ms.map_or(shared.hang, Duration::from_millis);
            tokio::time::sleep(hold).await;
            drop_or_fail(call).await
        }
        Effect::Throttle {
            code,
            minutes,
            http_status,
        } => throttle(family, call, code, minutes, http_status),
        Effect::FreshReadError { .. } => {
            let id = call.subject.clone().unwrap_or_default();
            GraphError::object_not_found("get", &id).into_response()
        }
    }
}

async fn drop_or_fail(call: &Call) -> Response {
    match &call.kill {
        Some(kill) => kill.drop_connection().await,
        None => StatusCode::BAD_GATEWAY.into_response(),
    }
}

fn throttle(
    family: Family,
    call: &Call,
    code: Option<i64>,
    minutes: Option<u64>,
    http_status: Option<u16>,
) -> Response {
    let minutes = minutes.unwrap_or(5);
    let code = code.unwrap_or(80002);
    if family != Family::Graph {
        let mut response = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(minutes * 60));
        return response;
    }
    let business = call.subject.clone().unwrap_or_else(|| "0".to_owned());
    let usage = json!({
        business: [{
            "type": "instagram",
            "call_count": 100,
            "total_cputime": 25,
            "total_time": 25,
            "estimated_time_to_regain_access": minutes
        }]
    });
    let app_usage = json!({"call_count": 100, "total_cputime": 25, "total_time": 25});
    let status = status_or(http_status.unwrap_or(400));
    let mut response = GraphError::new(status, code, None, default_message(code))
        .transient(true)
        .into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&usage.to_string()) {
        headers.insert("x-business-use-case-usage", value);
    }
    if let Ok(value) = HeaderValue::from_str(&app_usage.to_string()) {
        headers.insert("x-app-usage", value);
    }
    response
}

/// An error rendered in the body shape of the endpoint's provider.
fn error_in_family(
    family: Family,
    status: StatusCode,
    code: i64,
    subcode: Option<i64>,
    is_transient: bool,
    message: String,
) -> Response {
    match family {
        Family::Graph => GraphError::new(status, code, subcode, message)
            .transient(is_transient)
            .into_response(),
        Family::IgOAuth => (
            status,
            axum::Json(
                json!({"error_type": "OAuthException", "code": code, "error_message": message}),
            ),
        )
            .into_response(),
        Family::Imgbb => (
            status,
            axum::Json(json!({
                "status_code": status.as_u16(),
                "error": {"message": message, "code": code},
                "status_txt": status.canonical_reason().unwrap_or("Error")
            })),
        )
            .into_response(),
        Family::Google => (
            status,
            axum::Json(json!({"error": "server_error", "error_description": message})),
        )
            .into_response(),
        Family::Page | Family::Smtp => html::error_page(status, "Something went wrong", &message),
    }
}

fn status_or(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn default_message(code: i64) -> &'static str {
    match code {
        1 => "An unknown error occurred",
        2 => "An unexpected error has occurred. Please retry your request later.",
        4 => "Application request limit reached",
        17 => "User request limit reached",
        32 => "Page request limit reached",
        613 => "Calls to this api have exceeded the rate limit.",
        80002 => {
            "There have been too many calls to this Instagram account. Wait a bit and try again."
        }
        190 => "Error validating access token",
        368 => "The action attempted has been deemed abusive or is otherwise disallowed",
        _ => "An error occurred",
    }
}

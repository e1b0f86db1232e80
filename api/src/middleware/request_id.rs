//! Request ids: taken from `x-request-id` when the caller sent a sane one, generated otherwise,
//! returned on the response, and recorded on the request's log span.

use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Generates random request ids.
#[derive(Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        id.parse().ok().map(RequestId::new)
    }
}

/// The span every request's logs are written in.
pub fn span<B>(request: &Request<B>) -> Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128)
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        user_id = tracing::field::Empty,
    )
}

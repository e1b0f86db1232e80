//! Request ids: taken from `x-request-id` when the caller sent a usable one (1 to 128 visible
//! ASCII characters), generated otherwise, returned on the response, and recorded on the
//! request's log span.

use axum::extract::Request;
use axum::http::HeaderName;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a caller.
pub const MAX_LEN: usize = 128;

/// Generates random request ids.
#[derive(Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        id.parse().ok().map(RequestId::new)
    }
}

/// Whether a caller's request id can be echoed and logged: 1 to [`MAX_LEN`] visible ASCII
/// characters (no spaces).
pub fn usable(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len()) && id.iter().all(u8::is_ascii_graphic)
}

/// Drops a caller's request id that is not [`usable`], so that a fresh one is generated.
pub async fn drop_unusable(mut request: Request) -> Request {
    if request
        .headers()
        .get_all(&REQUEST_ID)
        .iter()
        .any(|id| !usable(id.as_bytes()))
    {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// The span every request's logs are written in.
pub fn span<B>(request: &axum::http::Request<B>) -> Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| usable(v.as_bytes()))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        user_id = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ascii_ids_are_usable() {
        assert!(usable(b"caller-chosen-id"));
        assert!(usable("a".repeat(MAX_LEN).as_bytes()));
        assert!(usable(b"~!#"));
        for bad in [
            String::new(),
            "a".repeat(MAX_LEN + 1),
            "a".repeat(10_000),
            "with space".into(),
            "tab\there".into(),
            "caf\u{e9}".into(),
        ] {
            assert!(!usable(bad.as_bytes()), "{bad:?}");
        }
    }
}

//! How an embedded file is answered: its type, a strict content security policy, and
//! revalidation by entity tag (the files carry no content hash in their names, so browsers
//! must ask before reusing them; an unchanged file costs a 304).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Asset;

/// Only this origin's files; no inline script or style, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// FNV-1a: a stable fingerprint of the bytes for the entity tag.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Answers `asset` with `status`, or 304 when the request already holds this version.
pub fn serve(asset: &Asset, status: StatusCode, request: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", fingerprint(asset.bytes));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let headers = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    let mut response = if fresh && status == StatusCode::OK {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (status, headers, asset.bytes).into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

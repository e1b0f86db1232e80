//! HSTS for HTTPS served by the api itself: browsers that saw it use HTTPS only for a year.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// One year, as Caddy's front sends it.
const ONE_YEAR: &str = "max-age=31536000";

/// `router` with `Strict-Transport-Security` on every answer.
pub fn strict_transport(router: Router) -> Router {
    router.layer(axum::middleware::map_response(
        |mut response: Response| async {
            response.headers_mut().insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(ONE_YEAR),
            );
            response
        },
    ))
}

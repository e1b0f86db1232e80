//! The console's stylesheet and script, embedded in the binary (no CDN).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::AdminError;

const CSS: &str = include_str!("../assets/admin.css");
const JS: &str = include_str!("../assets/admin.js");

/// Serves an embedded asset.
pub async fn serve_asset(Path(file): Path<String>) -> Result<Response, AdminError> {
    let (body, kind) = match file.as_str() {
        "admin.css" => (CSS, "text/css; charset=utf-8"),
        "admin.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return Err(AdminError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response())
}

//! The web dashboard at `/app/`: its assets, and the shell for every other path below it (the
//! dashboard routes in the browser). Not part of the JSON API, so not in the OpenAPI document.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::dashboard::{SHELL, find_asset, serve};
use crate::error::ApiError;
use crate::state::AppState;

/// Routes of the dashboard.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(redirect_to_dashboard))
        .route("/app", get(redirect_to_dashboard))
        .route("/app/", get(get_shell))
        .route("/app/assets/{*path}", get(get_asset))
        .route("/app/{*path}", get(get_shell))
}

async fn redirect_to_dashboard() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/app/")]).into_response()
}

/// The shell; the dashboard's script shows the page the path names.
pub async fn get_shell(headers: HeaderMap) -> Response {
    serve(&SHELL, StatusCode::OK, &headers)
}

/// One of the dashboard's files; a missing one is a 404, never the shell.
pub async fn get_asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match find_asset(&path) {
        Some(asset) => serve(asset, StatusCode::OK, &headers),
        None => ApiError::NotFound("asset").into_response(),
    }
}

//! The public pages, readable without signing in: the privacy policy and the data-deletion
//! instructions. Not part of the JSON API, so not in the OpenAPI document.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;

use crate::dashboard::{PUBLIC_PAGES, serve};
use crate::state::AppState;

/// Routes of the public pages.
pub fn router() -> Router<AppState> {
    PUBLIC_PAGES.iter().fold(Router::new(), |router, page| {
        router.route(
            page.path,
            get(move |headers: HeaderMap| async move { serve(page, StatusCode::OK, &headers) }),
        )
    })
}

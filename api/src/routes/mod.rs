//! One module per resource, each exposing `router()`; merged here.

pub mod health;

use axum::Router;

use crate::state::AppState;

/// Every route of the public API.
pub fn router() -> Router<AppState> {
    Router::new().merge(health::router())
}

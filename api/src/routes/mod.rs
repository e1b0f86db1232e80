//! One module per resource, each exposing `router()`; merged here.

pub mod auth;
pub mod deletions;
pub mod google;
pub mod health;
pub mod me;
pub mod users_out;

use axum::Router;

use crate::state::AppState;

/// Every route of the public API.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(google::router())
        .merge(me::router())
        .merge(deletions::router())
}

//! The simulated Instagram: the Instagram Login consent screen (www.instagram.com), the code
//! exchange (api.instagram.com) and the Graph API (graph.instagram.com) token, profile and
//! content publishing endpoints.

mod authorize;
mod caption;
mod container;
mod graph_router;
mod me;
mod media_create;
mod media_fetch;
mod media_list;
mod post_page;
mod publish;
mod quota;
mod read;
mod state;
mod token_exchange;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::Value;

pub use container::{MediaType, StatusCode};
pub use state::{IgAccount, TokenKind};
pub(crate) use state::{
    IgState, LONG_LIVED_MS, SCOPE_BASIC, SCOPE_PUBLISH, SHORT_LIVED_MS, Token as TokenRecord,
};

use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

/// Routes of the three Instagram hosts, under `/instagram`, `/instagram-api` and `/graph`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/instagram/oauth/authorize", get(authorize::get_authorize))
        .route(
            "/instagram/oauth/authorize/decision",
            post(authorize::post_decision),
        )
        .route("/instagram/p/{shortcode}", get(post_page::get_post_page))
        .route("/instagram/p/{shortcode}/", get(post_page::get_post_page))
        .route(
            "/instagram-api/oauth/access_token",
            post(token_exchange::post_access_token),
        )
        .route("/graph/{*rest}", any(graph_router::dispatch))
}

/// The access token of a Graph call: `access_token` parameter or `Authorization: Bearer`.
pub(crate) fn token_of(params: &Params) -> Option<&str> {
    params.non_empty("access_token").or_else(|| params.bearer())
}

/// A JSON answer or a Graph error.
pub(crate) fn respond(result: Result<Value, GraphError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

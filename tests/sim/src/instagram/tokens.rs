//! Long-lived token exchange and refresh (graph.instagram.com).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::state::{LONG_LIVED_MS, TokenKind};
use super::{respond, token_of};
use crate::clock::DAY_MS;
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

/// `GET {graph}/access_token?grant_type=ig_exchange_token&client_secret&access_token`.
pub(crate) async fn long_lived(shared: &Shared, params: Params) -> Response {
    let call = Call::new(Endpoint::IgLongLived, params.kill.clone());
    guarded_ref(shared, call, || exchange(shared, &params)).await
}

/// `GET {graph}/refresh_access_token?grant_type=ig_refresh_token&access_token`.
pub(crate) async fn refresh(shared: &Shared, params: Params) -> Response {
    let call = Call::new(Endpoint::IgRefresh, params.kill.clone());
    guarded_ref(shared, call, || refresh_token(shared, &params)).await
}

async fn guarded_ref(
    shared: &Shared,
    call: Call,
    action: impl FnOnce() -> Result<Value, GraphError>,
) -> Response {
    guarded(shared, call, || async { respond(action()) }).await
}

fn exchange(shared: &Shared, params: &Params) -> Result<Value, GraphError> {
    if params.get("grant_type") != Some("ig_exchange_token") {
        return Err(GraphError::param(
            "(#100) Unsupported grant_type: expected ig_exchange_token",
        ));
    }
    if params.get("client_secret") != Some(shared.config.instagram.client_secret.as_str()) {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            101,
            None,
            "Error validating client secret.",
        ));
    }
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let token = state.ig.authenticate(token_of(params), now)?;
    if token.kind != TokenKind::ShortLived {
        return Err(GraphError::param(
            "(#100) Only a short-lived token can be exchanged for a long-lived token",
        ));
    }
    let (user_id, scopes) = (token.user_id.clone(), token.scopes.clone());
    let (value, _) =
        state
            .ig
            .issue_token(&mut state.ids, &user_id, TokenKind::LongLived, scopes, now);
    Ok(answer(value))
}

fn refresh_token(shared: &Shared, params: &Params) -> Result<Value, GraphError> {
    if params.get("grant_type") != Some("ig_refresh_token") {
        return Err(GraphError::param(
            "(#100) Unsupported grant_type: expected ig_refresh_token",
        ));
    }
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let token = state.ig.authenticate(token_of(params), now)?;
    if token.kind != TokenKind::LongLived {
        return Err(GraphError::param(
            "(#100) Only a long-lived token can be refreshed",
        ));
    }
    if now - token.issued_ms < DAY_MS {
        return Err(GraphError::param(
            "(#100) The access token can't be refreshed: it must be at least 24 hours old",
        ));
    }
    let (user_id, scopes) = (token.user_id.clone(), token.scopes.clone());
    let (value, _) =
        state
            .ig
            .issue_token(&mut state.ids, &user_id, TokenKind::LongLived, scopes, now);
    Ok(answer(value))
}

fn answer(token: String) -> Value {
    json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_MS / 1000})
}

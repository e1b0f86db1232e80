//! `GET /{version}/me?fields=user_id,username`.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::state::SCOPE_BASIC;
use super::{respond, token_of};
use crate::config::MeShape;
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

const FIELDS: [&str; 6] = [
    "id",
    "user_id",
    "username",
    "name",
    "account_type",
    "media_count",
];

/// `GET {graph}/{version}/me`.
pub(crate) async fn get_me(shared: &Shared, params: Params) -> Response {
    let call = Call::new(Endpoint::Me, params.kill.clone());
    guarded(shared, call, || async { respond(me(shared, &params)) }).await
}

fn me(shared: &Shared, params: &Params) -> Result<Value, GraphError> {
    let now = shared.now_ms();
    let state = shared.lock();
    let token = state.ig.authenticate(token_of(params), now)?;
    if !token.scopes.iter().any(|s| s == SCOPE_BASIC) {
        return Err(GraphError::permission(SCOPE_BASIC));
    }
    let account = state
        .ig
        .account(&token.user_id)
        .ok_or_else(|| GraphError::token(458))?;
    let media_count = state
        .ig
        .media
        .values()
        .filter(|m| m.user_id == account.user_id)
        .count();
    let mut out = Map::new();
    out.insert("id".into(), account.app_scoped_id.clone().into());
    for field in params.fields() {
        let value: Value = match field.as_str() {
            "id" => continue,
            "user_id" => account.user_id.clone().into(),
            "username" => account.username.clone().into(),
            "name" => account.username.clone().into(),
            "account_type" => "BUSINESS".into(),
            "media_count" => media_count.into(),
            other => {
                return Err(GraphError::param(format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type (User); \
                     known fields: {}",
                    FIELDS.join(", ")
                )));
            }
        };
        out.insert(field, value);
    }
    Ok(match state.settings.me_response_shape {
        MeShape::Flat => Value::Object(out),
        MeShape::Data => json!({ "data": [out] }),
    })
}

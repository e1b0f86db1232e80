//! `GET /v1/userinfo` with `Authorization: Bearer`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::jwt::add_profile;
use crate::faults::{Call, Endpoint, guarded};
use crate::params::Params;
use crate::shared::Shared;

/// `GET {google}/v1/userinfo`.
pub(crate) async fn get_userinfo(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let params = match Params::read(request, 16 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::GoogleUserinfo, params.kill.clone());
    guarded(&shared, call, || async {
        let now = shared.now_ms();
        let state = shared.lock();
        let token = params.bearer().or_else(|| params.non_empty("access_token"));
        let access = token
            .and_then(|t| state.google.tokens.get(t))
            .filter(|a| now < a.expires_ms);
        let Some(user) = access.and_then(|a| state.google.find_user(&a.sub).map(|u| (u, a))) else {
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                )],
                axum::Json(
                    json!({"error": "invalid_request", "error_description": "Invalid Credentials"}),
                ),
            )
                .into_response();
        };
        let (user, access) = user;
        let scopes: Vec<&str> = access.scope.split(' ').collect();
        let mut out = Map::new();
        out.insert("sub".into(), Value::from(user.sub.clone()));
        if scopes.contains(&"profile") {
            add_profile(&mut out, user);
        }
        if scopes.contains(&"email") {
            out.insert("email".into(), user.email.clone().into());
            out.insert("email_verified".into(), user.email_verified.into());
        }
        axum::Json(Value::Object(out)).into_response()
    })
    .await
}

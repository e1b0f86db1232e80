//! `POST /oauth/access_token` (api.instagram.com): authorization code for a short-lived
//! token. Errors use the OAuth shape `{"error_type","code":400,"error_message"}`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::{CODE_TTL_MS, TokenKind};
use crate::config::TokenShape;
use crate::faults::{Call, Endpoint, guarded};
use crate::params::Params;
use crate::shared::Shared;

/// `POST {instagram_api}/oauth/access_token`.
pub(crate) async fn post_access_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    let params = match Params::read(request, 1024 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::IgToken, params.kill.clone());
    guarded(&shared, call, || async {
        match exchange(&shared, &params) {
            Ok(value) => axum::Json(value).into_response(),
            Err(message) => (
                StatusCode::BAD_REQUEST,
                axum::Json(
                    json!({"error_type": "OAuthException", "code": 400, "error_message": message}),
                ),
            )
                .into_response(),
        }
    })
    .await
}

fn exchange(shared: &Shared, params: &Params) -> Result<Value, String> {
    let app = &shared.config.instagram;
    if params.get("client_id") != Some(app.client_id.as_str()) {
        return Err("Invalid platform app".into());
    }
    if params.get("client_secret") != Some(app.client_secret.as_str()) {
        return Err("Error validating client secret.".into());
    }
    if params.get("grant_type") != Some("authorization_code") {
        return Err("Invalid grant_type: only authorization_code is supported".into());
    }
    let Some(code) = params.non_empty("code") else {
        return Err("Missing code parameter.".into());
    };
    let redirect_uri = params.get("redirect_uri").unwrap_or("");
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let record = match state.ig.codes.get_mut(code) {
        Some(record) if !record.used => record,
        _ => return Err("Matching code was not found or was already used".into()),
    };
    if now >= record.issued_ms + CODE_TTL_MS {
        return Err("This authorization code has expired".into());
    }
    if record.redirect_uri != redirect_uri {
        return Err(
            "Error validating verification code. Please make sure your redirect_uri is \
                    identical to the one you used in the OAuth dialog request"
                .into(),
        );
    }
    record.used = true;
    let (user_id, scopes) = (record.user_id.clone(), record.scopes.clone());
    let app_scoped_id = state
        .ig
        .account(&user_id)
        .map(|a| a.app_scoped_id.clone())
        .ok_or("The user account no longer exists")?;
    let (token, _) = state.ig.issue_token(
        &mut state.ids,
        &user_id,
        TokenKind::ShortLived,
        scopes.clone(),
        now,
    );
    Ok(match state.settings.token_response_shape {
        TokenShape::Flat => {
            let numeric: u64 = app_scoped_id.parse().unwrap_or_default();
            json!({"access_token": token, "user_id": numeric, "permissions": scopes})
        }
        TokenShape::Data => json!({"data": [{
            "access_token": token,
            "user_id": app_scoped_id,
            "permissions": scopes.join(","),
        }]}),
    })
}

//! `POST /token`: authorization code (+ PKCE verifier) for an access token and an id token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Access, Challenge, id_token_claims, sign_google_claims};
use crate::faults::{Call, Endpoint, guarded};
use crate::params::Params;
use crate::shared::Shared;

/// How long a code lives.
const CODE_TTL_MS: i64 = 10 * 60 * 1000;
/// Access token lifetime, in seconds.
const ACCESS_TTL_SECS: i64 = 3599;

/// `POST {google}/token`.
pub(crate) async fn post_token(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let params = match Params::read(request, 256 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::GoogleToken, params.kill.clone());
    guarded(&shared, call, || async {
        match exchange(&shared, &params) {
            Ok(value) => (
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                axum::Json(value),
            )
                .into_response(),
            Err(fail) => fail.into_response(),
        }
    })
    .await
}

/// An OAuth error answer: `{"error","error_description"}`.
struct Fail {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}

fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> Fail {
    Fail {
        status,
        error,
        description: description.to_owned(),
    }
}

fn exchange(shared: &Shared, params: &Params) -> Result<Value, Fail> {
    let cfg = &shared.config.google;
    let (client_id, client_secret) = match params.basic() {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            params.get("client_id").map(str::to_owned),
            params.get("client_secret").map(str::to_owned),
        ),
    };
    if client_id.as_deref() != Some(cfg.client_id.as_str())
        || client_secret.as_deref() != Some(cfg.client_secret.as_str())
    {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unauthorized",
        ));
    }
    if params.get("grant_type") != Some("authorization_code") {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Invalid grant_type: only authorization_code is supported",
        ));
    }
    let Some(code) = params.non_empty("code") else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: code",
        ));
    };
    let bad_grant =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let record = match state.google.codes.get_mut(code) {
        Some(record) if !record.used && now < record.issued_ms + CODE_TTL_MS => record,
        Some(_) => return Err(bad_grant("Bad Request")),
        None => return Err(bad_grant("Malformed auth code.")),
    };
    if params.get("redirect_uri") != Some(record.grant.redirect_uri.as_str()) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        ));
    }
    if let Some(challenge) = &record.grant.challenge {
        let Some(verifier) = params.non_empty("code_verifier") else {
            return Err(bad_grant("Missing code verifier."));
        };
        if !verifies(challenge, verifier) {
            return Err(bad_grant("Invalid code verifier."));
        }
    }
    record.used = true;
    let (sub, grant) = (record.sub.clone(), record.grant.clone());
    let user = state
        .google
        .find_user(&sub)
        .cloned()
        .ok_or_else(|| bad_grant("Account not found."))?;
    let access_token = state.ids.alnum("ya29.a0", 120);
    state.google.tokens.insert(
        access_token.clone(),
        Access {
            sub,
            scope: grant.scope.clone(),
            expires_ms: now + ACCESS_TTL_SECS * 1000,
        },
    );
    let mut answer = json!({
        "access_token": access_token,
        "expires_in": ACCESS_TTL_SECS,
        "scope": grant.scope,
        "token_type": "Bearer",
    });
    if grant.scope.split(' ').any(|s| s == "openid") {
        let claims = id_token_claims(
            &shared.urls.google_issuer,
            &cfg.client_id,
            &user,
            grant.nonce.as_deref(),
            &grant.scope,
            now / 1000,
        );
        let id_token = sign_google_claims(&claims).map_err(|e| {
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e.to_string(),
            )
        })?;
        if let Value::Object(map) = &mut answer {
            map.insert("id_token".into(), id_token.into());
        }
    }
    Ok(answer)
}

/// RFC 7636 verification.
fn verifies(challenge: &Challenge, verifier: &str) -> bool {
    if challenge.s256 {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge.value
    } else {
        verifier == challenge.value
    }
}

#[cfg(test)]
mod tests {
    use super::{Challenge, verifies};

    #[test]
    fn rfc7636_example() {
        let challenge = Challenge {
            value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            s256: true,
        };
        assert!(verifies(
            &challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!verifies(
            &challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
    }
}

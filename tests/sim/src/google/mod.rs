//! The simulated Google OpenID Connect provider: authorize (consent page or headless
//! `sim_user`), token (client secret, redirect URI, single-use code, PKCE), userinfo, JWKS
//! and discovery, with RS256 id tokens.

mod authorize;
mod jwt;
mod keys;
mod token;
mod userinfo;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

pub(crate) use jwt::id_token_claims;
pub use jwt::{GOOGLE_KEY_ID, google_jwks, sign_google_claims, sign_with_rogue_key};

use crate::config::GoogleUser;
use crate::error::SimError;
use crate::faults::{Call, Endpoint, guarded};
use crate::shared::Shared;

/// PKCE challenge recorded at authorize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub value: String,
    pub s256: bool,
}

/// An authorize request, pending consent or turned into a code.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub challenge: Option<Challenge>,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub sub: String,
    pub grant: Grant,
    pub issued_ms: i64,
    pub used: bool,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    pub sub: String,
    pub scope: String,
    pub expires_ms: i64,
}

/// Google state.
#[derive(Debug, Default)]
pub(crate) struct GoogleState {
    pub users: Vec<GoogleUser>,
    pub pending: HashMap<String, Grant>,
    pub codes: HashMap<String, Code>,
    pub tokens: HashMap<String, Access>,
}

impl GoogleState {
    /// Adds a user, or replaces the one with the same `sub`.
    pub(crate) fn add_user(&mut self, user: GoogleUser) -> Result<(), SimError> {
        if user.sub.trim().is_empty() {
            return Err(SimError::Config("a Google user needs a sub".into()));
        }
        match self.users.iter_mut().find(|u| u.sub == user.sub) {
            Some(existing) => *existing = user,
            None => self.users.push(user),
        }
        Ok(())
    }

    /// A user by `sub` or email.
    pub(crate) fn find_user(&self, key: &str) -> Option<&GoogleUser> {
        self.users.iter().find(|u| u.sub == key).or_else(|| {
            self.users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(key))
        })
    }
}

/// Routes under `/google`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/google/o/oauth2/v2/auth", get(authorize::get_authorize))
        .route(
            "/google/o/oauth2/v2/auth/decision",
            post(authorize::post_decision),
        )
        .route("/google/token", post(token::post_token))
        .route("/google/v1/userinfo", get(userinfo::get_userinfo))
        .route("/google/oauth2/v3/userinfo", get(userinfo::get_userinfo))
        .route("/google/oauth2/v3/certs", get(get_certs))
        .route(
            "/google/.well-known/openid-configuration",
            get(get_discovery),
        )
}

async fn get_certs(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    let kill = request
        .extensions()
        .get::<crate::faults::ConnKill>()
        .cloned();
    guarded(&shared, Call::new(Endpoint::GoogleCerts, kill), || async {
        match google_jwks() {
            Ok(jwks) => (
                [(axum::http::header::CACHE_CONTROL, "public, max-age=3600")],
                axum::Json(jwks),
            )
                .into_response(),
            Err(e) => {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
            }
        }
    })
    .await
}

async fn get_discovery(State(shared): State<Arc<Shared>>) -> Response {
    let base = &shared.urls.google;
    axum::Json(json!({
        "issuer": shared.urls.google_issuer,
        "authorization_endpoint": format!("{base}/o/oauth2/v2/auth"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/v1/userinfo"),
        "jwks_uri": format!("{base}/oauth2/v3/certs"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code"],
        "claims_supported": ["aud", "email", "email_verified", "exp", "family_name", "given_name",
            "iat", "iss", "name", "picture", "sub", "nonce"],
    }))
    .into_response()
}

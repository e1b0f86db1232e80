//! "Sign in with Google": start the flow, and handle Google's redirect back.
//!
//! Outcomes go back to the dashboard as a redirect (`/app/?signin=ok` or
//! `/app/?signin_error=<code>`), never as a 500 page: `access_denied`, `invalid_state` (forged,
//! replayed or expired state), `exchange_failed` (used or forged code), `invalid_id_token`,
//! `email_not_verified` (the Google email matches an account but Google has not verified it, so
//! it is not linked), `account_not_verified` (the Google email is verified and matches an
//! email/password account whose owner has not confirmed that address, so it is not linked),
//! `account_unavailable`.
//!
//! Linking by email needs both proofs: Google's verified claim and the account's own
//! confirmation of the address. Otherwise someone who signed up with another person's address
//! (and so knows that account's password) would gain that person's Google sign-in.

use aistudio_jobs::clients::google::GoogleIdentity;
use aistudio_jobs::store::{
    NewOAuthState, OAuthPurpose, Role, SessionKind, StoreError, User, UserStatus, random_value,
};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;

use crate::error::ApiError;
use crate::session_cookie;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/google", get(start_google_sign_in))
        .route("/api/v1/auth/google/callback", get(finish_google_sign_in))
}

/// How long a started sign-in may take.
const STATE_TTL_MINUTES: i64 = 10;

fn redirect(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

fn dashboard(state: &AppState, outcome: &str) -> String {
    format!(
        "{}/app/?{outcome}",
        state.settings.server.public_base_url.trim_end_matches('/')
    )
}

/// Starts Google sign-in: stores a single-use state (with nonce and PKCE verifier) and
/// redirects the browser to Google.
#[utoipa::path(get, path = "/api/v1/auth/google", tag = "accounts",
    responses((status = 303, description = "Redirect to Google's consent screen")))]
pub async fn start_google_sign_in(State(state): State<AppState>) -> Result<Response, ApiError> {
    let nonce = random_value();
    let value = random_value();
    let authorization = state.google.authorize(&value, &nonce);
    state
        .store
        .oauth_states()
        .create_with_value(
            OAuthPurpose::GoogleSignIn,
            &value,
            NewOAuthState {
                user_id: None,
                nonce: Some(nonce),
                pkce_verifier: Some(authorization.pkce_verifier),
            },
            chrono::Duration::minutes(STATE_TTL_MINUTES),
        )
        .await?;
    Ok(redirect(&authorization.url))
}

/// Google's redirect back.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct GoogleCallbackIn {
    /// Authorization code.
    pub code: Option<String>,
    /// The state sent at the start.
    pub state: Option<String>,
    /// Set when the user declined.
    pub error: Option<String>,
}

/// Finishes Google sign-in: checks the state, exchanges the code, verifies the id token, signs
/// the matching account in (creating or linking it), and redirects to the dashboard.
#[utoipa::path(get, path = "/api/v1/auth/google/callback", tag = "accounts",
    params(GoogleCallbackIn),
    responses((status = 303, description = "Back to the dashboard with `signin=ok` (session cookie set) or `signin_error=<code>`")))]
pub async fn finish_google_sign_in(
    State(state): State<AppState>,
    Query(input): Query<GoogleCallbackIn>,
) -> Result<Response, ApiError> {
    let fail = |code: &str| {
        Ok(redirect(&dashboard(
            &state,
            &format!("signin_error={code}"),
        )))
    };
    let Some(value) = input.state.as_deref() else {
        return fail("invalid_state");
    };
    let Some(pending) = state
        .store
        .oauth_states()
        .take(OAuthPurpose::GoogleSignIn, value)
        .await?
    else {
        return fail("invalid_state");
    };
    if input.error.is_some() {
        return fail("access_denied");
    }
    let (Some(code), Some(nonce), Some(verifier)) =
        (input.code.as_deref(), pending.nonce, pending.pkce_verifier)
    else {
        return fail("invalid_state");
    };
    let identity = match state.google.sign_in(code, &verifier, &nonce).await {
        Ok(identity) => identity,
        Err(aistudio_jobs::clients::google::GoogleError::Exchange(e)) => {
            tracing::warn!(error = %e, "google code exchange failed");
            return fail("exchange_failed");
        }
        Err(e) => {
            tracing::warn!(error = %e, "google id token rejected");
            return fail("invalid_id_token");
        }
    };
    let user = match account_for(&state, &identity).await? {
        Ok(user) => user,
        Err(code) => return fail(code),
    };
    let ttl = chrono::Duration::hours(state.settings.security.session_ttl_hours as i64);
    let token = state
        .store
        .sessions()
        .create(&user.id, SessionKind::Dashboard, ttl)
        .await?;
    let max_age = state.settings.security.session_ttl_hours * 3600;
    let cookie = session_cookie::set(&token, max_age, state.settings.security.cookie_secure);
    tracing::info!(user_id = %user.id, "signed in with Google");
    let mut response = redirect(&dashboard(&state, "signin=ok"));
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The account for a Google identity: by `sub`; else an existing account with the same
/// email, verified by Google and confirmed by the account (linked); else a new account.
/// `Err(code)` for the refusals.
async fn account_for(
    state: &AppState,
    identity: &GoogleIdentity,
) -> Result<Result<User, &'static str>, ApiError> {
    let users = state.store.users();
    let email = identity.email.trim().to_lowercase();
    if let Some(user) = users.by_google_sub(&identity.sub).await? {
        if user.status != UserStatus::Active {
            return Ok(Err("account_unavailable"));
        }
        if user.email_verified_at.is_none() && identity.email_verified && user.email == email {
            // The same person, and Google vouches for the address (accounts made before
            // verification existed, or whose Google address was unverified at sign-up).
            users.mark_email_verified(&user.id, &email).await?;
            return Ok(users.by_id(&user.id).await?.ok_or("account_unavailable"));
        }
        return Ok(Ok(user));
    }
    if let Some(existing) = users.by_email(&email).await? {
        if !identity.email_verified {
            return Ok(Err("email_not_verified"));
        }
        if existing.email_verified_at.is_none() {
            return Ok(Err("account_not_verified"));
        }
        if existing.status != UserStatus::Active || existing.google_sub.is_some() {
            return Ok(Err("account_unavailable"));
        }
        let linked = users
            .link_google(&existing.id, &identity.sub, identity.picture.as_deref())
            .await?;
        tracing::info!(user_id = %existing.id, "google account linked by verified email");
        return Ok(linked.ok_or("account_unavailable"));
    }
    let name = identity
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
    let user = User {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: name.chars().take(100).collect(),
        email,
        password_hash: None,
        google_sub: Some(identity.sub.clone()),
        picture: identity.picture.clone(),
        role: Role::User,
        status: UserStatus::Active,
        created_at: Utc::now(),
        email_verified_at: identity.email_verified.then(Utc::now),
    };
    match users.insert(&user).await {
        Ok(()) => Ok(Ok(user)),
        // A concurrent sign-in created it first.
        Err(StoreError::Duplicate) => Ok(users
            .by_google_sub(&identity.sub)
            .await?
            .ok_or("account_unavailable")),
        Err(e) => Err(e.into()),
    }
}

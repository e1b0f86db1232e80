//! "Forgot password": a single-use link by email, then a new password that signs out every
//! session; the link also confirms the account's email address. The request gets the same answer whether or not the account exists, and is limited
//! per email address and per client address.

use std::time::Duration;

use aistudio_jobs::crypto::{password, session_token};
use aistudio_jobs::domain::{Email, Password};
use aistudio_jobs::mail::outbox;
use aistudio_jobs::request_budget;
use aistudio_jobs::store::UserStatus;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, ClientIp};
use crate::state::AppState;

const HOUR: Duration = Duration::from_secs(3600);

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/password-reset", post(create_password_reset))
        .route(
            "/api/v1/auth/password-reset/confirm",
            post(confirm_password_reset),
        )
}

/// A reset request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    /// The account's email address.
    pub email: String,
}

/// The answer to a reset request, the same whether or not the account exists.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasswordResetOut {
    /// What happens next, for a person.
    pub message: String,
}

/// A new password, with the token from the emailed link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmIn {
    /// The `token` of the link (after `#token=`).
    pub token: String,
    /// The new password: at least 10 characters and at most 72 bytes.
    pub password: String,
}

/// Emails a link to choose a new password, if an account has this address.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "accounts", request_body = PasswordResetIn,
    responses(
        (status = 202, description = "Accepted (the same answer whether or not the account exists)", body = PasswordResetOut),
        (status = 429, description = "Too many requests for this address or from this client; see `Retry-After`", body = ErrorOut),
    ))]
pub async fn create_password_reset(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(input): ApiJson<PasswordResetIn>,
) -> Result<(StatusCode, Json<PasswordResetOut>), ApiError> {
    let email = Email::parse("email", &input.email)?;
    let security = &state.settings.security;
    let budgets = [
        (
            format!(
                "password-reset:email:{}",
                session_token::digest(email.as_str())
            ),
            security.password_reset_per_email_per_hour,
        ),
        (
            format!("password-reset:ip:{}", ip.0),
            security.password_reset_per_ip_per_hour,
        ),
    ];
    for (key, limit) in budgets {
        if let Some(wait) = request_budget::spend(&state.queue, &key, limit, HOUR)
            .await
            .map_err(ApiError::internal)?
        {
            return Err(ApiError::TooManyRequests(wait));
        }
    }
    let ttl = security.password_reset_ttl_mins;
    let user = state.store.users().by_email(email.as_str()).await?;
    match user.filter(|u| u.status == UserStatus::Active) {
        Some(user) => {
            let reset = outbox::password_reset(
                &state.store,
                &state.queue,
                &user,
                chrono::Duration::minutes(ttl as i64),
            )
            .await
            .map_err(ApiError::internal)?;
            tracing::info!(user_id = %user.id, reset_id = %reset.id, "password reset requested");
        }
        None => tracing::info!("password reset requested for no active account"),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(PasswordResetOut {
            message: format!(
                "If an account uses this address, we sent it a link to choose a new password. \
                 The link works once, for {ttl} minutes."
            ),
        }),
    ))
}

/// Sets a new password with the emailed link's token; every session is signed out, and the
/// account's email address counts as confirmed.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "accounts", request_body = PasswordResetConfirmIn,
    responses(
        (status = 204, description = "Changed; every session is signed out, the email address is confirmed and a notice is emailed"),
    ))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(input): ApiJson<PasswordResetConfirmIn>,
) -> Result<StatusCode, ApiError> {
    let new = Password::parse("password", &input.password)?;
    let invalid_link = || ApiError::Validation {
        field: "token".into(),
        message: "this link is invalid, was already used or has expired; ask for a new one".into(),
    };
    let user_id = state
        .store
        .password_resets()
        .redeem(&input.token, Utc::now())
        .await?
        .ok_or_else(invalid_link)?;
    let user = state
        .store
        .users()
        .by_id(&user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(invalid_link)?;
    let hash = password::hash(&new, state.settings.security.bcrypt_cost)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .users()
        .set_password_hash(&user.id, &hash)
        .await?;
    // The link arrived at the account's address: that proves the address too.
    state
        .store
        .users()
        .mark_email_verified(&user.id, &user.email)
        .await?;
    let revoked = state.store.sessions().revoke_all(&user.id, None).await?;
    state
        .limiter
        .record_success(&user.email, ip.0)
        .await
        .map_err(ApiError::internal)?;
    outbox::password_changed(&state.store, &state.queue, &user)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.id, revoked, "password reset");
    Ok(StatusCode::NO_CONTENT)
}

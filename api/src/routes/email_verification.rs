//! Email verification: sign-up emails a single-use link; opening it proves the address. A
//! signed-in account can ask for the link again (limited per account); an unverified account
//! can use everything, the dashboard only reminds it.

use std::time::Duration;

use aistudio_jobs::mail::outbox;
use aistudio_jobs::request_budget;
use aistudio_jobs::store::User;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

const HOUR: Duration = Duration::from_secs(3600);

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/verify-email", post(resend_email_verification))
        .route(
            "/api/v1/auth/verify-email/confirm",
            post(confirm_email_verification),
        )
}

/// The token of an emailed verification link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailVerificationConfirmIn {
    /// The `token` of the link (after `#token=`).
    pub token: String,
}

/// A verification email was queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailVerificationOut {
    /// What happens next, for a person.
    pub message: String,
}

/// Records a verification of `user`'s address and queues its email. Called by sign-up and by a
/// resend; the link is valid `security.email_verification_ttl_hours`.
pub async fn send_verification_email(state: &AppState, user: &User) -> Result<(), ApiError> {
    let hours = state.settings.security.email_verification_ttl_hours;
    let verification = outbox::email_verification(
        &state.store,
        &state.queue,
        user,
        chrono::Duration::hours(hours as i64),
    )
    .await
    .map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.id, verification_id = %verification.id, "email verification queued");
    Ok(())
}

/// Emails the signed-in account a new link to confirm its address.
#[utoipa::path(post, path = "/api/v1/me/verify-email", tag = "accounts",
    responses(
        (status = 202, description = "A new link is on its way; earlier links keep working until one is used", body = EmailVerificationOut),
        (status = 409, description = "The address is already confirmed", body = ErrorOut),
        (status = 429, description = "Too many links asked for this account; see `Retry-After`", body = ErrorOut),
    ))]
pub async fn resend_email_verification(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<(StatusCode, Json<EmailVerificationOut>), ApiError> {
    let user = &current.user;
    if user.email_verified_at.is_some() {
        return Err(ApiError::Conflict(
            "your email address is already confirmed".into(),
        ));
    }
    let security = &state.settings.security;
    if let Some(wait) = request_budget::spend(
        &state.queue,
        &format!("email-verification:user:{}", user.id),
        security.email_verification_resends_per_hour,
        HOUR,
    )
    .await
    .map_err(ApiError::internal)?
    {
        return Err(ApiError::TooManyRequests(wait));
    }
    send_verification_email(&state, user).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailVerificationOut {
            message: format!(
                "We sent a new link to {}. It works once, for {} hours.",
                user.email, security.email_verification_ttl_hours
            ),
        }),
    ))
}

/// Confirms the account's address with the emailed link's token (no session needed).
#[utoipa::path(post, path = "/api/v1/auth/verify-email/confirm", tag = "accounts", request_body = EmailVerificationConfirmIn,
    responses(
        (status = 204, description = "The address is confirmed"),
        (status = 400, description = "The link is unknown, was already used or has expired (`code` `invalid_token`, `field` `token`); nothing changed", body = ErrorOut),
    ))]
pub async fn confirm_email_verification(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<EmailVerificationConfirmIn>,
) -> Result<StatusCode, ApiError> {
    let invalid_link = || {
        ApiError::InvalidToken(
            "this link is invalid, was already used or has expired; ask for a new one".into(),
        )
    };
    let verification = state
        .store
        .email_verifications()
        .redeem(&input.token, Utc::now())
        .await?
        .ok_or_else(invalid_link)?;
    let verified = state
        .store
        .users()
        .mark_email_verified(&verification.user_id, &verification.email)
        .await?;
    if !verified {
        // The account is being deleted, or its address is no longer the one the link proves.
        return Err(invalid_link());
    }
    tracing::info!(user_id = %verification.user_id, "email address confirmed");
    Ok(StatusCode::NO_CONTENT)
}

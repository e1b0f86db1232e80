//! The signed-in account: view, rename, change password, delete.

use aistudio_jobs::crypto::password;
use aistudio_jobs::domain::{FieldError, FieldErrors, Password, UserName};
use aistudio_jobs::tasks::account_deletion::{StartDeletionError, start_account_deletion};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::deletions::DeletionOut;
use crate::routes::users_out::UserOut;
use crate::session_cookie;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(get_me).patch(update_me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/deletion", post(delete_me))
}

/// Account changes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeIn {
    /// New display name.
    pub name: String,
}

/// Password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// The current password (omit only for accounts that have none, e.g. Google sign-in).
    #[serde(default)]
    pub current_password: Option<String>,
    /// The new password (at least 10 characters, at most 72 bytes).
    pub new_password: String,
}

/// Account deletion confirmation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletionIn {
    /// Must be `true`: deletion removes every post, media file and connection.
    pub confirm: bool,
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, description = "The account", body = UserOut),
        (status = 401, description = "Not signed in", body = ErrorOut),
    ))]
pub async fn get_me(current: CurrentUser) -> Json<UserOut> {
    Json(UserOut::from(&current.user))
}

/// Renames the account.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", request_body = MeIn,
    responses(
        (status = 200, description = "The updated account", body = UserOut),
        (status = 422, description = "Invalid name", body = ErrorOut),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<MeIn>,
) -> Result<Json<UserOut>, ApiError> {
    let name = UserName::parse("name", &input.name)?;
    let user = state
        .store
        .users()
        .set_name(&current.user.id, name.as_str())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(UserOut::from(&user)))
}

/// Changes the password and signs out every other session.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordIn,
    responses(
        (status = 204, description = "Changed; other sessions are revoked and a notice is emailed"),
        (status = 422, description = "Current password wrong, or new password invalid", body = ErrorOut),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<PasswordIn>,
) -> Result<StatusCode, ApiError> {
    let mut errors = FieldErrors::new();
    if let Some(stored) = current.user.password_hash.as_deref() {
        let given = input.current_password.as_deref().unwrap_or_default();
        if !password::verify(given, Some(stored)).await {
            errors.push(FieldError::new("current_password", "is incorrect"));
        }
    }
    let new = errors.check(Password::parse("new_password", &input.new_password));
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let hash = password::hash(&new, state.settings.security.bcrypt_cost)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .users()
        .set_password_hash(&current.user.id, &hash)
        .await?;
    let keep = aistudio_jobs::crypto::session_token::digest(&current.token);
    let revoked = state
        .store
        .sessions()
        .revoke_all(&current.user.id, Some(&keep))
        .await?;
    aistudio_jobs::mail::outbox::password_changed(&state.store, &state.queue, &current.user)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %current.user.id, revoked, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the account and all its data. The account stops working at once; a background job
/// removes every record and completes the receipt, which stays readable at `status_url`.
#[utoipa::path(post, path = "/api/v1/me/deletion", tag = "accounts", request_body = DeletionIn,
    responses(
        (status = 202, description = "Accepted; all sessions are revoked", body = DeletionOut),
        (status = 422, description = "`confirm` was not true", body = ErrorOut),
    ))]
pub async fn delete_me(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<DeletionIn>,
) -> Result<Response, ApiError> {
    if !input.confirm {
        return Err(ApiError::Validation {
            field: "confirm".into(),
            message: "must be true to delete the account".into(),
        });
    }
    let user_id = &current.user.id;
    let request = start_account_deletion(&state.store, &state.queue, user_id)
        .await
        .map_err(|e| match e {
            StartDeletionError::Store(e) => ApiError::from(e),
            StartDeletionError::Queue(e) => ApiError::internal(e),
        })?;
    tracing::info!(user_id = %user_id, request_id = %request.id, "account deletion requested");
    let cookie = session_cookie::clear(state.settings.security.cookie_secure);
    let body = DeletionOut::from_request(&request, &state.settings.server.public_base_url);
    Ok((
        StatusCode::ACCEPTED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response())
}

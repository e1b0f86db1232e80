//! Sign-up, log-in (cookie session or bearer token) and log-out.

use aistudio_jobs::crypto::password;
use aistudio_jobs::domain::{Email, FieldError, FieldErrors, Password, UserName};
use aistudio_jobs::store::{Role, SessionKind, StoreError, User, UserStatus};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, ClientIp, CurrentUser};
use crate::routes::email_verification::send_verification_email;
use crate::routes::users_out::UserOut;
use crate::session_cookie;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/signup", post(create_account))
        .route("/api/v1/auth/login", post(create_session))
        .route("/api/v1/auth/token", post(create_token))
        .route("/api/v1/auth/logout", post(delete_session))
}

/// Sign-up request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupIn {
    /// Display name (1-100 characters).
    pub name: String,
    /// Email; trimmed and lower-cased.
    pub email: String,
    /// At least 10 characters and at most 72 bytes.
    pub password: String,
}

/// Log-in request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A bearer token for API clients.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub user: UserOut,
}

fn ttl(state: &AppState) -> chrono::Duration {
    chrono::Duration::hours(state.settings.security.session_ttl_hours as i64)
}

/// A response that signs the browser in.
pub fn signed_in(state: &AppState, status: StatusCode, token: &str, user: &User) -> Response {
    let max_age = state.settings.security.session_ttl_hours * 3600;
    let cookie = session_cookie::set(token, max_age, state.settings.security.cookie_secure);
    (
        status,
        [(header::SET_COOKIE, cookie)],
        Json(UserOut::from(user)),
    )
        .into_response()
}

/// Creates an email/password account, signs it in (session cookie) and emails a link to
/// confirm the address.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "accounts", request_body = SignupIn,
    responses(
        (status = 201, description = "Account created; the session cookie is set", body = UserOut),
        (status = 409, description = "The email is already registered", body = ErrorOut),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorOut),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SignupIn>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::new();
    let name = errors.check(UserName::parse("name", &input.name));
    let email = errors.check(Email::parse("email", &input.email));
    let password = errors.check(Password::parse("password", &input.password));
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(errors.into());
    };
    let hash = password::hash(&password, state.settings.security.bcrypt_cost)
        .await
        .map_err(ApiError::internal)?;
    let user = User {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: name.as_str().to_string(),
        email: email.as_str().to_string(),
        password_hash: Some(hash),
        google_sub: None,
        picture: None,
        role: Role::User,
        status: UserStatus::Active,
        created_at: Utc::now(),
        email_verified_at: None,
    };
    match state.store.users().insert(&user).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => {
            return Err(ApiError::Conflict(
                "an account with this email already exists".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let token = state
        .store
        .sessions()
        .create(&user.id, SessionKind::Dashboard, ttl(&state))
        .await?;
    tracing::info!(user_id = %user.id, "account created");
    // The account works without it; a failed send is asked for again from the dashboard.
    if let Err(e) = send_verification_email(&state, &user).await {
        tracing::error!(user_id = %user.id, error = %e, "verification email not queued");
    }
    Ok(signed_in(&state, StatusCode::CREATED, &token, &user))
}

/// Checks credentials with the brute-force limits; the same answer (and time) for an unknown
/// email as for a wrong password.
async fn authenticate(state: &AppState, ip: ClientIp, input: &LoginIn) -> Result<User, ApiError> {
    let email = input.email.trim().to_lowercase();
    let mut errors = FieldErrors::new();
    for (field, value) in [("email", email.as_str()), ("password", &input.password)] {
        if value.is_empty() {
            errors.push(FieldError::new(field, "is required"));
        }
    }
    errors.or_value(())?;
    let limiter = &state.limiter;
    if let Some(wait) = limiter
        .blocked_for(&email, ip.0)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::SignInLocked(wait));
    }
    let user = state.store.users().by_email(&email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let valid = password::verify(&input.password, stored).await;
    match user {
        Some(user) if valid && user.status == UserStatus::Active => {
            limiter
                .record_success(&email, ip.0)
                .await
                .map_err(ApiError::internal)?;
            Ok(user)
        }
        _ => {
            limiter
                .record_failure(&email, ip.0)
                .await
                .map_err(ApiError::internal)?;
            Err(ApiError::InvalidCredentials)
        }
    }
}

/// Signs in with email and password (session cookie).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = UserOut),
        (status = 401, description = "Email or password is incorrect (the same answer for both)", body = ErrorOut),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = ErrorOut),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(input): ApiJson<LoginIn>,
) -> Result<Response, ApiError> {
    let user = authenticate(&state, ip, &input).await?;
    let token = state
        .store
        .sessions()
        .create(&user.id, SessionKind::Dashboard, ttl(&state))
        .await?;
    Ok(signed_in(&state, StatusCode::OK, &token, &user))
}

/// Signs in with email and password and returns a bearer token (for API clients).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "accounts", request_body = LoginIn,
    responses(
        (status = 200, description = "A bearer token", body = TokenOut),
        (status = 401, description = "Email or password is incorrect", body = ErrorOut),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = ErrorOut),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(input): ApiJson<LoginIn>,
) -> Result<Json<TokenOut>, ApiError> {
    let user = authenticate(&state, ip, &input).await?;
    let token = state
        .store
        .sessions()
        .create(&user.id, SessionKind::Api, ttl(&state))
        .await?;
    Ok(Json(TokenOut {
        token,
        expires_at: Utc::now() + ttl(&state),
        user: UserOut::from(&user),
    }))
}

/// Signs out: revokes this session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorOut),
    ))]
pub async fn delete_session(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, ApiError> {
    state.store.sessions().revoke(&current.token).await?;
    let cookie = session_cookie::clear(state.settings.security.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

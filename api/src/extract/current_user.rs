//! The signed-in user, from the session cookie or an `Authorization: Bearer` token.
//!
//! Either carries one of the customer's sessions (the dashboard's cookie or an API token);
//! a console session is refused here as if it did not exist.

use aistudio_jobs::store::{Role, User, UserStatus};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "aistudio_session";

/// A request made with a valid session of an active account.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// The session token the request carried.
    pub token: String,
}

impl CurrentUser {
    /// Refuses anyone below `role` (`Operator` admits operators and admins).
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        let rank = |r: Role| match r {
            Role::User => 0,
            Role::Operator => 1,
            Role::Admin => 2,
        };
        if rank(self.user.role) >= rank(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role",
                role.as_str()
            )))
        }
    }
}

/// The session token of a request: the bearer token, else the session cookie.
pub fn session_token(parts: &Parts) -> Option<String> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    bearer.or_else(|| {
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
    })
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = session_token(parts).ok_or(ApiError::Unauthorized)?;
        if token.is_empty() || token.len() > 128 {
            return Err(ApiError::Unauthorized);
        }
        let session = state
            .store
            .sessions()
            .find_valid(&token)
            .await?
            .filter(|s| s.kind().is_customer())
            .ok_or(ApiError::Unauthorized)?;
        let user = state
            .store
            .users()
            .by_id(&session.user_id)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or(ApiError::Unauthorized)?;
        tracing::Span::current().record("user_id", user.id.as_str());
        Ok(Self { user, token })
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(ApiError::Unauthorized) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

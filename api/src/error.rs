//! One error type for every endpoint, rendered as `{"code": "...", "message": "..."}`.
//!
//! 4xx bodies say what is wrong and, for invalid input, which field. 5xx bodies stay opaque;
//! the cause is logged once, inside the request's span (which carries the request id).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorOut {
    /// Stable, machine-readable error code, e.g. `validation_failed`.
    pub code: String,
    /// What went wrong, for a person (for validation errors: the first entry of `errors`).
    pub message: String,
    /// The request field at fault, for validation errors (e.g. `email`, `items[2].media_id`):
    /// the first entry of `errors`; `token` for an emailed link that no longer works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Validation errors (422) only: every field at fault, in request order, each with its
    /// rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorOut>>,
    /// `media_in_use` only: the post that uses the media (open it at `/app/posts/{post_id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
}

/// One refused field of a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldErrorOut {
    /// The field, e.g. `caption` or `items[1].media_id`.
    pub field: String,
    /// What is wrong with it, for a person.
    pub message: String,
}

/// An error an endpoint answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (e.g. not JSON).
    #[error("{0}")]
    BadRequest(String),
    /// An emailed link's token is unknown, used or expired (400 on `token`).
    #[error("{0}")]
    InvalidToken(String),
    /// A field failed validation.
    #[error("{field}: {message}")]
    Validation {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Several fields failed validation (never empty).
    #[error("{0}")]
    Invalid(aistudio_jobs::domain::FieldErrors),
    /// The body is not JSON (wrong or missing `Content-Type`).
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// No valid session.
    #[error("sign-in required")]
    Unauthorized,
    /// Email or password is wrong (deliberately not saying which).
    #[error("email or password is incorrect")]
    InvalidCredentials,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here, or not yours.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A media file cannot be deleted while a post that may still publish uses it.
    #[error("{message}")]
    MediaInUse {
        /// The post that uses it, once that post exists.
        post_id: Option<String>,
        /// For the user: which post, and what to do.
        message: String,
    },
    /// The body is larger than allowed.
    #[error("the request body is larger than allowed")]
    PayloadTooLarge,
    /// The body is not of a type this endpoint takes (the message says which it takes).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// An uploaded file is larger than its limit (the message names the limit).
    #[error("{0}")]
    FileTooLarge(String),
    /// Too many attempts; try again after the given number of seconds.
    #[error("Too many requests. Try again in {}.", wait_text(*.0))]
    TooManyRequests(u64),
    /// Too many failed sign-ins for the account or from the address; after the given seconds.
    #[error(
        "Too many failed sign-ins. Try again in {}, or reset your password at /app/forgot-password.",
        wait_text(*.0)
    )]
    SignInLocked(u64),
    /// A dependency cannot be reached: 503 with `Retry-After`.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; details are logged, never returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// Wraps any unexpected error as an opaque 500.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::InvalidToken(_) => (StatusCode::BAD_REQUEST, "invalid_token"),
            Self::Validation { .. } | Self::Invalid(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            }
            Self::UnsupportedMediaType | Self::UnsupportedMedia(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::MediaInUse { .. } => (StatusCode::CONFLICT, "media_in_use"),
            Self::PayloadTooLarge | Self::FileTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            Self::TooManyRequests(_) | Self::SignInLocked(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// A wait for a person: "45 seconds", "1 minute", "15 minutes" (rounded up).
fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=1 => "1 second".into(),
        2..=59 => format!("{seconds} seconds"),
        _ => match seconds.div_ceil(60) {
            1 => "1 minute".into(),
            minutes => format!("{minutes} minutes"),
        },
    }
}

/// Builds an error response with a status, code and message.
pub fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(ErrorOut {
            code: code.to_string(),
            message,
            field: None,
            errors: None,
            post_id: None,
        }),
    )
        .into_response()
}

impl From<aistudio_jobs::domain::FieldError> for ApiError {
    fn from(e: aistudio_jobs::domain::FieldError) -> Self {
        Self::Validation {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<aistudio_jobs::domain::FieldErrors> for ApiError {
    fn from(errors: aistudio_jobs::domain::FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl From<aistudio_jobs::store::StoreError> for ApiError {
    fn from(e: aistudio_jobs::store::StoreError) -> Self {
        if e.is_unreachable() {
            tracing::warn!(error = %e, "database unreachable");
            return Self::Unavailable("the database cannot be reached; try again shortly".into());
        }
        Self::internal(e)
    }
}

/// Seconds a client is asked to wait before retrying a request refused with 503.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(source) = &self {
            tracing::error!(error = %source, "request failed");
        }
        let errors: Option<Vec<FieldErrorOut>> = match &self {
            Self::Validation { field, message } => Some(vec![FieldErrorOut {
                field: field.clone(),
                message: message.clone(),
            }]),
            Self::Invalid(errors) => Some(
                errors
                    .iter()
                    .map(|e| FieldErrorOut {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        let first = errors.as_ref().and_then(|all| all.first());
        let message = first.map_or_else(|| self.to_string(), |e| e.message.clone());
        let field = match &self {
            Self::InvalidToken(_) => Some("token".to_string()),
            _ => first.map(|e| e.field.clone()),
        };
        let post_id = match &self {
            Self::MediaInUse { post_id, .. } => post_id.clone(),
            _ => None,
        };
        let mut response = (
            status,
            Json(ErrorOut {
                code: code.to_string(),
                message,
                field,
                errors,
                post_id,
            }),
        )
            .into_response();
        let retry_after = match self {
            Self::TooManyRequests(seconds) | Self::SignInLocked(seconds) => Some(seconds),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiError, wait_text};

    #[test]
    fn waits_read_as_a_person_says_them() {
        assert_eq!(wait_text(1), "1 second");
        assert_eq!(wait_text(45), "45 seconds");
        assert_eq!(wait_text(60), "1 minute");
        assert_eq!(wait_text(61), "2 minutes");
        assert_eq!(wait_text(900), "15 minutes");
        assert_eq!(
            ApiError::SignInLocked(809).to_string(),
            "Too many failed sign-ins. Try again in 14 minutes, or reset your password at /app/forgot-password."
        );
    }
}

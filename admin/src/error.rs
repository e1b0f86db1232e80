//! Errors as HTML pages: clear 4xx pages, a 503 page while MongoDB cannot be reached, opaque
//! 5xx pages whose cause is logged once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::html;

/// Why a console request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such page or object.
    #[error("not found")]
    NotFound,
    /// Signed in, but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request is invalid.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] aistudio_jobs::store::StoreError),
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] aistudio_jobs::queue::QueueError),
    /// An action's dependency failed.
    #[error(transparent)]
    Action(#[from] aistudio_jobs::admin_actions::ActionError),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here.".to_string(),
            ),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, "Not allowed", why.clone()),
            Self::BadRequest(why) => (StatusCode::BAD_REQUEST, "Invalid request", why.clone()),
            Self::Store(e) if e.is_unreachable() => {
                tracing::warn!(error = %e, "database unreachable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Database unreachable",
                    "MongoDB cannot be reached; the console works again once it is back. \
                     /readyz names what is down."
                        .to_string(),
                )
            }
            _ => {
                tracing::error!(error = %self, "admin console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The request failed; the cause is in the api's log.".to_string(),
                )
            }
        };
        let body = format!(
            "<h1>{}</h1><p role=\"alert\">{}</p><p><a href=\"/admin\">Back to the console</a></p>",
            html::esc(title),
            html::esc(&message)
        );
        (status, html::bare_page(title, &body)).into_response()
    }
}

/// The console's answer to an unknown path.
pub async fn not_found() -> AdminError {
    AdminError::NotFound
}

//! Meta's callbacks: deauthorize (the user removed the app in Instagram's settings) and data
//! deletion. Both POST a form field `signed_request`, verified (HMAC-SHA256 with the Instagram
//! app secret, constant-time, algorithm checked, recent) before anything is read; a replayed
//! signature is refused. Refusals are 400 and change nothing.

use std::time::Duration;

use aistudio_config::ExposeSecret;
use aistudio_jobs::crypto::signed_request::{self, SignedRequest};
use aistudio_jobs::store::DeletionKind;
use aistudio_jobs::tasks::DeleteInstagramData;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::routing::post;
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/meta/deauthorize", post(create_deauthorization))
        .route("/api/v1/meta/data-deletion", post(create_data_deletion))
}

/// How old a `signed_request` may be.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The callback form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignedRequestIn {
    /// `<base64url signature>.<base64url payload>`.
    pub signed_request: String,
}

/// Meta's expected answer to a data-deletion callback.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DataDeletionOut {
    /// Human-readable status page of this request.
    pub url: String,
    /// Confirmation code shown to the user.
    pub confirmation_code: String,
}

/// The callback's form, or why it is refused: 415 for another content type, else 400 (a
/// missing or malformed `signed_request` is a refusal like any other).
fn callback_form(
    form: Result<Form<SignedRequestIn>, FormRejection>,
) -> Result<SignedRequestIn, ApiError> {
    match form {
        Ok(Form(form)) => Ok(form),
        Err(FormRejection::InvalidFormContentType(_)) => Err(ApiError::UnsupportedMediaType),
        Err(e) => Err(ApiError::BadRequest(format!(
            "the callback needs the form field signed_request: {}",
            e.body_text()
        ))),
    }
}

async fn verified(state: &AppState, form: &SignedRequestIn) -> Result<SignedRequest, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let secret = state.settings.instagram.client_secret.expose_secret();
    let request =
        signed_request::verify(&form.signed_request, secret, now, MAX_AGE.as_secs() as i64)
            .map_err(|e| {
                tracing::warn!(error = %e, "signed_request refused");
                ApiError::BadRequest(format!("invalid signed_request: {e}"))
            })?;
    let first = aistudio_jobs::replay_guard::first_use(
        &state.queue,
        "meta-signed-request",
        &request.signature_hex,
        MAX_AGE,
    )
    .await
    .map_err(ApiError::internal)?;
    if !first {
        return Err(ApiError::BadRequest(
            "invalid signed_request: already used".into(),
        ));
    }
    Ok(request)
}

/// Deauthorization: deletes the connection's token at once (the connection is marked
/// disconnected).
#[utoipa::path(post, path = "/api/v1/meta/deauthorize", tag = "meta",
    request_body(content = SignedRequestIn, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Done (also when no connection matched)"),
        (status = 400, description = "Forged, malformed, expired or replayed, or no `signed_request`", body = ErrorOut),
        (status = 415, description = "The body is not a form", body = ErrorOut),
    ))]
pub async fn create_deauthorization(
    State(state): State<AppState>,
    form: Result<Form<SignedRequestIn>, FormRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request = verified(&state, &callback_form(form)?).await?;
    let connections = state.store.connections();
    if let Some(connection) = connections.by_ig_user_id(&request.user_id).await? {
        connections.disconnect(&connection.id).await?;
        crate::routes::instagram::raise_disconnected(&state, &connection).await?;
        tracing::info!(connection_id = %connection.id, "deauthorized by Meta; token deleted");
    }
    Ok(Json(serde_json::json!({})))
}

/// Data deletion: records the request, starts the deletion, and answers the status page URL
/// and confirmation code.
#[utoipa::path(post, path = "/api/v1/meta/data-deletion", tag = "meta",
    request_body(content = SignedRequestIn, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Accepted", body = DataDeletionOut),
        (status = 400, description = "Forged, malformed, expired or replayed, or no `signed_request`", body = ErrorOut),
        (status = 415, description = "The body is not a form", body = ErrorOut),
    ))]
pub async fn create_data_deletion(
    State(state): State<AppState>,
    form: Result<Form<SignedRequestIn>, FormRejection>,
) -> Result<Json<DataDeletionOut>, ApiError> {
    let request = verified(&state, &callback_form(form)?).await?;
    let deletion = state
        .store
        .deletion_requests()
        .open(DeletionKind::InstagramData, &request.user_id)
        .await?;
    DeleteInstagramData::enqueue(&state.queue, &deletion.id, "request")
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(DataDeletionOut {
        url: format!(
            "{}/deletion-status/{}",
            state.settings.server.public_base_url.trim_end_matches('/'),
            deletion.id
        ),
        confirmation_code: deletion.id,
    }))
}

//! Signed, expiring public URLs of videos, for Instagram to download them while publishing
//! (images go through ImgBB). No session: the signature is the authorization.

use aistudio_jobs::workflow::verify_media_url;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use serde::Deserialize;

use crate::error::{ApiError, ErrorOut};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/public-media/{id}", get(get_public_media))
}

/// The signature of a public media URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicMediaIn {
    /// Unix time after which the URL stops working.
    pub expires: i64,
    /// HMAC of the media id and `expires`.
    pub sig: String,
}

/// A media file by signed URL (made by the publishing workflow).
#[utoipa::path(get, path = "/api/v1/public-media/{id}", tag = "media",
    params(("id" = String, Path, description = "Media id"), PublicMediaIn),
    responses(
        (status = 200, description = "The file", content(("video/mp4"), ("video/quicktime"), ("image/jpeg"))),
        (status = 404, description = "Unknown, expired or wrongly signed", body = ErrorOut),
    ))]
pub async fn get_public_media(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(input): ApiQuery<PublicMediaIn>,
) -> Result<Response, ApiError> {
    let now = chrono::Utc::now().timestamp();
    if !verify_media_url(
        &state.settings.security,
        &id,
        input.expires,
        &input.sig,
        now,
    ) {
        return Err(ApiError::NotFound("media"));
    }
    let media = state
        .store
        .media()
        .by_id(&id)
        .await?
        .ok_or(ApiError::NotFound("media"))?;
    let stream = state
        .media_storage
        .open(&media.id)
        .await
        .map_err(|_| ApiError::NotFound("media"))?;
    let body = Body::from_stream(stream.map(|chunk| chunk.map(axum::body::Bytes::from)));
    Ok((
        [
            (header::CONTENT_TYPE, media.content_type.clone()),
            (header::CONTENT_LENGTH, media.size_bytes.to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        body,
    )
        .into_response())
}

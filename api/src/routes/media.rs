//! The media library: upload (multipart, streamed), list, metadata, download, delete.

use aistudio_jobs::content::{MediaDeleteError, delete_media};
use aistudio_jobs::domain::{FieldError, MediaKind, check_visible_text};
use aistudio_jobs::media::{self, IngestError, Limits, Spool};
use aistudio_jobs::store::{Media, MediaStatus};
use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiQuery, CurrentUser};
use crate::routes::paging::{Cursor, cursor_param, end_page, page_limit};
use crate::state::AppState;

/// Multipart framing allowed on top of the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// `Retry-After` of an upload refused because every check slot stayed busy: about the time
/// the largest image takes to check.
const CHECK_RETRY_AFTER_SECS: u64 = 5;

/// Routes of this resource, except the upload (see [`upload_router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/media", get(list_media))
        .route(
            "/api/v1/media/{id}",
            get(get_media).delete(delete_media_item),
        )
        .route("/api/v1/media/{id}/content", get(download_media))
}

/// The upload route, which has its own time and size limits.
pub fn upload_router() -> Router<AppState> {
    Router::new().route("/api/v1/media", post(upload_media))
}

/// A media file in the library.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaOut {
    /// Media id.
    pub id: String,
    /// `image` or `video`.
    #[schema(value_type = String)]
    pub kind: MediaKind,
    /// Content type of the stored file (`image/jpeg`, `video/mp4` or `video/quicktime`).
    pub content_type: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// What was uploaded: `jpeg`, `png`, `webp`, `mp4` or `mov`.
    pub source_format: String,
    /// Whether the stored JPEG is a conversion of the uploaded PNG or WebP.
    pub converted: bool,
    /// Stored size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
    /// Pixel width (a video's display width).
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Video length in milliseconds.
    pub duration_ms: Option<u64>,
    /// Video frames per second.
    pub frame_rate: Option<f64>,
    /// Video codec (`h264`, `hevc`, ...).
    pub video_codec: Option<String>,
    /// Audio codec (`aac`, ...), absent for silent videos.
    pub audio_codec: Option<String>,
    /// Where to download the stored file.
    pub content_url: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// Where the stored file of media `id` is downloaded.
pub fn content_url(id: &str) -> String {
    format!("/api/v1/media/{id}/content")
}

impl From<&Media> for MediaOut {
    fn from(m: &Media) -> Self {
        Self {
            id: m.id.clone(),
            kind: m.kind,
            content_type: m.content_type.clone(),
            file_name: m.file_name.clone(),
            source_format: m.source_format.clone(),
            converted: m.converted,
            size_bytes: m.size_bytes,
            sha256: m.sha256.clone(),
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            frame_rate: m.frame_rate,
            video_codec: m.video_codec.clone(),
            audio_codec: m.audio_codec.clone(),
            content_url: content_url(&m.id),
            created_at: m.created_at,
        }
    }
}

/// A page of the media library.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaPageOut {
    /// Newest first.
    pub items: Vec<MediaOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging of the media library.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MediaListIn {
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The upload form: the one field `file` (a field of another name is refused).
#[derive(Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MediaUploadIn {
    /// The file: JPEG, PNG or WebP image (PNG and WebP are converted to JPEG), or MP4/MOV video.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::TooLarge(message) => ApiError::FileTooLarge(message),
        IngestError::Unsupported(message) | IngestError::Invalid(message) => ApiError::Validation {
            field: "file".into(),
            message,
        },
        IngestError::Io(e) => ApiError::internal(e),
    }
}

/// The uploaded file's name, for display: no folders, at most 255 characters, `upload` when
/// none was sent. A name people cannot read as it is (control characters, text direction
/// overrides, nothing visible) is refused as `file`.
fn display_name(raw: Option<&str>) -> Result<String, FieldError> {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim();
    if base.is_empty() {
        return Ok("upload".into());
    }
    check_visible_text("file", base)
        .map_err(|e| FieldError::new("file", format!("the file name {}", e.message)))?;
    Ok(base.chars().take(255).collect())
}

/// Uploads an image or a video (multipart form, field `file`). The type is recognised from
/// the bytes, never from the name or the declared type. Images are checked whole and decoded
/// in full; PNG, WebP and images longer than `media.max_image_side` are stored as a new JPEG.
/// The body is streamed to disk and refused as soon as it passes the limit for its type. The
/// check runs in one of a bounded number of slots (a few per user); an upload that finds none
/// free within `media.check_wait_secs` gets 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/media", tag = "media",
    request_body(content = MediaUploadIn, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = MediaOut),
        (status = 413, description = "Larger than the limit for its type", body = ErrorOut),
        (status = 415, description = "Not a multipart/form-data request", body = ErrorOut),
        (status = 422, description = "Not an accepted image or video, cut short, corrupt, or over the pixel or decoding memory limit (`field` is `file`)", body = ErrorOut),
        (status = 429, description = "Every upload check slot (or every one of the caller's) stayed busy; retry after `Retry-After` seconds", body = ErrorOut),
    ))]
pub async fn upload_media(
    State(state): State<AppState>,
    current: CurrentUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MediaOut>), ApiError> {
    let limits = Limits::from_settings(&state.settings.media);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.largest() + MULTIPART_OVERHEAD) {
        return Err(ApiError::FileTooLarge(format!(
            "the upload is larger than the largest accepted file ({} bytes)",
            limits.largest()
        )));
    }
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMedia(
            "expected a multipart/form-data body with the file in a field named `file`".into(),
        )
    })?;
    let dir = media::spool_dir(&state.settings.media);
    let mut spooled = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            return Err(ApiError::Validation {
                field: name,
                message: "unknown field; send the file in a field named `file`".into(),
            });
        }
        if spooled.is_some() {
            return Err(ApiError::Validation {
                field: "file".into(),
                message: "send one file per upload".into(),
            });
        }
        let file_name = display_name(field.file_name())?;
        let mut spool = Spool::create(&dir, limits).await.map_err(ingest_error)?;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            spool.write(&chunk).await.map_err(ingest_error)?;
        }
        spooled = Some((file_name, spool.finish().await.map_err(ingest_error)?));
    }
    let (file_name, spooled) = spooled.ok_or_else(|| ApiError::Validation {
        field: "file".into(),
        message: "is required".into(),
    })?;
    let slot = state
        .media_checks
        .acquire(&current.user.id)
        .await
        .map_err(|_| ApiError::TooManyRequests(CHECK_RETRY_AFTER_SECS))?;
    let ingested = media::ingest(spooled, limits, slot)
        .await
        .map_err(ingest_error)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    state
        .media_storage
        .put(&id, ingested.content_type, ingested.file.path())
        .await
        .map_err(ApiError::internal)?;
    let video = ingested.video.as_ref();
    let record = Media {
        id: id.clone(),
        user_id: current.user.id.clone(),
        kind: ingested.kind,
        status: MediaStatus::Ready,
        file_name,
        source_format: ingested.source_format.as_str().to_string(),
        converted: ingested.converted,
        content_type: ingested.content_type.to_string(),
        size_bytes: ingested.size,
        sha256: ingested.sha256.clone(),
        width: ingested.width,
        height: ingested.height,
        duration_ms: video.map(|v| v.duration_ms),
        frame_rate: video.and_then(|v| v.frame_rate),
        video_codec: video.map(|v| v.video_codec.clone()),
        audio_codec: video.and_then(|v| v.audio_codec.clone()),
        used_by: Vec::new(),
        created_at: Utc::now(),
    };
    if let Err(e) = state.store.media().insert(&record).await {
        let _ = state.media_storage.delete(&id).await;
        return Err(e.into());
    }
    tracing::info!(user_id = %current.user.id, media_id = %id, kind = record.kind.as_str(), size = record.size_bytes, "media uploaded");
    Ok((StatusCode::CREATED, Json(MediaOut::from(&record))))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest(format!(
            "the multipart body could not be read: {}",
            e.body_text()
        ))
    }
}

/// The media library, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/media", tag = "media", params(MediaListIn),
    responses(
        (status = 200, description = "A page of media", body = MediaPageOut),
        (status = 422, description = "A bad `limit` or `cursor`", body = ErrorOut),
    ))]
pub async fn list_media(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<MediaListIn>,
) -> Result<Json<MediaPageOut>, ApiError> {
    let limit = page_limit(query.limit)?;
    let after = cursor_param(query.cursor.as_deref())?.map(|c| (c.at, c.id));
    let mut items = state
        .store
        .media()
        .page_for_user(&current.user.id, after, limit as i64 + 1)
        .await?;
    let next_cursor = end_page(&mut items, limit, |m| Cursor::new(m.created_at, &m.id));
    Ok(Json(MediaPageOut {
        items: items.iter().map(MediaOut::from).collect(),
        next_cursor,
    }))
}

async fn owned(state: &AppState, current: &CurrentUser, id: &str) -> Result<Media, ApiError> {
    state
        .store
        .media()
        .by_id_for_user(id, &current.user.id)
        .await?
        .ok_or(ApiError::NotFound("media"))
}

/// One media file's metadata.
#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 200, description = "The media file", body = MediaOut),
        (status = 404, description = "No such media of yours", body = ErrorOut),
    ))]
pub async fn get_media(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MediaOut>, ApiError> {
    Ok(Json(MediaOut::from(&owned(&state, &current, &id).await?)))
}

/// Downloads the stored file, streamed, with the media's `content_type`: `image/jpeg` for
/// every image, `video/mp4` or `video/quicktime` for videos.
#[utoipa::path(get, path = "/api/v1/media/{id}/content", tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 200, description = "The stored bytes, of the media's `content_type`", content(
            ("image/jpeg"),
            ("video/mp4"),
            ("video/quicktime"),
        )),
        (status = 404, description = "No such media of yours", body = ErrorOut),
    ))]
pub async fn download_media(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let media = owned(&state, &current, &id).await?;
    let stream = state
        .media_storage
        .open(&media.id)
        .await
        .map_err(ApiError::internal)?;
    let body = Body::from_stream(stream.map(|chunk| chunk.map(axum::body::Bytes::from)));
    Ok((
        [
            (header::CONTENT_TYPE, media.content_type.clone()),
            (header::CONTENT_LENGTH, media.size_bytes.to_string()),
            (header::ETAG, format!("\"{}\"", media.sha256)),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        body,
    )
        .into_response())
}

/// Deletes a media file. Refused (409 `media_in_use`, with the post's `post_id`) while a draft, scheduled, parked or
/// publishing post uses it.
#[utoipa::path(delete, path = "/api/v1/media/{id}", tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such media of yours", body = ErrorOut),
        (status = 409, description = "A post that may still publish uses it; code `media_in_use`, `post_id` names the post", body = ErrorOut),
    ))]
pub async fn delete_media_item(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match delete_media(
        &state.store,
        state.media_storage.as_ref(),
        &current.user.id,
        &id,
        Utc::now(),
    )
    .await
    {
        Ok(()) => {
            tracing::info!(user_id = %current.user.id, media_id = %id, "media deleted");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(MediaDeleteError::NotFound) => Err(ApiError::NotFound("media")),
        Err(MediaDeleteError::InUse { post_id, message }) => {
            Err(ApiError::MediaInUse { post_id, message })
        }
        Err(MediaDeleteError::Store(e)) => Err(e.into()),
        Err(MediaDeleteError::Storage(e)) => Err(ApiError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_readable_or_refused() {
        assert_eq!(
            display_name(Some("C:\\photos\\beach.jpg")).unwrap(),
            "beach.jpg"
        );
        assert_eq!(display_name(Some("/tmp/ фото.jpg ")).unwrap(), "фото.jpg");
        assert_eq!(display_name(None).unwrap(), "upload");
        assert_eq!(display_name(Some("a/")).unwrap(), "upload");
        assert_eq!(
            display_name(Some(&"é".repeat(300)))
                .unwrap()
                .chars()
                .count(),
            255
        );
        for bad in ["invoice\u{202E}gpj.exe", "\u{200B}\u{2060}", "a\u{7}.jpg"] {
            let e = display_name(Some(bad)).unwrap_err();
            assert_eq!(e.field, "file");
            assert!(e.message.starts_with("the file name "), "{}", e.message);
        }
    }
}

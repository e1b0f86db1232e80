//! Pausing and resuming an account's queue: `POST .../posting-schedule/pause` and `.../resume`,
//! compare-and-set on the schedule's version (see `aistudio_jobs::content::queue_pause`).

use aistudio_jobs::content::queue_pause::{self, PauseError};
use aistudio_jobs::domain::FieldError;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::posting_schedule::{PostingScheduleOut, out, own_connection};
use crate::routes::posts_io::PostOut;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/instagram/connections/{id}/posting-schedule/pause",
            post(pause_queue),
        )
        .route(
            "/api/v1/instagram/connections/{id}/posting-schedule/resume",
            post(resume_queue),
        )
}

/// A pause or resume of the queue, from the schedule version you loaded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueuePauseIn {
    /// The version of the posting schedule you loaded.
    #[schema(minimum = 1)]
    pub version: i64,
}

/// A paused queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueuePausedOut {
    /// The schedule as written (`paused: true`).
    pub schedule: PostingScheduleOut,
    /// How many queued posts are now held.
    pub held: u64,
    /// Queued posts already being prepared for publishing (or being published) when the pause
    /// landed: a pause cannot stop them, they publish at their time.
    pub publishing_anyway: Vec<PostOut>,
}

/// A queued post given a new slot on resume, because its own passed while the queue was paused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReslottedOut {
    /// The post in its new slot.
    pub post: PostOut,
    /// The slot it missed.
    pub from: DateTime<Utc>,
}

/// A resumed queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueResumedOut {
    /// The schedule as written (`paused: false`).
    pub schedule: PostingScheduleOut,
    /// How many held posts were released (the moved ones included).
    pub released: u64,
    /// Posts whose slot passed while paused, moved in their order to the next free slots.
    pub moved: Vec<ReslottedOut>,
}

fn checked(input: &QueuePauseIn) -> Result<i64, ApiError> {
    if input.version < 1 {
        return Err(FieldError::new("version", "must be 1 or more").into());
    }
    Ok(input.version)
}

fn pause_error(e: PauseError) -> ApiError {
    match e {
        PauseError::Conflict(message) => ApiError::Conflict(message),
        PauseError::Store(e) => e.into(),
    }
}

/// Pauses the queue of the Instagram account: none of its queued posts publishes until it
/// resumes, even when its slot comes. Posts scheduled at a time of their own still publish, and
/// so do queued posts already being prepared for publishing (listed in `publishing_anyway`).
/// Posts can still be added to a paused queue.
#[utoipa::path(post, path = "/api/v1/instagram/connections/{id}/posting-schedule/pause", tag = "instagram",
    request_body = QueuePauseIn,
    params(("id" = String, Path, description = "Connection id")),
    responses(
        (status = 200, description = "Paused", body = QueuePausedOut),
        (status = 404, description = "No such connection of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request since `version`, already paused, or no schedule saved", body = ErrorOut),
        (status = 422, description = "A bad `version`", body = ErrorOut),
    ))]
pub async fn pause_queue(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<QueuePauseIn>,
) -> Result<Json<QueuePausedOut>, ApiError> {
    let version = checked(&input)?;
    let user_id = &current.user.id;
    own_connection(&state, user_id, &id).await?;
    let paused = queue_pause::pause(&state.store, user_id, &id, version)
        .await
        .map_err(pause_error)?;
    Ok(Json(QueuePausedOut {
        schedule: out(&paused.schedule),
        held: paused.held,
        publishing_anyway: paused.claimed.iter().map(PostOut::from).collect(),
    }))
}

/// Resumes the paused queue of the Instagram account. Queued posts whose slot passed while it
/// was paused are not published late: they move, in their order, to the next free slots at
/// least a minute ahead; the others keep their slots.
#[utoipa::path(post, path = "/api/v1/instagram/connections/{id}/posting-schedule/resume", tag = "instagram",
    request_body = QueuePauseIn,
    params(("id" = String, Path, description = "Connection id")),
    responses(
        (status = 200, description = "Resumed", body = QueueResumedOut),
        (status = 404, description = "No such connection of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request since `version`, not paused, no schedule saved, or posts that missed their slot and no slot to move them to", body = ErrorOut),
        (status = 422, description = "A bad `version`", body = ErrorOut),
    ))]
pub async fn resume_queue(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<QueuePauseIn>,
) -> Result<Json<QueueResumedOut>, ApiError> {
    let version = checked(&input)?;
    let user_id = &current.user.id;
    own_connection(&state, user_id, &id).await?;
    let resumed = queue_pause::resume(&state.store, user_id, &id, version)
        .await
        .map_err(pause_error)?;
    Ok(Json(QueueResumedOut {
        schedule: out(&resumed.schedule),
        released: resumed.aligned.released,
        moved: resumed
            .aligned
            .moved
            .iter()
            .map(|m| ReslottedOut {
                post: PostOut::from(&m.post),
                from: m.from,
            })
            .collect(),
    }))
}

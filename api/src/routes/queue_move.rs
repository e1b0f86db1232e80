//! Reordering a connection's queue: `POST /posts/{id}/queue-move` swaps a queued post's slot
//! with the queued post just before or after it (see `aistudio_jobs::content::queue_move`).

use aistudio_jobs::content::queue;
use aistudio_jobs::content::queue_move::{Direction, move_in_queue};
use aistudio_jobs::domain::FieldError;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::posts::write_error;
use crate::routes::posts_io::PostOut;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/posts/{id}/queue-move", post(move_queued_post))
}

/// Which way a queued post moves.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DirectionIn {
    /// Swap with the queued post just before it.
    Earlier,
    /// Swap with the queued post just after it.
    Later,
}

/// A move of a queued post.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueMoveIn {
    /// `earlier` (swap with the queued post just before) or `later` (just after).
    pub direction: DirectionIn,
    /// The version of the post you loaded.
    #[schema(minimum = 1)]
    pub version: i64,
}

/// The two posts that swapped slots.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueMoveOut {
    /// The post you moved, in its new slot.
    pub moved: PostOut,
    /// Its neighbour, now in the slot the moved post left.
    pub swapped_with: PostOut,
}

/// Swaps a queued post with its neighbour in the queue of its Instagram account. Both posts
/// must still be scheduled (not being prepared for publishing) and hold queue slots.
#[utoipa::path(post, path = "/api/v1/posts/{id}/queue-move", tag = "posts", request_body = QueueMoveIn,
    params(("id" = String, Path, description = "Post id")),
    responses(
        (status = 200, description = "Moved: both posts, as written", body = QueueMoveOut),
        (status = 404, description = "No such post of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request since `version`, either post changed meanwhile, not a queued scheduled post, already first or last, or due too soon to move", body = ErrorOut),
        (status = 422, description = "A bad `direction` or `version`", body = ErrorOut),
    ))]
pub async fn move_queued_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<QueueMoveIn>,
) -> Result<Json<QueueMoveOut>, ApiError> {
    if input.version < 1 {
        return Err(FieldError::new("version", "must be 1 or more").into());
    }
    let direction = match input.direction {
        DirectionIn::Earlier => Direction::Earlier,
        DirectionIn::Later => Direction::Later,
    };
    // Never a post the publisher may claim meanwhile: it claims `prepare_ahead_secs` early.
    let lead = Duration::seconds(
        i64::try_from(state.settings.workflow.prepare_ahead_secs).unwrap_or(i64::MAX / 4)
            + queue::MIN_LEAD_SECS,
    );
    let moved = move_in_queue(
        &state.store,
        &current.user.id,
        &id,
        input.version,
        direction,
        Utc::now(),
        lead,
    )
    .await
    .map_err(write_error)?;
    tracing::info!(user_id = %current.user.id, post_id = %id, swapped_with = %moved.swapped_with.id, direction = ?input.direction, "queued post moved");
    Ok(Json(QueueMoveOut {
        moved: PostOut::from(&moved.moved),
        swapped_with: PostOut::from(&moved.swapped_with),
    }))
}

//! Posts: compose, schedule, edit, reschedule, cancel, list and delete.
//!
//! Edits, reschedules and cancels name the `version` they start from and are compare-and-set
//! operations: of concurrent changes to one version exactly one lands, the others get 409, and
//! none lands once publishing has started.

use aistudio_jobs::content::{
    ComposeError, ComposeInput, QueueError, When, WriteError, compose, duplicate, post_writes,
    queue, queue_pause,
};
use aistudio_jobs::domain::{FieldError, FieldErrors, QueryTime, ScheduleTime, TimeZoneName};
use aistudio_jobs::store::{
    Post, PostContent, PostCursor, PostFilter, PostOrder, PostStatus, StoreError, queue_slot_key,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, ApiQuery, CurrentUser};
use crate::routes::paging::{Cursor, cursor_param, end_page, page_limit};
use crate::routes::posts_io::{
    CancelIn, PostCreateIn, PostEditIn, PostOut, PostPageOut, RescheduleIn,
};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/posts", post(create_post).get(list_posts))
        .route(
            "/api/v1/posts/{id}",
            get(get_post).put(update_post).delete(delete_post),
        )
        .route("/api/v1/posts/{id}/reschedule", post(reschedule_post))
        .route("/api/v1/posts/{id}/cancel", post(cancel_post))
        .route("/api/v1/posts/{id}/duplicate", post(duplicate_post))
}

/// The composed post, or every refusal: `errors` found by the handler, then compose's.
fn composed(
    mut errors: FieldErrors,
    result: Result<PostContent, ComposeError>,
) -> Result<PostContent, ApiError> {
    match result {
        Ok(content) => Ok(errors.or_value(content)?),
        Err(ComposeError::Invalid(refused)) => {
            errors.extend(refused);
            Err(errors.into())
        }
        Err(ComposeError::Store(e)) => Err(e.into()),
    }
}

pub(crate) fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::NotFound => ApiError::NotFound("post"),
        WriteError::Conflict(message) => ApiError::Conflict(message),
        WriteError::Field(e) => e.into(),
        WriteError::Store(e) => e.into(),
    }
}

/// Creates a draft, or a scheduled post when `scheduled_at` or `publish_now` is given, or a
/// post in the next free slot of its connection's posting schedule with `queue: true`.
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", request_body = PostCreateIn,
    responses(
        (status = 201, description = "Stored", body = PostOut),
        (status = 422, description = "A rule is broken; `field` names the field or media item, the message the rule", body = ErrorOut),
    ))]
pub async fn create_post(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<PostCreateIn>,
) -> Result<(StatusCode, Json<PostOut>), ApiError> {
    let mut errors = FieldErrors::new();
    if input.version.is_some() {
        errors.push(FieldError::new(
            "version",
            "is only sent when editing a post",
        ));
    }
    let user_id = &current.user.id;
    let post = if input.queue {
        add_to_queue(&state, user_id, errors, input.into_compose()).await?
    } else {
        let content = composed(
            errors,
            compose(&state.store, user_id, input.into_compose(), Utc::now()).await,
        )?;
        post_writes::create(&state.store, user_id, content, None)
            .await
            .map_err(write_error)?
    };
    tracing::info!(user_id = %user_id, post_id = %post.id, status = post.content.status.as_str(), "post created");
    Ok((StatusCode::CREATED, Json(PostOut::from(&post))))
}

/// How many times a post added to a queue tries the next free slot when other requests take
/// the ones it found.
const QUEUE_ATTEMPTS: usize = 8;

/// Stores `input` in the next free slot of its connection's posting schedule.
async fn add_to_queue(
    state: &AppState,
    user_id: &str,
    mut errors: FieldErrors,
    mut input: ComposeInput,
) -> Result<Post, ApiError> {
    if input.scheduled_at.is_some() || input.publish_now {
        errors.push(FieldError::new(
            "queue",
            "cannot be combined with scheduled_at or publish_now",
        ));
    }
    let Some(connection_id) = input.connection_id.clone() else {
        errors.push(FieldError::new(
            "connection_id",
            "is required to add a post to a queue",
        ));
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut passed = Vec::new();
    for _ in 0..QUEUE_ATTEMPTS {
        let now = Utc::now();
        let (at, time_zone) = match queue::next_free_slot(
            &state.store,
            user_id,
            &connection_id,
            now + chrono::Duration::seconds(queue::MIN_LEAD_SECS),
            &passed,
        )
        .await
        {
            Ok(found) => found,
            Err(QueueError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(FieldError::new("queue", e.to_string()).into()),
        };
        input.scheduled_at = Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        input.time_zone.get_or_insert(time_zone);
        let content = composed(
            FieldErrors::new(),
            compose(&state.store, user_id, input.clone(), now).await,
        )?;
        let slot = queue_slot_key(&connection_id, at);
        match post_writes::create(&state.store, user_id, content, Some(slot)).await {
            Err(WriteError::Store(StoreError::Duplicate)) => passed.push(at),
            // Stored held: held by the pause if the queue is paused, released otherwise.
            Ok(post) => return Ok(queue_pause::settle_added(&state.store, user_id, post).await?),
            Err(e) => return Err(write_error(e)),
        }
    }
    Err(ApiError::Conflict(
        "the queue is changing too fast right now; try again".into(),
    ))
}

/// The version an edit starts from, which it must name.
fn edited_version(version: Option<i64>) -> Result<i64, FieldError> {
    version.ok_or_else(|| {
        FieldError::new(
            "version",
            "is required when editing (the version you loaded)",
        )
    })
}

/// Replaces a draft, scheduled or parked post (`version` required). Scheduling a draft is an
/// edit that adds `scheduled_at` or `publish_now`; leaving both out makes the post a draft.
#[utoipa::path(put, path = "/api/v1/posts/{id}", tag = "posts", request_body = PostEditIn,
    params(("id" = String, Path, description = "Post id")),
    responses(
        (status = 200, description = "The new version", body = PostOut),
        (status = 404, description = "No such post of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request, or no longer editable (publishing, published, failed, canceled)", body = ErrorOut),
        (status = 422, description = "A rule is broken", body = ErrorOut),
    ))]
pub async fn update_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PostEditIn>,
) -> Result<Json<PostOut>, ApiError> {
    let mut errors = FieldErrors::new();
    let version = input.version;
    errors.check(edited_version(version));
    let user_id = &current.user.id;
    let content = composed(
        errors,
        compose(&state.store, user_id, input.into_compose(), Utc::now()).await,
    )?;
    let version = edited_version(version)?;
    let post = post_writes::edit(&state.store, user_id, &id, version, content)
        .await
        .map_err(write_error)?;
    tracing::info!(user_id = %user_id, post_id = %id, version = post.version, "post edited");
    Ok(Json(PostOut::from(&post)))
}

/// Moves a scheduled (or parked) post to another time.
#[utoipa::path(post, path = "/api/v1/posts/{id}/reschedule", tag = "posts", request_body = RescheduleIn,
    params(("id" = String, Path, description = "Post id")),
    responses(
        (status = 200, description = "The new version", body = PostOut),
        (status = 404, description = "No such post of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request, or not scheduled", body = ErrorOut),
        (status = 422, description = "Time missing, malformed or in the past", body = ErrorOut),
    ))]
pub async fn reschedule_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RescheduleIn>,
) -> Result<Json<PostOut>, ApiError> {
    let now = Utc::now();
    let mut errors = FieldErrors::new();
    let time = match errors.check(When::from_fields(input.scheduled_at, input.publish_now)) {
        Some(When::At(raw)) => errors
            .check(ScheduleTime::parse("scheduled_at", &raw, now))
            .map(|at| (at.at(), false)),
        Some(When::Now) => Some((now, true)),
        Some(When::Draft) => {
            errors.push(FieldError::new(
                "scheduled_at",
                "is required (or set publish_now)",
            ));
            None
        }
        None => None,
    };
    let time_zone = input
        .time_zone
        .as_deref()
        .and_then(|tz| errors.check(TimeZoneName::parse("time_zone", tz)));
    let Some((at, publish_now)) = time.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let post = post_writes::reschedule(
        &state.store,
        &current.user.id,
        &id,
        input.version,
        at,
        publish_now,
        time_zone.as_ref().map(TimeZoneName::as_str),
    )
    .await
    .map_err(write_error)?;
    tracing::info!(user_id = %current.user.id, post_id = %id, "post rescheduled");
    Ok(Json(PostOut::from(&post)))
}

/// Cancels a scheduled (or parked) post: it will not be published.
#[utoipa::path(post, path = "/api/v1/posts/{id}/cancel", tag = "posts", request_body = CancelIn,
    params(("id" = String, Path, description = "Post id")),
    responses(
        (status = 200, description = "Canceled", body = PostOut),
        (status = 404, description = "No such post of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request, or not scheduled (a draft, already publishing, published, failed or canceled)", body = ErrorOut),
    ))]
pub async fn cancel_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CancelIn>,
) -> Result<Json<PostOut>, ApiError> {
    let post = post_writes::cancel(&state.store, &current.user.id, &id, input.version)
        .await
        .map_err(write_error)?;
    tracing::info!(user_id = %current.user.id, post_id = %id, "post canceled");
    Ok(Json(PostOut::from(&post)))
}

/// Which version of a post to delete.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteIn {
    /// The version you loaded; when given, a concurrent change makes the delete fail with 409
    /// (and nothing is deleted).
    pub version: Option<i64>,
}

/// Deletes our record of a post and its media references. A published post stays on
/// Instagram: Instagram's API cannot delete published media, so remove it in the Instagram app.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = String, Path, description = "Post id"), DeleteIn),
    responses(
        (status = 204, description = "Deleted (a published post stays on Instagram)"),
        (status = 404, description = "No such post of yours", body = ErrorOut),
        (status = 409, description = "Being published right now, or changed since `version`", body = ErrorOut),
        (status = 422, description = "A malformed `version`", body = ErrorOut),
    ))]
pub async fn delete_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeleteIn>,
) -> Result<StatusCode, ApiError> {
    post_writes::delete(&state.store, &current.user.id, &id, query.version)
        .await
        .map_err(write_error)?;
    tracing::info!(user_id = %current.user.id, post_id = %id, "post deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Copies a post in any state into a new draft: kind, caption, alternative texts, time zone,
/// the media still in your library and the Instagram account while it is still connected;
/// never its time.
#[utoipa::path(post, path = "/api/v1/posts/{id}/duplicate", tag = "posts",
    params(("id" = String, Path, description = "Post id")),
    responses(
        (status = 201, description = "The new draft", body = PostOut),
        (status = 404, description = "No such post of yours", body = ErrorOut),
    ))]
pub async fn duplicate_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<PostOut>), ApiError> {
    let user_id = &current.user.id;
    let original = state
        .store
        .posts()
        .by_id_for_user(&id, user_id)
        .await?
        .ok_or(ApiError::NotFound("post"))?;
    let input = duplicate::draft_input(&state.store, user_id, &original.content).await?;
    let content = composed(
        FieldErrors::new(),
        compose(&state.store, user_id, input, Utc::now()).await,
    )?;
    let post = post_writes::create(&state.store, user_id, content, None)
        .await
        .map_err(write_error)?;
    tracing::info!(user_id = %user_id, post_id = %post.id, from = %id, "post duplicated");
    Ok((StatusCode::CREATED, Json(PostOut::from(&post))))
}

/// One post.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = String, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post", body = PostOut),
        (status = 404, description = "No such post of yours", body = ErrorOut),
    ))]
pub async fn get_post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PostOut>, ApiError> {
    let post = state
        .store
        .posts()
        .by_id_for_user(&id, &current.user.id)
        .await?
        .ok_or(ApiError::NotFound("post"))?;
    let workflow = if post.content.status == PostStatus::Publishing {
        state.store.workflows().by_post(&post.id).await?
    } else {
        None
    };
    Ok(Json(PostOut::from(&post).with_progress(workflow.as_ref())))
}

/// Filters and paging of the post listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PostListIn {
    /// Comma-separated statuses, e.g. `scheduled,needs_reconnect` (all when absent).
    pub status: Option<String>,
    /// Only posts to this Instagram connection.
    pub connection_id: Option<String>,
    /// Only posts scheduled at or after this RFC 3339 time.
    pub from: Option<String>,
    /// Only posts scheduled before this RFC 3339 time.
    pub to: Option<String>,
    /// `newest` (created, newest first; the default) or `schedule` (soonest first, posts with
    /// a time only).
    pub order: Option<String>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same filters and order).
    pub cursor: Option<String>,
}

fn time_param(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(raw
        .map(|raw| QueryTime::parse(field, raw))
        .transpose()?
        .map(QueryTime::at))
}

fn statuses(raw: Option<&str>) -> Result<Vec<PostStatus>, ApiError> {
    raw.map(|raw| {
        raw.split(',')
            .map(|s| {
                PostStatus::parse(s.trim()).ok_or_else(|| ApiError::Validation {
                    field: "status".into(),
                    message: format!(
                        "unknown status `{}`; use draft, scheduled, publishing, published, \
                         failed, canceled or needs_reconnect",
                        s.trim()
                    ),
                })
            })
            .collect()
    })
    .unwrap_or(Ok(Vec::new()))
}

/// The user's posts, filtered by status, connection and schedule time, a page at a time.
#[utoipa::path(get, path = "/api/v1/posts", tag = "posts", params(PostListIn),
    responses(
        (status = 200, description = "A page of posts", body = PostPageOut),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = ErrorOut),
    ))]
pub async fn list_posts(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<PostListIn>,
) -> Result<Json<PostPageOut>, ApiError> {
    let limit = page_limit(query.limit)?;
    let order = match query.order.as_deref() {
        None | Some("newest") => PostOrder::Newest,
        Some("schedule") => PostOrder::Schedule,
        Some(_) => {
            return Err(ApiError::Validation {
                field: "order".into(),
                message: "must be `newest` or `schedule`".into(),
            });
        }
    };
    let filter = PostFilter {
        statuses: statuses(query.status.as_deref())?,
        connection_id: query.connection_id,
        from: time_param("from", query.from.as_deref())?,
        to: time_param("to", query.to.as_deref())?,
    };
    let cursor = cursor_param(query.cursor.as_deref())?.map(|c| PostCursor { at: c.at, id: c.id });
    let mut posts = state
        .store
        .posts()
        .page_for_user(
            &current.user.id,
            &filter,
            order,
            cursor.as_ref(),
            limit as i64 + 1,
        )
        .await?;
    let next_cursor = end_page(&mut posts, limit, |p| {
        let at = match order {
            PostOrder::Newest => p.created_at,
            PostOrder::Schedule => p.content.scheduled_at.unwrap_or(p.created_at),
        };
        Cursor::new(at, &p.id)
    });
    Ok(Json(PostPageOut {
        items: {
            let publishing: Vec<String> = posts
                .iter()
                .filter(|p| p.content.status == PostStatus::Publishing)
                .map(|p| p.id.clone())
                .collect();
            let workflows = state.store.workflows().for_posts(&publishing).await?;
            posts
                .iter()
                .map(|p| {
                    let wf = workflows.iter().find(|w| w.post_id == p.id);
                    PostOut::from(p).with_progress(wf)
                })
                .collect()
        },
        next_cursor,
    }))
}

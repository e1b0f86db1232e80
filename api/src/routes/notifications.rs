//! The notification center: a user's notifications (newest first, cursor paging), the unread
//! count, marking read, and a live stream of the unread count.
//!
//! The stream reads the count from MongoDB every `notifications.stream_poll_ms` and sends it
//! when it changes: any api process serves any user, with no shared state beyond the store.
//! Each stream starts with the current count (so a browser that reconnects is in sync at
//! once) and ends after [`STREAM_LIFETIME`], after which the browser reconnects, and its
//! session is checked again.

use std::convert::Infallible;
use std::time::Duration;

use aistudio_jobs::domain::NotificationKind;
use aistudio_jobs::store::Notification;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiQuery, CurrentUser};
use crate::routes::paging::{Cursor, cursor_param, end_page, page_limit};
use crate::state::AppState;

/// How long one live stream lasts before the browser reconnects (and is authenticated again).
pub const STREAM_LIFETIME: Duration = Duration::from_secs(300);

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list_notifications))
        .route("/api/v1/notifications/unread-count", get(get_unread_count))
        .route(
            "/api/v1/notifications/read-all",
            post(mark_all_notifications_read),
        )
        .route("/api/v1/notifications/stream", get(stream_unread_count))
        .route(
            "/api/v1/notifications/{id}/read",
            post(mark_notification_read),
        )
}

/// One notification.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationOut {
    /// Notification id.
    pub id: String,
    /// `post_failed`, `post_needs_reconnect`, `token_expiring` or `post_published`.
    #[schema(value_type = String)]
    pub kind: NotificationKind,
    /// One line saying what happened.
    pub title: String,
    /// What it means and what to do, in plain words.
    pub body: String,
    /// The post or Instagram connection it is about.
    pub object_id: String,
    /// Where in the dashboard to act on it (a path, e.g. `/app/posts/<id>` or `/app/`).
    pub link: String,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// When it was marked read; absent while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<&Notification> for NotificationOut {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id.clone(),
            kind: n.kind,
            title: n.title.clone(),
            body: n.body.clone(),
            object_id: n.object_id.clone(),
            link: n.link.clone(),
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// A page of notifications.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationPageOut {
    /// Newest first.
    pub items: Vec<NotificationOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging of the notifications.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationListIn {
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// How many notifications are unread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCountOut {
    /// Unread notifications.
    pub unread: u64,
}

/// One event of the live stream (`text/event-stream`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadEventOut {
    /// Always `unread`.
    pub event: String,
    /// `{"unread": n}`: the unread count now.
    pub data: String,
}

/// What "mark all read" did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedReadOut {
    /// Notifications marked read now.
    pub marked: u64,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(NotificationListIn),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPageOut),
        (status = 422, description = "Bad `limit` or `cursor`", body = ErrorOut),
    ))]
pub async fn list_notifications(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<NotificationListIn>,
) -> Result<Json<NotificationPageOut>, ApiError> {
    let limit = page_limit(query.limit)?;
    let after = cursor_param(query.cursor.as_deref())?.map(|c| (c.at, c.id));
    let mut items = state
        .store
        .notifications()
        .page_for_user(&current.user.id, after, limit as i64 + 1)
        .await?;
    let next_cursor = end_page(&mut items, limit, |n| Cursor::new(n.created_at, &n.id));
    Ok(Json(NotificationPageOut {
        items: items.iter().map(NotificationOut::from).collect(),
        next_cursor,
    }))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications",
    responses((status = 200, description = "The unread count", body = UnreadCountOut)))]
pub async fn get_unread_count(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<UnreadCountOut>, ApiError> {
    let unread = state
        .store
        .notifications()
        .unread_count(&current.user.id)
        .await?;
    Ok(Json(UnreadCountOut { unread }))
}

/// Marks one notification read (marking it again keeps the first time).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification, read", body = NotificationOut),
        (status = 404, description = "No such notification of yours", body = ErrorOut),
    ))]
pub async fn mark_notification_read(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<NotificationOut>, ApiError> {
    let notification = state
        .store
        .notifications()
        .mark_read(&current.user.id, &id, Utc::now())
        .await?
        .ok_or(ApiError::NotFound("notification"))?;
    Ok(Json(NotificationOut::from(&notification)))
}

/// Marks every unread notification of the caller read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, description = "How many were marked read", body = MarkedReadOut)))]
pub async fn mark_all_notifications_read(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<MarkedReadOut>, ApiError> {
    let marked = state
        .store
        .notifications()
        .mark_all_read(&current.user.id, Utc::now())
        .await?;
    Ok(Json(MarkedReadOut { marked }))
}

/// A live stream (server-sent events) of the caller's unread count: an `unread` event with
/// `{"unread": n}` at once and whenever the count changes. The stream ends after five minutes;
/// browsers reconnect on their own and get the current count first.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications",
    responses((status = 200, description = "`text/event-stream` of `unread` events, each `{\"unread\": n}`", content_type = "text/event-stream", body = UnreadEventOut)))]
pub async fn stream_unread_count(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let poll = Duration::from_millis(state.settings.notifications.stream_poll_ms);
    let deadline = tokio::time::Instant::now() + STREAM_LIFETIME;
    let user_id = current.user.id;
    let stream = futures::stream::unfold(None::<u64>, move |last| {
        let state = state.clone();
        let user_id = user_id.clone();
        async move {
            loop {
                if last.is_some() {
                    tokio::time::sleep(poll).await;
                }
                if tokio::time::Instant::now() >= deadline {
                    return None;
                }
                let Ok(unread) = state.store.notifications().unread_count(&user_id).await else {
                    // The store is unreachable for now: try again at the next poll.
                    if last.is_none() {
                        tokio::time::sleep(poll).await;
                    }
                    continue;
                };
                if Some(unread) != last {
                    let event = Event::default()
                        .event("unread")
                        .data(format!("{{\"unread\":{unread}}}"));
                    return Some((Ok(event), Some(unread)));
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

//! Dashboard views over posts: the summary (counts per status, next and last post) and the
//! calendar (posts per day in the user's time zone, each with its version and picture).

use std::collections::BTreeMap;

use aistudio_jobs::domain::{PostKind, QueryTime, TimeZoneName};
use aistudio_jobs::store::{PostFilter, PostOrder, PostStatus};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiQuery, CurrentUser};
use crate::routes::post_thumbnails::{ThumbnailOut, thumbnails};
use crate::routes::posts_io::PostOut;
use crate::state::AppState;

/// Longest calendar range, in days.
pub const MAX_CALENDAR_DAYS: i64 = 62;
/// Most posts one calendar answer lists (`truncated` says when there were more).
pub const MAX_CALENDAR_POSTS: usize = 2000;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/posts/summary", get(get_summary))
        .route("/api/v1/posts/calendar", get(get_calendar))
}

/// The dashboard's overview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryOut {
    /// Posts per status (every status is present).
    pub counts: BTreeMap<String, u64>,
    /// The next post due to publish.
    pub next_scheduled: Option<PostOut>,
    /// The post published last.
    pub last_published: Option<PostOut>,
}

/// Counts per status, the next scheduled post and the last published one.
#[utoipa::path(get, path = "/api/v1/posts/summary", tag = "posts",
    responses((status = 200, description = "The overview", body = SummaryOut)))]
pub async fn get_summary(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<SummaryOut>, ApiError> {
    let posts = state.store.posts();
    let user_id = &current.user.id;
    let mut counts: BTreeMap<String, u64> = PostStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for (status, count) in posts.counts_by_status(user_id).await? {
        counts.insert(status.as_str().to_string(), count);
    }
    let next = posts
        .first_by(user_id, PostStatus::Scheduled, "scheduled_at", true)
        .await?;
    let last = posts
        .first_by(user_id, PostStatus::Published, "published_at", false)
        .await?;
    Ok(Json(SummaryOut {
        counts,
        next_scheduled: next.as_ref().map(PostOut::from),
        last_published: last.as_ref().map(PostOut::from),
    }))
}

/// The calendar's range and zone.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    /// First day, `YYYY-MM-DD`, in `time_zone`.
    pub from: String,
    /// Last day (included), `YYYY-MM-DD`; at most 62 days after `from`.
    pub to: String,
    /// IANA time zone the days are counted in (default `UTC`).
    pub time_zone: Option<String>,
}

/// A post on the calendar.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarPostOut {
    /// Post id.
    pub id: String,
    /// Send it back when rescheduling (`POST /posts/{id}/reschedule`).
    pub version: i64,
    /// The Instagram connection it publishes through.
    pub connection_id: Option<String>,
    /// Kind.
    #[schema(value_type = String)]
    pub kind: PostKind,
    /// Status.
    #[schema(value_type = String)]
    pub status: PostStatus,
    /// When it publishes (UTC).
    pub scheduled_at: DateTime<Utc>,
    /// Local time of day in the calendar's zone, `HH:MM`.
    pub local_time: String,
    /// The caption's first 80 characters.
    pub caption_preview: String,
    /// Whether it waits in its account's paused queue.
    pub held: bool,
    /// Its picture (absent when its media is no longer in the library).
    pub thumbnail: Option<ThumbnailOut>,
}

/// One day of the calendar.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarDayOut {
    /// `YYYY-MM-DD` in the calendar's zone.
    pub date: String,
    /// The day's posts, by time.
    pub posts: Vec<CalendarPostOut>,
}

/// Posts per day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarOut {
    /// The zone days are counted in.
    pub time_zone: String,
    /// Every day of the range, in order, with its posts.
    pub days: Vec<CalendarDayOut>,
    /// Whether the range held more than 2000 posts (only the first 2000 are listed).
    pub truncated: bool,
}

/// A day from 2000-01-01 to 2099-12-31.
fn date(field: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| ApiError::Validation {
        field: field.into(),
        message: "must be a date, YYYY-MM-DD".into(),
    })?;
    Ok(QueryTime::day(field, day)?)
}

/// The first instant of `day` in `tz` (the first existing one on a daylight-saving jump).
fn start_of(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=3)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// Posts with a time in a range of days, grouped by day in the user's time zone.
#[utoipa::path(get, path = "/api/v1/posts/calendar", tag = "posts", params(CalendarIn),
    responses(
        (status = 200, description = "The days and their posts", body = CalendarOut),
        (status = 422, description = "A bad date, range or time zone", body = ErrorOut),
    ))]
pub async fn get_calendar(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<CalendarIn>,
) -> Result<Json<CalendarOut>, ApiError> {
    let from = date("from", &query.from)?;
    let to = date("to", &query.to)?;
    let span = (to - from).num_days();
    if !(0..MAX_CALENDAR_DAYS).contains(&span) {
        return Err(ApiError::Validation {
            field: "to".into(),
            message: format!(
                "must be on or after `from` and at most {} days after it",
                MAX_CALENDAR_DAYS - 1
            ),
        });
    }
    let zone = match query.time_zone.as_deref() {
        Some(raw) => TimeZoneName::parse("time_zone", raw)?,
        None => TimeZoneName::utc(),
    };
    let tz = zone.tz();
    let filter = PostFilter {
        from: Some(start_of(from, tz)),
        to: Some(start_of(to + chrono::Duration::days(1), tz)),
        ..PostFilter::default()
    };
    let mut posts = state
        .store
        .posts()
        .page_for_user(
            &current.user.id,
            &filter,
            PostOrder::Schedule,
            None,
            MAX_CALENDAR_POSTS as i64 + 1,
        )
        .await?;
    let truncated = posts.len() > MAX_CALENDAR_POSTS;
    posts.truncate(MAX_CALENDAR_POSTS);
    let mut thumbnails = thumbnails(&state.store, &current.user.id, &posts).await?;
    let mut days: BTreeMap<NaiveDate, Vec<CalendarPostOut>> = (0..=span)
        .map(|d| (from + chrono::Duration::days(d), Vec::new()))
        .collect();
    for post in posts {
        let Some(at) = post.content.scheduled_at else {
            continue;
        };
        let local = at.with_timezone(&tz);
        if let Some(day) = days.get_mut(&local.date_naive()) {
            day.push(CalendarPostOut {
                id: post.id.clone(),
                version: post.version,
                connection_id: post.content.connection_id.clone(),
                kind: post.content.kind,
                status: post.content.status,
                scheduled_at: at,
                local_time: local.format("%H:%M").to_string(),
                caption_preview: post.content.caption.chars().take(80).collect(),
                held: post.held.is_some(),
                thumbnail: thumbnails.remove(&post.id),
            });
        }
    }
    Ok(Json(CalendarOut {
        time_zone: zone.as_str().to_string(),
        days: days
            .into_iter()
            .map(|(date, posts)| CalendarDayOut {
                date: date.format("%Y-%m-%d").to_string(),
                posts,
            })
            .collect(),
        truncated,
    }))
}

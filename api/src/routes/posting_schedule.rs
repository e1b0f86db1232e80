//! A connection's posting schedule: weekly time slots in the account's time zone, which
//! `POST /posts` with `queue: true` fills, and the slots of a period with the posts holding them
//! (the calendar's empty slots).

use aistudio_jobs::content::queue;
use aistudio_jobs::domain::{
    FieldError, FieldErrors, MAX_WEEKLY_SLOTS, QueryTime, TimeZoneName, WeeklySlot, WeeklySlots,
};
use aistudio_jobs::store::PostingSchedule;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, ApiQuery, CurrentUser};
use crate::routes::posts_io::local_time;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/instagram/connections/{id}/posting-schedule",
            get(get_schedule).put(put_schedule),
        )
        .route(
            "/api/v1/instagram/connections/{id}/posting-schedule/slots",
            get(list_slots),
        )
}

/// The longest period `slots` lists, in days.
const MAX_PERIOD_DAYS: i64 = 62;

/// One weekly slot.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklySlotIo {
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`.
    #[schema(example = "mon")]
    pub day: String,
    /// The local time, `HH:MM` (24 h).
    #[schema(example = "09:30")]
    pub time: String,
}

/// A posting schedule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostingScheduleOut {
    /// The connection it belongs to.
    pub connection_id: String,
    /// The IANA time zone of the slots.
    pub time_zone: String,
    /// The weekly slots, sorted by day then time.
    pub slots: Vec<WeeklySlotIo>,
    /// 0 until first saved; send it back with a change.
    pub version: i64,
    /// Whether the queue is paused: its queued posts do not publish until it resumes (posts
    /// scheduled at a time of their own still do).
    pub paused: bool,
    /// When the queue was paused, while it is.
    pub paused_at: Option<DateTime<Utc>>,
}

/// A new posting schedule, replacing the one at `version`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostingScheduleIn {
    /// The version you loaded (0 when none was saved yet).
    pub version: i64,
    /// The IANA time zone of the slots, e.g. `Europe/Paris`.
    pub time_zone: String,
    /// At most 70 weekly slots, no repeats.
    pub slots: Vec<WeeklySlotIo>,
}

/// The period of `slots`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SlotsIn {
    /// Slots after this RFC 3339 time (default: now).
    pub from: Option<String>,
    /// Slots up to this RFC 3339 time (default: 14 days after `from`; at most 62 days after).
    pub to: Option<String>,
}

/// One slot of the period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlotOut {
    /// When it falls (UTC).
    pub at: DateTime<Utc>,
    /// The same instant in the schedule's time zone, with its offset.
    pub at_local: String,
    /// The post to publish then, or null for a free slot.
    pub post_id: Option<String>,
}

/// The slots of a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlotsOut {
    /// The schedule's time zone.
    pub time_zone: String,
    /// The slots, soonest first.
    pub items: Vec<SlotOut>,
}

/// The schedule as the API shows it.
pub(crate) fn out(schedule: &PostingSchedule) -> PostingScheduleOut {
    PostingScheduleOut {
        connection_id: schedule.connection_id.clone(),
        time_zone: schedule.time_zone.clone(),
        slots: schedule
            .slots
            .iter()
            .map(|s| WeeklySlotIo {
                day: s.day.clone(),
                time: s.time.clone(),
            })
            .collect(),
        version: schedule.version,
        paused: schedule.paused.is_some(),
        paused_at: schedule.paused.map(|p| p.at),
    }
}

/// Refuses (404) a connection that is not the user's.
pub(crate) async fn own_connection(
    state: &AppState,
    user_id: &str,
    connection_id: &str,
) -> Result<(), ApiError> {
    state
        .store
        .connections()
        .by_id_for_user(connection_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("connection"))?;
    Ok(())
}

/// The user's connection's schedule; an empty one in UTC at version 0 when none was saved.
async fn schedule_of(
    state: &AppState,
    user_id: &str,
    connection_id: &str,
) -> Result<PostingSchedule, ApiError> {
    own_connection(state, user_id, connection_id).await?;
    Ok(state
        .store
        .posting_schedules()
        .for_connection(connection_id, user_id)
        .await?
        .unwrap_or_else(|| PostingSchedule {
            connection_id: connection_id.to_string(),
            user_id: user_id.to_string(),
            time_zone: TimeZoneName::utc().as_str().to_string(),
            slots: Vec::new(),
            version: 0,
            updated_at: Utc::now(),
            paused: None,
        }))
}

/// The connection's posting schedule.
#[utoipa::path(get, path = "/api/v1/instagram/connections/{id}/posting-schedule", tag = "instagram",
    params(("id" = String, Path, description = "Connection id")),
    responses(
        (status = 200, description = "The schedule (version 0 and no slots when never saved)", body = PostingScheduleOut),
        (status = 404, description = "No such connection of yours", body = ErrorOut),
    ))]
pub async fn get_schedule(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PostingScheduleOut>, ApiError> {
    Ok(Json(
        out(&schedule_of(&state, &current.user.id, &id).await?),
    ))
}

/// Replaces the connection's posting schedule. Posts already in the queue keep their times; a
/// paused queue stays paused.
#[utoipa::path(put, path = "/api/v1/instagram/connections/{id}/posting-schedule", tag = "instagram",
    request_body = PostingScheduleIn,
    params(("id" = String, Path, description = "Connection id")),
    responses(
        (status = 200, description = "The new version", body = PostingScheduleOut),
        (status = 404, description = "No such connection of yours", body = ErrorOut),
        (status = 409, description = "Changed by another request since `version`", body = ErrorOut),
        (status = 422, description = "A bad time zone or slot; each is named", body = ErrorOut),
    ))]
pub async fn put_schedule(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PostingScheduleIn>,
) -> Result<Json<PostingScheduleOut>, ApiError> {
    let mut errors = FieldErrors::new();
    if input.version < 0 {
        errors.push(FieldError::new("version", "must be 0 or more"));
    }
    let time_zone = errors.check(TimeZoneName::parse("time_zone", &input.time_zone));
    let slots: Vec<WeeklySlot> = input
        .slots
        .into_iter()
        .map(|s| WeeklySlot {
            day: s.day,
            time: s.time,
        })
        .collect();
    let tz = time_zone.as_ref().map_or("UTC", TimeZoneName::as_str);
    let weekly = match WeeklySlots::parse(tz, &slots) {
        Ok(weekly) => Some(weekly),
        Err(refused) => {
            errors.extend(refused);
            None
        }
    };
    let (Some(time_zone), Some(weekly)) = (time_zone, weekly.filter(|_| errors.is_empty())) else {
        return Err(errors.into());
    };
    let user_id = &current.user.id;
    let current_schedule = schedule_of(&state, user_id, &id).await?;
    let saved = state
        .store
        .posting_schedules()
        .save(
            &id,
            user_id,
            input.version,
            time_zone.as_str(),
            weekly.to_slots(),
        )
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "the posting schedule was changed by another request (you sent version {}, it \
                 is at version {}); reload it and try again",
                input.version, current_schedule.version
            ))
        })?;
    tracing::info!(user_id = %user_id, connection_id = %id, slots = saved.slots.len(), "posting schedule saved");
    Ok(Json(out(&saved)))
}

/// The schedule's slots in a period, each with the post holding it (null when free).
#[utoipa::path(get, path = "/api/v1/instagram/connections/{id}/posting-schedule/slots", tag = "instagram",
    params(("id" = String, Path, description = "Connection id"), SlotsIn),
    responses(
        (status = 200, description = "The slots, soonest first", body = SlotsOut),
        (status = 404, description = "No such connection of yours", body = ErrorOut),
        (status = 422, description = "A bad `from` or `to`", body = ErrorOut),
    ))]
pub async fn list_slots(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<SlotsIn>,
) -> Result<Json<SlotsOut>, ApiError> {
    let mut errors = FieldErrors::new();
    let from = match query.from.as_deref() {
        Some(raw) => errors.check(QueryTime::parse("from", raw).map(QueryTime::at)),
        None => Some(Utc::now()),
    };
    let to = query
        .to
        .as_deref()
        .map(|raw| errors.check(QueryTime::parse("to", raw).map(QueryTime::at)));
    let Some(from) = from.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let to = to.flatten().unwrap_or(from + Duration::days(14));
    if to <= from || to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(FieldError::new(
            "to",
            format!("must be after `from` and at most {MAX_PERIOD_DAYS} days after it"),
        )
        .into());
    }
    let schedule = schedule_of(&state, &current.user.id, &id).await?;
    let slots = queue::slots(
        &state.store,
        &schedule,
        from,
        to,
        // Every slot of the period: at most the weekly slots of each week it touches.
        MAX_WEEKLY_SLOTS * (MAX_PERIOD_DAYS as usize / 7 + 1),
    )
    .await?;
    Ok(Json(SlotsOut {
        items: slots
            .into_iter()
            .map(|slot| SlotOut {
                at: slot.at,
                at_local: local_time(slot.at, &schedule.time_zone).unwrap_or_default(),
                post_id: slot.post.map(|p| p.id),
            })
            .collect(),
        time_zone: schedule.time_zone,
    }))
}

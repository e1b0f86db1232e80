//! A connection's queue: the slots of its posting schedule, which posts hold them, and the
//! next free one ("Add to queue").
//!
//! A slot is taken by any post to the connection still to publish at exactly its instant
//! (added to the queue or scheduled by hand). Posts added to the queue also record the slot
//! ([`crate::store::Post::queue_slot`], unique), so two requests adding at once never share one.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{FieldErrors, ScheduleTime, WeeklySlots};
use crate::store::{Post, PostingSchedule, Store, StoreError};

/// The earliest a queued post may fall: this long after the request.
pub const MIN_LEAD_SECS: i64 = 60;

/// How many days of slots one look at the store covers.
const WINDOW_DAYS: i64 = 28;

/// Why no slot could be given.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The connection has no posting schedule, or one without slots.
    #[error("the account has no posting schedule: add weekly time slots first")]
    NoSchedule,
    /// Every slot within the scheduling horizon is taken.
    #[error(
        "every slot of the posting schedule is taken for the next {} days",
        ScheduleTime::HORIZON_DAYS
    )]
    Full,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One slot and the post holding it, if any.
#[derive(Debug, Clone)]
pub struct Slot {
    /// When it falls.
    pub at: DateTime<Utc>,
    /// The post to publish then, if one is.
    pub post: Option<Post>,
}

/// The schedule's slots after `from` up to `to`, at most `limit`, each with the post holding it.
pub async fn slots(
    store: &Store,
    schedule: &PostingSchedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Slot>, StoreError> {
    let weekly = weekly(schedule);
    let instants: Vec<DateTime<Utc>> = weekly.instants(from, to).take(limit).collect();
    let (Some(first), Some(last)) = (instants.first(), instants.last()) else {
        return Ok(Vec::new());
    };
    let mut posts = store
        .posts()
        .upcoming_for_connection(
            &schedule.user_id,
            &schedule.connection_id,
            *first,
            *last,
            10_000,
        )
        .await?;
    Ok(instants
        .into_iter()
        .map(|at| {
            let post = posts
                .iter()
                .position(|p| p.content.scheduled_at == Some(at))
                .map(|i| posts.swap_remove(i));
            Slot { at, post }
        })
        .collect())
}

/// The first free slot of the user's connection after `after` (for a new post, [`MIN_LEAD_SECS`]
/// after now), skipping `passed` (slots another request took meanwhile), and the schedule's
/// time zone.
pub async fn next_free_slot(
    store: &Store,
    user_id: &str,
    connection_id: &str,
    after: DateTime<Utc>,
    passed: &[DateTime<Utc>],
) -> Result<(DateTime<Utc>, String), QueueError> {
    let schedule = store
        .posting_schedules()
        .for_connection(connection_id, user_id)
        .await?
        .filter(|s| !s.slots.is_empty())
        .ok_or(QueueError::NoSchedule)?;
    let horizon = Utc::now() + Duration::days(ScheduleTime::HORIZON_DAYS);
    let mut from = after;
    while from < horizon {
        let to = (from + Duration::days(WINDOW_DAYS)).min(horizon);
        let free = slots(store, &schedule, from, to, usize::MAX)
            .await?
            .into_iter()
            .find(|slot| slot.post.is_none() && !passed.contains(&slot.at));
        if let Some(slot) = free {
            return Ok((slot.at, schedule.time_zone));
        }
        from = to;
    }
    Err(QueueError::Full)
}

/// The weekly slots of a stored schedule (checked when saved).
fn weekly(schedule: &PostingSchedule) -> WeeklySlots {
    WeeklySlots::parse(&schedule.time_zone, &schedule.slots).unwrap_or_else(|_: FieldErrors| {
        WeeklySlots::parse("UTC", &[]).expect("no slots is a valid schedule")
    })
}

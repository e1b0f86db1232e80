//! Pausing and resuming a connection's queue.
//!
//! While the queue is paused its queued posts still to publish are *held*
//! ([`crate::store::Post::held`]): the publisher does not claim them, even when their slot
//! comes. Posts scheduled at a time of their own are not queued and not held. A pause cannot
//! stop a post the publisher claimed already (up to `workflow.prepare_ahead_secs` before its
//! time): [`pause`] names those.
//!
//! Without multi-document transactions, the schedule and its posts are written one after the
//! other: the schedule first (a compare-and-set on its version), then [`align`] makes the holds
//! of the posts agree with it. Every actor reads the schedule *before* writing holds, and every
//! hold write is conditional on the marks it expects, so whatever interleaves:
//! - a post being added is stored held ([`crate::store::ADDING`]) and released only by an
//!   [`align`] that read the queue unpaused after it was stored; a pause landing meanwhile
//!   holds it with the pause's mark, which that release does not match;
//! - a claim racing a pause either lands first (the post is `publishing` and [`pause`] lists
//!   it) or finds the post held (the claim needs `held` absent) and does not land;
//! - a resume releases only marks of pauses up to the version it read, never a newer pause's.
//!
//! If the api process dies between the writes, the next pause, resume or "Add to queue" on that
//! queue aligns its posts first.

use chrono::{DateTime, Duration, Utc};

use super::queue::{self, MIN_LEAD_SECS, QueueError};
use crate::store::{Post, PostingSchedule, Store, StoreError, queue_slot_key};

/// How many taken slots one held post tries before it is left held for the next alignment.
const RESLOT_ATTEMPTS: usize = 8;

/// Why a pause or resume did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PauseError {
    /// The schedule changed meanwhile, or is not in a state that allows this; the message says
    /// which.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A paused queue.
#[derive(Debug, Clone)]
pub struct Paused {
    /// The schedule as written.
    pub schedule: PostingSchedule,
    /// How many queued posts the pause holds.
    pub held: u64,
    /// Queued posts the publisher had claimed already: they publish anyway.
    pub claimed: Vec<Post>,
}

/// A queued post moved to a new slot because its own passed while the queue was paused.
#[derive(Debug, Clone)]
pub struct Reslotted {
    /// The post, in its new slot.
    pub post: Post,
    /// The slot it had.
    pub from: DateTime<Utc>,
}

/// What aligning a queue's holds with its schedule did.
#[derive(Debug, Clone, Default)]
pub struct Aligned {
    /// Posts newly held (the queue is paused).
    pub held: u64,
    /// Posts released (the queue is not paused).
    pub released: u64,
    /// Held posts whose slot had passed, moved to the next free slots before their release.
    pub moved: Vec<Reslotted>,
}

/// A resumed queue.
#[derive(Debug, Clone)]
pub struct Resumed {
    /// The schedule as written.
    pub schedule: PostingSchedule,
    /// What the release did.
    pub aligned: Aligned,
}

/// Pauses the queue of the user's connection, whose schedule the caller loaded at `version`.
pub async fn pause(
    store: &Store,
    user_id: &str,
    connection_id: &str,
    version: i64,
) -> Result<Paused, PauseError> {
    let schedules = store.posting_schedules();
    align_queue(store, user_id, connection_id).await?;
    let Some(schedule) = schedules.pause(connection_id, user_id, version).await? else {
        let current = schedules.for_connection(connection_id, user_id).await?;
        return Err(refusal(current.as_ref(), version, true));
    };
    let aligned = align(store, user_id, connection_id, Some(&schedule), Utc::now()).await?;
    let claimed = store.posts().claimed_in_queue(connection_id).await?;
    tracing::info!(
        user_id,
        connection_id,
        held = aligned.held,
        claimed = claimed.len(),
        "queue paused"
    );
    Ok(Paused {
        schedule,
        held: aligned.held,
        claimed,
    })
}

/// Resumes the paused queue of the user's connection, whose schedule the caller loaded at
/// `version`: held posts whose slot passed move, in their order, to the next free slots at
/// least [`MIN_LEAD_SECS`] ahead; the others keep theirs; all are released.
pub async fn resume(
    store: &Store,
    user_id: &str,
    connection_id: &str,
    version: i64,
) -> Result<Resumed, PauseError> {
    let schedules = store.posting_schedules();
    let current = align_queue(store, user_id, connection_id).await?;
    if let Some(current) = current.as_ref().filter(|s| s.slots.is_empty()) {
        let soon = Utc::now() + Duration::seconds(MIN_LEAD_SECS);
        let stranded = store
            .posts()
            .held_in_queue(connection_id)
            .await?
            .iter()
            .filter(|p| p.held.is_some_and(|h| h <= current.version))
            .filter(|p| p.content.scheduled_at.is_none_or(|at| at < soon))
            .count();
        if stranded > 0 {
            return Err(PauseError::Conflict(format!(
                "{stranded} queued post(s) missed their time slot while the queue was paused and                  need a new one, but the posting schedule has no time slots: add one, then resume"
            )));
        }
    }
    let Some(schedule) = schedules.resume(connection_id, user_id, version).await? else {
        let current = schedules.for_connection(connection_id, user_id).await?;
        return Err(refusal(current.as_ref(), version, false));
    };
    let aligned = align(store, user_id, connection_id, Some(&schedule), Utc::now()).await?;
    tracing::info!(
        user_id,
        connection_id,
        released = aligned.released,
        moved = aligned.moved.len(),
        "queue resumed"
    );
    Ok(Resumed { schedule, aligned })
}

/// Settles a post just added to the connection's queue (stored held, [`crate::store::ADDING`]):
/// held by the pause if the queue is paused, released otherwise; the post as it is then.
pub async fn settle_added(store: &Store, user_id: &str, post: Post) -> Result<Post, StoreError> {
    let Some(connection_id) = post.content.connection_id.as_deref() else {
        return Ok(post);
    };
    align_queue(store, user_id, connection_id).await?;
    Ok(store
        .posts()
        .by_id_for_user(&post.id, user_id)
        .await?
        .unwrap_or(post))
}

/// Why a pause (`pausing`) or resume at `version` did not land, from the schedule as it is now.
fn refusal(current: Option<&PostingSchedule>, version: i64, pausing: bool) -> PauseError {
    let message = match current {
        None => "the account has no posting schedule yet: save one first".to_string(),
        Some(s) if s.version != version => format!(
            "the posting schedule was changed by another request (you sent version {version}, \
             it is at version {}); reload it and try again",
            s.version
        ),
        Some(s) if pausing && s.paused.is_some() => "the queue is already paused".to_string(),
        Some(s) if !pausing && s.paused.is_none() => "the queue is not paused".to_string(),
        Some(s) => format!(
            "the posting schedule was changed by another request (it is at version {}); reload \
             it and try again",
            s.version
        ),
    };
    PauseError::Conflict(message)
}

/// Reads the connection's schedule, then aligns its posts with it; the schedule read.
async fn align_queue(
    store: &Store,
    user_id: &str,
    connection_id: &str,
) -> Result<Option<PostingSchedule>, StoreError> {
    let schedule = store
        .posting_schedules()
        .for_connection(connection_id, user_id)
        .await?;
    align(store, user_id, connection_id, schedule.as_ref(), Utc::now()).await?;
    Ok(schedule)
}

/// Makes the holds of the connection's queued posts agree with `schedule`, which the caller
/// read before calling: paused, every queued post still to publish is held by its pause;
/// not paused, the posts held by earlier pauses (or being added) are released, those whose
/// slot passed before `now` first moved to the next free slots, in their order. A post that
/// finds no free slot (the schedule has none) stays held until the next alignment.
pub async fn align(
    store: &Store,
    user_id: &str,
    connection_id: &str,
    schedule: Option<&PostingSchedule>,
    now: DateTime<Utc>,
) -> Result<Aligned, StoreError> {
    let posts = store.posts();
    if let Some(pause) = schedule.and_then(|s| s.paused) {
        return Ok(Aligned {
            held: posts.hold_queue(connection_id, pause.version).await?,
            ..Aligned::default()
        });
    }
    // No schedule: no pause can exist yet, so only posts being added are released.
    let up_to = schedule.map_or(crate::store::ADDING, |s| s.version);
    let held: Vec<Post> = posts
        .held_in_queue(connection_id)
        .await?
        .into_iter()
        .filter(|p| p.held.is_some_and(|h| h <= up_to))
        .collect();
    if held.is_empty() {
        return Ok(Aligned::default());
    }
    let mut moved = Vec::new();
    let mut after = now + Duration::seconds(MIN_LEAD_SECS);
    for post in held
        .iter()
        .filter(|p| p.content.scheduled_at.is_some_and(|at| at < now))
    {
        match reslot(store, user_id, connection_id, post, after).await? {
            Some(reslotted) => {
                after = reslotted.post.content.scheduled_at.unwrap_or(after);
                moved.push(reslotted);
            }
            None => continue,
        }
    }
    let released = posts.release_holds(connection_id, up_to, now).await?;
    if !moved.is_empty() {
        // As released.
        let ids: Vec<String> = moved.iter().map(|m| m.post.id.clone()).collect();
        for post in posts.by_ids(&ids).await? {
            if let Some(m) = moved.iter_mut().find(|m| m.post.id == post.id) {
                m.post = post;
            }
        }
    }
    Ok(Aligned {
        held: 0,
        released,
        moved,
    })
}

/// Moves a held post to the first free slot after `after`; `None` when it changed meanwhile
/// or no slot is free.
async fn reslot(
    store: &Store,
    user_id: &str,
    connection_id: &str,
    post: &Post,
    after: DateTime<Utc>,
) -> Result<Option<Reslotted>, StoreError> {
    let mut taken = Vec::new();
    for _ in 0..RESLOT_ATTEMPTS {
        let at = match queue::next_free_slot(store, user_id, connection_id, after, &taken).await {
            Ok((at, _)) => at,
            Err(QueueError::Store(e)) => return Err(e),
            Err(QueueError::NoSchedule | QueueError::Full) => return Ok(None),
        };
        let slot = queue_slot_key(connection_id, at);
        match store.posts().reslot_held(post, &slot, at).await {
            Ok(Some(written)) => {
                return Ok(Some(Reslotted {
                    post: written,
                    from: post.content.scheduled_at.unwrap_or(at),
                }));
            }
            Ok(None) => return Ok(None),
            Err(StoreError::Duplicate) => taken.push(at),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

//! Reordering a connection's queue: a queued post swaps slots with its neighbour, the queued
//! post just before (`earlier`) or just after (`later`) it.
//!
//! A swap is symmetric (moving a post later is moving its neighbour earlier), so it is always
//! written from the earlier of the two posts. MongoDB is not asked for a multi-document
//! transaction (a standalone server has none), so a swap is three compare-and-set writes on the
//! unique slot keys ([`crate::store::Post::queue_slot`]), each post at the version expected of
//! it (the caller's for the post asked to move, the one read just before for its neighbour) and
//! still scheduled:
//! 1. the earlier post trades its slot key for a *moving key* naming both slots (its time is
//!    unchanged);
//! 2. the later post takes the freed slot and its time; if it changed meanwhile, step 1 is
//!    undone and the move is refused;
//! 3. the earlier post takes the later one's former slot and time.
//!
//! Two concurrent moves touching the same post cannot both pass their compare-and-sets, and the
//! unique keys never let two posts hold one slot, so no post is lost or doubled. Taking the
//! earlier post first, always, is what keeps concurrent moves making progress: a move refused
//! at step 2 lost to a move that took its later post first, and the move that took the latest
//! post first has no later one to lose to, so among moves racing on one queue at least one
//! lands (taken in the order asked, two neighbours could each take their own post, each find
//! the other taken, and both be refused, round after round). Only posts whose times are further
//! ahead than the claim margin move, so the publisher never claims one mid-move. A move
//! interrupted between its writes (the api process died) is finished, or undone when step 2
//! never happened, by the next move on that connection's queue.

use chrono::{DateTime, Duration, Utc};

use super::WriteError;
use crate::store::{Post, PostStatus, Store, StoreError, moving_ends, moving_key, slot_instant};

/// Which way a queued post moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Swap with the queued post just before it.
    Earlier,
    /// Swap with the queued post just after it.
    Later,
}

/// How long an interrupted move is left alone before the next move finishes it (a move under
/// way takes milliseconds).
const INTERRUPTED_AFTER_SECS: i64 = 30;

/// The two posts of a finished move, as written.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The post that was asked to move, in its new slot.
    pub moved: Post,
    /// Its neighbour, now in the slot the moved post left.
    pub swapped_with: Post,
}

/// Swaps the user's queued post `id` (at `version`) with its neighbour in `direction`. Both
/// must be scheduled, queued, and due more than `lead` after `now`.
pub async fn move_in_queue(
    store: &Store,
    user_id: &str,
    id: &str,
    version: i64,
    direction: Direction,
    now: DateTime<Utc>,
    lead: Duration,
) -> Result<Moved, WriteError> {
    let posts = store.posts();
    let post = posts
        .by_id_for_user(id, user_id)
        .await?
        .ok_or(WriteError::NotFound)?;
    let (Some(connection_id), Some(slot), Some(at)) = (
        post.content.connection_id.clone(),
        post.queue_slot.clone(),
        post.content.scheduled_at,
    ) else {
        return Err(WriteError::Conflict(
            "only a post added to a queue moves in it; this one was not added to one (or left \
             it when it was rescheduled)"
                .into(),
        ));
    };
    finish_interrupted(store, &connection_id, now).await?;
    if post.version != version {
        return Err(WriteError::Conflict(format!(
            "the post was changed by another request (you sent version {version}, it is at \
             version {}); reload it and try again",
            post.version
        )));
    }
    if post.content.status != PostStatus::Scheduled || moving_ends(&slot).is_some() {
        return Err(WriteError::Conflict(
            "only a scheduled post waiting in the queue moves; this one is not".into(),
        ));
    }
    let neighbour = posts
        .queue_neighbour(user_id, &connection_id, at, direction == Direction::Earlier)
        .await?
        .ok_or_else(|| {
            WriteError::Conflict(match direction {
                Direction::Earlier => "it is already the first post in the queue".into(),
                Direction::Later => "it is already the last post in the queue".into(),
            })
        })?;
    let (Some(other_slot), Some(other_at)) =
        (neighbour.queue_slot.clone(), neighbour.content.scheduled_at)
    else {
        return Err(WriteError::Conflict(
            "the queue changed meanwhile; reload it".into(),
        ));
    };
    if at.min(other_at) <= now + lead {
        return Err(WriteError::Conflict(format!(
            "a post due within {} seconds is being prepared for publishing and no longer moves",
            lead.num_seconds()
        )));
    }
    if moving_ends(&other_slot).is_some() {
        return Err(WriteError::Conflict(
            "the queue is being reordered by another request; reload it and try again".into(),
        ));
    }
    let asked = Taken {
        post: &post,
        version,
        slot: &slot,
        at,
    };
    let other = Taken {
        post: &neighbour,
        version: neighbour.version,
        slot: &other_slot,
        at: other_at,
    };
    match direction {
        Direction::Later => swap(store, asked, other).await,
        Direction::Earlier => swap(store, other, asked).await.map(|m| Moved {
            moved: m.swapped_with,
            swapped_with: m.moved,
        }),
    }
}

/// One post of a swap, as read: the version and slot it must still hold, and its time.
#[derive(Clone, Copy)]
struct Taken<'a> {
    post: &'a Post,
    version: i64,
    slot: &'a str,
    at: DateTime<Utc>,
}

/// The three writes of a move (see the module's documentation): `earlier` and `later` trade
/// slots; `moved` is `earlier` in its new slot.
async fn swap(store: &Store, earlier: Taken<'_>, later: Taken<'_>) -> Result<Moved, WriteError> {
    let posts = store.posts();
    let changed = || {
        WriteError::Conflict(
            "the queue was changed by another request meanwhile; reload it and try again".into(),
        )
    };
    let id = &earlier.post.id;
    let moving = moving_key(earlier.slot, later.slot);
    posts
        .swap_queue_key(id, Some(earlier.version), earlier.slot, &moving, None)
        .await?
        .ok_or_else(changed)?;
    let taken = posts
        .swap_queue_key(
            &later.post.id,
            Some(later.version),
            later.slot,
            earlier.slot,
            Some(earlier.at),
        )
        .await;
    let swapped_with = match taken {
        Ok(Some(swapped_with)) => swapped_with,
        Ok(None) | Err(StoreError::Duplicate) => {
            // The later post changed (or another post took the freed slot back): undo step 1.
            posts
                .swap_queue_key(id, None, &moving, earlier.slot, None)
                .await?;
            return Err(changed());
        }
        Err(e) => return Err(e.into()),
    };
    let moved = match posts
        .swap_queue_key(id, None, &moving, later.slot, Some(later.at))
        .await?
    {
        Some(moved) => moved,
        // An edit that moved the post, a cancel or a delete landed in between: it left the
        // queue, and the later post keeps the slot it took.
        None => return Err(changed()),
    };
    Ok(Moved {
        moved,
        swapped_with,
    })
}

/// Finishes the connection's moves interrupted between their writes: forward when the slot
/// they were going to is free, else back to the slot they came from.
async fn finish_interrupted(
    store: &Store,
    connection_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let posts = store.posts();
    let before = now - Duration::seconds(INTERRUPTED_AFTER_SECS);
    for post in posts.interrupted_queue_moves(connection_id, before).await? {
        let Some(moving) = post.queue_slot.as_deref() else {
            continue;
        };
        let Some((from, to)) = moving_ends(moving) else {
            continue;
        };
        let forward = posts
            .swap_queue_key(&post.id, None, moving, to, slot_instant(to))
            .await;
        let finished = match forward {
            Ok(_) => "forward",
            Err(StoreError::Duplicate) => {
                posts
                    .swap_queue_key(&post.id, None, moving, from, slot_instant(from))
                    .await?;
                "back"
            }
            Err(e) => return Err(e),
        };
        tracing::warn!(post_id = %post.id, connection_id, finished, "interrupted queue move finished");
    }
    Ok(())
}

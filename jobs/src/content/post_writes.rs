//! Writing posts together with their media pins, so that a media file cannot be deleted while
//! a post that may still publish uses it, whatever runs concurrently.
//!
//! A write pins its media with a fresh token *before* its compare-and-set, and removes those
//! pins again if the compare-and-set loses; after it wins it removes the pins of the version it
//! replaced (named by that version's token, never "all the others", which could belong to a
//! write that has not landed yet). Canceling and deleting remove all of a post's pins: no later
//! write can land on a canceled or deleted post.

use chrono::{DateTime, Utc};

use crate::domain::FieldError;
use crate::store::{ADDING, MediaPin, Post, PostContent, PostStatus, Store, StoreError};

/// Why a post write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// No such post of this user.
    #[error("post not found")]
    NotFound,
    /// The post changed meanwhile or is in a state that forbids this; the message says which.
    #[error("{0}")]
    Conflict(String),
    /// A media item vanished between the checks and the write.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The post's state as a refusal says it. A post is claimed for publishing shortly before its
/// time (`workflow.prepare_ahead_secs`), so "publishing" before that time reads "being
/// prepared for publishing at ...".
fn state_in_words(content: &PostContent, now: DateTime<Utc>) -> String {
    match (content.status, content.scheduled_at) {
        (PostStatus::Publishing, Some(at)) if at > now => format!(
            "the post is being prepared for publishing at {}",
            at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        (PostStatus::Publishing, _) => "the post is being published".to_string(),
        (status, _) => format!("the post is {}", status.as_str()),
    }
}

/// Why a compare-and-set on post `id` at `version` for `action` could not land, from the
/// post as it is now.
fn diagnose(
    current: Option<Post>,
    version: Option<i64>,
    action: &str,
    allowed: &[PostStatus],
) -> WriteError {
    let Some(post) = current else {
        return WriteError::NotFound;
    };
    let status = post.content.status;
    if !allowed.contains(&status) {
        return WriteError::Conflict(format!(
            "{}; it can no longer be {action}",
            state_in_words(&post.content, Utc::now())
        ));
    }
    match version {
        Some(v) if v != post.version => WriteError::Conflict(format!(
            "the post was changed by another request (you sent version {v}, it is now at version {}); \
             reload it and try again",
            post.version
        )),
        _ => WriteError::Conflict(format!(
            "the post was changed by another request; reload it and try again (version {})",
            post.version
        )),
    }
}

async fn pin(
    store: &Store,
    user_id: &str,
    post_id: &str,
    content: &PostContent,
    token: &str,
) -> Result<(), WriteError> {
    let pin = MediaPin {
        post_id: post_id.to_string(),
        token: token.to_string(),
        at: Utc::now(),
    };
    let ids = content.media_ids();
    if let Err(missing) = store.media().pin(&ids, user_id, &pin).await? {
        let field = if content.cover_media_id.as_deref() == Some(missing.as_str()) {
            "cover_media_id".to_string()
        } else {
            let i = content
                .items
                .iter()
                .position(|i| i.media_id == missing)
                .unwrap_or(0);
            format!("items[{i}].media_id")
        };
        return Err(FieldError::new(&field, "no such media in your library").into());
    }
    Ok(())
}

/// Stores a new post of `user_id`, holding the queue slot `queue_slot` when it is added to
/// a connection's queue (a taken slot fails with [`StoreError::Duplicate`] and stores nothing).
/// A post added to a queue is stored held ([`crate::store::ADDING`]) until
/// [`super::queue_pause::align`] says whether its queue is paused.
pub async fn create(
    store: &Store,
    user_id: &str,
    content: PostContent,
    queue_slot: Option<String>,
) -> Result<Post, WriteError> {
    let now = Utc::now();
    let post = Post {
        id: uuid::Uuid::new_v4().simple().to_string(),
        user_id: user_id.to_string(),
        content,
        version: 1,
        pin_token: new_token(),
        created_at: now,
        updated_at: now,
        published_at: None,
        ig_media_id: None,
        permalink: None,
        failure_reason: None,
        media_unresolved: None,
        settled_at: None,
        held: queue_slot.as_ref().map(|_| ADDING),
        queue_slot,
        parked_at: None,
    };
    pin(store, user_id, &post.id, &post.content, &post.pin_token).await?;
    if let Err(e) = store.posts().insert(&post).await {
        store
            .media()
            .unpin(&post.content.media_ids(), &post.id, &post.pin_token)
            .await?;
        return Err(e.into());
    }
    Ok(post)
}

/// Replaces the content of post `id`, which the caller last saw at `version`.
pub async fn edit(
    store: &Store,
    user_id: &str,
    id: &str,
    version: i64,
    content: PostContent,
) -> Result<Post, WriteError> {
    let posts = store.posts();
    let before = posts.by_id_for_user(id, user_id).await?;
    let before = match before {
        Some(p) if p.version == version && PostStatus::EDITABLE.contains(&p.content.status) => p,
        other => {
            return Err(diagnose(
                other,
                Some(version),
                "edited",
                &PostStatus::EDITABLE,
            ));
        }
    };
    let token = new_token();
    pin(store, user_id, id, &content, &token).await?;
    // An edit that moves the post off its queue slot gives the slot up.
    let leave_queue = before.content.scheduled_at != content.scheduled_at
        || before.content.connection_id != content.connection_id
        || content.status == PostStatus::Draft;
    match posts
        .replace_content(id, user_id, version, &content, &token, leave_queue)
        .await?
    {
        Some(after) => {
            store
                .media()
                .unpin(&before.content.media_ids(), id, &before.pin_token)
                .await?;
            Ok(after)
        }
        None => {
            store
                .media()
                .unpin(&content.media_ids(), id, &token)
                .await?;
            let current = posts.by_id_for_user(id, user_id).await?;
            Err(diagnose(
                current,
                Some(version),
                "edited",
                &PostStatus::EDITABLE,
            ))
        }
    }
}

const MOVABLE: [PostStatus; 2] = [PostStatus::Scheduled, PostStatus::NeedsReconnect];

/// Moves a scheduled (or parked) post to a new time.
pub async fn reschedule(
    store: &Store,
    user_id: &str,
    id: &str,
    version: i64,
    at: chrono::DateTime<Utc>,
    publish_now: bool,
    time_zone: Option<&str>,
) -> Result<Post, WriteError> {
    let posts = store.posts();
    match posts
        .reschedule(id, user_id, version, at, publish_now, time_zone)
        .await?
    {
        Some(post) => Ok(post),
        None => {
            let current = posts.by_id_for_user(id, user_id).await?;
            Err(diagnose(current, Some(version), "rescheduled", &MOVABLE))
        }
    }
}

/// Cancels a scheduled (or parked) post; with `version`, only that version.
pub async fn cancel(
    store: &Store,
    user_id: &str,
    id: &str,
    version: Option<i64>,
) -> Result<Post, WriteError> {
    let posts = store.posts();
    match posts.cancel(id, user_id, version).await? {
        Some(post) => {
            store.media().unpin_post(id).await?;
            Ok(post)
        }
        None => {
            let current = posts.by_id_for_user(id, user_id).await?;
            Err(diagnose(current, version, "canceled", &MOVABLE))
        }
    }
}

/// Deletes our record of a post (not the Instagram media, which the API cannot delete); with
/// `version`, only that version.
pub async fn delete(
    store: &Store,
    user_id: &str,
    id: &str,
    version: Option<i64>,
) -> Result<Post, WriteError> {
    let posts = store.posts();
    match posts.delete(id, user_id, version).await? {
        Some(post) => {
            store.media().unpin_post(id).await?;
            Ok(post)
        }
        None => match posts.by_id_for_user(id, user_id).await? {
            Some(post) if post.content.status == PostStatus::Publishing => {
                Err(WriteError::Conflict(format!(
                    "{} and cannot be deleted now; try again when it has finished",
                    state_in_words(&post.content, Utc::now())
                )))
            }
            current => Err(diagnose(current, version, "deleted", &PostStatus::ALL)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PostKind;
    use chrono::TimeZone;

    fn content(status: PostStatus, scheduled_at: Option<DateTime<Utc>>) -> PostContent {
        PostContent {
            connection_id: None,
            kind: PostKind::Image,
            caption: String::new(),
            items: Vec::new(),
            cover_media_id: None,
            status,
            scheduled_at,
            publish_now: false,
            time_zone: "UTC".into(),
        }
    }

    #[test]
    fn a_post_claimed_before_its_time_is_being_prepared_not_published() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 29, 40).unwrap();
        let due = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
        assert_eq!(
            state_in_words(&content(PostStatus::Publishing, Some(due)), now),
            "the post is being prepared for publishing at 2026-12-01 09:30:00 UTC"
        );
        assert_eq!(
            state_in_words(&content(PostStatus::Publishing, Some(due)), due),
            "the post is being published"
        );
        assert_eq!(
            state_in_words(&content(PostStatus::Published, Some(due)), now),
            "the post is published"
        );
    }
}

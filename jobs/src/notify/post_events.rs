//! The events a post's status raises, and raising them for the parked posts of a connection.

use super::{AccountEvent, NotifyError, raise};
use crate::queue::Queue;
use crate::store::{Post, PostStatus, Store};

/// Most parked posts of one connection notified at once (the sweep catches the rest).
const PARKED_BATCH: i64 = 500;

/// The event of a post's current status: failed, parked or published; `None` otherwise.
pub fn event_of(post: &Post) -> Option<AccountEvent> {
    match post.content.status {
        PostStatus::Failed => Some(AccountEvent::post_failed(post)),
        PostStatus::NeedsReconnect => Some(AccountEvent::post_parked(post)),
        PostStatus::Published => Some(AccountEvent::post_published(post)),
        _ => None,
    }
}

/// Raises the reconnect notification of every parked post of `connection_id` (each parking
/// once); how many were notified now. Called wherever posts are parked.
pub async fn raise_parked(
    store: &Store,
    queue: &Queue,
    connection_id: &str,
) -> Result<u64, NotifyError> {
    let parked = store
        .posts()
        .for_connection_in_status(connection_id, PostStatus::NeedsReconnect, PARKED_BATCH)
        .await?;
    let mut notified = 0;
    for post in &parked {
        let raised = raise(store, queue, &AccountEvent::post_parked(post)).await?;
        notified += u64::from(raised.in_app || raised.email);
    }
    Ok(notified)
}

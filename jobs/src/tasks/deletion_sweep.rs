//! Re-drives deletions that stalled: a request recorded but whose job was lost (Redis flushed,
//! the api stopped between recording and pushing) or died. Runs with queue maintenance; the push
//! carries the maintenance tick in its idempotency key, so each tick re-drives each request once.

use chrono::{Duration, Utc};

use crate::queue::{Queue, QueueError};
use crate::store::{DeletionKind, Store, StoreError};
use crate::tasks::{DeleteAccount, DeleteInstagramData};

/// A pending request older than this is considered stalled.
pub const STALLED_AFTER: Duration = Duration::minutes(2);

/// Why the sweep failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Pushes the job of every stalled deletion again; how many were pushed.
pub async fn redrive_stalled_deletions(
    store: &Store,
    queue: &Queue,
    tick: i64,
) -> Result<u64, SweepError> {
    let stalled = store
        .deletion_requests()
        .stalled(Utc::now() - STALLED_AFTER, 500)
        .await?;
    let mut pushed = 0;
    for request in stalled {
        match request.kind {
            DeletionKind::Account => {
                DeleteAccount::enqueue(queue, &request.id, &tick.to_string()).await?
            }
            DeletionKind::InstagramData => {
                DeleteInstagramData::enqueue(queue, &request.id, &tick.to_string()).await?
            }
        }
        pushed += 1;
    }
    if pushed > 0 {
        tracing::warn!(pushed, "stalled deletions re-driven");
    }
    Ok(pushed)
}

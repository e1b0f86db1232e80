//! Live counts: one snapshot of every queue's counts, its live consumers and due jobs, and the
//! posts that need attention, rendered into the overview and streamed to it as server-sent
//! events every two seconds.

use std::convert::Infallible;
use std::time::Duration;

use aistudio_jobs::queue::consumers::{HeartbeatWindow, QueueLiveness, queue_liveness};
use aistudio_jobs::queue::inspect::{QueueCounts, queue_counts};
use aistudio_jobs::store::PostStatus;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::Serialize;

use crate::auth::Operator;
use crate::error::AdminError;
use crate::state::AdminState;

/// How often the stream sends counts.
const PERIOD: Duration = Duration::from_secs(2);
/// A stream ends after this long (the browser reconnects), so no connection lives forever.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// A scheduled post is late once this far past its time.
pub const LATE_AFTER: chrono::Duration = chrono::Duration::minutes(2);

/// Counts of posts that need attention.
#[derive(Debug, Clone, Serialize)]
pub struct PostCounts {
    /// Waiting for their time.
    pub scheduled: u64,
    /// Being published.
    pub publishing: u64,
    /// Failed.
    pub failed: u64,
    /// Parked until their account is reconnected.
    pub needs_reconnect: u64,
    /// Scheduled and more than [`LATE_AFTER`] past their time.
    pub late: u64,
}

/// One snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// Per queue.
    pub queues: Vec<QueueCounts>,
    /// Per queue, in the same order: live consumers and due jobs.
    pub consumers: Vec<QueueLiveness>,
    /// A consumer is live while its heartbeat is younger than this.
    pub orphan_after_secs: i64,
    /// Posts.
    pub posts: PostCounts,
}

/// Takes a snapshot (bounded Redis commands, indexed MongoDB counts).
pub async fn snapshot(state: &AdminState) -> Result<Snapshot, AdminError> {
    let names = state.queues();
    let mut queues = Vec::new();
    for name in &names {
        queues.push(queue_counts(&state.queue, name).await?);
    }
    let consumers = queue_liveness(&state.queue, &names, Utc::now()).await?;
    let posts = state.store.posts();
    let (_, late) = posts.late(Utc::now() - LATE_AFTER, 1).await?;
    Ok(Snapshot {
        at: Utc::now(),
        queues,
        consumers,
        orphan_after_secs: HeartbeatWindow::of(&state.queue).orphan_after_secs,
        posts: PostCounts {
            scheduled: posts.count_in_status(PostStatus::Scheduled).await?,
            publishing: posts.count_in_status(PostStatus::Publishing).await?,
            failed: posts.count_in_status(PostStatus::Failed).await?,
            needs_reconnect: posts.count_in_status(PostStatus::NeedsReconnect).await?,
            late,
        },
    })
}

/// The live counts, as server-sent events named `counts` (JSON [`Snapshot`]s).
pub async fn stream_counts(
    _operator: Operator,
    State(state): State<AdminState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let started = tokio::time::Instant::now();
    let stream = futures::stream::unfold((state, true), move |(state, first)| async move {
        if !first {
            tokio::time::sleep(PERIOD).await;
        }
        if started.elapsed() > STREAM_LIFETIME {
            return None;
        }
        let event = match snapshot(&state).await {
            Ok(snapshot) => Event::default()
                .event("counts")
                .json_data(&snapshot)
                .unwrap_or_else(|_| Event::default().comment("encoding failed")),
            Err(e) => {
                tracing::warn!(error = %e, "live counts failed");
                Event::default().comment("counts unavailable")
            }
        };
        Some((Ok(event), (state, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

//! The dispatcher: moves posts due within `workflow.dispatch_lookahead_secs` from MongoDB into
//! the `publish` queue, each to run `workflow.prepare_ahead_secs` before its time, one job per
//! post version (the idempotency key names both), about `workflow.max_queued` at most waiting
//! in Redis, so 10,000 posts due in the same minute are fed in as the workers drain them: when
//! half the bound has drained, not on every tick, since finding due posts costs in proportion
//! to how many are due. One run per tick across all worker processes. After Redis loses its data, the next
//! ticks push again what is missing.

use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{Store, StoreError};
use crate::tasks::{PublishPost, publish};

/// Queue name of dispatcher runs.
pub const QUEUE: &str = "publish-dispatch";

/// One dispatcher run, for one cron tick.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dispatch {
    /// The cron tick (Unix seconds).
    pub tick: i64,
}

impl Job for Dispatch {
    const QUEUE: &'static str = QUEUE;
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Publishing jobs waiting in Redis (scheduled or ready).
pub async fn backlog(queue: &Queue) -> Result<u64, QueueError> {
    let config = queue.config_for(publish::QUEUE);
    let (scheduled, active): (u64, u64) = redis::pipe()
        .zcard(config.scheduled_jobs_set())
        .llen(config.active_jobs_list())
        .query_async(&mut queue.connection())
        .await?;
    Ok(scheduled + active)
}

impl Dispatch {
    /// Pushes the run of one tick; any number of processes may call this for the same tick.
    pub async fn enqueue(queue: &Queue, tick: i64) -> Result<(), QueueError> {
        queue.push_tick(Self { tick }, tick).await
    }

    /// Queues what is due (up to the backlog bound); how many were pushed.
    #[tracing::instrument(skip_all, fields(tick = self.tick))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        lookahead: Duration,
        prepare_ahead: Duration,
        max_queued: u64,
    ) -> Result<u64, DispatchError> {
        let waiting = backlog(queue).await?;
        metrics::gauge!("aistudio_publish_queue_depth").set(waiting as f64);
        // More than half the bound waiting: the workers have plenty to do. Looking for more
        // waits until half has drained, for the query costs as much as the posts it matches
        // on the local server (every due post, not just the ones returned).
        if waiting > max_queued / 2 {
            return Ok(0);
        }
        let horizon = Utc::now() + chrono::Duration::from_std(lookahead).unwrap_or_default();
        // Posts queued earlier and not claimed yet come first in the order: asking for them
        // too lets the new ones follow (pushing them again is a no-op: same idempotency key).
        let due = store.posts().due(horizon, max_queued as i64).await?;
        let mut pushed = 0;
        for post in due {
            let Some(at) = post.content.scheduled_at else {
                continue;
            };
            // The workflow starts `prepare_ahead` early; it publishes at `at`.
            let run_at = SystemTime::UNIX_EPOCH
                + Duration::from_millis(at.timestamp_millis().max(0) as u64)
                - prepare_ahead;
            queue
                .push(
                    PublishPost {
                        post_id: post.id.clone(),
                    },
                    PushOptions {
                        idempotency_key: Some(format!("publish:due:{}:{}", post.id, post.version)),
                        run_at: Some(run_at),
                    },
                )
                .await?;
            pushed += 1;
        }
        if pushed > 0 {
            tracing::debug!(pushed, "due posts queued");
        }
        Ok(pushed)
    }
}

//! The reconciler: resumes workflows whose worker died (lease expired, nothing scheduled them
//! again) and posts claimed by a worker that died before creating the workflow; counts late,
//! parked and deferred posts for metrics and the admin console. One run per tick across all
//! worker processes.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{PostStatus, Store, StoreError};
use crate::tasks::PublishPost;

/// Seconds between two refreshes of the late, parked and deferred gauges.
const GAUGES_EVERY: i64 = 30;
/// The tick of this process's last refresh.
static GAUGES_AT: AtomicI64 = AtomicI64::new(i64::MIN / 2);

/// Queue name of reconciler runs.
pub const QUEUE: &str = "publish-reconcile";

/// One reconciler run, for one cron tick.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reconcile {
    /// The cron tick (Unix seconds).
    pub tick: i64,
}

impl Job for Reconcile {
    const QUEUE: &'static str = QUEUE;
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a run found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Workflows pushed again.
    pub resumed: u64,
    /// Scheduled posts later than `workflow.late_after_secs`, when this run counted them.
    pub late: Option<u64>,
}

impl Reconcile {
    /// Pushes the run of one tick; any number of processes may call this for the same tick.
    pub async fn enqueue(queue: &Queue, tick: i64) -> Result<(), QueueError> {
        queue.push_tick(Self { tick }, tick).await
    }

    /// Resumes what stalled and refreshes the gauges.
    #[tracing::instrument(skip_all, fields(tick = self.tick))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        lease: chrono::Duration,
        late_after: chrono::Duration,
    ) -> Result<Reconciled, ReconcileError> {
        let now = Utc::now();
        let mut resumed = 0;
        let resume = |post_id: String, key: String| async move {
            queue
                .push(
                    PublishPost { post_id },
                    PushOptions {
                        idempotency_key: Some(key),
                        run_at: None,
                    },
                )
                .await
        };
        // One resume job per stall: the key names the wake-up and the lease that were missed,
        // so a workflow that only waits its turn behind a long queue is not pushed again on
        // every tick (which would grow the queue exactly when the workers are behind).
        for wf in store
            .workflows()
            .stalled(now - chrono::Duration::seconds(5), 500)
            .await?
        {
            let key = format!(
                "publish:resume:{}:{}:{}",
                wf.post_id,
                wf.next_run_at.timestamp_millis(),
                wf.lease_expires_at.map_or(0, |at| at.timestamp_millis())
            );
            resume(wf.post_id, key).await?;
            resumed += 1;
        }
        // Claimed but without a workflow (the claimer died in between): one query for all.
        let publishing: Vec<String> = store
            .posts()
            .publishing_since(now - lease, 200)
            .await?
            .into_iter()
            .map(|post| post.id)
            .collect();
        let with_workflow: std::collections::HashSet<String> = store
            .workflows()
            .for_posts(&publishing)
            .await?
            .into_iter()
            .map(|wf| wf.post_id)
            .collect();
        for post_id in publishing {
            if !with_workflow.contains(&post_id) {
                let key = format!("publish:resume:{post_id}:{}", self.tick);
                resume(post_id, key).await?;
                resumed += 1;
            }
        }
        if resumed > 0 {
            tracing::info!(resumed, "stalled workflows resumed");
        }
        // The gauges count over whole statuses (every late post, say): refreshed at most every
        // `GAUGES_EVERY` seconds by a process, not on every tick.
        let last = GAUGES_AT.load(Ordering::Relaxed);
        if self.tick - last < GAUGES_EVERY
            || GAUGES_AT
                .compare_exchange(last, self.tick, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(Reconciled {
                resumed,
                late: None,
            });
        }
        let late = store.posts().count_late(now - late_after).await?;
        metrics::gauge!("aistudio_posts_late").set(late as f64);
        metrics::gauge!("aistudio_posts_parked").set(
            store
                .posts()
                .count_in_status(PostStatus::NeedsReconnect)
                .await? as f64,
        );
        metrics::gauge!("aistudio_posts_deferred_for_quota")
            .set(store.workflows().count_waiting("quota").await? as f64);
        if late > 0 {
            tracing::warn!(late, "scheduled posts are late");
        }
        Ok(Reconciled {
            resumed,
            late: Some(late),
        })
    }
}

//! This process's presence record (see `aistudio_jobs::queue::presence`): written at start,
//! every heartbeat period, and once more with `stopped_at` on a clean shutdown, so the admin
//! console can tell a stopped worker from a dead one.

use std::time::Duration;

use aistudio_jobs::queue::presence::{ConsumerLiveness, Presence, in_flight, write_presence};
use aistudio_jobs::tasks::{self, publish};
use chrono::Utc;
use tokio::task::JoinHandle;

use crate::deps::Deps;
use crate::supervision::Supervision;

/// Every queue a worker process can hold jobs of.
fn queues() -> Vec<&'static str> {
    let mut queues = tasks::QUEUES.to_vec();
    queues.push(publish::QUEUE);
    queues
}

/// The host name, as the worker name has it.
fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// The presence loop of one worker process.
#[derive(Debug)]
pub struct PresenceTask {
    record: Presence,
    deps: Deps,
    supervision: Supervision,
    handle: JoinHandle<()>,
}

async fn beat(deps: &Deps, supervision: &Supervision, record: &mut Presence) {
    record.consumers = supervision
        .statuses()
        .into_iter()
        .map(|(queue, status)| ConsumerLiveness {
            queue,
            progress_age_secs: status.progress_age_secs,
            last_poll_age_secs: status.last_poll_age_secs,
            stall_after_secs: status.stall_after_secs,
            stalled: status.stalled,
        })
        .collect();
    let queues = queues();
    match in_flight(&deps.queue, &deps.worker, &queues).await {
        Ok(n) => record.in_flight = n,
        Err(e) => tracing::debug!(error = %e, "could not count in-flight jobs"),
    }
    record.last_heartbeat = Utc::now();
    if let Err(e) = write_presence(&deps.queue, record).await {
        tracing::warn!(error = %e, "could not write the presence record");
    }
}

impl PresenceTask {
    /// Starts writing this process's presence (with its consumers' liveness) every
    /// `redis.heartbeat_secs`.
    pub fn start(deps: &Deps, supervision: &Supervision) -> Self {
        let now = Utc::now();
        let record = Presence {
            worker: deps.worker.to_string(),
            host: host(),
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: now,
            last_heartbeat: now,
            in_flight: 0,
            interval_secs: deps.settings.redis.heartbeat_secs.max(1),
            stopped_at: None,
            consumers: Vec::new(),
        };
        let handle = {
            let (deps, supervision, mut record) =
                (deps.clone(), supervision.clone(), record.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(record.interval_secs));
                loop {
                    tick.tick().await;
                    beat(&deps, &supervision, &mut record).await;
                }
            })
        };
        Self {
            record,
            deps: deps.clone(),
            supervision: supervision.clone(),
            handle,
        }
    }

    /// Stops the loop and records the clean shutdown.
    pub async fn stop(mut self) {
        self.handle.abort();
        self.record.stopped_at = Some(Utc::now());
        beat(&self.deps, &self.supervision, &mut self.record).await;
    }
}

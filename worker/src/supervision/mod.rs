//! Supervision of this process's consumers: every queue consumer and cron schedule has a
//! liveness record here (when its loop last ran, when it last made progress), a watchdog
//! restarts one that stopped making progress, and gives up (the process exits non-zero so its
//! own supervisor replaces it) when a restart does not bring it back.
//!
//! Progress is a completed heartbeat for a queue consumer (apalis heartbeats every
//! `redis.heartbeat_secs` whether the consumer is idle or busy) and a finished tick for a cron
//! schedule. A consumer is stalled when it made none for `stall_after`; time while this process
//! cannot reach Redis does not count, since no consumer can heartbeat then.

mod consumer;
mod supervised;
mod watchdog;

pub use consumer::{ConsumerStatus, Expect};
pub use supervised::{Supervised, SupervisedError};
pub use watchdog::Watchdog;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Instant;

use apalis::prelude::{Event, Monitor};
use consumer::Consumer;

/// The liveness records of this process's consumers, by label (the queue or schedule name).
#[derive(Debug, Clone, Default)]
pub struct Supervision {
    consumers: Arc<Mutex<BTreeMap<String, Consumer>>>,
    process: Arc<str>,
}

impl Supervision {
    /// Records for the consumers of worker process `process` (its unique name).
    pub fn new(process: &str) -> Self {
        Self {
            consumers: Default::default(),
            process: process.into(),
        }
    }

    /// Starts supervising the consumer `label`, which makes progress as `expect` says.
    pub fn add(&self, label: &str, expect: Expect) -> ConsumerHandle {
        // Exported from the start, at 0, so a dashboard shows every consumer.
        metrics::counter!("aistudio_queue_consumer_restarts_total", "queue" => label.to_string())
            .increment(0);
        self.lock()
            .insert(label.to_string(), Consumer::new(expect, Instant::now()));
        ConsumerHandle {
            supervision: self.clone(),
            label: label.into(),
        }
    }

    /// The label of a consumer from its apalis worker name, `<process>:<label>[:r<n>]`.
    pub fn label_of<'a>(&self, run_name: &'a str) -> Option<&'a str> {
        let rest = run_name.strip_prefix(&*self.process)?.strip_prefix(':')?;
        Some(match rest.rsplit_once(":r") {
            Some((label, n)) if n.parse::<u64>().is_ok() => label,
            _ => rest,
        })
    }

    /// Feeds `monitor`'s events into the records: a heartbeat or a finished job is progress,
    /// every job that failed is logged, and every restart of a failed consumer is counted (and
    /// logged).
    pub fn observe(&self, monitor: Monitor) -> Monitor {
        let (events, restarts) = (self.clone(), self.clone());
        monitor
            .on_event(move |ctx, event| {
                match event {
                    // A job's own error (Redis or the database failing under it, a refresh
                    // refused for good): at the default level, where operators look.
                    Event::Error(error) => {
                        tracing::warn!(worker = %ctx.name(), %error, "job failed");
                    }
                    _ => tracing::debug!(worker = %ctx.name(), ?event, "worker event"),
                }
                if matches!(
                    event,
                    Event::HeartBeat | Event::Success(_) | Event::Error(_)
                ) {
                    events.progressed(ctx.name());
                }
            })
            .should_restart(move |ctx, error| {
                tracing::error!(worker = %ctx.name(), %error, "worker failed; restarting it");
                restarts.restarted(ctx.name());
                true
            })
    }

    /// Notes progress of the consumer whose run is named `run_name`.
    pub fn progressed(&self, run_name: &str) {
        if let Some(label) = self.label_of(run_name)
            && let Some(consumer) = self.lock().get_mut(label)
        {
            consumer.progressed(Instant::now());
        }
    }

    /// Notes that the monitor restarted the consumer whose run was named `run_name`.
    pub fn restarted(&self, run_name: &str) {
        if let Some(label) = self.label_of(run_name) {
            metrics::counter!("aistudio_queue_consumer_restarts_total", "queue" => label.to_string())
                .increment(1);
        }
    }

    /// Every consumer's current status, by label.
    pub fn statuses(&self) -> BTreeMap<String, ConsumerStatus> {
        let now = Instant::now();
        self.lock()
            .iter()
            .map(|(label, c)| (label.clone(), c.status(now)))
            .collect()
    }

    /// Labels of the consumers currently stalled.
    pub fn stalled(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, c)| c.is_stalled())
            .map(|(label, _)| label.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Consumer>> {
        // A panic while holding this lock cannot leave a record half-written in a way that
        // matters: keep supervising with what is there.
        self.consumers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One consumer's side of its record: what its backend reports on every poll.
#[derive(Debug, Clone)]
pub struct ConsumerHandle {
    supervision: Supervision,
    label: Arc<str>,
}

impl ConsumerHandle {
    /// The consumer's loop ran (as `run_name`, with this waker). Returns true when the watchdog
    /// asked this run to restart: the backend then fails, and the monitor restarts it.
    fn polled(&self, run_name: &str, waker: &Waker) -> bool {
        let mut consumers = self.supervision.lock();
        let Some(consumer) = consumers.get_mut(&*self.label) else {
            return false;
        };
        consumer.polled(run_name, waker, Instant::now())
    }

    /// The label (queue or schedule name).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs in a row that ended without making progress (0 when the last one made some).
    pub fn unproductive_runs(&self) -> u32 {
        self.supervision
            .lock()
            .get(&*self.label)
            .map_or(0, |c| c.unproductive_runs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_run_names_of_this_process_only() {
        let supervision = Supervision::new("worker-h-1-ab");
        assert_eq!(
            supervision.label_of("worker-h-1-ab:publish"),
            Some("publish")
        );
        assert_eq!(
            supervision.label_of("worker-h-1-ab:publish-dispatch:r12"),
            Some("publish-dispatch")
        );
        assert_eq!(
            supervision.label_of("worker-h-1-ab:refresh-schedule"),
            Some("refresh-schedule")
        );
        assert_eq!(supervision.label_of("worker-h-2-cd:publish"), None);
    }
}

//! The watchdog: every second it judges each consumer, asks a stalled one (or one whose
//! registration vanished from its queue's workers set) to restart, publishes the liveness
//! metrics, and gives up on the process when a restart did not bring a consumer back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aistudio_jobs::queue::{Queue, registered};
use tokio::task::JoinHandle;

use super::Supervision;
use super::consumer::Verdict;

/// How often consumers are judged.
const TICK: Duration = Duration::from_secs(1);
/// Checks in a row a registration must be missing before the consumer is restarted.
const MISSING_CHECKS: u32 = 2;
/// A tick this late means the whole process was not running (stopped, or starved of CPU):
/// its consumers could not make progress either, so that time does not count against them.
const PAUSED_AFTER: Duration = Duration::from_secs(3);

/// The running watchdog; stops when dropped.
#[derive(Debug)]
pub struct Watchdog {
    task: JoinHandle<()>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one judgement found.
#[derive(Debug, Default)]
struct Findings {
    /// Consumers asked to restart, and why.
    restarts: Vec<(String, String)>,
    /// Consumers beyond in-process repair.
    given_up: Vec<String>,
}

/// The watchdog's memory between ticks.
struct State {
    /// Progress is not expected before this instant (the start, Redis coming back, or the
    /// process running again after a pause).
    judged_from: Instant,
    last_tick: Instant,
    redis_was_down: bool,
    missing: HashMap<String, u32>,
}

impl Watchdog {
    /// Starts judging `supervision`'s consumers. `give_up` is how long a restarted consumer may
    /// stay stalled; then `on_give_up` gets the stalled labels and the watchdog stops.
    pub fn spawn(
        supervision: Supervision,
        queue: Queue,
        give_up: Duration,
        on_give_up: impl FnOnce(Vec<String>) + Send + 'static,
    ) -> Self {
        let task = tokio::spawn(async move {
            let mut state = State {
                judged_from: Instant::now(),
                last_tick: Instant::now(),
                redis_was_down: false,
                missing: HashMap::new(),
            };
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let findings = judge(&supervision, &queue, give_up, &mut state).await;
                for (label, why) in &findings.restarts {
                    tracing::warn!(queue = %label, reason = %why, "queue consumer stalled; restarting it");
                }
                publish_metrics(&supervision);
                if !findings.given_up.is_empty() {
                    tracing::error!(
                        queues = ?findings.given_up,
                        "queue consumers stayed stalled after a restart; exiting so this process is replaced"
                    );
                    on_give_up(findings.given_up);
                    return;
                }
            }
        });
        Self { task }
    }
}

/// One tick: which consumers are registered, then each one's verdict.
async fn judge(
    supervision: &Supervision,
    queue: &Queue,
    give_up: Duration,
    state: &mut State,
) -> Findings {
    let now = Instant::now();
    let since_last_tick = now.duration_since(state.last_tick);
    state.last_tick = now;
    if since_last_tick > PAUSED_AFTER {
        tracing::info!(
            paused_secs = since_last_tick.as_secs(),
            "this process did not run for a while; consumer stall checks start over"
        );
        state.judged_from = now;
    }
    let runs: Vec<(String, String)> = {
        let consumers = supervision.lock();
        consumers
            .iter()
            .filter(|(_, c)| c.expect().registered)
            .filter_map(|(label, c)| Some((label.clone(), c.registered_run()?.to_string())))
            .collect()
    };
    let pairs: Vec<(&str, &str)> = runs.iter().map(|(l, r)| (l.as_str(), r.as_str())).collect();
    let registrations = match registered(queue, &pairs).await {
        Ok(found) => found,
        Err(e) => {
            // No consumer can heartbeat without Redis: that is an outage (readiness reports
            // it), not a stall. Judge again from when it answers.
            if !state.redis_was_down {
                tracing::warn!(error = %e, "redis unreachable; consumer stall checks paused");
            }
            state.redis_was_down = true;
            return Findings::default();
        }
    };
    if state.redis_was_down {
        state.redis_was_down = false;
        state.judged_from = now;
    }
    let mut findings = Findings::default();
    // A run not registered yet (just restarted) starts counting afresh once it is.
    state
        .missing
        .retain(|label, _| runs.iter().any(|(l, _)| l == label));
    for ((label, _), present) in runs.iter().zip(registrations) {
        let count = state.missing.entry(label.clone()).or_default();
        *count = if present { 0 } else { *count + 1 };
    }
    let mut consumers = supervision.lock();
    for (label, consumer) in consumers.iter_mut() {
        let missing = state.missing.get(label).copied().unwrap_or(0);
        if missing == MISSING_CHECKS {
            consumer.request_restart(now);
            findings.restarts.push((
                label.clone(),
                "its registration vanished from the queue".into(),
            ));
            continue;
        }
        match consumer.check(now, state.judged_from, give_up) {
            Verdict::Live => {}
            Verdict::Restart => findings.restarts.push((
                label.clone(),
                format!("no progress for {:?}", consumer.expect().stall_after),
            )),
            Verdict::GiveUp => findings.given_up.push(label.clone()),
        }
    }
    findings
}

fn publish_metrics(supervision: &Supervision) {
    for (label, status) in supervision.statuses() {
        metrics::gauge!("aistudio_queue_consumer_stalled", "queue" => label.clone())
            .set(if status.stalled { 1.0 } else { 0.0 });
        metrics::gauge!("aistudio_queue_consumer_progress_age_seconds", "queue" => label.clone())
            .set(status.progress_age_secs);
        if let Some(age) = status.last_poll_age_secs {
            metrics::gauge!("aistudio_queue_consumer_last_poll_age_seconds", "queue" => label)
                .set(age);
        }
    }
}

//! The factory of one queue's apalis worker, the same for every job type: the queue's storage
//! polled at `redis.poll_interval_ms`, the process's dependencies, jobs run on spawned tasks,
//! at most `concurrency` at once.
//!
//! Every consumer is supervised (see `crate::supervision`): its backend reports each poll, and
//! fails its run when the watchdog finds it stalled.
//!
//! Workers are restarted when they fail (Redis restarted or flushed, a lost connection): a
//! restarted worker takes a new name (`...:r<n>`, since apalis-redis refuses a name seen
//! recently). A restart after a run that made progress starts at once; each further run that
//! fails without progress waits a second longer (at most 5 s), so a Redis outage is retried
//! calmly, and a consumer that was healthy for hours is not held back by old failures.

/// `queue_worker!(deps, supervision, JobType, handler, concurrency)` builds the factory closure the monitor
/// registers (called again with the restart count if the worker restarts).
macro_rules! queue_worker {
    ($deps:expr, $supervision:expr, $job:ty, $handler:expr, $concurrency:expr) => {{
        let deps = $deps.clone();
        let queue = <$job as aistudio_jobs::queue::Job>::QUEUE;
        let name = format!("{}:{queue}", deps.worker);
        let poll = deps.queue.poll_interval();
        let concurrency: usize = $concurrency;
        let supervised = $supervision.add(queue, $crate::queue_worker::consumer_expectation(&deps));
        move |restarts: usize| {
            apalis::prelude::WorkerBuilder::new($crate::queue_worker::run_name(&name, restarts))
                .backend($crate::supervision::Supervised::new(
                    deps.queue
                        .consumer_storage::<$job>(concurrency)
                        .before_start({
                            let unproductive = supervised.unproductive_runs();
                            move |_| $crate::queue_worker::restart_pause(unproductive)
                        })
                        .poll_with_interval(poll),
                    supervised.clone(),
                ))
                .data(deps.clone())
                .parallelize(tokio::spawn)
                .concurrency(concurrency)
                .build($handler)
        }
    }};
}

/// `cron_worker!(deps, supervision, "name", schedule, handler)` builds the factory of a cron schedule's
/// worker; the handler pushes the tick's job with an idempotency key.
macro_rules! cron_worker {
    ($deps:expr, $supervision:expr, $name:expr, $schedule:expr, $handler:expr) => {{
        let deps = $deps.clone();
        let name = format!("{}:{}", deps.worker, $name);
        let schedule = $schedule;
        let supervised =
            $supervision.add($name, $crate::queue_worker::schedule_expectation(&schedule));
        move |restarts: usize| {
            apalis::prelude::WorkerBuilder::new($crate::queue_worker::run_name(&name, restarts))
                .backend($crate::supervision::Supervised::new(
                    apalis_cron::CronScheduler::new(schedule.clone()),
                    supervised.clone(),
                ))
                .data(deps.clone())
                .build($handler)
        }
    }};
}

pub(crate) use {cron_worker, queue_worker};

/// A queue consumer heartbeats every `redis.heartbeat_secs`, idle or busy; it is stalled once it
/// missed as many heartbeats as make other workers treat it as dead.
pub(crate) fn consumer_expectation(deps: &crate::deps::Deps) -> crate::supervision::Expect {
    let every = std::time::Duration::from_secs(deps.settings.redis.heartbeat_secs.max(1));
    let missed = deps.settings.redis.missed_heartbeats.max(2) as u32;
    crate::supervision::Expect {
        stall_after: every * missed + std::time::Duration::from_secs(1),
        registered: true,
    }
}

/// A cron schedule finishes a tick every period; it is stalled after missing two.
pub(crate) fn schedule_expectation(schedule: &cron::Schedule) -> crate::supervision::Expect {
    let mut ticks = schedule.upcoming(chrono::Utc).take(2);
    let every = match (ticks.next(), ticks.next()) {
        (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
        _ => std::time::Duration::from_secs(60),
    }
    .max(std::time::Duration::from_secs(1));
    crate::supervision::Expect {
        stall_after: every * 2 + std::time::Duration::from_secs(10),
        registered: false,
    }
}

/// The worker name of the `restarts`-th run.
pub(crate) fn run_name(name: &str, restarts: usize) -> String {
    if restarts == 0 {
        name.to_string()
    } else {
        format!("{name}:r{restarts}")
    }
}

/// Waits before a restarted worker starts: 1 s per run in a row that made no progress, at most
/// 5 s (well inside the supervision's stall window, which a new run starts with).
pub(crate) async fn restart_pause(unproductive_runs: u32) -> Result<(), apalis_redis::Error> {
    if unproductive_runs > 0 {
        tracing::warn!(
            unproductive_runs,
            "restarting a consumer that failed without progress"
        );
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(
            unproductive_runs.min(5),
        )))
        .await;
    }
    Ok(())
}

//! The factory of one queue's apalis worker, the same for every job type: the queue's storage
//! polled at `redis.poll_interval_ms`, the process's dependencies, jobs run on spawned tasks,
//! at most `concurrency` at once.
//!
//! Workers are restarted when they fail (Redis restarted or flushed, a lost connection): a
//! restarted worker takes a new name (`...:r<n>`, since apalis-redis refuses a name seen
//! recently) and first waits a moment that grows with the restarts (at most 10 s), so a Redis
//! outage is retried calmly instead of in a tight loop.

/// `queue_worker!(deps, JobType, handler, concurrency)` builds the factory closure the monitor
/// registers (called again with the restart count if the worker restarts).
macro_rules! queue_worker {
    ($deps:expr, $job:ty, $handler:expr, $concurrency:expr) => {{
        let deps = $deps.clone();
        let name = format!(
            "{}:{}",
            deps.worker,
            <$job as aistudio_jobs::queue::Job>::QUEUE
        );
        let poll = deps.queue.poll_interval();
        let concurrency: usize = $concurrency;
        move |restarts: usize| {
            apalis::prelude::WorkerBuilder::new($crate::queue_worker::run_name(&name, restarts))
                .backend(
                    deps.queue
                        .consumer_storage::<$job>(concurrency)
                        .before_start(move |_| $crate::queue_worker::restart_pause(restarts))
                        .poll_with_interval(poll),
                )
                .data(deps.clone())
                .parallelize(tokio::spawn)
                .concurrency(concurrency)
                .build($handler)
        }
    }};
}

/// `cron_worker!(deps, "name", schedule, handler)` builds the factory of a cron schedule's
/// worker; the handler pushes the tick's job with an idempotency key.
macro_rules! cron_worker {
    ($deps:expr, $name:expr, $schedule:expr, $handler:expr) => {{
        let deps = $deps.clone();
        let name = format!("{}:{}", deps.worker, $name);
        let schedule = $schedule;
        move |_restarts: usize| {
            apalis::prelude::WorkerBuilder::new(name.clone())
                .backend(apalis_cron::CronScheduler::new(schedule.clone()))
                .data(deps.clone())
                .build($handler)
        }
    }};
}

pub(crate) use {cron_worker, queue_worker};

/// The worker name of the `restarts`-th run.
pub(crate) fn run_name(name: &str, restarts: usize) -> String {
    if restarts == 0 {
        name.to_string()
    } else {
        format!("{name}:r{restarts}")
    }
}

/// Waits before a restarted worker starts: 1 s per restart so far, at most 10 s.
pub(crate) async fn restart_pause(restarts: usize) -> Result<(), apalis_redis::Error> {
    if restarts > 0 {
        tracing::warn!(restarts, "restarting a failed worker");
        tokio::time::sleep(std::time::Duration::from_secs(restarts.min(10) as u64)).await;
    }
    Ok(())
}

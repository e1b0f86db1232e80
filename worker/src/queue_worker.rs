//! The factory of one queue's apalis worker, the same for every job type: the queue's storage
//! polled at `redis.poll_interval_ms`, the process's dependencies, jobs run on spawned tasks,
//! at most `concurrency` at once.

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
        move |_restarts: usize| {
            apalis::prelude::WorkerBuilder::new(name.clone())
                .backend(deps.queue.storage::<$job>().poll_with_interval(poll))
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

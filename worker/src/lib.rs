//! The AIStudio worker process: an apalis monitor running one worker per queue, the periodic
//! schedules, and an operations listener.
//!
//! Shutdown (SIGTERM): the monitor stops fetching, running jobs finish within
//! `worker.shutdown_grace_secs`, then jobs this process had fetched but not started are handed
//! straight back to their queues.
#![forbid(unsafe_code)]

pub mod deps;
pub mod handlers;
pub mod ops;
pub mod schedules;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use aistudio_config::Settings;
use aistudio_jobs::queue::{Queue, release_worker, worker_name};
use aistudio_jobs::store::Store;
use aistudio_jobs::tasks::{self, Canary, DeleteAccount, QueueMaintenance};
use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, Monitor, ParallelizeExt, WorkerBuilder};
use apalis_cron::CronScheduler;

use deps::Deps;

/// Why the worker could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// MongoDB could not be set up.
    #[error(transparent)]
    Store(#[from] aistudio_jobs::store::StoreError),
    /// Redis could not be set up.
    #[error(transparent)]
    Queue(#[from] aistudio_jobs::queue::QueueError),
    /// The cron expression is invalid.
    #[error("worker.maintenance_cron: {0}")]
    Cron(String),
    /// The monitor failed.
    #[error("worker monitor failed: {0}")]
    Monitor(String),
    /// The operations listener failed.
    #[error("listener error: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the worker until `shutdown` resolves, then drains gracefully.
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let metrics = aistudio_jobs::telemetry::init_metrics();
    let store = Store::connect(&settings.mongo).await?;
    if let Err(e) = store.ensure_indexes().await {
        tracing::warn!(error = %e, "could not create indexes yet; jobs will retry until MongoDB answers");
    }
    let queue = Queue::connect(&settings.redis)?;
    let schedule = cron::Schedule::from_str(&settings.worker.maintenance_cron)
        .map_err(|e| RunError::Cron(e.to_string()))?;
    let deps = Deps {
        worker: worker_name("worker").into(),
        settings: Arc::new(settings),
        store,
        queue: queue.clone(),
    };

    let ops_listener = tokio::net::TcpListener::bind(deps.settings.worker.metrics_listen).await?;
    tracing::info!(
        worker = %deps.worker,
        ops = %ops_listener.local_addr()?,
        "worker starting"
    );
    let ops = axum::serve(ops_listener, ops::router(deps.clone(), metrics));
    let ops_task = tokio::spawn(async move { ops.await });

    let concurrency = deps.settings.worker.concurrency;
    let grace = Duration::from_secs(deps.settings.worker.shutdown_grace_secs);
    let poll = queue.poll_interval();
    let name = |queue_name: &str| format!("{}:{queue_name}", deps.worker);

    let maintenance = {
        let (deps, name) = (deps.clone(), name(tasks::maintenance::QUEUE));
        move |_restarts: usize| {
            WorkerBuilder::new(name.clone())
                .backend(
                    deps.queue
                        .storage::<QueueMaintenance>()
                        .poll_with_interval(poll),
                )
                .data(deps.clone())
                .parallelize(tokio::spawn)
                .concurrency(1)
                .build(handlers::run_maintenance)
        }
    };
    let canary = {
        let (deps, name) = (deps.clone(), name(tasks::canary::QUEUE));
        move |_restarts: usize| {
            WorkerBuilder::new(name.clone())
                .backend(deps.queue.storage::<Canary>().poll_with_interval(poll))
                .data(deps.clone())
                .parallelize(tokio::spawn)
                .concurrency(concurrency)
                .build(handlers::run_canary)
        }
    };
    let account_deletion = {
        let (deps, name) = (deps.clone(), name(tasks::account_deletion::QUEUE));
        move |_restarts: usize| {
            WorkerBuilder::new(name.clone())
                .backend(
                    deps.queue
                        .storage::<DeleteAccount>()
                        .poll_with_interval(poll),
                )
                .data(deps.clone())
                .parallelize(tokio::spawn)
                .concurrency(concurrency)
                .build(handlers::run_account_deletion)
        }
    };
    let maintenance_schedule = {
        let (deps, name) = (deps.clone(), name("maintenance-schedule"));
        move |_restarts: usize| {
            WorkerBuilder::new(name.clone())
                .backend(CronScheduler::new(schedule.clone()))
                .data(deps.clone())
                .build(schedules::enqueue_maintenance)
        }
    };

    let monitor = Monitor::new()
        .register(maintenance)
        .register(canary)
        .register(account_deletion)
        .register(maintenance_schedule)
        .on_event(|ctx, event| tracing::debug!(worker = %ctx.name(), ?event, "worker event"))
        .shutdown_timeout(grace);
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;

    for queue_name in tasks::QUEUES {
        match release_worker(&queue, queue_name, &name(queue_name)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                queue = queue_name,
                released = n,
                "unstarted jobs handed back"
            ),
            Err(e) => {
                tracing::warn!(queue = queue_name, error = %e, "could not hand back jobs; they return after the orphan timeout")
            }
        }
    }
    ops_task.abort();
    result.map_err(|e| RunError::Monitor(e.to_string()))?;
    tracing::info!("worker stopped");
    Ok(())
}

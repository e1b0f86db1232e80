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
pub mod presence;
mod queue_worker;
pub mod schedules;
pub mod supervision;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use aistudio_config::Settings;
use aistudio_jobs::queue::{Queue, release_worker, worker_name};
use aistudio_jobs::store::Store;
use aistudio_jobs::tasks::DeliverWebhook;
use aistudio_jobs::tasks::{
    self, Canary, DeleteAccount, DeleteInstagramData, PublishPost, QueueMaintenance, RefreshSweep,
    RefreshToken, SendEmail,
};
use aistudio_jobs::workflow::dispatcher::Dispatch;
use aistudio_jobs::workflow::reconciler::Reconcile;
use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, Monitor, ParallelizeExt};

use deps::Deps;
use queue_worker::{cron_worker, queue_worker};
use supervision::{Supervision, Watchdog};

/// The exit status of a worker process that gave up on a stalled consumer (`EX_TEMPFAIL`).
pub const EXIT_CONSUMERS_STALLED: i32 = 75;

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
    /// A client or the vault could not be built from the settings.
    #[error("setup failed: {0}")]
    Setup(String),
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
    aistudio_jobs::telemetry::zero_alerted_worker_counters();
    let store = Store::connect(&settings.mongo).await?;
    // Jobs that need MongoDB fail and are retried until it answers.
    store
        .ensure_indexes_at_start(Duration::from_secs(settings.mongo.connect_timeout_secs))
        .await;
    let queue = Queue::connect(&settings.redis)?;
    let schedule = cron::Schedule::from_str(&settings.worker.maintenance_cron)
        .map_err(|e| RunError::Cron(e.to_string()))?;
    let cron = |expression: &str| {
        cron::Schedule::from_str(expression).map_err(|e| RunError::Cron(e.to_string()))
    };
    let refresh_schedule = cron(&settings.instagram.refresh_cron)?;
    let dispatch_schedule = cron(&settings.workflow.dispatch_cron)?;
    let reconcile_schedule = cron(&settings.workflow.reconcile_cron)?;
    let http = aistudio_jobs::clients::build_client(&Default::default())
        .map_err(|e| RunError::Setup(e.to_string()))?;
    let setup = |e: &dyn std::fmt::Display| RunError::Setup(e.to_string());
    let settings = Arc::new(settings);
    let vault =
        aistudio_jobs::crypto::vault::Vault::new(&settings.security).map_err(|e| setup(&e))?;
    let media: Arc<dyn aistudio_jobs::media::MediaStorage> = Arc::new(store.media_files());
    let worker: Arc<str> = worker_name("worker").into();
    let engine = aistudio_jobs::workflow::Engine::new(
        settings.clone(),
        store.clone(),
        queue.clone(),
        aistudio_jobs::clients::GraphClient::new(http.clone(), &settings.instagram)
            .map_err(|e| setup(&e))?,
        aistudio_jobs::clients::ImgbbClient::new(
            http.clone(),
            &settings.imgbb,
            &aistudio_jobs::clients::HttpOptions::default(),
        )
        .map_err(|e| setup(&e))?,
        vault.clone(),
        media.clone(),
        worker.clone(),
    );
    let mailer = aistudio_jobs::mail::Mailer::new(&settings.mail).map_err(|e| setup(&e))?;
    let deps = Deps {
        mailer,
        instagram: aistudio_jobs::clients::InstagramOAuth::new(http, &settings)
            .map_err(|e| setup(&e))?,
        vault,
        engine,
        media,
        worker,
        settings,
        store,
        queue: queue.clone(),
    };

    let supervision = Supervision::new(&deps.worker);
    let ops_listener = tokio::net::TcpListener::bind(deps.settings.worker.metrics_listen).await?;
    tracing::info!(
        worker = %deps.worker,
        ops = %ops_listener.local_addr()?,
        "worker starting"
    );
    let ops = axum::serve(
        ops_listener,
        ops::router(deps.clone(), supervision.clone(), metrics),
    );
    let ops_task = tokio::spawn(async move { ops.await });

    let concurrency = deps.settings.worker.concurrency;
    let grace = Duration::from_secs(deps.settings.worker.shutdown_grace_secs);
    let sv = &supervision;

    let maintenance = queue_worker!(deps, sv, QueueMaintenance, handlers::run_maintenance, 1);
    let canary = queue_worker!(deps, sv, Canary, handlers::run_canary, concurrency);
    let account_deletion = queue_worker!(
        deps,
        sv,
        DeleteAccount,
        handlers::run_account_deletion,
        concurrency
    );
    let instagram_data_deletion = queue_worker!(
        deps,
        sv,
        DeleteInstagramData,
        handlers::run_instagram_data_deletion,
        concurrency
    );
    let refresh_sweep = queue_worker!(deps, sv, RefreshSweep, handlers::run_refresh_sweep, 1);
    let token_refresh = queue_worker!(
        deps,
        sv,
        RefreshToken,
        handlers::run_token_refresh,
        concurrency
    );
    let refresh_schedule = cron_worker!(
        deps,
        sv,
        "refresh-schedule",
        refresh_schedule,
        schedules::enqueue_refresh_sweep
    );
    let maintenance_schedule = cron_worker!(
        deps,
        sv,
        "maintenance-schedule",
        schedule,
        schedules::enqueue_maintenance
    );
    let publish = queue_worker!(deps, sv, PublishPost, handlers::run_publish, concurrency);
    let email = queue_worker!(deps, sv, SendEmail, handlers::run_send_email, concurrency);
    let webhook = queue_worker!(
        deps,
        sv,
        DeliverWebhook,
        handlers::run_deliver_webhook,
        concurrency
    );
    let dispatch = queue_worker!(deps, sv, Dispatch, handlers::run_dispatch, 1);
    let reconcile = queue_worker!(deps, sv, Reconcile, handlers::run_reconcile, 1);
    let dispatch_schedule = cron_worker!(
        deps,
        sv,
        "dispatch-schedule",
        dispatch_schedule,
        schedules::enqueue_dispatch
    );
    let reconcile_schedule = cron_worker!(
        deps,
        sv,
        "reconcile-schedule",
        reconcile_schedule,
        schedules::enqueue_reconcile
    );
    let presence = presence::PresenceTask::start(&deps, &supervision);
    // A consumer that a restart did not bring back is beyond repair inside this process: exit
    // non-zero so the process supervisor (compose `restart`, systemd, Kubernetes) replaces it.
    // Only a separate task can act if the monitor's own task is stuck, hence exit here.
    let watchdog = Watchdog::spawn(
        supervision.clone(),
        queue.clone(),
        Duration::from_secs(deps.settings.worker.consumer_restart_timeout_secs),
        |_stalled| std::process::exit(EXIT_CONSUMERS_STALLED),
    );

    let monitor = Monitor::new()
        .register(maintenance)
        .register(canary)
        .register(account_deletion)
        .register(instagram_data_deletion)
        .register(refresh_sweep)
        .register(token_refresh)
        .register(refresh_schedule)
        .register(publish)
        .register(email)
        .register(webhook)
        .register(dispatch)
        .register(reconcile)
        .register(dispatch_schedule)
        .register(reconcile_schedule)
        .register(maintenance_schedule)
        .shutdown_timeout(grace);
    let result = supervision
        .observe(monitor)
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;

    for queue_name in tasks::QUEUES {
        let name = format!("{}:{queue_name}", deps.worker);
        match release_worker(&queue, queue_name, &name).await {
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
    drop(watchdog);
    deps.engine.flush_events().await;
    presence.stop().await;
    ops_task.abort();
    result.map_err(|e| RunError::Monitor(e.to_string()))?;
    tracing::info!("worker stopped");
    Ok(())
}

//! The AIStudio HTTP API: the web dashboard's, the admin console's and Meta's entry point.
//!
//! [`run`] is everything `main` does after loading settings, so tests start exactly what
//! production runs.
#![forbid(unsafe_code)]

pub mod dashboard;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod queue_gauges;
pub mod routes;
pub mod session_cookie;
pub mod state;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aistudio_config::Settings;
use aistudio_jobs::login_limiter::LoginLimiter;
use aistudio_jobs::queue::Queue;
use aistudio_jobs::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::ApiError;
pub use state::AppState;

use middleware::request_id::{MakeId, REQUEST_ID};

/// Why the API could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// MongoDB could not be set up.
    #[error(transparent)]
    Store(#[from] aistudio_jobs::store::StoreError),
    /// Redis could not be set up.
    #[error(transparent)]
    Queue(#[from] aistudio_jobs::queue::QueueError),
    /// A client could not be built from the settings.
    #[error("setup failed: {0}")]
    Setup(String),
    /// The certificate or key of `server.tls` could not be used.
    #[error("server.tls: {0}")]
    Tls(#[from] tls::CertificateError),
    /// A listener failed.
    #[error("listener error: {0}")]
    Io(#[from] std::io::Error),
}

/// The full application router for the given state.
pub fn app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let timeout = |secs: u64| {
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(secs))
    };
    // Uploads stream large bodies: their own time limit, and their own size checks in place
    // of the JSON body limit.
    let uploads = routes::media::upload_router()
        .layer(DefaultBodyLimit::disable())
        .layer(timeout(settings.media.upload_timeout_secs));
    let timed = Router::new()
        .merge(routes::router())
        .merge(openapi::router())
        .layer(timeout(settings.server.request_timeout_secs));
    // The admin console has its own state and no request time-out (its live counts stream).
    let admin = aistudio_admin::router(aistudio_admin::AdminState::new(
        state.settings.clone(),
        state.store.clone(),
        state.queue.clone(),
        state.limiter.clone(),
    ));
    Router::new()
        .merge(timed)
        .merge(uploads)
        .with_state(state)
        .nest("/admin", admin)
        .route(
            "/admin/",
            axum::routing::get(|| async { axum::response::Redirect::permanent("/admin") }),
        )
        .layer(axum::middleware::from_fn(
            middleware::json_errors::json_errors,
        ))
        .layer(axum::middleware::from_fn(middleware::metrics::record))
        .layer(DefaultBodyLimit::max(settings.server.body_limit_bytes))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(middleware::request_id::span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeId))
        .layer(axum::middleware::map_request(
            middleware::request_id::drop_unusable,
        ))
}

/// Connects to MongoDB and Redis, creates indexes, and serves `listener` (over TLS when
/// `server.tls` names a certificate; and the metrics listener from the settings) until
/// `shutdown` resolves; in-flight requests then get `server.shutdown_grace_secs` to finish.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let certificate = if settings.server.tls.enabled() {
        Some(Arc::new(
            tls::Certificate::load(&settings.server.tls).await?,
        ))
    } else {
        None
    };
    let metrics = aistudio_jobs::telemetry::init_metrics();
    let store = Store::connect(&settings.mongo).await?;
    // Started before MongoDB, or with one that does not answer: serve /healthz and an honest
    // /readyz meanwhile.
    store
        .ensure_indexes_at_start(Duration::from_secs(settings.mongo.connect_timeout_secs))
        .await;
    let queue = Queue::connect(&settings.redis)?;
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
    let metrics_listener = TcpListener::bind(settings.server.metrics_listen).await?;
    tracing::info!(
        api = %listener.local_addr()?,
        tls = certificate.is_some(),
        metrics = %metrics_listener.local_addr()?,
        "api listening"
    );
    aistudio_jobs::crypto::password::warm_up();
    let google_redirect = format!(
        "{}/api/v1/auth/google/callback",
        settings.server.public_base_url.trim_end_matches('/')
    );
    let http = aistudio_jobs::clients::build_client(&Default::default())
        .map_err(|e| RunError::Setup(e.to_string()))?;
    let instagram = aistudio_jobs::clients::InstagramOAuth::new(http.clone(), &settings)
        .map_err(|e| RunError::Setup(e.to_string()))?;
    let vault = aistudio_jobs::crypto::vault::Vault::new(&settings.security)
        .map_err(|e| RunError::Setup(e.to_string()))?;
    let google =
        aistudio_jobs::clients::google::GoogleClient::new(http, &settings.google, &google_redirect)
            .map_err(|e| RunError::Setup(e.to_string()))?;
    let state = AppState {
        google,
        instagram,
        vault,
        limiter: LoginLimiter::new(queue.clone(), &settings.security),
        media_storage: Arc::new(store.media_files()),
        media_checks: Arc::new(aistudio_jobs::media::CheckSlots::new(
            settings.media.max_concurrent_checks as usize,
            settings.media.max_concurrent_checks_per_user as usize,
            std::time::Duration::from_secs(settings.media.check_wait_secs),
        )),
        settings: Arc::new(settings),
        store,
        queue,
    };

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };

    let ops = axum::serve(metrics_listener, ops::router(metrics, state.queue.clone()))
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    let app = app(state);
    let (api_task, reload_task) = match certificate {
        None => {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let api = axum::serve(listener, app).with_graceful_shutdown(stopped(stop_rx.clone()));
            (tokio::spawn(async move { api.await }), None)
        }
        Some(certificate) => {
            let config = tls::server_config(certificate.clone())
                .map_err(|e| RunError::Setup(format!("TLS configuration: {e}")))?;
            // Besides its own listeners, axum gives `ConnectInfo<SocketAddr>` to tapped ones:
            // hence the empty tap.
            let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
            let app = tls::strict_transport(app)
                .into_make_service_with_connect_info::<std::net::SocketAddr>();
            let api = axum::serve(listener, app).with_graceful_shutdown(stopped(stop_rx.clone()));
            let reload = tokio::spawn(certificate.keep_current());
            (tokio::spawn(async move { api.await }), Some(reload))
        }
    };
    let ops_task = tokio::spawn(async move { ops.await });

    stopped(stop_rx).await;
    match tokio::time::timeout(grace, api_task).await {
        Ok(result) => result.map_err(std::io::Error::other)??,
        Err(_) => tracing::warn!(?grace, "requests still running after the grace period"),
    }
    ops_task.abort();
    if let Some(reload) = reload_task {
        reload.abort();
    }
    tracing::info!("api stopped");
    Ok(())
}

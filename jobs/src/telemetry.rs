//! Structured logging and the Prometheus metrics recorder.

use std::sync::OnceLock;

use aistudio_config::{LogFormat, LogSettings};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber: JSON lines (with the current span's fields, such as
/// the request id) or a pretty format for terminals. Safe to call more than once; later calls
/// are ignored.
pub fn init_logging(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Installs the process-wide metrics recorder (once) and returns the handle that renders the
/// Prometheus text format.
pub fn init_metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                    60.0,
                ])
                .expect("static bucket list is non-empty")
                .install_recorder()
                .expect("the metrics recorder is installed once per process")
        })
        .clone()
}

/// Registers at 0 the worker's counters that alerts take the increase or the ratio of
/// (`deploy/prometheus/alerts.yml`): a counter that first appears at 1 hides that increment from
/// `increase()`, and a ratio with a missing side is no ratio at all.
pub fn zero_alerted_worker_counters() {
    for name in [
        "aistudio_posts_published_total",
        "aistudio_posts_failed_total",
        "aistudio_posts_parked_total",
    ] {
        metrics::counter!(name).increment(0);
    }
    for outcome in ["refreshed", "needs_reconnect", "retry", "failed"] {
        metrics::counter!("aistudio_token_refreshes_total", "outcome" => outcome).increment(0);
    }
}

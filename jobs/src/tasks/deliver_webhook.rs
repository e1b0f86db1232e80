//! Delivering one webhook: the job carries only the delivery id. The delivery is claimed with
//! a lease (two runs of the job never attempt it at once), its endpoint's URL is checked and
//! resolved again (see `webhooks::target`), the stored body is signed with the endpoint's
//! secret and POSTed, and the attempt is logged with its status code or error and its time.
//!
//! - 2xx: delivered; the endpoint's failure streak ends.
//! - 410 Gone: the receiver says the endpoint is gone for good; the delivery fails and the
//!   endpoint is disabled at once (as common webhook senders do).
//! - anything else (other 4xx, 5xx, a time-out, a refused address, no connection): retried
//!   after `webhooks.retry_base_secs` doubled per attempt (with up to 10 % jitter, at most
//!   `webhooks.retry_max_secs`) until `webhooks.retry_window_secs` after the event, then failed.
//!
//! An endpoint whose attempts have all failed for `webhooks.disable_after_secs` is disabled,
//! its pending deliveries fail, and its owner gets an email.
//!
//! A worker that dies after the endpoint received a request but before the attempt was recorded
//! leaves the delivery pending; once its lease ends it is attempted again with the same
//! `webhook-id` (and body), which receivers use to drop duplicates. So: each event is delivered
//! at least once to each subscribed endpoint, never twice at the same time, and every copy
//! carries the same `webhook-id`.

use std::time::{Duration, SystemTime};

use aistudio_config::Settings;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::crypto::vault::Vault;
use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{
    DeliveryAttempt, DeliveryStatus, Email, EmailContent, Store, StoreError, WebhookDelivery,
    WebhookEndpoint,
};
use crate::tasks::send_email::{EmailJobError, SendEmail};
use crate::webhooks::send::{self, Answer, Limits, Signed};
use crate::webhooks::{open_secret, signature, target};

/// Queue name of webhook deliveries.
pub const QUEUE: &str = "webhook";

/// Why a delivery job failed (retried by the queue).
#[derive(Debug, thiserror::Error)]
pub enum WebhookJobError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<EmailJobError> for WebhookJobError {
    fn from(e: EmailJobError) -> Self {
        match e {
            EmailJobError::Store(e) => Self::Store(e),
            EmailJobError::Queue(e) => Self::Queue(e),
        }
    }
}

/// Deliver the webhook delivery `delivery_id`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliverWebhook {
    /// The delivery (`<endpoint id>.<event id>`).
    pub delivery_id: String,
}

impl Job for DeliverWebhook {
    const QUEUE: &'static str = QUEUE;
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered 2xx.
    Delivered,
    /// Failed for now; attempted again at the given time.
    RetryAt(DateTime<Utc>),
    /// Given up, with the reason.
    Failed(String),
    /// Nothing to do: delivered or failed already, held by another attempt, or not yet due.
    Skipped,
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::RetryAt(_) => "retry",
            Self::Failed(_) => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// How long one attempt holds a delivery: resolving and the request are each bounded by the
/// time-out, so twice that and a margin outlasts any attempt still alive.
fn lease(settings: &Settings) -> chrono::Duration {
    chrono::Duration::seconds((settings.webhooks.timeout_secs * 2 + 5) as i64)
}

impl DeliverWebhook {
    /// Queues attempt `attempt` of a delivery (deduplicated per delivery and attempt), not
    /// before `run_at`.
    pub async fn enqueue(
        queue: &Queue,
        delivery_id: &str,
        attempt: u32,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<(), QueueError> {
        Self::push(
            queue,
            delivery_id,
            format!("webhook:{delivery_id}:{attempt}"),
            run_at,
        )
        .await
    }

    /// Queues a redelivery asked for by the endpoint's owner (not deduplicated: the claim is).
    pub async fn enqueue_redelivery(queue: &Queue, delivery_id: &str) -> Result<(), QueueError> {
        let key = format!(
            "webhook:{delivery_id}:again:{}",
            uuid::Uuid::new_v4().simple()
        );
        Self::push(queue, delivery_id, key, None).await
    }

    async fn push(
        queue: &Queue,
        delivery_id: &str,
        key: String,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<(), QueueError> {
        queue
            .push(
                Self {
                    delivery_id: delivery_id.to_string(),
                },
                PushOptions {
                    idempotency_key: Some(key),
                    run_at: run_at.map(SystemTime::from),
                },
            )
            .await
    }

    /// Claims, attempts and records one attempt.
    #[tracing::instrument(skip_all, fields(delivery_id = %self.delivery_id, user_id))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        vault: &Vault,
        settings: &Settings,
    ) -> Result<Outcome, WebhookJobError> {
        let now = Utc::now();
        let deliveries = store.webhook_deliveries();
        let Some(delivery) = deliveries
            .claim(&self.delivery_id, now, lease(settings))
            .await?
        else {
            return Ok(Outcome::Skipped);
        };
        tracing::Span::current().record("user_id", delivery.user_id.as_str());
        let endpoint = store
            .webhook_endpoints()
            .by_id(&delivery.endpoint_id)
            .await?;
        let outcome = match endpoint.filter(|e| e.enabled) {
            None => {
                let reason = "the endpoint is disabled or was deleted";
                deliveries.give_up(&delivery.id, reason).await?;
                Outcome::Failed(reason.into())
            }
            Some(endpoint) => {
                let answer = attempt(vault, settings, &endpoint, &delivery).await;
                record(store, queue, settings, &endpoint, &delivery, now, answer).await?
            }
        };
        metrics::counter!("aistudio_webhook_deliveries_total", "event" => event_label(&delivery.event_type), "outcome" => outcome.label())
            .increment(1);
        Ok(outcome)
    }
}

/// The event type as a metric label (only the known ones).
fn event_label(event_type: &str) -> &'static str {
    crate::webhooks::EventType::subscribable(event_type)
        .map(|t| t.as_str())
        .unwrap_or("webhook.test")
}

/// Checks and resolves the URL, signs, and POSTs.
async fn attempt(
    vault: &Vault,
    settings: &Settings,
    endpoint: &WebhookEndpoint,
    delivery: &WebhookDelivery,
) -> Answer {
    let started = std::time::Instant::now();
    let refused = |error: String| Answer {
        status: None,
        error: Some(error),
        elapsed: started.elapsed(),
    };
    let w = &settings.webhooks;
    let timeout = Duration::from_secs(w.timeout_secs);
    let checked = match target::parse(&endpoint.url, &w.allow_hosts) {
        Ok(t) => t,
        Err(e) => return refused(format!("the URL {e}")),
    };
    let addresses = match checked.resolve(timeout).await {
        Ok(a) => a,
        Err(e) => return refused(e.to_string()),
    };
    if let Err(e) = checked.require_https() {
        return refused(format!("the URL {e}"));
    }
    let signed = match open_secret(vault, endpoint).map(|secret| {
        let timestamp = Utc::now().timestamp();
        signature::sign(&secret, &delivery.event_id, timestamp, &delivery.body).map(|signature| {
            Signed {
                id: delivery.event_id.clone(),
                timestamp,
                signature,
            }
        })
    }) {
        Ok(Ok(signed)) => signed,
        _ => return refused("the signing secret cannot be read; rotate it".into()),
    };
    send::post(
        &checked,
        &addresses,
        &signed,
        delivery.body.clone(),
        Limits {
            timeout,
            max_response_bytes: w.max_response_bytes,
        },
    )
    .await
}

/// Logs the attempt, decides what follows, and keeps the endpoint's failure streak.
async fn record(
    store: &Store,
    queue: &Queue,
    settings: &Settings,
    endpoint: &WebhookEndpoint,
    delivery: &WebhookDelivery,
    started: DateTime<Utc>,
    answer: Answer,
) -> Result<Outcome, WebhookJobError> {
    let w = &settings.webhooks;
    let mut log = delivery.log.clone();
    log.push(DeliveryAttempt {
        at: started,
        status_code: answer.status,
        error: answer.error.clone(),
        response_ms: answer.elapsed.as_millis() as u64,
    });
    let keep = w.log_attempts as usize;
    if log.len() > keep {
        log.drain(..log.len() - keep);
    }
    let deliveries = store.webhook_deliveries();
    let endpoints = store.webhook_endpoints();
    let what = answer
        .error
        .clone()
        .unwrap_or_else(|| format!("answered {}", answer.status.unwrap_or_default()));
    if answer.accepted() {
        deliveries
            .finish(delivery, &log, DeliveryStatus::Delivered, started, None)
            .await?;
        endpoints.record_success(&endpoint.id).await?;
        tracing::info!(attempt = delivery.attempts, status = ?answer.status, "webhook delivered");
        return Ok(Outcome::Delivered);
    }
    let now = Utc::now();
    if answer.status == Some(410) {
        let reason = "the endpoint answered 410 Gone";
        deliveries
            .finish(delivery, &log, DeliveryStatus::Failed, now, Some(reason))
            .await?;
        disable(store, queue, endpoint, reason).await?;
        return Ok(Outcome::Failed(reason.into()));
    }
    let failing_since = endpoints.record_failure(&endpoint.id, started).await?;
    let next_at = now + backoff(settings, delivery.attempts);
    let window_end = delivery.window_start + secs(w.retry_window_secs);
    let outcome = if next_at > window_end {
        let reason = format!(
            "still failing {} h after the event ({what})",
            w.retry_window_secs / 3600
        );
        deliveries
            .finish(delivery, &log, DeliveryStatus::Failed, now, Some(&reason))
            .await?;
        tracing::warn!(attempt = delivery.attempts, error = %what, "webhook delivery failed");
        Outcome::Failed(reason)
    } else {
        deliveries
            .finish(delivery, &log, DeliveryStatus::Pending, next_at, None)
            .await?;
        DeliverWebhook::enqueue(queue, &delivery.id, delivery.attempts, Some(next_at)).await?;
        tracing::warn!(attempt = delivery.attempts, error = %what, %next_at, "webhook not delivered yet; retrying later");
        Outcome::RetryAt(next_at)
    };
    if now - failing_since >= secs(w.disable_after_secs) {
        let reason = format!(
            "every delivery failed since {} (last: {what})",
            failing_since.format("%Y-%m-%d %H:%M UTC")
        );
        disable(store, queue, endpoint, &reason).await?;
    }
    Ok(outcome)
}

fn secs(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(s.min(i64::MAX as u64) as i64)
}

/// Turns the endpoint off, fails its pending deliveries, and emails its owner (once per
/// streak).
async fn disable(
    store: &Store,
    queue: &Queue,
    endpoint: &WebhookEndpoint,
    reason: &str,
) -> Result<(), WebhookJobError> {
    if !store
        .webhook_endpoints()
        .disable(&endpoint.id, reason)
        .await?
    {
        return Ok(());
    }
    store
        .webhook_deliveries()
        .give_up_for_endpoint(&endpoint.id, "the endpoint was disabled")
        .await?;
    metrics::counter!("aistudio_webhook_endpoints_disabled_total").increment(1);
    tracing::warn!(endpoint_id = %endpoint.id, reason, "webhook endpoint disabled");
    if let Some(owner) = store.users().by_id(&endpoint.user_id).await? {
        let since = endpoint.failing_since.map_or(0, |t| t.timestamp_millis());
        let email = Email::new(
            format!("webhook_disabled:{}:{since}", endpoint.id),
            &owner.id,
            &owner.email,
            EmailContent::WebhookDisabled {
                endpoint_id: endpoint.id.clone(),
                url: endpoint.url.clone(),
                reason: reason.to_string(),
            },
        );
        SendEmail::submit(store, queue, email).await?;
    }
    Ok(())
}

/// The wait before attempt `attempts + 1`: the base doubled per attempt, at most the maximum,
/// less up to 10 % at random so endpoints that failed together are not retried together.
fn backoff(settings: &Settings, attempts: u32) -> chrono::Duration {
    let w = &settings.webhooks;
    let wait = Duration::from_secs(w.retry_base_secs)
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(Duration::from_secs(w.retry_max_secs));
    let jitter = rand::rng().random_range(0.0..0.1);
    chrono::Duration::from_std(wait.mul_f64(1.0 - jitter)).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn attempts_back_off_exponentially_with_jitter_up_to_the_maximum() {
        let mut settings = aistudio_config::Settings::load_from(&aistudio_config::Sources {
            config_dir: Some(std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../config/files"
            ))),
            config_file: None,
            env: Default::default(),
        })
        .unwrap();
        settings.webhooks.retry_base_secs = 30;
        settings.webhooks.retry_max_secs = 3600;
        let secs = |n| super::backoff(&settings, n).num_milliseconds() as f64 / 1000.0;
        for (attempts, full) in [(1, 30.0), (2, 60.0), (3, 120.0), (8, 3600.0), (40, 3600.0)] {
            let wait = secs(attempts);
            assert!(
                wait <= full && wait >= full * 0.9,
                "attempt {attempts}: {wait} s, expected within 10 % under {full} s"
            );
        }
    }
}

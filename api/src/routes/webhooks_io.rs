//! What the webhook endpoints take and answer, and the documented payload of each event type.

use aistudio_jobs::store::{DeliveryAttempt, WebhookDelivery, WebhookEndpoint};
use aistudio_jobs::webhooks::event::{ConnectionData, PostFailedData, PostPublishedData, TestData};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A new endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreateIn {
    /// Where events are POSTed: an https URL on a public address.
    pub url: String,
    /// Event types to receive (at least one): `post.published`, `post.failed`,
    /// `connection.needs_reconnect`, `connection.disconnected`.
    pub events: Vec<String>,
}

/// Changes to an endpoint (absent fields stay as they are).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdateIn {
    /// A new URL.
    pub url: Option<String>,
    /// New event types (at least one).
    pub events: Option<Vec<String>>,
    /// `false` stops deliveries; `true` resumes them and clears the failure streak.
    pub enabled: Option<bool>,
}

/// An endpoint as its owner sees it (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookOut {
    /// Endpoint id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// Event types it receives.
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why deliveries were turned off automatically (410 Gone, or failing for days).
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (absent when the last one succeeded).
    pub failing_since: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<&WebhookEndpoint> for WebhookOut {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id.clone(),
            url: e.url.clone(),
            events: e.events.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            failing_since: e.failing_since,
            created_at: e.created_at,
        }
    }
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookCreatedOut {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookOut,
    /// The signing secret (`whsec_` and base64): store it now, it is never shown again.
    pub secret: String,
}

/// A new signing secret, shown this once; the old one stops signing at once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSecretOut {
    /// The signing secret (`whsec_` and base64).
    pub secret: String,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryAttemptOut {
    /// When it started.
    pub at: DateTime<Utc>,
    /// The HTTP status the endpoint answered.
    pub status_code: Option<u16>,
    /// Why no answer came (time-out, connection refused, a refused address).
    pub error: Option<String>,
    /// How long the endpoint took, in milliseconds.
    pub response_ms: u64,
}

impl From<&DeliveryAttempt> for DeliveryAttemptOut {
    fn from(a: &DeliveryAttempt) -> Self {
        Self {
            at: a.at,
            status_code: a.status_code,
            error: a.error.clone(),
            response_ms: a.response_ms,
        }
    }
}

/// One event's delivery to one endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    /// Delivery id.
    pub id: String,
    /// The event id: the `webhook-id` header of every attempt.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub failure: Option<String>,
    /// When the event was queued for this endpoint.
    pub created_at: DateTime<Utc>,
    /// The latest attempts, oldest first.
    pub attempts_log: Vec<DeliveryAttemptOut>,
}

impl From<&WebhookDelivery> for DeliveryOut {
    fn from(d: &WebhookDelivery) -> Self {
        use aistudio_jobs::store::DeliveryStatus;
        Self {
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            status: d.status.as_str(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            failure: d.failure.clone(),
            created_at: d.created_at,
            attempts_log: d.log.iter().map(DeliveryAttemptOut::from).collect(),
        }
    }
}

/// The body of every delivery (Standard Webhooks): `type`, `timestamp` and the type's `data`.
/// Headers: `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (Unix
/// seconds of the attempt), `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
/// `{webhook-id}.{webhook-timestamp}.{body}` keyed by the base64-decoded secret after `whsec_`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookPayload {
    /// `post.published`, `post.failed`, `connection.needs_reconnect`,
    /// `connection.disconnected` or `webhook.test`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the event happened (RFC 3339).
    pub timestamp: DateTime<Utc>,
    /// The type's data.
    pub data: WebhookData,
}

/// `data`, by event type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WebhookData {
    /// `post.published`.
    PostPublished(PostPublishedData),
    /// `post.failed`.
    PostFailed(PostFailedData),
    /// `connection.needs_reconnect` and `connection.disconnected`.
    Connection(ConnectionData),
    /// `webhook.test`.
    Test(TestData),
}

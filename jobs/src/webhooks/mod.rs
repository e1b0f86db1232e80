//! Outbound webhooks: customers' own systems are told when something happens to their posts
//! and connections, with signed requests that follow the Standard Webhooks specification.
//!
//! Whatever raises an event calls [`fan_out`] once (one line at each transition); it writes one
//! delivery per subscribed endpoint, keyed by endpoint and event, and queues its job. The
//! delivery documents are the record (an outbox): the job carries only the delivery id, and the
//! maintenance sweep queues again any due delivery Redis lost. See `tasks::deliver_webhook` for
//! attempts, retries and disabling.

pub mod event;
pub mod send;
pub mod signature;
pub mod target;

use aistudio_config::Secret;
use chrono::Utc;

use crate::crypto::vault::{Vault, VaultError};
use crate::queue::Queue;
use crate::store::{
    DeliveryStatus, SealedToken, Store, StoreError, WebhookDelivery, WebhookEndpoint,
};
use crate::tasks::DeliverWebhook;

pub use event::{Event, EventType};

/// Writes `event`'s delivery to each of the user's enabled endpoints subscribed to its type
/// (once per endpoint and event, however often it is raised) and queues them; how many were
/// new. A failed push is only logged: the maintenance sweep queues due deliveries again.
pub async fn fan_out(
    store: &Store,
    queue: &Queue,
    user_id: &str,
    event: &Event,
) -> Result<usize, StoreError> {
    let endpoints = store
        .webhook_endpoints()
        .subscribed(user_id, event.kind.as_str())
        .await?;
    fan_out_to(store, queue, &endpoints, event).await
}

/// Writes and queues `event`'s delivery to each of `endpoints` (read with
/// `webhook_endpoints().subscribed`); how many were new.
pub async fn fan_out_to(
    store: &Store,
    queue: &Queue,
    endpoints: &[WebhookEndpoint],
    event: &Event,
) -> Result<usize, StoreError> {
    let user_id = endpoints.first().map_or("", |e| e.user_id.as_str());
    let mut new = 0;
    for endpoint in endpoints {
        if let Some(delivery) = deliver_to(store, queue, endpoint, event).await? {
            tracing::info!(
                user_id,
                endpoint_id = %endpoint.id,
                event_id = %event.id,
                event_type = event.kind.as_str(),
                delivery_id = %delivery.id,
                "webhook event queued"
            );
            new += 1;
        }
    }
    Ok(new)
}

/// Writes and queues `event`'s delivery to one endpoint (whatever it subscribes to: test
/// events); the delivery, or `None` when the endpoint already had it.
pub async fn deliver_to(
    store: &Store,
    queue: &Queue,
    endpoint: &WebhookEndpoint,
    event: &Event,
) -> Result<Option<WebhookDelivery>, StoreError> {
    let now = Utc::now();
    let delivery = WebhookDelivery {
        id: WebhookDelivery::id_for(&endpoint.id, &event.id),
        endpoint_id: endpoint.id.clone(),
        user_id: endpoint.user_id.clone(),
        event_id: event.id.clone(),
        event_type: event.kind.as_str().to_string(),
        body: event.body(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        window_start: event.at,
        lease_until: None,
        created_at: now,
        failure: None,
        log: Vec::new(),
    };
    if !store.webhook_deliveries().insert_once(&delivery).await? {
        return Ok(None);
    }
    metrics::counter!("aistudio_webhook_deliveries_total", "event" => event.kind.as_str(), "outcome" => "queued")
        .increment(1);
    if let Err(e) = DeliverWebhook::enqueue(queue, &delivery.id, 0, None).await {
        tracing::warn!(delivery_id = %delivery.id, error = %e, "webhook delivery not queued; the maintenance sweep will");
    }
    Ok(Some(delivery))
}

/// A new endpoint id.
pub fn new_endpoint_id() -> String {
    format!("whep_{}", uuid::Uuid::new_v4().simple())
}

/// A new signing secret for endpoint `endpoint_id`: the secret (shown once) and its sealed form
/// (stored).
pub fn new_secret(vault: &Vault, endpoint_id: &str) -> Result<(Secret, SealedToken), VaultError> {
    let secret = signature::new_secret();
    let sealed = vault.seal(&secret, &secret_row(endpoint_id))?;
    Ok((secret, sealed))
}

/// Opens an endpoint's signing secret.
pub fn open_secret(vault: &Vault, endpoint: &WebhookEndpoint) -> Result<Secret, VaultError> {
    vault.open(&endpoint.secret, &secret_row(&endpoint.id))
}

/// The associated data of an endpoint's sealed secret: not an Instagram connection id, so a
/// secret cannot be opened as a token or the other way round.
fn secret_row(endpoint_id: &str) -> String {
    format!("webhook_endpoint:{endpoint_id}")
}

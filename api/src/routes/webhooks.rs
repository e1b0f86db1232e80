//! Webhook endpoints: register where events go, list and change them, rotate the signing
//! secret, send a test event, read the delivery log and redeliver.
//!
//! The secret is answered once, when it is made (creation and rotation), and is never logged.
//! Another user's endpoint or delivery is 404. Bad input is 422 naming the field, and nothing
//! is stored.

use std::time::Duration;

use aistudio_config::ExposeSecret;
use aistudio_jobs::domain::{FieldError, FieldErrors};
use aistudio_jobs::store::{EndpointChanges, WebhookEndpoint};
use aistudio_jobs::tasks::DeliverWebhook;
use aistudio_jobs::webhooks::event::TestData;
use aistudio_jobs::webhooks::target::{self, Refused};
use aistudio_jobs::webhooks::{self, Event, EventType};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use crate::error::{ApiError, ErrorOut};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::webhooks_io::{
    DeliveryOut, WebhookCreateIn, WebhookCreatedOut, WebhookOut, WebhookSecretOut, WebhookUpdateIn,
};
use crate::state::AppState;

/// Deliveries listed per endpoint (the newest).
const DELIVERIES_LISTED: i64 = 50;

/// How long registration waits for DNS to check the URL's addresses.
const REGISTRATION_DNS_WAIT: Duration = Duration::from_secs(2);

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", post(create_webhook).get(list_webhooks))
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook)
                .patch(update_webhook)
                .delete(delete_webhook),
        )
        .route(
            "/api/v1/webhooks/{id}/rotate-secret",
            post(rotate_webhook_secret),
        )
        .route("/api/v1/webhooks/{id}/test", post(test_webhook))
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(list_webhook_deliveries),
        )
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(redeliver_webhook),
        )
}

/// The URL, checked: its form, and (when DNS answers in time) its addresses. The check at each
/// delivery is the one that counts; this one tells the user early.
async fn checked_url(state: &AppState, raw: &str) -> Result<String, FieldError> {
    let allow = &state.settings.webhooks.allow_hosts;
    let refused = |e: Refused| FieldError::new("url", e.to_string());
    let target = target::parse(raw, allow).map_err(refused)?;
    target.require_https().map_err(refused)?;
    match target.resolve(REGISTRATION_DNS_WAIT).await {
        Err(e @ Refused::Address { .. }) => Err(FieldError::new("url", e.to_string())),
        // A name that does not resolve yet may later; deliveries check again.
        _ => Ok(target.url.to_string()),
    }
}

/// The event types, checked: at least one, each known, without repeats.
fn checked_events(raw: &[String]) -> Result<Vec<String>, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(
            "events",
            "must name at least one event type",
        ));
    }
    let mut events: Vec<String> = Vec::new();
    for name in raw {
        let Some(kind) = EventType::subscribable(name) else {
            let known: Vec<&str> = EventType::SUBSCRIBABLE.iter().map(|t| t.as_str()).collect();
            return Err(FieldError::new(
                "events",
                format!("unknown event type `{name}`; use {}", known.join(", ")),
            ));
        };
        if !events.iter().any(|e| e == kind.as_str()) {
            events.push(kind.as_str().to_string());
        }
    }
    Ok(events)
}

async fn owned(
    state: &AppState,
    id: &str,
    current: &CurrentUser,
) -> Result<WebhookEndpoint, ApiError> {
    state
        .store
        .webhook_endpoints()
        .by_id_for_user(id, &current.user.id)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))
}

/// Registers an endpoint; the answer carries its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookCreateIn,
    responses(
        (status = 201, description = "Registered; `secret` is shown only now", body = WebhookCreatedOut),
        (status = 409, description = "The account has the most endpoints allowed", body = ErrorOut),
        (status = 422, description = "A bad `url` (not https, or a private, loopback or link-local address) or `events`", body = ErrorOut),
    ))]
pub async fn create_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<WebhookCreateIn>,
) -> Result<(StatusCode, Json<WebhookCreatedOut>), ApiError> {
    let mut errors = FieldErrors::new();
    let url = errors.check(checked_url(&state, &input.url).await);
    let events = errors.check(checked_events(&input.events));
    let (Some(url), Some(events)) = (url, events) else {
        return Err(errors.into());
    };
    let user_id = &current.user.id;
    let endpoints = state.store.webhook_endpoints();
    let most = state.settings.webhooks.max_endpoints_per_user;
    if endpoints.count_for_user(user_id).await? >= u64::from(most) {
        return Err(ApiError::Conflict(format!(
            "an account can have at most {most} webhook endpoints; delete one first"
        )));
    }
    let id = webhooks::new_endpoint_id();
    let (secret, sealed) = webhooks::new_secret(&state.vault, &id).map_err(ApiError::internal)?;
    let endpoint = WebhookEndpoint {
        id,
        user_id: user_id.clone(),
        url,
        events,
        enabled: true,
        secret: sealed,
        created_at: Utc::now(),
        failing_since: None,
        disabled_reason: None,
    };
    endpoints.insert(&endpoint).await?;
    tracing::info!(user_id = %user_id, endpoint_id = %endpoint.id, "webhook endpoint registered");
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreatedOut {
            endpoint: WebhookOut::from(&endpoint),
            secret: secret.expose_secret().to_string(),
        }),
    ))
}

/// The signed-in user's endpoints, oldest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses(
        (status = 200, description = "Endpoints", body = [WebhookOut]),
        (status = 401, description = "Not signed in", body = ErrorOut),
    ))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<WebhookOut>>, ApiError> {
    let endpoints = state
        .store
        .webhook_endpoints()
        .list_for_user(&current.user.id)
        .await?;
    Ok(Json(endpoints.iter().map(WebhookOut::from).collect()))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookOut),
        (status = 404, description = "No such endpoint of yours", body = ErrorOut),
    ))]
pub async fn get_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<WebhookOut>, ApiError> {
    Ok(Json(WebhookOut::from(&owned(&state, &id, &current).await?)))
}

/// Changes an endpoint's URL, events, or whether it is enabled (enabling it again clears its
/// failure streak).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookUpdateIn,
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint after", body = WebhookOut),
        (status = 404, description = "No such endpoint of yours", body = ErrorOut),
        (status = 422, description = "A bad `url` or `events`", body = ErrorOut),
    ))]
pub async fn update_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WebhookUpdateIn>,
) -> Result<Json<WebhookOut>, ApiError> {
    owned(&state, &id, &current).await?;
    let mut errors = FieldErrors::new();
    let mut changes = EndpointChanges {
        enabled: input.enabled,
        ..Default::default()
    };
    if let Some(raw) = &input.url {
        changes.url = errors.check(checked_url(&state, raw).await);
    }
    if let Some(raw) = &input.events {
        changes.events = errors.check(checked_events(raw));
    }
    let changes = errors.or_value(changes)?;
    let endpoint = state
        .store
        .webhook_endpoints()
        .update(&id, &current.user.id, &changes)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    tracing::info!(user_id = %current.user.id, endpoint_id = %id, enabled = endpoint.enabled, "webhook endpoint changed");
    Ok(Json(WebhookOut::from(&endpoint)))
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint of yours", body = ErrorOut),
    ))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state
        .store
        .webhook_endpoints()
        .delete(&id, &current.user.id)
        .await?
    {
        return Err(ApiError::NotFound("webhook endpoint"));
    }
    state
        .store
        .webhook_deliveries()
        .delete_for_endpoint(&id)
        .await?;
    tracing::info!(user_id = %current.user.id, endpoint_id = %id, "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a new signing secret, shown this once; the old one stops signing at once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The new secret, shown only now", body = WebhookSecretOut),
        (status = 404, description = "No such endpoint of yours", body = ErrorOut),
    ))]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<WebhookSecretOut>, ApiError> {
    owned(&state, &id, &current).await?;
    let (secret, sealed) = webhooks::new_secret(&state.vault, &id).map_err(ApiError::internal)?;
    if !state
        .store
        .webhook_endpoints()
        .replace_secret(&id, &current.user.id, &sealed)
        .await?
    {
        return Err(ApiError::NotFound("webhook endpoint"));
    }
    tracing::info!(user_id = %current.user.id, endpoint_id = %id, "webhook secret rotated");
    Ok(Json(WebhookSecretOut {
        secret: secret.expose_secret().to_string(),
    }))
}

/// Sends a `webhook.test` event to this endpoint (whatever it subscribes to).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 202, description = "Queued; its attempts show in the delivery log", body = DeliveryOut),
        (status = 404, description = "No such endpoint of yours", body = ErrorOut),
        (status = 409, description = "The endpoint is disabled; enable it first", body = ErrorOut),
    ))]
pub async fn test_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryOut>), ApiError> {
    let endpoint = enabled(owned(&state, &id, &current).await?)?;
    let event = Event::new(
        &format!("webhook.test:{}", uuid::Uuid::new_v4().simple()),
        EventType::WebhookTest,
        Utc::now(),
        TestData {
            endpoint_id: endpoint.id.clone(),
            message: "This is a test event from AIStudio.".into(),
        },
    );
    let delivery = webhooks::deliver_to(&state.store, &state.queue, &endpoint, &event)
        .await?
        .ok_or_else(|| ApiError::Conflict("this test event was queued already".into()))?;
    tracing::info!(user_id = %current.user.id, endpoint_id = %id, delivery_id = %delivery.id, "webhook test event queued");
    Ok((StatusCode::ACCEPTED, Json(DeliveryOut::from(&delivery))))
}

fn enabled(endpoint: WebhookEndpoint) -> Result<WebhookEndpoint, ApiError> {
    if endpoint.enabled {
        Ok(endpoint)
    } else {
        Err(ApiError::Conflict(
            "the endpoint is disabled; enable it first".into(),
        ))
    }
}

/// The endpoint's latest deliveries (at most 50), newest first, each with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "Deliveries, newest first", body = [DeliveryOut]),
        (status = 404, description = "No such endpoint of yours", body = ErrorOut),
    ))]
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeliveryOut>>, ApiError> {
    owned(&state, &id, &current).await?;
    let deliveries = state
        .store
        .webhook_deliveries()
        .latest_for_endpoint(&id, DELIVERIES_LISTED)
        .await?;
    Ok(Json(deliveries.iter().map(DeliveryOut::from).collect()))
}

/// Delivers an event again, with the same `webhook-id` and body, retried for another window.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("delivery_id" = String, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "Queued again", body = DeliveryOut),
        (status = 404, description = "No such endpoint or delivery of yours", body = ErrorOut),
        (status = 409, description = "The endpoint is disabled; enable it first", body = ErrorOut),
    ))]
pub async fn redeliver_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryOut>), ApiError> {
    enabled(owned(&state, &id, &current).await?)?;
    let deliveries = state.store.webhook_deliveries();
    deliveries
        .by_id_for_endpoint(&delivery_id, &id, &current.user.id)
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    let delivery = deliveries
        .redeliver(&delivery_id, Utc::now())
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    DeliverWebhook::enqueue_redelivery(&state.queue, &delivery_id)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %current.user.id, endpoint_id = %id, delivery_id = %delivery_id, "webhook redelivery queued");
    Ok((StatusCode::ACCEPTED, Json(DeliveryOut::from(&delivery))))
}

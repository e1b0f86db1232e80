//! Notification preferences: for each kind, whether it shows in the dashboard and whether it is
//! emailed. The deletion receipt is essential: always emailed, never changeable.

use aistudio_jobs::domain::{Channel, NotificationKind};
use aistudio_jobs::store::{NotificationPreferences, PreferenceChoice};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ErrorOut};
use crate::extract::json::parse;
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/notifications/preferences",
        get(get_notification_preferences).put(update_notification_preferences),
    )
}

/// One kind's settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreferenceOut {
    /// The kind: `post_failed`, `post_needs_reconnect`, `token_expiring`, `post_published`,
    /// `account_deleted`.
    #[schema(value_type = String)]
    pub kind: NotificationKind,
    /// What it is, for people.
    pub label: String,
    /// Essential kinds cannot be changed (the deletion receipt: always emailed, not shown in
    /// the dashboard, no unsubscribe link).
    pub essential: bool,
    /// Shown in the dashboard's notification center.
    pub in_app: bool,
    /// Emailed to the address on file.
    pub email: bool,
}

/// Every kind's settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreferencesOut {
    /// One entry per kind.
    pub kinds: Vec<PreferenceOut>,
}

impl From<&NotificationPreferences> for PreferencesOut {
    fn from(p: &NotificationPreferences) -> Self {
        Self {
            kinds: NotificationKind::ALL
                .into_iter()
                .map(|kind| PreferenceOut {
                    kind,
                    label: kind.label().into(),
                    essential: kind.is_essential(),
                    in_app: p.wants(kind, Channel::InApp),
                    email: p.wants(kind, Channel::Email),
                })
                .collect(),
        }
    }
}

/// The channels of one kind to change; a channel left out stays as it is.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsIn {
    /// Show in the dashboard.
    pub in_app: Option<bool>,
    /// Send by email.
    pub email: Option<bool>,
}

/// The kinds to change; a kind left out stays as it is. An unknown kind or channel (or the
/// essential `account_deleted`) is refused with 422 and changes nothing.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesIn {
    /// A post could not be published.
    pub post_failed: Option<ChannelsIn>,
    /// A post waits until Instagram is reconnected.
    pub post_needs_reconnect: Option<ChannelsIn>,
    /// Instagram access could not be renewed and ends within 7 days.
    pub token_expiring: Option<ChannelsIn>,
    /// A post was published.
    pub post_published: Option<ChannelsIn>,
}

impl PreferencesIn {
    fn choices(&self) -> Vec<PreferenceChoice> {
        let kinds = [
            (NotificationKind::PostFailed, &self.post_failed),
            (
                NotificationKind::PostNeedsReconnect,
                &self.post_needs_reconnect,
            ),
            (NotificationKind::TokenExpiring, &self.token_expiring),
            (NotificationKind::PostPublished, &self.post_published),
        ];
        let mut choices = Vec::new();
        for (kind, channels) in kinds {
            let Some(channels) = channels else { continue };
            for (channel, on) in [
                (Channel::InApp, channels.in_app),
                (Channel::Email, channels.email),
            ] {
                if let Some(on) = on {
                    choices.push(PreferenceChoice { kind, channel, on });
                }
            }
        }
        choices
    }
}

/// Reads the body as [`PreferencesIn`], refusing arrays where objects belong (serde would
/// read `[null, null]` as a struct).
fn preferences_in(raw: &Value) -> Result<PreferencesIn, ApiError> {
    let not_object = |field: &str| ApiError::Validation {
        field: field.to_string(),
        message: "must be an object".into(),
    };
    let kinds = raw.as_object().ok_or_else(|| not_object("."))?;
    if let Some((kind, _)) = kinds.iter().find(|(_, v)| !(v.is_object() || v.is_null())) {
        return Err(not_object(kind));
    }
    let bytes = serde_json::to_vec(raw).map_err(ApiError::internal)?;
    parse(&bytes)
}

/// The caller's notification preferences (defaults: failures, reconnects and token expiry on
/// both channels; published off).
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications",
    responses((status = 200, description = "Every kind's settings", body = PreferencesOut)))]
pub async fn get_notification_preferences(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<PreferencesOut>, ApiError> {
    let prefs = state
        .store
        .notification_preferences()
        .for_user(&current.user.id)
        .await?;
    Ok(Json(PreferencesOut::from(&prefs)))
}

/// Changes some of the caller's notification preferences.
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "notifications",
    request_body = PreferencesIn,
    responses(
        (status = 200, description = "Every kind's settings after the change", body = PreferencesOut),
        (status = 422, description = "Unknown or essential kind, unknown channel, or a value that is not a boolean (`field` names it)", body = ErrorOut),
    ))]
pub async fn update_notification_preferences(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(raw): ApiJson<Value>,
) -> Result<Json<PreferencesOut>, ApiError> {
    let body = preferences_in(&raw)?;
    let prefs = state
        .store
        .notification_preferences()
        .choose(&current.user.id, &body.choices())
        .await?;
    Ok(Json(PreferencesOut::from(&prefs)))
}

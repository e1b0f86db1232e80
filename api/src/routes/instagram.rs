//! Connecting an Instagram professional account (Instagram Business Login), listing the
//! connections, and disconnecting.
//!
//! The callback sends the browser back to the dashboard with an outcome, never a 500 page:
//! `/app/?instagram=connected|reconnected` or `/app/?instagram_error=<code>` with
//! `access_denied`, `invalid_state` (forged, replayed or expired state, or a different signed-in
//! user than the one who started), `exchange_failed`, `connected_elsewhere`.

use aistudio_jobs::instagram_connect::{self, ConnectError};
use aistudio_jobs::store::{Connection, ConnectionStatus, NewOAuthState, OAuthPurpose};
use aistudio_jobs::webhooks::{self, Event, EventType};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instagram/connect", get(start_instagram_connection))
        .route(
            "/api/v1/instagram/callback",
            get(finish_instagram_connection),
        )
        .route("/api/v1/instagram/connections", get(list_connections))
        .route(
            "/api/v1/instagram/connections/{id}",
            delete(delete_connection),
        )
}

/// How long a started connection may take.
const STATE_TTL_MINUTES: i64 = 15;

/// A connected Instagram account as its owner sees it (never the token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionOut {
    /// Connection id (posts name it).
    pub id: String,
    /// Instagram professional account id.
    pub ig_user_id: String,
    /// The Instagram username posts will publish to.
    pub username: String,
    /// `active`, `needs_reconnect` (reconnect to resume parked posts) or `disconnected`.
    pub status: &'static str,
    /// When the stored token expires (refreshed automatically before then).
    pub token_expires_at: Option<DateTime<Utc>>,
    /// When the token was issued or last refreshed.
    pub token_refreshed_at: Option<DateTime<Utc>>,
    /// When the account was first connected.
    pub connected_at: DateTime<Utc>,
}

impl From<&Connection> for ConnectionOut {
    fn from(c: &Connection) -> Self {
        Self {
            id: c.id.clone(),
            ig_user_id: c.ig_user_id.clone(),
            username: c.username.clone(),
            status: c.status.as_str(),
            token_expires_at: c.token_expires_at,
            token_refreshed_at: c.token_refreshed_at,
            connected_at: c.created_at,
        }
    }
}

fn dashboard(state: &AppState, outcome: &str) -> Response {
    let location = format!(
        "{}/app/?{outcome}",
        state.settings.server.public_base_url.trim_end_matches('/')
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Starts connecting an Instagram account: a single-use state bound to the signed-in user, and
/// a redirect to Instagram's consent screen asking for exactly `instagram_business_basic` and
/// `instagram_business_content_publish`.
#[utoipa::path(get, path = "/api/v1/instagram/connect", tag = "instagram",
    responses(
        (status = 303, description = "Redirect to Instagram's consent screen"),
        (status = 401, description = "Not signed in", body = ErrorOut),
    ))]
pub async fn start_instagram_connection(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, ApiError> {
    let value = state
        .store
        .oauth_states()
        .create(
            OAuthPurpose::InstagramConnect,
            NewOAuthState {
                user_id: Some(current.user.id.clone()),
                ..Default::default()
            },
            chrono::Duration::minutes(STATE_TTL_MINUTES),
        )
        .await?;
    let url = state.instagram.authorize_url(&value);
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response())
}

/// Instagram's redirect back.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InstagramCallbackIn {
    /// Authorization code (Instagram may append `#_`).
    pub code: Option<String>,
    /// The state sent at the start.
    pub state: Option<String>,
    /// `access_denied` when the user cancelled.
    pub error: Option<String>,
}

/// Finishes connecting: checks the state (and that the same user is signed in), exchanges the
/// code for a long-lived token, reads the account, stores the connection with the token sealed.
#[utoipa::path(get, path = "/api/v1/instagram/callback", tag = "instagram",
    params(InstagramCallbackIn),
    responses((status = 303, description = "Back to the dashboard with `instagram=connected|reconnected` or `instagram_error=<code>`")))]
pub async fn finish_instagram_connection(
    State(state): State<AppState>,
    current: Option<CurrentUser>,
    Query(input): Query<InstagramCallbackIn>,
) -> Result<Response, ApiError> {
    let fail = |code: &str| Ok(dashboard(&state, &format!("instagram_error={code}")));
    let pending = match input.state.as_deref() {
        Some(value) => {
            state
                .store
                .oauth_states()
                .take(OAuthPurpose::InstagramConnect, value)
                .await?
        }
        None => None,
    };
    let (Some(pending), Some(current)) = (pending, current) else {
        return fail("invalid_state");
    };
    if pending.user_id.as_deref() != Some(current.user.id.as_str()) {
        return fail("invalid_state");
    }
    if input.error.is_some() {
        return fail("access_denied");
    }
    let Some(code) = input.code.as_deref() else {
        return fail("invalid_state");
    };
    match instagram_connect::complete(
        &state.instagram,
        &state.vault,
        &state.store,
        &current.user.id,
        code,
    )
    .await
    {
        Ok(done) => Ok(dashboard(
            &state,
            if done.reconnected {
                "instagram=reconnected"
            } else {
                "instagram=connected"
            },
        )),
        Err(ConnectError::ConnectedElsewhere) => fail("connected_elsewhere"),
        Err(ConnectError::Instagram(e)) => {
            tracing::warn!(error = %e, "instagram connection refused");
            fail("exchange_failed")
        }
        Err(ConnectError::Vault(e)) => Err(ApiError::internal(e)),
        Err(ConnectError::Store(e)) => Err(e.into()),
    }
}

/// The signed-in user's Instagram connections.
#[utoipa::path(get, path = "/api/v1/instagram/connections", tag = "instagram",
    responses(
        (status = 200, description = "Connections, oldest first", body = [ConnectionOut]),
        (status = 401, description = "Not signed in", body = ErrorOut),
    ))]
pub async fn list_connections(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<ConnectionOut>>, ApiError> {
    let connections = state
        .store
        .connections()
        .list_for_user(&current.user.id)
        .await?;
    Ok(Json(connections.iter().map(ConnectionOut::from).collect()))
}

/// Disconnects: the stored token is deleted immediately.
#[utoipa::path(delete, path = "/api/v1/instagram/connections/{id}", tag = "instagram",
    params(("id" = String, Path, description = "Connection id")),
    responses(
        (status = 200, description = "Disconnected; the token is deleted", body = ConnectionOut),
        (status = 404, description = "No such connection of yours", body = ErrorOut),
    ))]
pub async fn delete_connection(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ConnectionOut>, ApiError> {
    let connections = state.store.connections();
    let before = connections
        .by_id_for_user(&id, &current.user.id)
        .await?
        .ok_or(ApiError::NotFound("connection"))?;
    let connection = connections
        .disconnect(&id)
        .await?
        .ok_or(ApiError::NotFound("connection"))?;
    raise_disconnected(&state, &before).await?;
    tracing::info!(user_id = %current.user.id, connection_id = %id, "instagram disconnected");
    Ok(Json(ConnectionOut::from(&connection)))
}

/// Raises `connection.disconnected` for a connection that was not disconnected before.
pub(crate) async fn raise_disconnected(
    state: &AppState,
    before: &Connection,
) -> Result<(), ApiError> {
    if before.status != ConnectionStatus::Disconnected {
        let event = Event::connection_changed(EventType::ConnectionDisconnected, before);
        webhooks::fan_out(&state.store, &state.queue, &before.user_id, &event).await?;
    }
    Ok(())
}

//! One-click unsubscribe from a notification email (RFC 8058), without signing in. The email's
//! `List-Unsubscribe` header and its footer link point here with a signed token naming the user
//! and the kind: `GET` shows a page with a button (it changes nothing, so link scanners cannot
//! unsubscribe anyone), `POST` (what mail clients send, `List-Unsubscribe=One-Click`, and the
//! page's button) turns email of that kind off. A bad or forged token gets 400 and changes
//! nothing.

use aistudio_jobs::domain::{Channel, NotificationKind};
use aistudio_jobs::html_text::escape;
use aistudio_jobs::notify::unsubscribe::{self, Unsubscribe};
use aistudio_jobs::store::PreferenceChoice;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorOut};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/unsubscribe",
        get(get_unsubscribe).post(create_unsubscribe),
    )
}

/// The token of an unsubscribe link.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeIn {
    /// The signed token from the email.
    pub token: String,
}

/// What the unsubscribe turned off.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnsubscribedOut {
    /// The kind whose emails stop.
    #[schema(value_type = String)]
    pub kind: NotificationKind,
    /// Always `false`: email of this kind is off.
    pub email: bool,
}

fn verified(state: &AppState, token: &str) -> Result<Unsubscribe, ApiError> {
    unsubscribe::verify(&state.settings.notifications, token).ok_or_else(|| {
        ApiError::BadRequest("this unsubscribe link is not valid; change your notification settings in the dashboard instead".into())
    })
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} - AIStudio</title>\
         <link rel=\"stylesheet\" href=\"/app/assets/app.css\"></head>\
         <body><header class=\"top\"><a class=\"brand\" href=\"/app/\">AIStudio</a></header>\
         <main id=\"main\" class=\"policy\"><h1>{title}</h1>{body}</main></body></html>"
    )
}

/// The unsubscribe page of a link: what it stops, and a button that does it.
#[utoipa::path(get, path = "/unsubscribe", tag = "notifications",
    params(UnsubscribeIn),
    responses(
        (status = 200, description = "HTML page with the unsubscribe button (changes nothing)", content_type = "text/html"),
        (status = 400, description = "The token is not valid", body = ErrorOut),
    ))]
pub async fn get_unsubscribe(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<UnsubscribeIn>,
) -> Result<Response, ApiError> {
    let target = verified(&state, &query.token)?;
    let body = format!(
        "<p>Stop emails about: <strong>{label}</strong>?</p>\
         <p>Other emails and the notifications in the dashboard stay as they are.</p>\
         <form method=\"post\" action=\"/unsubscribe?token={token}\">\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">Unsubscribe</button></form>",
        label = escape(target.kind.label()),
        token = escape(&query.token),
    );
    Ok(Html(page("Unsubscribe", &body)).into_response())
}

/// One-click unsubscribe (RFC 8058): turns email of the token's kind off for its user. Answers
/// JSON, or a page for a browser's form (`Accept: text/html`).
#[utoipa::path(post, path = "/unsubscribe", tag = "notifications",
    params(UnsubscribeIn),
    responses(
        (status = 200, description = "Email of that kind is off", body = UnsubscribedOut),
        (status = 400, description = "The token is not valid (nothing changed)", body = ErrorOut),
    ))]
pub async fn create_unsubscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<UnsubscribeIn>,
) -> Result<Response, ApiError> {
    let target = verified(&state, &query.token)?;
    if state.store.users().by_id(&target.user_id).await?.is_some() {
        state
            .store
            .notification_preferences()
            .choose(
                &target.user_id,
                &[PreferenceChoice {
                    kind: target.kind,
                    channel: Channel::Email,
                    on: false,
                }],
            )
            .await?;
        tracing::info!(user_id = %target.user_id, kind = target.kind.as_str(), "unsubscribed");
    }
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        let body = format!(
            "<p>You will no longer get emails about: <strong>{}</strong>.</p>\
             <p>You can turn them on again in the dashboard's settings.</p>",
            escape(target.kind.label())
        );
        return Ok(Html(page("Unsubscribed", &body)).into_response());
    }
    Ok(Json(UnsubscribedOut {
        kind: target.kind,
        email: false,
    })
    .into_response())
}

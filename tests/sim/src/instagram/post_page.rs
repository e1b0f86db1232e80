//! `GET {instagram}/p/{shortcode}/`: the page a permalink opens.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::html::{self, escape};
use crate::shared::Shared;
use crate::time_fmt::graph_timestamp;

/// Shows a published post: account, caption, media link.
pub(crate) async fn get_post_page(
    State(shared): State<Arc<Shared>>,
    Path(shortcode): Path<String>,
) -> Response {
    let shortcode = shortcode.trim_end_matches('/');
    let state = shared.lock();
    let Some(media) = state.ig.media.values().find(|m| m.shortcode == shortcode) else {
        return html::error_page(
            StatusCode::NOT_FOUND,
            "Sorry, this page isn't available.",
            "",
        );
    };
    let username = state
        .ig
        .account(&media.user_id)
        .map(|a| a.username.clone())
        .unwrap_or_default();
    let media_link = media
        .media_url
        .as_deref()
        .map(|u| format!("<p><a href=\"{0}\">{0}</a></p>", escape(u)))
        .unwrap_or_default();
    let body = format!(
        "<h1>@{}</h1><p>{}</p>{media_link}<p class=\"note\">Published {} &middot; media {}</p>",
        escape(&username),
        escape(media.caption.as_deref().unwrap_or("")),
        graph_timestamp(media.published_ms),
        escape(&media.id),
    );
    Html(html::page("Instagram post", &body)).into_response()
}

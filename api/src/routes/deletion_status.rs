//! The public, human-readable status page of a deletion request (linked from Meta's
//! data-deletion flow): pending or completed, and when. It shows no personal data.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/deletion-status/{code}", get(get_deletion_status))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} - AIStudio</title>\
         <link rel=\"stylesheet\" href=\"/app/assets/app.css\"></head>\
         <body><header class=\"top\"><a class=\"brand\" href=\"/app/\">AIStudio</a></header>\
         <main id=\"main\" class=\"policy\"><h1>{title}</h1>{body}</main>\
         <footer><a href=\"/privacy\">Privacy policy</a> · <a href=\"/data-deletion\">Data deletion</a></footer>\
         </body></html>"
    )
}

/// The status page of a deletion request.
#[utoipa::path(get, path = "/deletion-status/{code}", tag = "meta",
    params(("code" = String, Path, description = "Confirmation code")),
    responses(
        (status = 200, description = "HTML status page", content_type = "text/html"),
        (status = 404, description = "No such request", content_type = "text/html"),
    ))]
pub async fn get_deletion_status(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let valid = code.len() == 32 && code.chars().all(|c| c.is_ascii_hexdigit());
    let request = if valid {
        state.store.deletion_requests().find(&code).await?
    } else {
        None
    };
    let Some(request) = request else {
        let body = "<p>No deletion request has this confirmation code.</p>";
        return Ok((
            StatusCode::NOT_FOUND,
            Html(page("Deletion request not found", body)),
        )
            .into_response());
    };
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let status = match request.completed_at {
        Some(done) => format!(
            "<p class=\"status\">Completed</p><p>All data was deleted on {}.</p>",
            when(done)
        ),
        None => "<p class=\"status\">Pending</p><p>Deletion is in progress; this page updates when it completes.</p>".to_string(),
    };
    let body = format!(
        "<p>Confirmation code: <code>{}</code></p>{status}<p>Requested on {}.</p>",
        request.id,
        when(request.requested_at)
    );
    Ok(Html(page("Data deletion request", &body)).into_response())
}

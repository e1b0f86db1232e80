//! The inbox in a browser: a list, and one page per message with its headers, its text and
//! its HTML in a sandboxed frame. Everything from the message is escaped.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::MailMessage;
use super::api::message_id;
use crate::html::{self, escape};
use crate::shared::Shared;

/// No scripts, no remote loads; the message's own inline styles and `data:` images only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

fn with_csp(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// `GET /mail`: every message, newest first.
pub(super) async fn get_inbox(State(shared): State<Arc<Shared>>) -> Response {
    let messages = shared.lock().mail.list(None);
    let base = &shared.urls.mail;
    let rows: String = messages
        .iter()
        .map(|m| {
            format!(
                "<tr><td>{}</td><td><a href=\"{}/{}\">{}</a></td><td>{}</td></tr>",
                escape(&m.envelope_to.join(", ")),
                escape(base),
                m.id,
                escape(subject(m)),
                escape(&m.received_at),
            )
        })
        .collect();
    let body = if messages.is_empty() {
        "<h1>Inbox</h1><p>No messages.</p>".to_owned()
    } else {
        format!(
            "<h1>Inbox</h1><table><tr><th>To</th><th>Subject</th><th>Received</th></tr>{rows}</table>"
        )
    };
    with_csp(Html(html::wide_page("Inbox", &body)).into_response())
}

/// `GET /mail/{id}`: one message.
pub(super) async fn get_message(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = message_id(&id) else {
        return html::error_page(StatusCode::BAD_REQUEST, "Bad message id", "");
    };
    let message = shared.lock().mail.get(id).map(|s| s.message.clone());
    let Some(m) = message else {
        return html::error_page(StatusCode::NOT_FOUND, "No such message", "");
    };
    let base = &shared.urls.mail;
    let row = |name: &str, value: &str| {
        format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(value)
        )
    };
    let envelope = [
        row("Envelope from", &m.envelope_from),
        row("Envelope to", &m.envelope_to.join(", ")),
        row("Received", &m.received_at),
        row("Authenticated as", m.auth_user.as_deref().unwrap_or("-")),
        row("Size", &format!("{} bytes", m.size)),
    ]
    .concat();
    let headers: String = m.headers.iter().map(|h| row(&h.name, &h.value)).collect();
    let text = m.text.as_deref().map_or_else(
        || "<p>No text/plain part.</p>".to_owned(),
        |t| format!("<pre>{}</pre>", escape(t)),
    );
    let html_body = m.html.as_deref().map_or_else(
        || "<p>No text/html part.</p>".to_owned(),
        |h| {
            format!(
                "<iframe sandbox=\"\" srcdoc=\"{}\" title=\"HTML body\"></iframe>",
                escape(h)
            )
        },
    );
    let body = format!(
        "<p><a href=\"{base}\">Inbox</a> &middot; <a href=\"{base}/api/messages/{id}/raw\">Raw</a> \
         &middot; <a href=\"{base}/api/messages/{id}\">JSON</a></p>\
         <h1>{subject}</h1><table class=\"kv\">{envelope}</table>\
         <h2>Headers</h2><table class=\"kv\">{headers}</table>\
         <h2>Text</h2>{text}<h2>HTML</h2>{html_body}",
        base = escape(base),
        subject = escape(subject(&m)),
    );
    with_csp(Html(html::wide_page(subject(&m), &body)).into_response())
}

fn subject(m: &MailMessage) -> &str {
    m.subject
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("(no subject)")
}

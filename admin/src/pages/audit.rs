//! The audit log page: every operator action and refused attempt, newest first.

use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::Operator;
use crate::error::AdminError;
use crate::html::{self, badge, esc};
use crate::state::AdminState;

const PAGE: i64 = 50;

/// Query of the audit page.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
    target: Option<String>,
}

/// The rows of audit entries.
pub fn audit_rows(entries: &[aistudio_jobs::store::AuditEntry]) -> String {
    entries
        .iter()
        .map(|e| {
            let target = match e.target.strip_prefix("post:") {
                Some(id) => format!("<a href=\"/admin/posts/{0}\">{1}</a>", esc(id), esc(&e.target)),
                None => esc(&e.target),
            };
            let reason = e.reason.as_deref().map_or(String::new(), |r| {
                format!("<code class=\"reason\">{}</code> ", esc(r))
            });
            let repeats = if e.repeats > 1 {
                format!(" <span class=\"muted\">({} times that minute)</span>", e.repeats)
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{target}</td><td>{}</td><td>{reason}{}{repeats}</td></tr>",
                html::time(e.at),
                esc(&e.actor_email),
                esc(e.address.as_deref().unwrap_or("")),
                esc(&e.action),
                badge(e.outcome.as_str()),
                esc(&e.detail)
            )
        })
        .collect()
}

/// The table head of [`audit_rows`].
pub const AUDIT_HEAD: &str = "<thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">From</th><th scope=\"col\">What</th>\
    <th scope=\"col\">Target</th><th scope=\"col\">Outcome</th><th scope=\"col\">Details</th></tr></thead>";

/// The audit log.
pub async fn list_audit(
    operator: Operator,
    State(state): State<AdminState>,
    Query(query): Query<AuditQuery>,
) -> Result<Html<String>, AdminError> {
    let before = match query.before.as_deref() {
        Some(raw) => Some(
            DateTime::parse_from_rfc3339(raw)
                .map_err(|_| AdminError::BadRequest("before: not a time".into()))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let target = query.target.as_deref().filter(|t| !t.is_empty());
    let entries = state.store.audit_log().recent(target, before, PAGE).await?;
    let next = match entries.last() {
        Some(last) if entries.len() as i64 == PAGE => format!(
            "<nav class=\"pager\"><a rel=\"next\" href=\"/admin/audit?before={}{}\">Older →</a></nav>",
            html::url(&last.at.to_rfc3339()),
            target.map_or(String::new(), |t| format!("&amp;target={}", html::url(t)))
        ),
        _ => String::new(),
    };
    let table = if entries.is_empty() {
        "<p class=\"muted\">No entries.</p>".to_string()
    } else {
        format!(
            "<table id=\"audit\">{AUDIT_HEAD}<tbody>{}</tbody></table>",
            audit_rows(&entries)
        )
    };
    let body = format!(
        "<h1>Audit log</h1><p>Every sign-in, sign-out and action in this console, refused attempts \
         included, with who did it (when known), from which address, when, on what, how it ended \
         and why it was refused. Refusals of one reason from one address within a minute are \
         one entry.</p>{table}{next}"
    );
    Ok(html::page(&operator, "/admin/audit", "Audit log", &body))
}

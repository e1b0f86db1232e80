//! Worker processes: host, pid, version, start, last heartbeat, jobs in flight; dead ones
//! (three missed heartbeats without a clean shutdown) are marked.

use aistudio_jobs::queue::presence::{MISSED_BEFORE_DEAD, list_presence};
use axum::extract::State;
use axum::response::Html;
use chrono::Utc;

use crate::auth::Operator;
use crate::error::AdminError;
use crate::html::{self, badge, esc};
use crate::state::AdminState;

/// The workers page.
pub async fn list_workers(
    operator: Operator,
    State(state): State<AdminState>,
) -> Result<Html<String>, AdminError> {
    let now = Utc::now();
    let workers = list_presence(&state.queue).await?;
    let alive = workers
        .iter()
        .filter(|w| !w.is_dead(now) && w.stopped_at.is_none())
        .count();
    let dead = workers.iter().filter(|w| w.is_dead(now)).count();
    let rows: String = workers
        .iter()
        .map(|w| {
            let (class, mark) = if w.is_dead(now) {
                (" class=\"dead\"", badge("dead"))
            } else if w.stopped_at.is_some() {
                ("", badge("stopped"))
            } else {
                ("", badge("alive"))
            };
            format!(
                "<tr{class}><td>{mark}</td><td class=\"mono\">{name}</td><td>{host}</td><td class=\"num\">{pid}</td>\
                 <td>{version}</td><td>{started}</td><td>{beat} <span class=\"muted\">({ago} ago)</span></td>\
                 <td class=\"num\">{in_flight}</td></tr>",
                name = esc(&w.worker),
                host = esc(&w.host),
                pid = w.pid,
                version = esc(&w.version),
                started = html::time(w.started_at),
                beat = html::time(w.last_heartbeat),
                ago = html::duration((now - w.last_heartbeat).num_milliseconds()),
                in_flight = w.in_flight,
            )
        })
        .collect();
    let table = if workers.is_empty() {
        "<p class=\"muted\">No worker has reported in the last hour.</p>".to_string()
    } else {
        format!(
            "<table id=\"workers\"><thead><tr><th scope=\"col\">State</th><th scope=\"col\">Worker</th>\
             <th scope=\"col\">Host</th><th scope=\"col\" class=\"num\">PID</th><th scope=\"col\">Version</th>\
             <th scope=\"col\">Started</th><th scope=\"col\">Last heartbeat</th>\
             <th scope=\"col\" class=\"num\">Jobs in flight</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let body = format!(
        "<h1>Workers</h1><p>{alive} alive, {dead} dead. A worker is dead after {MISSED_BEFORE_DEAD} missed \
         heartbeats without a clean shutdown; its jobs return to the queue after the orphan timeout. \
         Records disappear an hour after the last heartbeat.</p>{table}"
    );
    Ok(html::page(&operator, "/admin/workers", "Workers", &body))
}

//! Queues: counts per state, due jobs and live consumers, dead jobs (with requeue), and a job
//! lookup by id.

use aistudio_jobs::admin_actions::Outcome;
use aistudio_jobs::queue::consumers::queue_liveness;
use aistudio_jobs::queue::inspect::{JobInfo, JobState, dead_jobs, job, queue_counts};
use aistudio_jobs::store::AuditOutcome;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::audit;
use crate::auth::{AdminForm, AdminOnly, Operator};
use crate::error::AdminError;
use crate::html::{self, csrf_field, esc};
use crate::state::AdminState;

/// Dead jobs listed per queue.
const DEAD_SHOWN: usize = 20;

fn known_queue(state: &AdminState, name: &str) -> Result<&'static str, AdminError> {
    state
        .queues()
        .into_iter()
        .find(|q| *q == name)
        .ok_or(AdminError::NotFound)
}

fn post_link(info: &JobInfo) -> String {
    info.data
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| {
            v.get("post_id")
                .and_then(|p| p.as_str())
                .map(str::to_string)
        })
        .map_or(String::new(), |id| {
            format!(" <a href=\"/admin/posts/{0}\">post {0}</a>", esc(&id))
        })
}

fn state_text(state: &JobState) -> String {
    match state {
        JobState::Scheduled(at) => format!(
            "scheduled for {}",
            chrono::DateTime::from_timestamp(*at, 0).map_or_else(|| at.to_string(), html::time)
        ),
        JobState::Queued => "queued".into(),
        JobState::Running(worker) => format!("running on {}", esc(worker)),
        JobState::Done => "done".into(),
        JobState::Dead => "dead".into(),
        JobState::Unknown => "unknown (vacuumed?)".into(),
    }
}

fn meta_text(info: &JobInfo) -> String {
    ["status", "attempts", "result"]
        .iter()
        .filter_map(|k| info.meta.get(*k).map(|v| format!("{k}: {v}")))
        .map(|t| esc(&t))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The queues page.
pub async fn list_queues(
    operator: Operator,
    State(state): State<AdminState>,
) -> Result<Html<String>, AdminError> {
    let mut sections = String::new();
    let names = state.queues();
    let liveness = queue_liveness(&state.queue, &names, Utc::now()).await?;
    for (name, consumers) in names.into_iter().zip(liveness) {
        let counts = queue_counts(&state.queue, name).await?;
        let dead = dead_jobs(&state.queue, name, DEAD_SHOWN).await?;
        let rows: String = dead
            .iter()
            .map(|j| {
                let action = if operator.can_act() {
                    format!(
                        "<a class=\"button secondary\" href=\"/admin/queues/{q}/dead/{id}/requeue\">Requeue…</a>",
                        q = esc(name),
                        id = html::url(&j.id)
                    )
                } else {
                    String::new()
                };
                format!(
                    "<tr><td class=\"mono\"><a href=\"/admin/queues/job?queue={q}&amp;id={idu}\">{id}</a></td>\
                     <td class=\"mono\">{data}{post}</td><td>{meta}</td><td>{action}</td></tr>",
                    q = esc(name),
                    idu = html::url(&j.id),
                    id = esc(&j.id),
                    data = esc(j.data.as_deref().unwrap_or("(payload vacuumed)")),
                    post = post_link(j),
                    meta = meta_text(j),
                )
            })
            .collect();
        let dead_html = if dead.is_empty() {
            "<p class=\"muted\">No dead jobs.</p>".to_string()
        } else {
            format!(
                "<table><caption class=\"muted\">Dead jobs (up to {DEAD_SHOWN})</caption><thead><tr>\
                 <th scope=\"col\">Job</th><th scope=\"col\">Payload</th><th scope=\"col\">Last attempt</th>\
                 <th scope=\"col\">Action</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        };
        sections.push_str(&format!(
            "<section id=\"q-{q}\"><h2>{q}</h2><p>scheduled {s} · retrying {r} · queued {qd} · running {run} · \
             done {d} · failed {f} · dead {dd} · due {due} · \
             <a href=\"/admin/workers#consumers-{q}\">live consumers {live}</a> of {registered} registered</p>{dead_html}</section>",
            q = esc(name),
            s = counts.scheduled,
            r = counts.retrying,
            qd = counts.queued,
            run = counts.running,
            d = counts.done,
            f = counts.failed,
            dd = counts.dead,
            due = consumers.due,
            live = consumers.live,
            registered = consumers.registered,
        ));
    }
    let options: String = state
        .queues()
        .iter()
        .map(|q| format!("<option value=\"{q}\">{q}</option>"))
        .collect();
    let body = format!(
        "<h1>Queues</h1><form class=\"filters\" method=\"get\" action=\"/admin/queues/job\">\
         <div><label for=\"job-queue\">Queue</label><select id=\"job-queue\" name=\"queue\">{options}</select></div>\
         <div><label for=\"job-id\">Job id</label><input id=\"job-id\" name=\"id\" required></div>\
         <div><button type=\"submit\">Find job</button></div></form>{sections}"
    );
    Ok(html::page(&operator, "/admin/queues", "Queues", &body))
}

/// Query of the job lookup.
#[derive(Debug, Deserialize)]
pub struct JobQuery {
    queue: String,
    id: String,
}

/// One job.
pub async fn show_job(
    operator: Operator,
    State(state): State<AdminState>,
    Query(query): Query<JobQuery>,
) -> Result<Html<String>, AdminError> {
    let name = known_queue(&state, &query.queue)?;
    let info = job(&state.queue, name, query.id.trim())
        .await?
        .ok_or(AdminError::NotFound)?;
    let requeue = if info.state == JobState::Dead && operator.can_act() {
        format!(
            "<p><a class=\"button\" href=\"/admin/queues/{}/dead/{}/requeue\">Requeue…</a></p>",
            esc(name),
            html::url(&info.id)
        )
    } else {
        String::new()
    };
    let meta: String = info
        .meta
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd class=\"mono\">{}</dd>", esc(k), esc(v)))
        .collect();
    let body = format!(
        "<h1>Job <span class=\"mono\">{id}</span></h1><dl class=\"fields\"><dt>Queue</dt><dd>{q}</dd>\
         <dt>State</dt><dd>{st}</dd><dt>Payload</dt><dd class=\"mono\">{data}{post}</dd>{meta}</dl>{requeue}",
        id = esc(&info.id),
        q = esc(name),
        st = state_text(&info.state),
        data = esc(info.data.as_deref().unwrap_or("(vacuumed)")),
        post = post_link(&info),
    );
    Ok(html::page(&operator, "/admin/queues", "Job", &body))
}

/// Confirmation page of a requeue.
pub async fn confirm_requeue(
    AdminOnly(operator): AdminOnly,
    State(state): State<AdminState>,
    Path((queue, id)): Path<(String, String)>,
) -> Result<Html<String>, AdminError> {
    let name = known_queue(&state, &queue)?;
    let info = job(&state.queue, name, &id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let body = format!(
        "<h1>Requeue a dead job?</h1><p>Job <span class=\"mono\">{id}</span> of queue <b>{q}</b> ({st}) \
         goes back to the queue with a fresh attempt count, and a worker runs it again.</p>\
         <p class=\"mono\">{data}</p>\
         <form method=\"post\" action=\"/admin/queues/{q}/dead/{idu}/requeue\">{csrf}\
         <div class=\"actions\"><button type=\"submit\">Confirm: requeue</button>\
         <a class=\"button secondary\" href=\"/admin/queues#q-{q}\">Back</a></div></form>",
        id = esc(&info.id),
        idu = html::url(&info.id),
        q = esc(name),
        st = state_text(&info.state),
        data = esc(info.data.as_deref().unwrap_or("(vacuumed)")),
        csrf = csrf_field(&operator),
    );
    Ok(html::page(&operator, "/admin/queues", "Requeue", &body))
}

/// The result page of an action.
pub fn result_page(operator: &Operator, active: &str, outcome: &Outcome, back: &str) -> Response {
    let (status, class, text) = match outcome {
        Outcome::Done(what) => (StatusCode::OK, "result-done", format!("Done: {what}.")),
        Outcome::Refused(why) => (
            StatusCode::CONFLICT,
            "result-refused",
            format!("Refused: {why}"),
        ),
    };
    let body = format!(
        "<h1>Action result</h1><p class=\"{class}\" role=\"status\">{}</p><p><a href=\"{back}\">Continue</a></p>",
        esc(&text)
    );
    (status, html::page(operator, active, "Action result", &body)).into_response()
}

/// Requeues a dead job.
pub async fn requeue_job(
    State(state): State<AdminState>,
    Path((queue, id)): Path<(String, String)>,
    AdminForm(form): AdminForm,
) -> Result<Response, AdminError> {
    let name = known_queue(&state, &queue)?;
    let outcome = state.actions().requeue_dead(name, &id).await?;
    let (audit_outcome, detail) = match &outcome {
        Outcome::Done(d) => (AuditOutcome::Done, d.clone()),
        Outcome::Refused(r) => (AuditOutcome::Refused, r.clone()),
    };
    audit::record(
        &state,
        &form.operator,
        "requeue_dead",
        &format!("job:{name}/{id}"),
        audit_outcome,
        &detail,
    )
    .await?;
    Ok(result_page(
        &form.operator,
        "/admin/queues",
        &outcome,
        &format!("/admin/queues#q-{}", esc(name)),
    ))
}

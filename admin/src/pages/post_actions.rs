//! Actions on one post (retry now, cancel, reschedule, resume) and on an account's parked
//! posts: a confirmation page (admins only) that carries the version the admin saw, then the
//! action itself, a compare-and-set at that version, audited whatever its outcome.

use aistudio_jobs::admin_actions::Outcome;
use aistudio_jobs::store::{AuditOutcome, PostStatus};
use axum::extract::{Path, State};
use axum::response::{Html, Response};

use super::post_detail::actions_for;
use super::queues::result_page;
use crate::audit;
use crate::auth::{AdminForm, AdminOnly};
use crate::error::AdminError;
use crate::html::{self, badge, csrf_field, esc, opt_time};
use crate::search::parse_time;
use crate::state::AdminState;

fn describe(action: &str, status: PostStatus) -> Option<&'static str> {
    Some(match (action, status) {
        ("retry", PostStatus::Failed) => {
            "The post goes back to scheduled for now and its publishing job is queued: the workflow starts over."
        }
        ("retry", PostStatus::Publishing) => {
            "The post's publishing job is pushed to run now instead of waiting for its next retry."
        }
        ("cancel", _) => "The post is canceled and will not be published.",
        ("reschedule", _) => "The post moves to the new time (UTC).",
        ("resume", _) => {
            "The parked post goes back to scheduled (its account must work again); if its time has passed it is published at once."
        }
        _ => return None,
    })
}

/// The confirmation page of an action on a post.
pub async fn confirm_action(
    AdminOnly(operator): AdminOnly,
    State(state): State<AdminState>,
    Path((id, action)): Path<(String, String)>,
) -> Result<Html<String>, AdminError> {
    let post = state
        .store
        .posts()
        .by_id(&id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let status = post.content.status;
    if !actions_for(status).iter().any(|(a, _)| *a == action) {
        return Err(AdminError::BadRequest(format!(
            "{action} does not apply to a {} post",
            status.as_str()
        )));
    }
    let what = describe(&action, status).ok_or(AdminError::NotFound)?;
    let extra = if action == "reschedule" {
        let suggested = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M");
        format!(
            "<label for=\"at\">New time (UTC)</label><input id=\"at\" name=\"at\" type=\"datetime-local\" required value=\"{suggested}\">"
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{action} post <span class=\"mono\">{idh}</span>?</h1>\
         <p>It is {badge} (version {version}), scheduled for {at}.</p><p>{what}</p>\
         <p class=\"muted\">If the post changes before you confirm, the action is refused and nothing changes.</p>\
         <form method=\"post\" action=\"/admin/posts/{idh}/{action}\">{csrf}\
         <input type=\"hidden\" name=\"version\" value=\"{version}\">{extra}\
         <div class=\"actions\"><button type=\"submit\">Confirm: {action}</button>\
         <a class=\"button secondary\" href=\"/admin/posts/{idh}\">Back</a></div></form>",
        idh = esc(&post.id),
        badge = badge(status.as_str()),
        version = post.version,
        at = opt_time(post.content.scheduled_at),
        csrf = csrf_field(&operator),
    );
    Ok(html::page(&operator, "/admin/posts", "Confirm", &body))
}

fn audit_parts(outcome: &Outcome) -> (AuditOutcome, String) {
    match outcome {
        Outcome::Done(d) => (AuditOutcome::Done, d.clone()),
        Outcome::Refused(r) => (AuditOutcome::Refused, r.clone()),
    }
}

/// Applies an action to a post (at the version from the confirmation page).
pub async fn apply_action(
    State(state): State<AdminState>,
    Path((id, action)): Path<(String, String)>,
    AdminForm(form): AdminForm,
) -> Result<Response, AdminError> {
    let version: i64 = form
        .field("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AdminError::BadRequest("version is required".into()))?;
    let actions = state.actions();
    let outcome = match action.as_str() {
        "retry" => actions.retry_now(&id, version).await?,
        "cancel" => actions.cancel(&id, version).await?,
        "resume" => actions.resume(&id, version).await?,
        "reschedule" => {
            let at = form.field("at").and_then(parse_time).ok_or_else(|| {
                AdminError::BadRequest("at: a date and time (UTC) is required".into())
            })?;
            actions.reschedule(&id, version, at).await?
        }
        _ => return Err(AdminError::NotFound),
    };
    let (audit_outcome, detail) = audit_parts(&outcome);
    audit::record(
        &state,
        &form.operator,
        &action,
        &format!("post:{id}"),
        audit_outcome,
        &format!("at version {version}: {detail}"),
    )
    .await?;
    Ok(result_page(
        &form.operator,
        "/admin/posts",
        &outcome,
        &format!("/admin/posts/{}", esc(&id)),
    ))
}

/// The confirmation page of resuming an account's parked posts.
pub async fn confirm_resume_account(
    AdminOnly(operator): AdminOnly,
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<Html<String>, AdminError> {
    let connection = state
        .store
        .connections()
        .by_id(&id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let parked = state
        .store
        .posts()
        .for_connection_in_status(
            &id,
            PostStatus::NeedsReconnect,
            aistudio_jobs::admin_actions::BULK_CAP as i64,
        )
        .await?;
    let body = format!(
        "<h1>Resume @{user}'s parked posts?</h1><p>The account is {status}. <b>{n}</b> parked posts go back to \
         scheduled; those whose time has passed are published at once.</p>\
         <form method=\"post\" action=\"/admin/accounts/{idh}/resume\">{csrf}\
         <div class=\"actions\"><button type=\"submit\">Confirm: resume {n} posts</button>\
         <a class=\"button secondary\" href=\"/admin#parked\">Back</a></div></form>",
        user = esc(&connection.username),
        status = badge(connection.status.as_str()),
        n = parked.len(),
        idh = esc(&id),
        csrf = csrf_field(&operator),
    );
    Ok(html::page(&operator, "/admin", "Confirm", &body))
}

/// Resumes an account's parked posts.
pub async fn resume_account(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    AdminForm(form): AdminForm,
) -> Result<Response, AdminError> {
    let outcome = state.actions().resume_account(&id).await?;
    let (audit_outcome, detail) = audit_parts(&outcome);
    audit::record(
        &state,
        &form.operator,
        "resume_account",
        &format!("account:{id}"),
        audit_outcome,
        &detail,
    )
    .await?;
    Ok(result_page(
        &form.operator,
        "/admin",
        &outcome,
        "/admin#parked",
    ))
}

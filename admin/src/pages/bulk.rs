//! Bulk actions over a filtered selection: a preview that says how many posts the action
//! would change (and the cap), then the action, one compare-and-set per post.

use aistudio_jobs::admin_actions::{AdminActions, BULK_CAP, BulkAction, Outcome};
use aistudio_jobs::store::AuditOutcome;
use axum::extract::{Query, State};
use axum::response::{Html, Response};

use super::queues::result_page;
use crate::audit;
use crate::auth::{AdminForm, AdminOnly};
use crate::error::AdminError;
use crate::html::{self, csrf_field, esc};
use crate::search::{SearchParams, resolve};
use crate::state::AdminState;

fn action_of(pairs: &[(String, String)]) -> Result<BulkAction, AdminError> {
    pairs
        .iter()
        .find(|(k, _)| k == "action")
        .and_then(|(_, v)| BulkAction::parse(v))
        .ok_or_else(|| AdminError::BadRequest("action: one of retry, cancel, resume".into()))
}

/// The preview of a bulk action.
pub async fn preview_bulk(
    AdminOnly(operator): AdminOnly,
    State(state): State<AdminState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Html<String>, AdminError> {
    let action = action_of(&pairs)?;
    let params = SearchParams::from_pairs(&pairs);
    let resolved = resolve(&state, &params).await?;
    let affected = state
        .actions()
        .preview_bulk(action, &resolved.search)
        .await?;
    let statuses: Vec<&str> = AdminActions::bulk_selection(action, &resolved.search)
        .statuses
        .iter()
        .map(|s| s.as_str())
        .collect();
    let cap = if affected > BULK_CAP {
        format!(
            "<p class=\"notice\">Only the newest {BULK_CAP} are changed in one go; run it again for the rest.</p>"
        )
    } else {
        String::new()
    };
    let form = if affected == 0 {
        "<p>Nothing to do.</p>".to_string()
    } else {
        format!(
            "<form method=\"post\" action=\"/admin/bulk\">{csrf}<input type=\"hidden\" name=\"action\" value=\"{a}\">{hidden}\
             <div class=\"actions\"><button type=\"submit\" class=\"danger\">Confirm: {a} {n} posts</button>\
             <a class=\"button secondary\" href=\"/admin/posts?{q}\">Back</a></div></form>",
            csrf = csrf_field(&operator),
            a = action.as_str(),
            hidden = params.hidden_fields(),
            n = affected.min(BULK_CAP),
            q = esc(&params.query_string()),
        )
    };
    let body = format!(
        "<h1>Bulk {a}</h1><p id=\"affected\" role=\"status\"><b>{affected}</b> posts match the filter and are {st}: \
         these are the ones <b>{a}</b> would change. Each is changed only if it has not changed meanwhile.</p>{cap}{form}",
        a = action.as_str(),
        st = esc(&statuses.join(" or ")),
    );
    Ok(html::page(&operator, "/admin/posts", "Bulk action", &body))
}

/// Applies a bulk action.
pub async fn apply_bulk(
    State(state): State<AdminState>,
    AdminForm(form): AdminForm,
) -> Result<Response, AdminError> {
    let action = action_of(&form.fields)?;
    let params = SearchParams::from_pairs(&form.fields);
    let resolved = resolve(&state, &params).await?;
    let report = state.actions().bulk(action, &resolved.search).await?;
    let detail = format!(
        "{} posts changed, {} changed meanwhile and were left alone",
        report.done, report.refused
    );
    let target = format!("filter:{}", params.query_string());
    audit::record(
        &state,
        &form.operator,
        &format!("bulk_{}", action.as_str()),
        &target,
        AuditOutcome::Done,
        &detail,
    )
    .await?;
    Ok(result_page(
        &form.operator,
        "/admin/posts",
        &Outcome::Done(detail),
        &format!("/admin/posts?{}", esc(&params.query_string())),
    ))
}

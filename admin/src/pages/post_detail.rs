//! One post: its whole workflow as a timeline (every step attempt with its worker, duration,
//! Graph API error and next retry), its payload (never a token), the actions that apply, its
//! audit entries, and the customer's and the account's other posts.

use aistudio_jobs::store::{PostFilter, PostOrder, PostStatus};
use axum::extract::{Path, State};
use axum::response::Html;

use super::audit::{AUDIT_HEAD, audit_rows};
use super::posts_table;
use crate::auth::Operator;
use crate::error::AdminError;
use crate::html::{self, badge, esc, opt_time};
use crate::state::AdminState;

/// Most events on a timeline.
const TIMELINE_LIMIT: i64 = 500;

/// The actions that apply to a post in `status`: (path, label).
pub fn actions_for(status: PostStatus) -> &'static [(&'static str, &'static str)] {
    match status {
        PostStatus::Failed => &[("retry", "Retry now")],
        PostStatus::Publishing => &[("retry", "Retry now")],
        PostStatus::Scheduled => &[("reschedule", "Reschedule"), ("cancel", "Cancel")],
        PostStatus::NeedsReconnect => &[
            ("resume", "Resume"),
            ("reschedule", "Reschedule"),
            ("cancel", "Cancel"),
        ],
        _ => &[],
    }
}

/// The post page.
pub async fn show_post(
    operator: Operator,
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<Html<String>, AdminError> {
    let post = state
        .store
        .posts()
        .by_id(&id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let user = state.store.users().by_id(&post.user_id).await?;
    let connection = match &post.content.connection_id {
        Some(c) => state.store.connections().by_id(c).await?,
        None => None,
    };
    let events = state
        .store
        .workflow_events()
        .for_post(&id, TIMELINE_LIMIT)
        .await?;
    let c = &post.content;

    let actions = if operator.can_act() {
        let links: String = actions_for(c.status)
            .iter()
            .map(|(path, label)| {
                format!(
                    "<a class=\"button\" href=\"/admin/posts/{}/{path}\">{label}…</a>",
                    esc(&post.id)
                )
            })
            .collect();
        if links.is_empty() {
            format!(
                "<p class=\"muted\">No action applies to a {} post.</p>",
                c.status.as_str()
            )
        } else {
            format!("<div class=\"actions\">{links}</div>")
        }
    } else {
        "<p class=\"muted\">Read-only: actions need the admin role.</p>".to_string()
    };

    let timeline: String = events
        .iter()
        .map(|e| {
            let error = e.error.as_ref().map_or(String::new(), |x| {
                let code = match (x.code, x.subcode) {
                    (Some(c), Some(s)) => format!(" code {c}/{s}"),
                    (Some(c), None) => format!(" code {c}"),
                    _ => String::new(),
                };
                format!("<b>{}</b>{}: {}", esc(&x.class), code, esc(&x.message))
            });
            let outcome = serde_json::to_value(e.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!(
                "<tr><td>{started}</td><td>{step}</td><td class=\"num\">{attempt}</td><td class=\"mono\">{worker}</td>\
                 <td class=\"num\">{duration}</td><td>{outcome}</td><td>{error}</td><td>{next}</td><td>{note}</td></tr>",
                started = html::time(e.started_at),
                step = esc(&e.step),
                attempt = e.attempt,
                worker = esc(&e.worker),
                duration = html::duration((e.ended_at - e.started_at).num_milliseconds()),
                outcome = badge(&outcome),
                next = opt_time(e.next_retry_at),
                note = esc(e.note.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let timeline = if events.is_empty() {
        "<p class=\"muted\">No workflow step has run for this post yet.</p>".to_string()
    } else {
        format!(
            "<table id=\"timeline\"><thead><tr><th scope=\"col\">Started</th><th scope=\"col\">Step</th>\
             <th scope=\"col\" class=\"num\">Attempt</th><th scope=\"col\">Worker</th><th scope=\"col\" class=\"num\">Duration</th>\
             <th scope=\"col\">Outcome</th><th scope=\"col\">Error (Graph API)</th><th scope=\"col\">Next retry</th>\
             <th scope=\"col\">Note</th></tr></thead><tbody>{timeline}</tbody></table>"
        )
    };

    let items: String = c
        .items
        .iter()
        .map(|i| {
            format!(
                "<li class=\"mono\">{}{}</li>",
                esc(&i.media_id),
                i.alt_text
                    .as_ref()
                    .map_or(String::new(), |a| format!(" — alt: {}", esc(a)))
            )
        })
        .collect();
    let late = match (c.scheduled_at, post.published_at) {
        (Some(at), Some(published)) => format!(
            " ({} after its time)",
            html::duration((published - at).num_milliseconds())
        ),
        _ => String::new(),
    };
    let payload = format!(
        "<dl class=\"fields\"><dt>Status</dt><dd>{status}</dd><dt>Version</dt><dd>{version}</dd>\
         <dt>Kind</dt><dd>{kind}</dd><dt>Caption</dt><dd>{caption}</dd><dt>Media</dt><dd><ol>{items}</ol></dd>\
         <dt>Cover</dt><dd class=\"mono\">{cover}</dd><dt>Scheduled</dt><dd>{scheduled} {now}</dd>\
         <dt>Time zone</dt><dd>{tz}</dd><dt>Created</dt><dd>{created}</dd><dt>Updated</dt><dd>{updated}</dd>\
         <dt>Published</dt><dd>{published}{late}</dd><dt>Instagram media id</dt><dd class=\"mono\">{media}</dd>\
         <dt>Permalink</dt><dd>{permalink}</dd><dt>Failure reason</dt><dd>{reason}</dd></dl>",
        status = super::status_with_hold(&post),
        version = post.version,
        kind = c.kind.as_str(),
        caption = esc(&c.caption),
        cover = esc(c.cover_media_id.as_deref().unwrap_or("–")),
        scheduled = opt_time(c.scheduled_at),
        now = if c.publish_now { "(publish now)" } else { "" },
        tz = esc(&c.time_zone),
        created = html::time(post.created_at),
        updated = html::time(post.updated_at),
        published = opt_time(post.published_at),
        media = esc(post.ig_media_id.as_deref().unwrap_or("–")),
        permalink = match (&post.permalink, post.media_unresolved) {
            (Some(p), _) => format!("<a href=\"{0}\" rel=\"noreferrer\">{0}</a>", esc(p)),
            (None, Some(reason)) => format!(
                "<span class=\"mono\">{}</span>: {}",
                reason.as_str(),
                esc(reason.note())
            ),
            (None, None) => "–".to_string(),
        },
        reason = esc(post.failure_reason.as_deref().unwrap_or("–")),
    );
    let customer = user.as_ref().map_or("(deleted account)".to_string(), |u| {
        format!(
            "<a href=\"/admin/posts?email={}\">{}</a> ({}, id <span class=\"mono\">{}</span>)",
            html::url(&u.email),
            esc(&u.email),
            esc(&u.name),
            esc(&u.id)
        )
    });
    let account = connection.as_ref().map_or("–".to_string(), |k| {
        format!(
            "<a href=\"/admin/posts?account={}\">@{}</a> (Instagram id <span class=\"mono\">{}</span>) {} · token expires {}",
            html::url(&k.ig_user_id),
            esc(&k.username),
            esc(&k.ig_user_id),
            badge(k.status.as_str()),
            opt_time(k.token_expires_at)
        )
    });

    let mut others = state
        .store
        .posts()
        .page_for_user(
            &post.user_id,
            &PostFilter::default(),
            PostOrder::Newest,
            None,
            11,
        )
        .await?;
    others.retain(|p| p.id != post.id);
    others.truncate(10);
    let account_posts = match &c.connection_id {
        Some(connection_id) => {
            let mut list = state
                .store
                .posts()
                .search(
                    &aistudio_jobs::store::PostSearch {
                        connection_ids: Some(vec![connection_id.clone()]),
                        ..Default::default()
                    },
                    None,
                    11,
                )
                .await?;
            list.retain(|p| p.id != post.id);
            list.truncate(10);
            posts_table(&list, "The account's other posts (newest 10)")
        }
        None => String::new(),
    };
    let audit = state
        .store
        .audit_log()
        .recent(Some(&format!("post:{}", post.id)), None, 20)
        .await?;
    let audit = if audit.is_empty() {
        "<p class=\"muted\">No operator action on this post.</p>".to_string()
    } else {
        format!(
            "<table>{AUDIT_HEAD}<tbody>{}</tbody></table>",
            audit_rows(&audit)
        )
    };

    let body = format!(
        "<h1>Post <span class=\"mono\">{id}</span> {status}</h1>\
         <p>Customer: {customer}<br>Account: {account}</p>{actions}\
         <h2>Workflow timeline</h2>{timeline}<h2>Payload</h2>{payload}\
         <h2>Operator actions</h2>{audit}\
         <div class=\"grid\"><section>{customer_posts}</section><section>{account_posts}</section></div>",
        id = esc(&post.id),
        status = badge(c.status.as_str()),
        customer_posts = posts_table(&others, "The customer's other posts (newest 10)"),
    );
    Ok(html::page(&operator, "/admin/posts", "Post", &body))
}

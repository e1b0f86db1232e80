//! Search and filter posts: by status, kind, customer email, Instagram account, post id, publish
//! job id, date range and error text; counts that follow the filter; cursor pagination.

use std::collections::HashMap;

use aistudio_jobs::store::{Post, PostStatus};
use axum::extract::{Query, State};
use axum::response::Html;

use crate::auth::Operator;
use crate::error::AdminError;
use crate::html::{self, badge, esc, opt_time};
use crate::search::{MAX_PAGE, MAX_TEXT_RANGE_DAYS, SearchParams, resolve};
use crate::state::AdminState;

/// Labels of customers and accounts, by id.
pub struct Labels {
    /// User id -> email.
    pub emails: HashMap<String, String>,
    /// Connection id -> `@username`.
    pub accounts: HashMap<String, String>,
}

/// Looks up the emails and usernames a list of posts shows.
pub async fn labels(state: &AdminState, posts: &[Post]) -> Result<Labels, AdminError> {
    let mut user_ids: Vec<String> = posts.iter().map(|p| p.user_id.clone()).collect();
    user_ids.sort();
    user_ids.dedup();
    let mut connection_ids: Vec<String> = posts
        .iter()
        .filter_map(|p| p.content.connection_id.clone())
        .collect();
    connection_ids.sort();
    connection_ids.dedup();
    let emails = state
        .store
        .users()
        .by_ids(&user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let accounts = state
        .store
        .connections()
        .by_ids(&connection_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("@{}", c.username)))
        .collect();
    Ok(Labels { emails, accounts })
}

/// Rows of a post listing with customer and account.
pub fn rows(posts: &[Post], labels: &Labels) -> String {
    posts
        .iter()
        .map(|p| {
            let account = p
                .content
                .connection_id
                .as_ref()
                .and_then(|c| labels.accounts.get(c))
                .map_or("–", String::as_str);
            format!(
                "<tr><td><a class=\"mono\" href=\"/admin/posts/{id}\">{id}</a></td><td>{status}</td><td>{kind}</td>\
                 <td>{email}</td><td>{account}</td><td>{at}</td><td>{updated}</td><td>{reason}</td></tr>",
                id = esc(&p.id),
                status = super::status_with_hold(p),
                kind = p.content.kind.as_str(),
                email = esc(labels.emails.get(&p.user_id).map_or("–", String::as_str)),
                account = esc(account),
                at = opt_time(p.content.scheduled_at),
                updated = html::time(p.updated_at),
                reason = esc(p.failure_reason.as_deref().unwrap_or("")),
            )
        })
        .collect()
}

/// The table head of [`rows`].
pub const HEAD: &str = "<thead><tr><th scope=\"col\">Post</th><th scope=\"col\">Status</th><th scope=\"col\">Kind</th>\
    <th scope=\"col\">Customer</th><th scope=\"col\">Account</th><th scope=\"col\">Scheduled (UTC)</th>\
    <th scope=\"col\">Updated</th><th scope=\"col\">Failure reason</th></tr></thead>";

fn filter_form(p: &SearchParams) -> String {
    let status_options: String = PostStatus::ALL
        .iter()
        .map(|s| {
            let selected = if p.statuses.iter().any(|x| x == s.as_str()) {
                " selected"
            } else {
                ""
            };
            format!("<option value=\"{0}\"{selected}>{0}</option>", s.as_str())
        })
        .collect();
    let kind_options: String = ["", "image", "carousel", "reel", "story"]
        .iter()
        .map(|k| {
            let selected = if p.kind == *k { " selected" } else { "" };
            let label = if k.is_empty() { "any" } else { k };
            format!("<option value=\"{k}\"{selected}>{label}</option>")
        })
        .collect();
    let input = |id: &str, label: &str, value: &str, kind: &str, hint: &str| {
        format!(
            "<div><label for=\"f-{id}\">{label}</label><input id=\"f-{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\"{}></div>",
            esc(value),
            if hint.is_empty() {
                String::new()
            } else {
                format!(" placeholder=\"{hint}\"")
            }
        )
    };
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/admin/posts\" role=\"search\">\
         <div><label for=\"f-status\">Status</label><select id=\"f-status\" name=\"status\" multiple size=\"3\">{status_options}</select></div>\
         <div><label for=\"f-kind\">Kind</label><select id=\"f-kind\" name=\"kind\">{kind_options}</select></div>\
         {email}{account}{post}{job}{from}{to}{error}\
         <div><label for=\"f-limit\">Per page (max {MAX_PAGE})</label><input id=\"f-limit\" name=\"limit\" type=\"number\" min=\"1\" max=\"{MAX_PAGE}\" value=\"{limit}\"></div>\
         <div><button type=\"submit\">Search</button> <a href=\"/admin/posts\">Clear</a></div></form>",
        email = input(
            "email",
            "Customer email",
            &p.email,
            "text",
            "name@example.com"
        ),
        account = input(
            "account",
            "Instagram username or id",
            &p.account,
            "text",
            "@username"
        ),
        post = input("post", "Post id", &p.post, "text", ""),
        job = input("job", "Publish job id", &p.job, "text", ""),
        from = input(
            "from",
            "Scheduled from (UTC)",
            &p.from,
            "datetime-local",
            ""
        ),
        to = input("to", "Scheduled before (UTC)", &p.to, "datetime-local", ""),
        error = input(
            "error",
            &format!("Error text (≤ {MAX_TEXT_RANGE_DAYS} days)"),
            &p.error,
            "text",
            "message, code or class"
        ),
        limit = esc(if p.limit.is_empty() { "25" } else { &p.limit }),
    )
}

/// The post search page.
pub async fn search_posts(
    operator: Operator,
    State(state): State<AdminState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Html<String>, AdminError> {
    let params = SearchParams::from_pairs(&pairs);
    let resolved = resolve(&state, &params).await?;
    let posts_repo = state.store.posts();
    let counts = posts_repo.search_counts(&resolved.search).await?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let posts = posts_repo
        .search(&resolved.search, resolved.cursor.as_ref(), resolved.limit)
        .await?;
    let labels = labels(&state, &posts).await?;
    let chips: String = counts
        .iter()
        .map(|(status, n)| {
            format!(
                "<a href=\"/admin/posts?{}\">{} {n}</a>",
                esc(&params.with_status(status.as_str()).query_string()),
                badge(status.as_str())
            )
        })
        .collect();
    let notes: String = resolved
        .notes
        .iter()
        .map(|n| format!("<p class=\"notice\">{}</p>", esc(n)))
        .collect();
    let query = params.query_string();
    let next = if posts.len() as i64 == resolved.limit {
        posts.last().map_or(String::new(), |last| {
            format!(
                "<a rel=\"next\" href=\"/admin/posts?{}{}cursor={}\">Next page →</a>",
                esc(&query),
                if query.is_empty() { "" } else { "&amp;" },
                html::url(&format!(
                    "{}:{}",
                    last.created_at.timestamp_millis(),
                    last.id
                ))
            )
        })
    } else {
        String::new()
    };
    let first = if params.cursor.is_empty() {
        String::new()
    } else {
        format!("<a href=\"/admin/posts?{}\">← First page</a>", esc(&query))
    };
    let bulk = if operator.can_act() && total > 0 {
        ["retry", "cancel", "resume"]
            .iter()
            .map(|a| {
                format!(
                    "<a class=\"button secondary\" href=\"/admin/bulk?action={a}{}{}\">Bulk {a}…</a>",
                    if query.is_empty() { "" } else { "&amp;" },
                    esc(&query)
                )
            })
            .collect::<String>()
    } else {
        String::new()
    };
    let table = if posts.is_empty() {
        "<p class=\"muted\">No post matches.</p>".to_string()
    } else {
        format!(
            "<table id=\"results\">{HEAD}<tbody>{}</tbody></table>",
            rows(&posts, &labels)
        )
    };
    let body = format!(
        "<h1>Posts</h1>{form}{notes}<p id=\"match-count\" role=\"status\"><b>{total}</b> posts match.</p>\
         <div class=\"chips\" aria-label=\"Matches by status\">{chips}</div><div class=\"actions\">{bulk}</div>\
         {table}<nav class=\"pager\" aria-label=\"Pages\">{first}{next}</nav>",
        form = filter_form(&params),
    );
    Ok(html::page(&operator, "/admin/posts", "Posts", &body))
}

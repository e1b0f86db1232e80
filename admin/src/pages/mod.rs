//! The console's pages, one per file.

pub mod audit;
pub mod bulk;
pub mod charts;
pub mod live;
pub mod overview;
pub mod post_actions;
pub mod post_detail;
pub mod posts;
pub mod queue_alerts;
pub mod queues;
pub mod workers;

use aistudio_jobs::store::Post;

use crate::html::{badge, esc, opt_time};

/// The post's status badge, saying "queue paused" for a post held in its paused queue (why
/// it is not published although its time came).
pub fn status_with_hold(post: &Post) -> String {
    let status = badge(post.content.status.as_str());
    if post.held.is_some() {
        format!("{status} <span class=\"badge s-held\">queue paused</span>")
    } else {
        status
    }
}

/// A compact table of posts (id, status, kind, scheduled, reason).
pub fn posts_table(posts: &[Post], caption: &str) -> String {
    if posts.is_empty() {
        return format!("<p class=\"muted\">{}: none.</p>", esc(caption));
    }
    let rows: String = posts
        .iter()
        .map(|p| {
            format!(
                "<tr><td><a class=\"mono\" href=\"/admin/posts/{id}\">{id}</a></td><td>{status}</td>\
                 <td>{kind}</td><td>{at}</td><td>{reason}</td></tr>",
                id = esc(&p.id),
                status = status_with_hold(p),
                kind = p.content.kind.as_str(),
                at = opt_time(p.content.scheduled_at),
                reason = esc(p.failure_reason.as_deref().unwrap_or("")),
            )
        })
        .collect();
    format!(
        "<table><caption class=\"muted\">{}</caption><thead><tr><th scope=\"col\">Post</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Kind</th><th scope=\"col\">Scheduled</th>\
         <th scope=\"col\">Failure reason</th></tr></thead><tbody>{rows}</tbody></table>",
        esc(caption)
    )
}

//! The overview: queue counts with each queue's due jobs and live consumers (live), an alert
//! for a queue that nothing serves, posts needing attention, throughput and failure rate,
//! publish lateness, late, parked and deferred posts.

use std::collections::BTreeMap;

use aistudio_jobs::store::PostStatus;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::charts;
use super::live::{LATE_AFTER, snapshot};
use super::queue_alerts::queue_alerts;
use crate::auth::Operator;
use crate::error::AdminError;
use crate::html::{self, badge, esc, opt_time};
use crate::state::AdminState;

/// Chart windows: name, minutes.
const WINDOWS: [(&str, i64); 4] = [("15m", 15), ("1h", 60), ("6h", 360), ("24h", 1440)];
/// Most events a chart reads.
const MAX_EVENTS: i64 = 20_000;

/// Query of the overview.
#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    window: Option<String>,
}

/// Columns of the queue table: the live count's key, the header.
const COLUMNS: [(&str, &str); 9] = [
    ("scheduled", "scheduled"),
    ("retrying", "retrying"),
    ("queued", "queued"),
    ("running", "running"),
    ("done", "done"),
    ("failed", "failed"),
    ("dead", "dead"),
    ("due", "due"),
    ("live", "live consumers"),
];

/// The overview page.
pub async fn show_overview(
    operator: Operator,
    State(state): State<AdminState>,
    Query(query): Query<OverviewQuery>,
) -> Result<Html<String>, AdminError> {
    let window = query.window.as_deref().unwrap_or("1h");
    let (window, minutes) = WINDOWS
        .iter()
        .find(|(name, _)| *name == window)
        .copied()
        .ok_or_else(|| AdminError::BadRequest("window: one of 15m, 1h, 6h, 24h".into()))?;
    let snap = snapshot(&state).await?;
    let now = Utc::now();

    let header: String = COLUMNS
        .iter()
        .map(|(_, label)| format!("<th scope=\"col\" class=\"num\">{label}</th>"))
        .collect();
    let rows: String = snap
        .queues
        .iter()
        .zip(&snap.consumers)
        .map(|(q, c)| {
            let values = [
                q.scheduled,
                q.retrying,
                q.queued,
                q.running,
                q.done,
                q.failed,
                q.dead,
                c.due,
                c.live,
            ];
            let cells: String = COLUMNS
                .iter()
                .zip(values)
                .map(|((key, _), v)| {
                    format!(
                        "<td class=\"num\" data-count=\"{}:{key}\">{v}</td>",
                        esc(&q.queue)
                    )
                })
                .collect();
            format!(
                "<tr data-queue=\"{q}\"{unattended}><th scope=\"row\"><a href=\"/admin/queues#q-{q}\">{q}</a></th>{cells}</tr>",
                q = esc(&q.queue),
                unattended = if c.unattended { " class=\"unattended\"" } else { "" },
            )
        })
        .collect();
    let alerts = queue_alerts(&snap.consumers, snap.orphan_after_secs);

    let p = &snap.posts;
    let stat = |key: &str, label: &str, value: u64, href: &str, alert: bool| {
        format!(
            "<a class=\"stat{}\" href=\"{href}\"><span>{label}</span><b data-count=\"posts:{key}\">{value}</b></a>",
            if alert && value > 0 { " alert" } else { "" }
        )
    };
    let stats = [
        stat("late", "Late posts", p.late, "#late", true),
        stat(
            "failed",
            "Failed",
            p.failed,
            "/admin/posts?status=failed",
            true,
        ),
        stat(
            "needs_reconnect",
            "Parked (reconnect)",
            p.needs_reconnect,
            "#parked",
            false,
        ),
        stat(
            "publishing",
            "Publishing",
            p.publishing,
            "/admin/posts?status=publishing",
            false,
        ),
        stat(
            "scheduled",
            "Scheduled",
            p.scheduled,
            "/admin/posts?status=scheduled",
            false,
        ),
    ]
    .concat();

    let from = now - Duration::minutes(minutes);
    let bucket_minutes = minutes.min(120);
    let bucket_from = now - Duration::minutes(bucket_minutes);
    let events = state
        .store
        .workflow_events()
        .between(from, now, MAX_EVENTS)
        .await?;
    let capped = if events.len() as i64 >= MAX_EVENTS {
        format!(
            "<p class=\"notice\">Only the first {MAX_EVENTS} events of the window are charted.</p>"
        )
    } else {
        String::new()
    };
    // Per-minute bars over the last two hours at most; longer windows are summarised per hour.
    let chart = if minutes <= 120 {
        charts::throughput_svg(&charts::per_minute(
            &events,
            bucket_from,
            bucket_minutes as usize,
        ))
    } else {
        let hours = (minutes / 60) as usize;
        let mut hourly = vec![(from, 0u64, 0u64); hours];
        for (i, (at, ok, err)) in charts::per_minute(&events, from, minutes as usize)
            .into_iter()
            .enumerate()
        {
            let h = &mut hourly[(i / 60).min(hours - 1)];
            if i % 60 == 0 {
                h.0 = at;
            }
            h.1 += ok;
            h.2 += err;
        }
        charts::throughput_svg(&hourly)
    };
    let per = if minutes <= 120 { "minute" } else { "hour" };
    let window_links: String = WINDOWS
        .iter()
        .map(|(name, _)| {
            let current = if *name == window {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!("<a href=\"/admin?window={name}\"{current}>{name}</a>")
        })
        .collect();
    let lateness = state.store.posts().publish_times_since(from, 5_000).await?;
    let lateness_svg = charts::lateness_svg(&charts::lateness_counts(&lateness));

    let (late, late_total) = state.store.posts().late(now - LATE_AFTER, 20).await?;
    let late_rows: String = late
        .iter()
        .map(|post| {
            let behind = post
                .content
                .scheduled_at
                .map_or(0, |at| (now - at).num_milliseconds());
            format!(
                "<tr><td><a class=\"mono\" href=\"/admin/posts/{id}\">{id}</a></td><td>{at}</td><td>{behind}</td></tr>",
                id = esc(&post.id),
                at = opt_time(post.content.scheduled_at),
                behind = html::duration(behind),
            )
        })
        .collect();
    let late_html = if late.is_empty() {
        "<p class=\"muted\">No scheduled post is more than 2 minutes past its time.</p>".to_string()
    } else {
        format!(
            "<p class=\"error\" role=\"status\">{late_total} scheduled posts are more than 2 minutes past their time.</p>\
             <table><thead><tr><th scope=\"col\">Post</th><th scope=\"col\">Scheduled</th><th scope=\"col\">Behind</th></tr></thead><tbody>{late_rows}</tbody></table>"
        )
    };

    let parked = state
        .store
        .posts()
        .in_status(PostStatus::NeedsReconnect, 200)
        .await?;
    let mut by_account: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for post in &parked {
        by_account
            .entry(post.content.connection_id.clone().unwrap_or_default())
            .or_default()
            .push(post.id.clone());
    }
    let ids: Vec<String> = by_account.keys().cloned().collect();
    let connections = state.store.connections().by_ids(&ids).await?;
    let parked_rows: String = by_account
        .iter()
        .map(|(connection_id, posts)| {
            let connection = connections.iter().find(|c| &c.id == connection_id);
            let account = connection.map_or_else(|| "(unknown account)".to_string(), |c| format!("@{}", c.username));
            let status = connection.map_or("unknown", |c| c.status.as_str());
            let action = if operator.can_act() && connection.is_some() {
                format!("<a class=\"button secondary\" href=\"/admin/accounts/{}/resume\">Resume posts…</a>", esc(connection_id))
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><a href=\"/admin/posts?status=needs_reconnect&amp;account={}\">list</a> {action}</td></tr>",
                esc(&account),
                badge(status),
                posts.len(),
                html::url(connection.map_or("", |c| c.ig_user_id.as_str())),
            )
        })
        .collect();
    let parked_html = if parked.is_empty() {
        "<p class=\"muted\">No parked posts.</p>".to_string()
    } else {
        format!(
            "<table><thead><tr><th scope=\"col\">Account</th><th scope=\"col\">Connection</th>\
             <th scope=\"col\" class=\"num\">Parked posts</th><th scope=\"col\">Actions</th></tr></thead><tbody>{parked_rows}</tbody></table>"
        )
    };

    let deferred = state.store.workflow_events().deferred(now, 200).await?;
    let mut seen = Vec::new();
    let deferred_rows: String = deferred
        .iter()
        .filter(|e| {
            let fresh = !seen.contains(&e.post_id);
            seen.push(e.post_id.clone());
            fresh
        })
        .take(20)
        .map(|e| {
            format!(
                "<tr><td><a class=\"mono\" href=\"/admin/posts/{id}\">{id}</a></td><td>{step}</td><td>{outcome}</td><td>{why}</td><td>{next}</td></tr>",
                id = esc(&e.post_id),
                step = esc(&e.step),
                outcome = badge(match e.outcome {
                    aistudio_jobs::store::StepOutcome::Waiting => "waiting",
                    _ => "retrying",
                }),
                why = esc(&e.error.as_ref().map(|x| format!("{}: {}", x.class, x.message)).unwrap_or_default()),
                next = opt_time(e.next_retry_at),
            )
        })
        .collect();
    let deferred_html = if deferred_rows.is_empty() {
        "<p class=\"muted\">No post is waiting for a later attempt.</p>".to_string()
    } else {
        format!(
            "<table><thead><tr><th scope=\"col\">Post</th><th scope=\"col\">Step</th><th scope=\"col\">State</th>\
             <th scope=\"col\">Why</th><th scope=\"col\">Next attempt</th></tr></thead><tbody>{deferred_rows}</tbody></table>"
        )
    };

    let body = format!(
        "<h1>Overview</h1><p id=\"live\" class=\"live\" aria-live=\"polite\" data-state=\"idle\">Counts as of {at}</p>\
         {alerts}<div class=\"stats\">{stats}</div>\
         <h2>Queues</h2><table id=\"queue-counts\"><thead><tr><th scope=\"col\">Queue</th>{header}</tr></thead><tbody>{rows}</tbody></table>\
         <p class=\"muted\">Due: jobs whose time has come that no consumer has taken yet. Live consumers: \
         consumers that heartbeated within the last {orphan} s; after that other workers treat them as dead. \
         <a href=\"/admin/workers\">Consumers in detail</a></p>\
         <h2>Queue depth while this page is open</h2>\
         <svg id=\"depth-chart\" class=\"chart\" viewBox=\"0 0 600 120\" role=\"img\" aria-label=\"Jobs waiting over time, drawn from the live counts\"></svg>\
         <div class=\"grid\"><section class=\"card\"><h2>Throughput and failure rate (per {per})</h2>\
         <nav class=\"chips\" aria-label=\"Chart window\">{window_links}</nav>{capped}{chart}</section>\
         <section class=\"card\"><h2>Publish lateness (last {window})</h2>{lateness_svg}</section></div>\
         <section id=\"late\"><h2>Late posts</h2>{late_html}</section>\
         <section id=\"parked\"><h2>Parked posts (needs reconnect)</h2>{parked_html}</section>\
         <section id=\"deferred\"><h2>Deferred posts</h2>{deferred_html}</section>",
        at = html::time(snap.at),
        orphan = snap.orphan_after_secs,
    );
    Ok(html::page(&operator, "/admin", "Overview", &body))
}

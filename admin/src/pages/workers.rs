//! Workers, from two sources that must agree. Each worker process's own record (host, pid,
//! version, start, last heartbeat, jobs in flight, and each of its consumers as its watchdog
//! judges them); dead processes (three missed heartbeats without a clean shutdown) are marked.
//! And, per queue, the consumers registered in Redis with the age of their heartbeat: what the
//! other workers judge, so a consumer whose registration vanished or went stale shows up even
//! when its own process reports nothing wrong.

use aistudio_jobs::queue::consumers::{
    CONSUMERS_LISTED, HeartbeatWindow, QueueConsumers, Registration, queue_consumers,
};
use aistudio_jobs::queue::presence::{
    ConsumerLiveness, MISSED_BEFORE_DEAD, Presence, list_presence,
};
use axum::extract::State;
use axum::response::Html;
use chrono::{DateTime, Utc};

use crate::auth::Operator;
use crate::error::AdminError;
use crate::html::{self, badge, esc};
use crate::state::AdminState;

/// Seconds as the console shows a duration.
fn secs(s: f64) -> String {
    html::duration((s * 1000.0).round() as i64)
}

/// How a process's consumer of a queue is registered in Redis.
enum Registered<'a> {
    /// Its freshest registration.
    Found(&'a Registration),
    /// Not registered (another worker removed it, or it never registered).
    Missing,
    /// Not among the registrations listed (the queue has more than [`CONSUMERS_LISTED`]).
    NotListed,
    /// A cron schedule: it has no registration.
    Schedule,
}

impl Registered<'_> {
    /// Whether other workers see it as they should not: gone, or its heartbeat expired.
    fn is_problem(&self) -> bool {
        match self {
            Self::Found(r) => !r.heartbeat.counts_as_live(),
            Self::Missing => true,
            Self::NotListed | Self::Schedule => false,
        }
    }

    fn cell(&self) -> String {
        match self {
            Self::Found(r) => format!(
                "{} heartbeat {} ago <span class=\"muted mono\">{}</span>",
                badge(r.heartbeat.as_str()),
                html::duration(r.age_secs * 1000),
                esc(&r.name)
            ),
            Self::Missing => format!("{} not in the queue's workers set", badge("missing")),
            Self::NotListed => format!(
                "<span class=\"muted\">not among the {CONSUMERS_LISTED} freshest registrations</span>"
            ),
            Self::Schedule => "<span class=\"muted\">none (a cron schedule)</span>".to_string(),
        }
    }
}

/// How `process`'s consumer `label` is registered, from the queues' registrations.
fn registered<'a>(queues: &'a [QueueConsumers], process: &str, label: &str) -> Registered<'a> {
    let Some(queue) = queues.iter().find(|q| q.liveness.queue == label) else {
        return Registered::Schedule;
    };
    match queue
        .registrations
        .iter()
        .find(|r| r.process.as_deref() == Some(process))
    {
        Some(r) => Registered::Found(r),
        None if queue.truncated() => Registered::NotListed,
        None => Registered::Missing,
    }
}

/// Whether a process is expected to be running: it did not stop cleanly (it may be dead).
fn not_stopped(w: &Presence) -> bool {
    w.stopped_at.is_none()
}

fn process_badge(w: &Presence, now: DateTime<Utc>) -> String {
    if w.is_dead(now) {
        badge("dead")
    } else if w.stopped_at.is_some() {
        badge("stopped")
    } else {
        badge("alive")
    }
}

/// One consumer of a process: its own watchdog's view and its registration.
fn consumer_row(c: &ConsumerLiveness, registration: &Registered<'_>) -> String {
    let class = if c.stalled || registration.is_problem() {
        " class=\"dead\""
    } else {
        ""
    };
    format!(
        "<tr{class}><th scope=\"row\">{label}</th><td>{state}</td><td class=\"num\">{progress}</td>\
         <td class=\"num\">{poll}</td><td class=\"num\">{stall}</td><td>{reg}</td></tr>",
        label = esc(&c.queue),
        state = badge(if c.stalled { "stalled" } else { "live" }),
        progress = secs(c.progress_age_secs),
        poll = c
            .last_poll_age_secs
            .map_or_else(|| "never".to_string(), secs),
        stall = secs(c.stall_after_secs),
        reg = registration.cell(),
    )
}

/// The consumers of one (not cleanly stopped) process.
fn process_section(w: &Presence, queues: &[QueueConsumers], now: DateTime<Utc>) -> String {
    let heading = format!(
        "<h3>{name} <span class=\"muted\">{host}, pid {pid}</span> {state}</h3>",
        name = esc(&w.worker),
        host = esc(&w.host),
        pid = w.pid,
        state = process_badge(w, now),
    );
    let table = if w.consumers.is_empty() {
        "<p class=\"muted\">This process reports no consumers.</p>".to_string()
    } else {
        let rows: String = w
            .consumers
            .iter()
            .map(|c| consumer_row(c, &registered(queues, &w.worker, &c.queue)))
            .collect();
        format!(
            "<table class=\"consumers\"><caption class=\"muted\">As its watchdog reported them at its last \
             heartbeat, {beat}.</caption><thead><tr><th scope=\"col\">Consumer (queue or schedule)</th>\
             <th scope=\"col\">State</th><th scope=\"col\" class=\"num\">Since progress</th>\
             <th scope=\"col\" class=\"num\">Since its loop ran</th><th scope=\"col\" class=\"num\">Stalled after</th>\
             <th scope=\"col\">Registration in Redis (what other workers see)</th></tr></thead><tbody>{rows}</tbody></table>",
            beat = html::time(w.last_heartbeat),
        )
    };
    format!(
        "<section id=\"w-{id}\" class=\"process\">{heading}{table}</section>",
        id = esc(&w.worker)
    )
}

/// A process's consumers in a few words, for its row in the process table.
fn consumers_summary(w: &Presence, queues: &[QueueConsumers]) -> String {
    if w.consumers.is_empty() {
        return "<span class=\"muted\">none reported</span>".to_string();
    }
    if !not_stopped(w) {
        // It unregistered its consumers on purpose.
        return format!("{} consumers, stopped with it", w.consumers.len());
    }
    let stalled = w.consumers.iter().filter(|c| c.stalled).count();
    let registrations: Vec<Registered<'_>> = w
        .consumers
        .iter()
        .map(|c| registered(queues, &w.worker, &c.queue))
        .collect();
    let expired = registrations
        .iter()
        .filter(|r| matches!(r, Registered::Found(r) if !r.heartbeat.counts_as_live()))
        .count();
    let missing = registrations
        .iter()
        .filter(|r| matches!(r, Registered::Missing))
        .count();
    let noun = |n: usize| {
        if n == 1 {
            "registration"
        } else {
            "registrations"
        }
    };
    let mut problems = Vec::new();
    if stalled > 0 {
        problems.push(format!("{stalled} {}", badge("stalled")));
    }
    if expired > 0 {
        problems.push(format!("{expired} {} {}", noun(expired), badge("expired")));
    }
    if missing > 0 {
        problems.push(format!("{missing} {} {}", noun(missing), badge("missing")));
    }
    let count = format!(
        "<a href=\"#w-{}\">{} consumers</a>",
        esc(&w.worker),
        w.consumers.len()
    );
    if problems.is_empty() {
        format!("{count}, all live")
    } else {
        format!("{count}: {}", problems.join(", "))
    }
}

/// One registration of a queue's workers set.
fn registration_row(r: &Registration, workers: &[Presence]) -> String {
    let process = match &r.process {
        Some(p) if workers.iter().any(|w| &w.worker == p && not_stopped(w)) => {
            format!("<a class=\"mono\" href=\"#w-{p}\">{p}</a>", p = esc(p))
        }
        Some(p) => format!(
            "<span class=\"mono\">{}</span> <span class=\"muted\">(no record of this process, or it stopped)</span>",
            esc(p)
        ),
        None => "<span class=\"muted\">unknown</span>".to_string(),
    };
    let class = if r.heartbeat.counts_as_live() {
        ""
    } else {
        " class=\"dead\""
    };
    format!(
        "<tr{class}><td class=\"mono\">{name}</td><td>{process}</td><td>{beat} <span class=\"muted\">({ago} ago)</span></td>\
         <td>{state}</td></tr>",
        name = esc(&r.name),
        beat = html::time(r.last_heartbeat),
        ago = html::duration(r.age_secs * 1000),
        state = badge(r.heartbeat.as_str()),
    )
}

/// One queue's registrations, as a group of the registrations table.
fn queue_group(q: &QueueConsumers, workers: &[Presence]) -> String {
    let l = &q.liveness;
    let alert = if l.unattended {
        format!(" {}", badge("no_live_consumer"))
    } else {
        String::new()
    };
    let mut rows: String = q
        .registrations
        .iter()
        .map(|r| registration_row(r, workers))
        .collect();
    if q.registrations.is_empty() {
        rows.push_str("<tr><td colspan=\"4\" class=\"muted\">No consumer registered.</td></tr>");
    }
    if q.truncated() {
        rows.push_str(&format!(
            "<tr><td colspan=\"4\" class=\"muted\">Only the {} freshest of {} registrations are listed.</td></tr>",
            q.registrations.len(),
            l.registered
        ));
    }
    format!(
        "<tbody id=\"consumers-{name}\"><tr><th scope=\"rowgroup\" colspan=\"4\">{name}: {live} live of {registered} \
         registered, {due} due{alert}</th></tr>{rows}</tbody>",
        name = esc(&l.queue),
        live = l.live,
        registered = l.registered,
        due = l.due,
    )
}

/// The workers page.
pub async fn list_workers(
    operator: Operator,
    State(state): State<AdminState>,
) -> Result<Html<String>, AdminError> {
    let now = Utc::now();
    let workers = list_presence(&state.queue).await?;
    let queues = queue_consumers(&state.queue, &state.queues(), now).await?;
    let window = HeartbeatWindow::of(&state.queue);
    let alive = workers
        .iter()
        .filter(|w| !w.is_dead(now) && not_stopped(w))
        .count();
    let dead = workers.iter().filter(|w| w.is_dead(now)).count();
    let rows: String = workers
        .iter()
        .map(|w| {
            let class = if w.is_dead(now) { " class=\"dead\"" } else { "" };
            format!(
                "<tr{class}><td>{mark}</td><td class=\"mono\">{name}</td><td>{host}</td><td class=\"num\">{pid}</td>\
                 <td>{version}</td><td>{started}</td><td>{beat} <span class=\"muted\">({ago} ago)</span></td>\
                 <td>{consumers}</td><td class=\"num\">{in_flight}</td></tr>",
                mark = process_badge(w, now),
                name = esc(&w.worker),
                host = esc(&w.host),
                pid = w.pid,
                version = esc(&w.version),
                started = html::time(w.started_at),
                beat = html::time(w.last_heartbeat),
                ago = html::duration((now - w.last_heartbeat).num_milliseconds()),
                consumers = consumers_summary(w, &queues),
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
             <th scope=\"col\">Started</th><th scope=\"col\">Last heartbeat</th><th scope=\"col\">Consumers</th>\
             <th scope=\"col\" class=\"num\">Jobs in flight</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let sections: String = workers
        .iter()
        .filter(|w| not_stopped(w))
        .map(|w| process_section(w, &queues, now))
        .collect();
    let sections = if sections.is_empty() {
        "<p class=\"muted\">None: no worker reported in the last hour, or all stopped cleanly.</p>"
            .to_string()
    } else {
        sections
    };
    let groups: String = queues.iter().map(|q| queue_group(q, &workers)).collect();
    let body = format!(
        "<h1>Workers</h1><p>{alive} alive, {dead} dead. A worker is dead after {MISSED_BEFORE_DEAD} missed \
         heartbeats without a clean shutdown; its jobs return to the queue after the orphan timeout. \
         Records disappear an hour after the last heartbeat.</p>{table}\
         <h2>Consumers of each worker process</h2>\
         <p>Each queue consumer and cron schedule as its process's watchdog judges it: stalled after \
         its stall window without progress (a heartbeat, or a finished tick), then restarted. Next to \
         it, its registration in Redis, which is what the other workers go by.</p>{sections}\
         <h2>Consumers registered in Redis, by queue</h2>\
         <p>apalis's workers set of each queue, scored by each consumer's last heartbeat. A consumer \
         is live while its heartbeat is younger than {orphan} s ({beats} heartbeats of {every} s){late}; \
         then it is expired: the next heartbeat of another consumer of the queue hands its jobs \
         back and removes it. A queue with due jobs and no live consumer is marked: nothing takes \
         its jobs.</p>\
         <table id=\"registrations\"><thead><tr><th scope=\"col\">Consumer</th><th scope=\"col\">Worker process</th>\
         <th scope=\"col\">Last heartbeat</th><th scope=\"col\">State</th></tr></thead>{groups}</table>",
        orphan = window.orphan_after_secs,
        beats = state.settings.redis.missed_heartbeats,
        every = window.heartbeat_secs,
        late = if window.late_after_secs() < window.orphan_after_secs {
            format!(
                ", and marked late once its heartbeat is more than {} s old",
                window.late_after_secs()
            )
        } else {
            String::new()
        },
    );
    Ok(html::page(&operator, "/admin/workers", "Workers", &body))
}

//! Read-only views of a queue for the admin console, with bounded commands only (`ZCARD`,
//! `LLEN`, `SCARD`, pipelines over at most a few hundred keys, `SSCAN` pages): never `KEYS`, and
//! never a script that walks a whole backlog.
//!
//! apalis-redis keeps, per queue: `:scheduled` (zset of task ids by due time; every pushed job
//! lands here first, retries come back here), `:active` (list), `:inflight:<worker>` (set per
//! worker, worker names in the `:workers` zset scored by last heartbeat), `:done` and `:dead`
//! (sets), `:data` (hash of payloads) and `:meta:<task id>` (hashes with `status`,
//! `attempts`, `result`). Consumers and the jobs due for them: see [`super::consumers`].

use std::collections::BTreeMap;

use redis::AsyncCommands;

use super::{Queue, QueueError};

/// How many scheduled jobs are looked at to tell retries from first runs.
pub const RETRY_SAMPLE: isize = 1000;
/// How many registered workers of a queue are looked at for in-flight counts.
const WORKER_SAMPLE: isize = 200;

/// Jobs of one queue by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    /// The queue's name inside the namespace.
    pub queue: String,
    /// Waiting for their time (first runs).
    pub scheduled: u64,
    /// Waiting for their time after a failed attempt (counted among the first
    /// [`RETRY_SAMPLE`] scheduled jobs).
    pub retrying: u64,
    /// Due and waiting for a worker.
    pub queued: u64,
    /// Fetched by a worker.
    pub running: u64,
    /// Finished successfully (until vacuumed).
    pub done: u64,
    /// In apalis-redis's failed set.
    pub failed: u64,
    /// Given up on.
    pub dead: u64,
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// In the scheduled set, due at this Unix time (seconds).
    Scheduled(i64),
    /// In the active list.
    Queued,
    /// In this worker's in-flight set.
    Running(String),
    /// Finished.
    Done,
    /// Given up on.
    Dead,
    /// Not found in any state (vacuumed, or never existed).
    Unknown,
}

/// One job, as the console shows it: payloads carry ids only, never secrets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobInfo {
    /// The queue's name inside the namespace.
    pub queue: String,
    /// The task id.
    pub id: String,
    /// The payload as stored (JSON), if still present.
    pub data: Option<String>,
    /// apalis-redis's metadata (`status`, `attempts`, `result`, ...).
    pub meta: BTreeMap<String, String>,
    /// Where it is.
    pub state: JobState,
}

fn full(queue: &Queue, name: &str) -> String {
    queue.queue_name(name)
}

/// Counts the jobs of queue `name` by state.
pub async fn queue_counts(queue: &Queue, name: &str) -> Result<QueueCounts, QueueError> {
    let q = full(queue, name);
    let mut conn = queue.connection();
    let (scheduled_total, queued, done, failed, dead, sample, worker_names): (
        u64,
        u64,
        u64,
        u64,
        u64,
        Vec<String>,
        Vec<String>,
    ) = redis::pipe()
        .zcard(format!("{q}:scheduled"))
        .llen(format!("{q}:active"))
        .scard(format!("{q}:done"))
        .scard(format!("{q}:failed"))
        .scard(format!("{q}:dead"))
        .zrange(format!("{q}:scheduled"), 0, RETRY_SAMPLE - 1)
        .zrange(format!("{q}:workers"), 0, WORKER_SAMPLE - 1)
        .query_async(&mut conn)
        .await?;
    let mut statuses = redis::pipe();
    for id in &sample {
        statuses.hget(format!("{q}:meta:{id}"), "status");
    }
    let statuses: Vec<Option<String>> = if sample.is_empty() {
        Vec::new()
    } else {
        statuses.query_async(&mut conn).await?
    };
    let retrying = statuses
        .iter()
        .filter(|s| s.as_deref() == Some("Failed"))
        .count() as u64;
    let mut inflight = redis::pipe();
    for worker in &worker_names {
        inflight.scard(format!("{q}:inflight:{worker}"));
    }
    let running: Vec<u64> = if worker_names.is_empty() {
        Vec::new()
    } else {
        inflight.query_async(&mut conn).await?
    };
    Ok(QueueCounts {
        queue: name.to_string(),
        scheduled: scheduled_total.saturating_sub(retrying),
        retrying,
        queued,
        running: running.iter().sum(),
        done,
        failed,
        dead,
    })
}

/// Up to `limit` dead jobs of queue `name`, with their payloads and metadata.
pub async fn dead_jobs(
    queue: &Queue,
    name: &str,
    limit: usize,
) -> Result<Vec<JobInfo>, QueueError> {
    let q = full(queue, name);
    let mut conn = queue.connection();
    let mut ids: Vec<String> = Vec::new();
    let mut cursor: u64 = 0;
    // A bounded number of SSCAN pages, each a small amount of work for Redis.
    for _ in 0..10 {
        let (next, page): (u64, Vec<String>) = redis::cmd("SSCAN")
            .arg(format!("{q}:dead"))
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query_async(&mut conn)
            .await?;
        ids.extend(page);
        cursor = next;
        if cursor == 0 || ids.len() >= limit {
            break;
        }
    }
    ids.sort();
    ids.dedup();
    ids.truncate(limit);
    let mut jobs = Vec::with_capacity(ids.len());
    for id in ids {
        let (data, meta) = data_and_meta(&mut conn, &q, &id).await?;
        jobs.push(JobInfo {
            queue: name.to_string(),
            id,
            data,
            meta,
            state: JobState::Dead,
        });
    }
    Ok(jobs)
}

async fn data_and_meta(
    conn: &mut redis::aio::ConnectionManager,
    q: &str,
    id: &str,
) -> Result<(Option<String>, BTreeMap<String, String>), QueueError> {
    let (data, meta): (Option<String>, BTreeMap<String, String>) = redis::pipe()
        .hget(format!("{q}:data"), id)
        .hgetall(format!("{q}:meta:{id}"))
        .query_async(conn)
        .await?;
    Ok((data, meta))
}

/// The job `id` of queue `name`, if Redis still knows it.
pub async fn job(queue: &Queue, name: &str, id: &str) -> Result<Option<JobInfo>, QueueError> {
    let q = full(queue, name);
    let mut conn = queue.connection();
    let (data, meta) = data_and_meta(&mut conn, &q, id).await?;
    if data.is_none() && meta.is_empty() {
        return Ok(None);
    }
    let (due, done, dead, position, workers): (Option<f64>, bool, bool, Option<i64>, Vec<String>) =
        redis::pipe()
            .zscore(format!("{q}:scheduled"), id)
            .sismember(format!("{q}:done"), id)
            .sismember(format!("{q}:dead"), id)
            .cmd("LPOS")
            .arg(format!("{q}:active"))
            .arg(id)
            .zrange(format!("{q}:workers"), 0, WORKER_SAMPLE - 1)
            .query_async(&mut conn)
            .await?;
    let mut state = match (due, done, dead, position) {
        (Some(at), _, _, _) => JobState::Scheduled(at as i64),
        (_, true, _, _) => JobState::Done,
        (_, _, true, _) => JobState::Dead,
        (_, _, _, Some(_)) => JobState::Queued,
        _ => JobState::Unknown,
    };
    if state == JobState::Unknown {
        for worker in workers {
            let held: bool = conn.sismember(format!("{q}:inflight:{worker}"), id).await?;
            if held {
                state = JobState::Running(worker);
                break;
            }
        }
    }
    Ok(Some(JobInfo {
        queue: name.to_string(),
        id: id.to_string(),
        data,
        meta,
        state,
    }))
}

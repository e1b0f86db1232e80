//! Worker presence: each worker process describes itself in Redis every few seconds, so the
//! admin console can list every process (host, pid, version, start, last heartbeat, jobs in
//! flight) and mark the ones that stopped heartbeating.
//!
//! Layout: the hash `<namespace>:presence:<worker name>` (fields `host`, `pid`, `version`,
//! `started_at`, `last_heartbeat` (RFC 3339, UTC), `in_flight`, `interval_secs`, `consumers`
//! (JSON: each queue consumer's liveness as the process's own watchdog judges it), and
//! `stopped_at` once it shut down cleanly), expiring an hour after the last write, and the
//! index zset `<namespace>:presence` (worker names scored by last heartbeat, Unix seconds),
//! trimmed of entries older than an hour at every write. Readers walk the index, never `KEYS`.

use chrono::{DateTime, Utc};

use super::{Queue, QueueError};

/// How long a presence record outlives its last heartbeat.
pub const PRESENCE_TTL_SECS: i64 = 3600;
/// A worker is dead after missing this many heartbeats.
pub const MISSED_BEFORE_DEAD: i64 = 3;
/// Most records a listing returns.
const LIST_LIMIT: isize = 500;

/// One worker process, as it last described itself.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Presence {
    /// The worker name (`worker-<host>-<pid>-<random>`).
    pub worker: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// The worker's version.
    pub version: String,
    /// When the process started.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat.
    pub last_heartbeat: DateTime<Utc>,
    /// Jobs it holds (fetched, running or about to run).
    pub in_flight: u64,
    /// Its heartbeat period.
    pub interval_secs: u64,
    /// Set when it shut down cleanly.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Its queue consumers and cron schedules, as its watchdog judges them.
    pub consumers: Vec<ConsumerLiveness>,
}

/// One consumer (queue or cron schedule) of a worker process, as its watchdog judges it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConsumerLiveness {
    /// The queue (or schedule) it consumes.
    pub queue: String,
    /// Seconds since it last made progress (a heartbeat, or a tick).
    pub progress_age_secs: f64,
    /// Seconds since its loop last ran.
    pub last_poll_age_secs: Option<f64>,
    /// Seconds without progress after which it counts as stalled.
    pub stall_after_secs: f64,
    /// Whether it is stalled (and being restarted).
    pub stalled: bool,
}

impl Presence {
    /// Whether it missed [`MISSED_BEFORE_DEAD`] heartbeats without a clean shutdown.
    pub fn is_dead(&self, now: DateTime<Utc>) -> bool {
        self.stopped_at.is_none()
            && (now - self.last_heartbeat).num_seconds()
                > MISSED_BEFORE_DEAD * self.interval_secs.max(1) as i64
    }
}

fn index_key(queue: &Queue) -> String {
    queue.queue_name("presence")
}

fn record_key(queue: &Queue, worker: &str) -> String {
    queue.queue_name(&format!("presence:{worker}"))
}

/// Writes (or refreshes) a worker's presence record.
pub async fn write_presence(queue: &Queue, presence: &Presence) -> Result<(), QueueError> {
    let key = record_key(queue, &presence.worker);
    let mut conn = queue.connection();
    let mut fields = vec![
        ("host", presence.host.clone()),
        ("pid", presence.pid.to_string()),
        ("version", presence.version.clone()),
        ("started_at", presence.started_at.to_rfc3339()),
        ("last_heartbeat", presence.last_heartbeat.to_rfc3339()),
        ("in_flight", presence.in_flight.to_string()),
        ("interval_secs", presence.interval_secs.to_string()),
        (
            "consumers",
            serde_json::to_string(&presence.consumers).unwrap_or_else(|_| "[]".into()),
        ),
    ];
    if let Some(stopped) = presence.stopped_at {
        fields.push(("stopped_at", stopped.to_rfc3339()));
    }
    let beat = presence.last_heartbeat.timestamp();
    redis::pipe()
        .hset_multiple(&key, &fields)
        .ignore()
        .expire(&key, PRESENCE_TTL_SECS)
        .ignore()
        .zadd(index_key(queue), &presence.worker, beat)
        .ignore()
        .zrembyscore(index_key(queue), "-inf", beat - PRESENCE_TTL_SECS)
        .ignore()
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

/// How many jobs `worker` holds across `queues` (its in-flight sets, one per queue).
pub async fn in_flight(queue: &Queue, worker: &str, queues: &[&str]) -> Result<u64, QueueError> {
    let mut pipe = redis::pipe();
    for name in queues {
        pipe.scard(format!(
            "{}:inflight:{worker}:{name}",
            queue.queue_name(name)
        ));
    }
    let mut conn = queue.connection();
    let counts: Vec<u64> = pipe.query_async(&mut conn).await?;
    Ok(counts.iter().sum())
}

fn parse_time(raw: Option<&String>) -> Option<DateTime<Utc>> {
    raw.and_then(|r| DateTime::parse_from_rfc3339(r).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Every worker that wrote a presence record within the last hour, most recent heartbeat first.
pub async fn list_presence(queue: &Queue) -> Result<Vec<Presence>, QueueError> {
    let mut conn = queue.connection();
    let names: Vec<String> = redis::cmd("ZREVRANGE")
        .arg(index_key(queue))
        .arg(0)
        .arg(LIST_LIMIT - 1)
        .query_async(&mut conn)
        .await?;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for name in &names {
        pipe.hgetall(record_key(queue, name));
    }
    let records: Vec<std::collections::HashMap<String, String>> =
        pipe.query_async(&mut conn).await?;
    Ok(names
        .into_iter()
        .zip(records)
        .filter_map(|(worker, r)| {
            Some(Presence {
                host: r.get("host")?.clone(),
                pid: r.get("pid")?.parse().ok()?,
                version: r.get("version")?.clone(),
                started_at: parse_time(r.get("started_at"))?,
                last_heartbeat: parse_time(r.get("last_heartbeat"))?,
                in_flight: r.get("in_flight")?.parse().ok()?,
                interval_secs: r.get("interval_secs")?.parse().ok()?,
                stopped_at: parse_time(r.get("stopped_at")),
                consumers: r
                    .get("consumers")
                    .and_then(|c| serde_json::from_str(c).ok())
                    .unwrap_or_default(),
                worker,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_after_three_missed_heartbeats_unless_stopped() {
        let now = Utc::now();
        let mut p = Presence {
            worker: "worker-h-1-0".into(),
            host: "h".into(),
            pid: 1,
            version: "0.1.0".into(),
            started_at: now,
            last_heartbeat: now - chrono::Duration::seconds(15),
            in_flight: 0,
            interval_secs: 5,
            stopped_at: None,
            consumers: Vec::new(),
        };
        assert!(!p.is_dead(now));
        p.last_heartbeat = now - chrono::Duration::seconds(16);
        assert!(p.is_dead(now));
        p.stopped_at = Some(now);
        assert!(!p.is_dead(now));
    }
}

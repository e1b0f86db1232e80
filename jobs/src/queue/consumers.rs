//! Queue consumers as the other workers judge them, and the jobs waiting for them, for the
//! admin console.
//!
//! apalis-redis registers every queue consumer in the zset `<namespace>:<queue>:workers`
//! (`<worker process>:<queue>`, `...:r<n>` after a restart), scored by its last heartbeat in
//! Unix seconds. At each of its own heartbeats, any consumer of the queue removes the
//! registrations whose heartbeat is at least the orphan window old
//! (`redis.heartbeat_secs x redis.missed_heartbeats`) and hands their jobs back. So a consumer
//! counts as *live* while its heartbeat is younger than that window, whatever its process says
//! about itself.
//!
//! A job is *due* once its time has come and no consumer has taken it: in the `:scheduled` zset
//! with a due time up to now (a consumer's fetch has not promoted it yet), or in the `:active`
//! list. A queue with due jobs and no live consumer is *unattended*: nothing will take them.
//!
//! Every read is one pipelined round trip for all queues, made of counts (`ZCARD`, `ZCOUNT`,
//! `LLEN`) and at most [`CONSUMERS_LISTED`] registrations per queue: never `KEYS` or `SCAN`.

use chrono::{DateTime, TimeZone, Utc};
use redis::Value;

use super::{Queue, QueueError};

/// Most registrations of one queue that [`queue_consumers`] lists (the freshest).
pub const CONSUMERS_LISTED: isize = 200;

/// The heartbeat timing that other workers judge consumers by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HeartbeatWindow {
    /// A consumer heartbeats this often, idle or busy.
    pub heartbeat_secs: i64,
    /// A registration this old is recovered by the next heartbeat of another consumer.
    pub orphan_after_secs: i64,
}

/// A registration's heartbeat, judged against the [`HeartbeatWindow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Heartbeat {
    /// Heartbeating on time.
    Live,
    /// It missed its last heartbeat, but other workers still count it as live.
    Late,
    /// Older than the orphan window: other workers treat it as dead and hand its jobs back.
    Expired,
}

impl Heartbeat {
    /// The word the console shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Late => "late",
            Self::Expired => "expired",
        }
    }

    /// Whether other workers still count the consumer as live.
    pub fn counts_as_live(self) -> bool {
        self != Self::Expired
    }
}

impl HeartbeatWindow {
    /// The window of `queue`'s settings (the same `redis` settings the workers run with).
    pub fn of(queue: &Queue) -> Self {
        Self {
            heartbeat_secs: queue.settings.heartbeat_secs as i64,
            orphan_after_secs: queue.settings.orphan_after().as_secs() as i64,
        }
    }

    /// A heartbeat older than this is late: one and a half periods, rounded up (scores are whole
    /// seconds, and a heartbeat takes a moment).
    pub fn late_after_secs(&self) -> i64 {
        self.heartbeat_secs + (self.heartbeat_secs + 1) / 2
    }

    /// Judges a heartbeat `age_secs` old. At the orphan window it is expired, as orphan recovery
    /// has it (it removes scores up to `now - window`, inclusive).
    pub fn judge(&self, age_secs: i64) -> Heartbeat {
        if age_secs >= self.orphan_after_secs {
            Heartbeat::Expired
        } else if age_secs > self.late_after_secs() {
            Heartbeat::Late
        } else {
            Heartbeat::Live
        }
    }

    /// The lowest heartbeat score (exclusive) of a live consumer at `now`.
    fn live_since(&self, now: i64) -> i64 {
        now - self.orphan_after_secs
    }
}

/// One queue's consumers and due jobs, in counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueLiveness {
    /// The queue's name inside the namespace.
    pub queue: String,
    /// Consumers registered, live or not (an expired one stays until another consumer of the
    /// queue recovers it).
    pub registered: u64,
    /// Consumers whose heartbeat is younger than the orphan window.
    pub live: u64,
    /// Jobs whose time has come and that no consumer has taken.
    pub due: u64,
    /// Jobs are due and no consumer is live: nothing will take them.
    pub unattended: bool,
}

impl QueueLiveness {
    /// The liveness of `queue` from its counts.
    pub fn new(queue: &str, registered: u64, live: u64, due: u64) -> Self {
        Self {
            queue: queue.to_string(),
            registered,
            live,
            due,
            unattended: due > 0 && live == 0,
        }
    }
}

/// One consumer registered in a queue's workers zset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Registration {
    /// Its apalis worker name.
    pub name: String,
    /// The worker process it belongs to, when its name has the usual shape.
    pub process: Option<String>,
    /// Its last heartbeat.
    pub last_heartbeat: DateTime<Utc>,
    /// Seconds since then (never negative).
    pub age_secs: i64,
    /// How other workers judge it.
    pub heartbeat: Heartbeat,
}

/// One queue's liveness and its registered consumers, freshest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueConsumers {
    /// Counts.
    pub liveness: QueueLiveness,
    /// At most [`CONSUMERS_LISTED`] registrations, freshest first.
    pub registrations: Vec<Registration>,
}

impl QueueConsumers {
    /// Whether some registrations were left out (the oldest ones).
    pub fn truncated(&self) -> bool {
        (self.registrations.len() as u64) < self.liveness.registered
    }
}

/// The worker process a consumer of `queue` belongs to: its name without the `:<queue>` it
/// consumes and the `:r<n>` a restart appends (`worker-h-1-ab:publish:r2` -> `worker-h-1-ab`).
pub fn process_of<'a>(consumer: &'a str, queue: &str) -> Option<&'a str> {
    let run = match consumer.rsplit_once(":r") {
        Some((run, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => run,
        _ => consumer,
    };
    run.strip_suffix(queue)?
        .strip_suffix(':')
        .filter(|process| !process.is_empty())
}

/// A registration scored `score` (Unix seconds), judged at `now`.
fn registration(
    name: String,
    score: f64,
    queue: &str,
    now: i64,
    window: &HeartbeatWindow,
) -> Registration {
    let beat = score as i64;
    let age_secs = (now - beat).max(0);
    Registration {
        process: process_of(&name, queue).map(str::to_string),
        last_heartbeat: Utc.timestamp_opt(beat, 0).single().unwrap_or_default(),
        age_secs,
        heartbeat: window.judge(age_secs),
        name,
    }
}

/// Adds the counts of queue `name` to `pipe`: registered, live, due in the scheduled set, and
/// the active list's length.
fn add_counts(pipe: &mut redis::Pipeline, queue: &Queue, name: &str, now: i64) {
    let config = queue.config_for(name);
    let live_since = HeartbeatWindow::of(queue).live_since(now);
    pipe.zcard(config.workers_set())
        .zcount(config.workers_set(), format!("({live_since}"), "+inf")
        .zcount(config.scheduled_jobs_set(), "-inf", now)
        .llen(config.active_jobs_list());
}

/// The next value of a pipeline's answer, decoded.
fn next<T: redis::FromRedisValue>(
    values: &mut impl Iterator<Item = Value>,
) -> Result<T, QueueError> {
    Ok(redis::from_redis_value(values.next().unwrap_or(Value::Nil))
        .map_err(redis::RedisError::from)?)
}

/// Reads back what [`add_counts`] asked for.
fn read_counts(
    values: &mut impl Iterator<Item = Value>,
    name: &str,
) -> Result<QueueLiveness, QueueError> {
    let registered: u64 = next(values)?;
    let live: u64 = next(values)?;
    let scheduled_due: u64 = next(values)?;
    let active: u64 = next(values)?;
    Ok(QueueLiveness::new(
        name,
        registered,
        live,
        scheduled_due + active,
    ))
}

/// The liveness of each of the queues `names` at `now`, in the same order; one round trip.
pub async fn queue_liveness(
    queue: &Queue,
    names: &[&str],
    now: DateTime<Utc>,
) -> Result<Vec<QueueLiveness>, QueueError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let now = now.timestamp();
    let mut pipe = redis::pipe();
    for name in names {
        add_counts(&mut pipe, queue, name, now);
    }
    let mut conn = queue.connection();
    let values: Vec<Value> = pipe.query_async(&mut conn).await?;
    let mut values = values.into_iter();
    names
        .iter()
        .map(|name| read_counts(&mut values, name))
        .collect()
}

/// The liveness and registered consumers of each of the queues `names` at `now`, in the same
/// order; one round trip.
pub async fn queue_consumers(
    queue: &Queue,
    names: &[&str],
    now: DateTime<Utc>,
) -> Result<Vec<QueueConsumers>, QueueError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let window = HeartbeatWindow::of(queue);
    let now = now.timestamp();
    let mut pipe = redis::pipe();
    for name in names {
        add_counts(&mut pipe, queue, name, now);
        pipe.zrevrange_withscores(
            queue.config_for(name).workers_set(),
            0,
            CONSUMERS_LISTED - 1,
        );
    }
    let mut conn = queue.connection();
    let values: Vec<Value> = pipe.query_async(&mut conn).await?;
    let mut values = values.into_iter();
    names
        .iter()
        .map(|name| {
            let liveness = read_counts(&mut values, name)?;
            let listed: Vec<(String, f64)> = next(&mut values)?;
            Ok(QueueConsumers {
                liveness,
                registrations: listed
                    .into_iter()
                    .map(|(consumer, score)| registration(consumer, score, name, now, &window))
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: HeartbeatWindow = HeartbeatWindow {
        heartbeat_secs: 5,
        orphan_after_secs: 10,
    };

    #[test]
    fn heartbeats_are_late_after_a_missed_beat_and_expired_at_the_orphan_window() {
        assert_eq!(DEFAULTS.late_after_secs(), 8);
        assert_eq!(DEFAULTS.judge(0), Heartbeat::Live);
        assert_eq!(DEFAULTS.judge(8), Heartbeat::Live);
        assert_eq!(DEFAULTS.judge(9), Heartbeat::Late);
        assert_eq!(DEFAULTS.judge(10), Heartbeat::Expired);
        assert_eq!(DEFAULTS.judge(3600), Heartbeat::Expired);
        assert!(Heartbeat::Late.counts_as_live());
        assert!(!Heartbeat::Expired.counts_as_live());
        // A short window has no room for "late": a consumer is live, then expired.
        let tight = HeartbeatWindow {
            heartbeat_secs: 1,
            orphan_after_secs: 2,
        };
        assert_eq!(tight.judge(1), Heartbeat::Live);
        assert_eq!(tight.judge(2), Heartbeat::Expired);
    }

    #[test]
    fn live_consumers_are_counted_exactly_like_the_judgement() {
        // `ZCOUNT (live_since +inf` must count what `judge` calls live, and nothing else.
        let now = 1_000_000;
        let since = DEFAULTS.live_since(now);
        for age in 0..20 {
            let counted = now - age > since;
            assert_eq!(counted, DEFAULTS.judge(age).counts_as_live(), "age {age}");
        }
    }

    #[test]
    fn a_queue_is_unattended_when_jobs_are_due_and_no_consumer_is_live() {
        assert!(QueueLiveness::new("publish", 2, 0, 3).unattended);
        assert!(!QueueLiveness::new("publish", 2, 1, 3).unattended);
        assert!(!QueueLiveness::new("publish", 0, 0, 0).unattended);
    }

    #[test]
    fn registrations_name_their_process() {
        assert_eq!(
            process_of("worker-h-1-ab:publish", "publish"),
            Some("worker-h-1-ab")
        );
        assert_eq!(
            process_of("worker-h-1-ab:publish:r12", "publish"),
            Some("worker-h-1-ab")
        );
        assert_eq!(
            process_of("worker-h-1-ab:token-refresh-sweep", "token-refresh-sweep"),
            Some("worker-h-1-ab")
        );
        assert_eq!(
            process_of("worker-h-1-ab:token-refresh-sweep", "sweep"),
            None
        );
        assert_eq!(process_of("publish", "publish"), None);
        assert_eq!(process_of("something-else", "publish"), None);
        // A process name ending in `:r` followed by non-digits is not a restart suffix.
        assert_eq!(process_of("w:rx:publish", "publish"), Some("w:rx"));
    }

    #[test]
    fn a_registration_is_judged_by_its_age_and_never_younger_than_now() {
        let now = 1_000_000;
        let old = registration(
            "w-1:canary:r2".into(),
            (now - 600) as f64,
            "canary",
            now,
            &DEFAULTS,
        );
        assert_eq!(
            (old.process.as_deref(), old.age_secs, old.heartbeat),
            (Some("w-1"), 600, Heartbeat::Expired)
        );
        assert_eq!(old.last_heartbeat.timestamp(), now - 600);
        // A writer whose clock runs ahead.
        let ahead = registration(
            "w-2:canary".into(),
            (now + 3) as f64,
            "canary",
            now,
            &DEFAULTS,
        );
        assert_eq!((ahead.age_secs, ahead.heartbeat), (0, Heartbeat::Live));
    }
}

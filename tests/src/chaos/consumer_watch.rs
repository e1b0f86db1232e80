//! Watching queue consumers from outside, the way an operator would: every consumer's
//! heartbeat in `<namespace>:<queue>:workers` (a zset of consumer names scored by their last
//! heartbeat, Unix seconds), and the jobs that are due but not taken.
//!
//! A consumer is one queue of one worker process: its name is `<process>:<queue>`, with
//! `:r<n>` appended when it was restarted. A consumer is stalled from the last time its
//! heartbeat was seen fresh until it is seen fresh again; only processes still running count.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

/// One consumer: (process name, queue).
type ConsumerKey = (String, String);

/// Splits `worker-<host>-<pid>-<random>:<queue>[:r<n>]` into process, queue and pid.
fn parse_consumer(member: &str) -> Option<(String, String, u32)> {
    let (process, rest) = member.split_once(':')?;
    let queue = rest.split(':').next()?.to_string();
    let pid = process.rsplit('-').nth(1)?.parse().ok()?;
    Some((process.to_string(), queue, pid))
}

/// Samples consumer heartbeats and keeps the longest stall per queue.
pub struct ConsumerWatch {
    conn: ConnectionManager,
    namespace: String,
    queues: Vec<String>,
    fresh_within_secs: i64,
    last_fresh: HashMap<ConsumerKey, (Instant, u32)>,
    longest: BTreeMap<String, Duration>,
}

impl std::fmt::Debug for ConsumerWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerWatch")
            .field("namespace", &self.namespace)
            .field("longest", &self.longest)
            .finish_non_exhaustive()
    }
}

impl ConsumerWatch {
    /// Watches `queues` of `namespace` on `redis_url` (straight to Redis, never through a
    /// fault proxy). A heartbeat at most `fresh_within_secs` old counts as alive.
    pub async fn new(
        redis_url: &str,
        namespace: &str,
        queues: &[&str],
        fresh_within_secs: i64,
    ) -> Self {
        let client = redis::Client::open(redis_url).expect("redis url");
        let conn = ConnectionManager::new(client).await.expect("redis answers");
        Self {
            conn,
            namespace: namespace.to_string(),
            queues: queues.iter().map(|q| q.to_string()).collect(),
            fresh_within_secs,
            last_fresh: HashMap::new(),
            longest: BTreeMap::new(),
        }
    }

    /// Takes one sample; `alive` says whether the process with that pid still runs, `paused`
    /// whether it is stopped on purpose (SIGSTOP): its consumers' clocks stand still until it
    /// runs again. A failed read (Redis restarting) is skipped: it proves nothing about them.
    pub async fn sample(&mut self, alive: impl Fn(u32) -> bool, paused: impl Fn(u32) -> bool) {
        let Ok(now) = redis::cmd("TIME")
            .query_async::<(i64, i64)>(&mut self.conn)
            .await
        else {
            return;
        };
        let seen = Instant::now();
        for queue in self.queues.clone() {
            let key = format!("{}:{queue}:workers", self.namespace);
            let Ok(members) = redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query_async::<Vec<(String, f64)>>(&mut self.conn)
                .await
            else {
                continue;
            };
            for (member, score) in members {
                let Some((process, queue, pid)) = parse_consumer(&member) else {
                    continue;
                };
                let entry = self
                    .last_fresh
                    .entry((process, queue))
                    .or_insert((seen, pid));
                if now.0 - score as i64 <= self.fresh_within_secs {
                    entry.0 = seen;
                }
            }
        }
        self.last_fresh.retain(|_, (_, pid)| alive(*pid));
        for (fresh, pid) in self.last_fresh.values_mut() {
            if paused(*pid) {
                *fresh = seen;
            }
        }
        for ((_, queue), (fresh, _)) in &self.last_fresh {
            let stall = seen.duration_since(*fresh);
            let longest = self.longest.entry(queue.clone()).or_default();
            *longest = (*longest).max(stall);
        }
    }

    /// The longest time any consumer of each queue went without a fresh heartbeat.
    pub fn longest_stalls(&self) -> &BTreeMap<String, Duration> {
        &self.longest
    }

    /// How many consumers (of running processes) are being watched.
    pub fn consumers(&self) -> usize {
        self.last_fresh.len()
    }

    /// Jobs of each queue that have been due for more than `grace` and are not taken (still in
    /// the scheduled set, or waiting in the active list).
    pub async fn due_not_taken(&mut self, grace: Duration) -> BTreeMap<String, u64> {
        let mut due = BTreeMap::new();
        let Ok((now, _)) = redis::cmd("TIME")
            .query_async::<(i64, i64)>(&mut self.conn)
            .await
        else {
            return due;
        };
        for queue in self.queues.clone() {
            let prefix = format!("{}:{queue}", self.namespace);
            let late: u64 = redis::cmd("ZCOUNT")
                .arg(format!("{prefix}:scheduled"))
                .arg("-inf")
                .arg(now - grace.as_secs() as i64)
                .query_async(&mut self.conn)
                .await
                .unwrap_or(0);
            due.insert(queue, late);
        }
        due
    }
}

/// How many jobs of `queue` each worker process (by pid) holds right now: its consumers'
/// in-flight sets, `<namespace>:<queue>:inflight:<consumer name>`.
pub async fn in_flight_by_pid(
    redis_url: &str,
    namespace: &str,
    queue: &str,
) -> std::collections::HashMap<u32, u64> {
    let mut conn = redis::Client::open(redis_url)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let prefix = format!("{namespace}:{queue}:inflight:");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    let mut held = std::collections::HashMap::new();
    for key in keys {
        let Some((_, _, pid)) = key.strip_prefix(&prefix).and_then(parse_consumer) else {
            continue;
        };
        let n: u64 = redis::cmd("SCARD")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap_or(0);
        *held.entry(pid).or_default() += n;
    }
    held
}

#[cfg(test)]
mod tests {
    use super::parse_consumer;

    #[test]
    fn consumer_names_split_into_process_queue_and_pid() {
        assert_eq!(
            parse_consumer("worker-vm-1-19909-4d4c9d6d:publish-dispatch"),
            Some((
                "worker-vm-1-19909-4d4c9d6d".into(),
                "publish-dispatch".into(),
                19909
            ))
        );
        assert_eq!(
            parse_consumer("worker-host-7-0a0b0c0d:publish:r2").map(|c| c.1),
            Some("publish".into())
        );
        assert_eq!(parse_consumer("garbage"), None);
    }
}

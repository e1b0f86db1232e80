//! Watching queue consumers from outside, the way an operator would: every consumer's
//! heartbeat in `<namespace>:<queue>:workers` (a zset of consumer names scored by their last
//! heartbeat, Unix seconds), and the jobs that are due but not taken.
//!
//! A consumer is one queue of one worker process: its name is `<process>:<queue>`, with
//! `:r<n>` appended when it was restarted. The time it went without a heartbeat is read from the
//! scores themselves: the jump of its score between two samples, and the age of its score at
//! each sample. So a sample that Redis could not answer (restarting, paused) loses nothing. Only
//! processes still running count, and not while they are stopped on purpose.

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

/// A consumer's last heartbeat (Unix seconds) and process id.
#[derive(Debug, Clone, Copy)]
struct Beat {
    at: i64,
    pid: u32,
}

/// The longest time one consumer went without a heartbeat: whose, and when (Unix seconds, by
/// Redis's clock), to find what its process logged meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stall {
    /// The consumer's queue.
    pub queue: String,
    /// Its process.
    pub pid: u32,
    /// Its last heartbeat before the gap.
    pub from: i64,
    /// Its next heartbeat, or the last sample while it had none.
    pub until: i64,
}

impl Stall {
    /// How long the consumer went without a heartbeat.
    pub fn gap(&self) -> Duration {
        Duration::from_secs((self.until - self.from).max(0) as u64)
    }
}

/// Samples consumer heartbeats and keeps the longest gap per queue.
pub struct ConsumerWatch {
    conn: ConnectionManager,
    namespace: String,
    queues: Vec<String>,
    last: HashMap<ConsumerKey, Beat>,
    longest: BTreeMap<String, Duration>,
    worst: Option<Stall>,
    /// When the last sample Redis answered in full was taken.
    last_seen: Option<Instant>,
    /// The longest time between two such samples.
    blind: Duration,
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
    /// fault proxy).
    pub async fn new(redis_url: &str, namespace: &str, queues: &[&str]) -> Self {
        let client = redis::Client::open(redis_url).expect("redis url");
        let conn = ConnectionManager::new(client).await.expect("redis answers");
        Self {
            conn,
            namespace: namespace.to_string(),
            queues: queues.iter().map(|q| q.to_string()).collect(),
            last: HashMap::new(),
            longest: BTreeMap::new(),
            worst: None,
            last_seen: None,
            blind: Duration::ZERO,
        }
    }

    fn note(&mut self, stall: Stall) {
        let longest = self.longest.entry(stall.queue.clone()).or_default();
        *longest = (*longest).max(stall.gap());
        if self.worst.as_ref().is_none_or(|w| stall.gap() > w.gap()) {
            self.worst = Some(stall);
        }
    }

    /// Takes one sample; `alive` says whether the process with that pid still runs, `paused`
    /// whether it is stopped on purpose (SIGSTOP): its consumers' gaps are counted from when it
    /// runs again. A sample Redis does not answer is skipped.
    pub async fn sample(&mut self, alive: impl Fn(u32) -> bool, paused: impl Fn(u32) -> bool) {
        let Ok((now, _)) = redis::cmd("TIME")
            .query_async::<(i64, i64)>(&mut self.conn)
            .await
        else {
            return;
        };
        let mut newest: HashMap<ConsumerKey, Beat> = HashMap::new();
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
                return;
            };
            for (member, score) in members {
                if let Some((process, queue, pid)) = parse_consumer(&member) {
                    let beat = newest
                        .entry((process, queue))
                        .or_insert(Beat { at: 0, pid });
                    beat.at = beat.at.max(score as i64);
                }
            }
        }
        for (key, beat) in newest {
            match self.last.get(&key).copied() {
                Some(last) if beat.at > last.at => {
                    if !paused(beat.pid) {
                        self.note(Stall {
                            queue: key.1.clone(),
                            pid: beat.pid,
                            from: last.at,
                            until: beat.at,
                        });
                    }
                    self.last.insert(key, beat);
                }
                Some(_) => {}
                None => {
                    self.last.insert(key, beat);
                }
            }
        }
        self.last.retain(|_, beat| alive(beat.pid));
        let open: Vec<Stall> = self
            .last
            .iter_mut()
            .map(|((_, queue), beat)| {
                if paused(beat.pid) {
                    beat.at = beat.at.max(now);
                }
                Stall {
                    queue: queue.clone(),
                    pid: beat.pid,
                    from: beat.at,
                    until: now,
                }
            })
            .collect();
        for stall in open {
            self.note(stall);
        }
        let seen = Instant::now();
        if let Some(last) = self.last_seen {
            self.blind = self.blind.max(seen - last);
        }
        self.last_seen = Some(seen);
    }

    /// The longest time between two samples Redis answered in full: a gap measured across it
    /// may be the watch's own blindness (Redis not answering it) rather than a consumer's.
    pub fn longest_blind(&self) -> Duration {
        self.blind
    }

    /// The longest gap of any consumer.
    pub fn worst_stall(&self) -> Option<&Stall> {
        self.worst.as_ref()
    }

    /// The longest time any consumer of each queue went without a heartbeat.
    pub fn longest_stalls(&self) -> &BTreeMap<String, Duration> {
        &self.longest
    }

    /// How many consumers (of running processes) are being watched.
    pub fn consumers(&self) -> usize {
        self.last.len()
    }

    /// Jobs of each queue that have been due for more than `grace` and are still in its
    /// scheduled set: no consumer's fetch has taken them (any live consumer's fetch moves every
    /// due job on).
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

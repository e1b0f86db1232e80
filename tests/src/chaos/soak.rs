//! The chaos soak: three worker processes publish a post due every second (every kind) while
//! faults hit them at random: a worker SIGKILLed and replaced, a worker SIGSTOPped then
//! resumed, both cores busy, Redis killed and restarted (it keeps an append-only file, as in
//! production) or paused, the MongoDB-compatible server restarted, and Instagram answering
//! errors, ambiguous publishes (published, but answered 503), slowly, or throttling.
//!
//! Every figure comes from outside the workers: posts from MongoDB, publishes from the
//! simulator, consumer heartbeats from Redis, restarts from the workers' logs, exits from the
//! processes themselves.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aistudio_jobs::domain::PostKind;
use aistudio_jobs::store::PostStatus;
use aistudio_sim::{Effect, Endpoint, FaultRule};
use chrono::{DateTime, DurationRound, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::consumer_watch::{ConsumerWatch, Stall};
use super::cpu_hog::{CpuHog, hog_cpu};
use super::log_window::warnings_between;
use crate::MongoServer;
use crate::{FAST_WORKFLOW, RedisServer, ScheduledPost, Studio, Worker};

/// How a soak runs.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// How long posts come due while faults are injected.
    pub duration: Duration,
    /// Posts due each second.
    pub per_second: usize,
    /// Worker processes.
    pub workers: usize,
    /// Mean time between two faults (each one 0.5x to 1.5x of it).
    pub chaos_every: Duration,
    /// Longest SIGSTOP of a worker.
    pub longest_stop: Duration,
    /// How long both cores are kept busy.
    pub busy_for: Duration,
    /// How long, after the last post was due, everything may take to end.
    pub drain: Duration,
    /// Seeds the choice and timing of the faults.
    pub seed: u64,
}

/// The faults, injected in a shuffled cycle so that every kind happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    KillWorker,
    StopWorker,
    BusyCores,
    RestartRedis,
    PauseRedis,
    RestartMongo,
    InstagramSlow,
    InstagramThrottles,
}

const FAULTS: [Fault; 8] = [
    Fault::KillWorker,
    Fault::StopWorker,
    Fault::BusyCores,
    Fault::RestartRedis,
    Fault::PauseRedis,
    Fault::RestartMongo,
    Fault::InstagramSlow,
    Fault::InstagramThrottles,
];

/// The longest any consumer may go without a heartbeat.
const STALL_TARGET: Duration = Duration::from_secs(30);

/// What the soak measured.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// Posts due during the soak.
    pub due: usize,
    /// Published.
    pub published: usize,
    /// Failed, by reason.
    pub failed: BTreeMap<String, usize>,
    /// Not in a final state when the drain ended: lost.
    pub lost: Vec<String>,
    /// Publishes beyond one per post (the simulator's count by caption), plus containers
    /// published twice.
    pub duplicates: usize,
    /// Publish lateness of the published posts, in ms: p50, p99, max.
    pub lateness_ms: (i64, i64, i64),
    /// The latest posts: kind, seconds after the first was due, lateness in ms, and the steps
    /// each went through (offsets from its due time), to tell where the time went.
    pub latest: Vec<(String, i64, i64, Vec<String>)>,
    /// The longest time any consumer of each queue went without a heartbeat.
    pub longest_stalls: BTreeMap<String, Duration>,
    /// The longest gap of any consumer, and the warnings and errors its process logged from
    /// just before it to its end (offsets from when the first post was due).
    pub worst_stall: Option<(Stall, PathBuf, Vec<String>)>,
    /// The longest time the watch got no full answer from Redis, and the longest time the
    /// soak's own loop (whose runtime also runs the simulator) did not come round: a stall as
    /// long as either may be the observer's, not the workers'.
    pub observer_gaps: (Duration, Duration),
    /// What Redis warned of during the soak, and each time it was ready after a start (its log).
    pub redis_warnings: Vec<String>,
    /// The most jobs of a queue seen due for over 30 s and not taken by any consumer.
    pub untaken: BTreeMap<String, u64>,
    /// Consumer restarts: by the workers' watchdogs (stalled), by the monitor (failed).
    pub consumer_restarts: (usize, usize),
    /// Worker processes that exited without being killed, with how.
    pub process_exits: Vec<String>,
    /// The faults injected, with their offset from the start.
    pub faults: Vec<String>,
}

impl SoakReport {
    /// The targets: nothing lost, nothing published twice, no consumer stalled over 30 s (nor a
    /// job due that long untaken), p99 lateness at most 15 s. The unmet ones.
    pub fn missed_targets(&self) -> Vec<String> {
        let mut missed = Vec::new();
        if !self.lost.is_empty() {
            missed.push(format!("{} posts lost", self.lost.len()));
        }
        if self.duplicates > 0 {
            missed.push(format!("{} duplicate publishes", self.duplicates));
        }
        for (queue, stall) in &self.longest_stalls {
            if *stall > STALL_TARGET {
                missed.push(format!(
                    "{queue} consumer stalled {:.0} s",
                    stall.as_secs_f64()
                ));
            }
        }
        for (queue, n) in self.untaken.iter().filter(|(_, n)| **n > 0) {
            missed.push(format!("{n} {queue} jobs due over 30 s untaken"));
        }
        if self.lateness_ms.1 > 15_000 {
            missed.push(format!("p99 lateness {} ms", self.lateness_ms.1));
        }
        missed
    }
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed: usize = self.failed.values().sum();
        writeln!(f, "posts due            {}", self.due)?;
        writeln!(f, "published            {}", self.published)?;
        writeln!(f, "failed               {failed} {:?}", self.failed)?;
        writeln!(f, "lost (not final)     {}", self.lost.len())?;
        writeln!(f, "duplicate publishes  {}", self.duplicates)?;
        let (p50, p99, max) = self.lateness_ms;
        writeln!(
            f,
            "lateness             p50 {:.1} s, p99 {:.1} s, max {:.1} s",
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0,
            max as f64 / 1000.0
        )?;
        writeln!(f, "latest posts (kind, due at +s, late by):")?;
        for (kind, due, late, steps) in &self.latest {
            writeln!(f, "  {kind:<9} +{due:>4} s  {:.1} s", *late as f64 / 1000.0)?;
            if *late > 5_000 {
                for step in steps {
                    writeln!(f, "      {step}")?;
                }
            }
        }
        writeln!(
            f,
            "per queue: longest time a consumer went without a heartbeat; most jobs due > 30 s untaken"
        )?;
        for (queue, stall) in &self.longest_stalls {
            let untaken = self.untaken.get(queue).copied().unwrap_or(0);
            writeln!(f, "  {queue:<26} {:>5.1} s  {untaken}", stall.as_secs_f64())?;
        }
        if let Some((stall, path, lines)) = &self.worst_stall
            && stall.gap() > STALL_TARGET
        {
            writeln!(
                f,
                "worker {} ({} consumer, {} s without a heartbeat; log {}) warned:",
                stall.pid,
                stall.queue,
                stall.gap().as_secs(),
                path.display()
            )?;
            for line in lines {
                writeln!(f, "  {line}")?;
            }
        }
        let (blind, loop_gap) = self.observer_gaps;
        writeln!(
            f,
            "observer gaps        {:.1} s without Redis answering the watch, {:.1} s between two rounds of the soak loop",
            blind.as_secs_f64(),
            loop_gap.as_secs_f64()
        )?;
        writeln!(
            f,
            "Redis log            {} lines (warnings and starts)",
            self.redis_warnings.len()
        )?;
        for line in self.redis_warnings.iter().take(40) {
            writeln!(f, "  {line}")?;
        }
        let (stalled, failed) = self.consumer_restarts;
        writeln!(
            f,
            "consumer restarts    {} ({stalled} stalled, {failed} after an error)",
            stalled + failed
        )?;
        writeln!(
            f,
            "process exits        {} {:?}",
            self.process_exits.len(),
            self.process_exits
        )?;
        writeln!(f, "faults injected      {}", self.faults.len())?;
        for fault in &self.faults {
            writeln!(f, "  {fault}")?;
        }
        Ok(())
    }
}

/// How long a killed worker's work takes to move on to the others: its workflows' leases
/// (`workflow.lease_secs`, 10 s) and its queue jobs (`redis.heartbeat_secs` x
/// `redis.missed_heartbeats`, 10 s) expire, then the next reconcile tick (every 2 s) resumes
/// them. Until then the kill is an incident in progress.
const KILL_RECOVERY: Duration = Duration::from_secs(12);

/// How long Instagram tells a throttled account to wait (`Retry-After`).
const THROTTLE: Duration = Duration::from_secs(5);

/// One worker slot: the running process, its pid, and until when it is stopped.
struct Slot {
    worker: Worker,
    pid: u32,
    stopped_until: Option<Instant>,
}

/// Everything the soak drives.
struct Rig {
    studio: Studio,
    redis: RedisServer,
    mongo: MongoServer,
    slots: Vec<Slot>,
    /// Every worker process started, by pid, with its log.
    logs: Vec<(u32, PathBuf)>,
    exits: Vec<String>,
    hog: Option<(CpuHog, Instant)>,
    redis_paused_until: Option<Instant>,
    /// Until when Instagram told the account to wait (`Retry-After`).
    throttled_until: Option<Instant>,
    /// Until when a killed worker's work may still be waiting for its leases to expire.
    recovering_until: Option<Instant>,
    watch: ConsumerWatch,
    untaken: BTreeMap<String, u64>,
    /// When `tend` last ran, and the longest time between two runs.
    last_tend: Option<Instant>,
    longest_tend_gap: Duration,
}

impl Rig {
    async fn start_worker(&mut self) -> Slot {
        let worker = Worker::start(&self.studio.env).await;
        let pid = worker.process.pid();
        self.logs.push((pid, worker.process.log.clone()));
        Slot {
            worker,
            pid,
            stopped_until: None,
        }
    }

    /// Resumes stopped workers whose time is up, ends the CPU hog when due, replaces workers
    /// that exited on their own (as a process supervisor would), and samples the consumers.
    async fn tend(&mut self, now: Instant) {
        if let Some(last) = self.last_tend {
            self.longest_tend_gap = self.longest_tend_gap.max(now - last);
        }
        self.last_tend = Some(now);
        for slot in &mut self.slots {
            if slot.stopped_until.is_some_and(|until| now >= until) {
                slot.worker.process.signal("CONT");
                slot.stopped_until = None;
            }
        }
        if self.hog.as_ref().is_some_and(|(_, until)| now >= *until) {
            self.hog = None;
        }
        for i in 0..self.slots.len() {
            if let Some(status) = self.slots[i].worker.process.try_exit() {
                self.exits
                    .push(format!("pid {} exited: {status}", self.slots[i].pid));
                self.slots[i] = self.start_worker().await;
            }
        }
        let running: Vec<(u32, bool)> = self
            .slots
            .iter()
            .map(|s| (s.pid, s.stopped_until.is_some()))
            .collect();
        self.watch
            .sample(
                |pid| running.iter().any(|(p, _)| *p == pid),
                |pid| running.iter().any(|(p, stopped)| *p == pid && *stopped),
            )
            .await;
        for (queue, n) in self.watch.due_not_taken(Duration::from_secs(30)).await {
            let most = self.untaken.entry(queue).or_default();
            *most = (*most).max(n);
        }
    }

    /// When the last incident with a duration ends or ended (a worker stopped, the cores busy,
    /// Redis paused, the account throttled, a killed worker's work not yet free to move on);
    /// `None` before any. Known when the fault is injected, so it holds even when the fault
    /// blocked this loop (a paused Redis does).
    fn incident_ends(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.stopped_until)
            .chain(self.hog.as_ref().map(|(_, until)| *until))
            .chain(self.redis_paused_until)
            .chain(self.throttled_until)
            .chain(self.recovering_until)
            .max()
    }

    /// Injects one fault; a line saying what it did.
    async fn inject(&mut self, fault: Fault, rng: &mut StdRng, options: &SoakOptions) -> String {
        let pick = rng.random_range(0..self.slots.len());
        match fault {
            Fault::KillWorker => {
                let slot = &mut self.slots[pick];
                let pid = slot.pid;
                if slot.stopped_until.is_some() {
                    slot.worker.process.signal("CONT");
                }
                slot.worker.process.signal("KILL");
                let _ = slot.worker.process.wait_exit(Duration::from_secs(10)).await;
                self.slots[pick] = self.start_worker().await;
                self.recovering_until = Some(Instant::now() + KILL_RECOVERY);
                format!("SIGKILL worker {pid}, replaced by {}", self.slots[pick].pid)
            }
            Fault::StopWorker => {
                let stop = Duration::from_secs(
                    rng.random_range(5..=options.longest_stop.as_secs().max(5)),
                );
                let slot = &mut self.slots[pick];
                if slot.stopped_until.is_none() {
                    slot.worker.process.signal("STOP");
                }
                slot.stopped_until = Some(Instant::now() + stop);
                format!("SIGSTOP worker {} for {} s", slot.pid, stop.as_secs())
            }
            Fault::BusyCores => {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
                let busy = options.busy_for;
                self.hog = Some((hog_cpu(cores, busy), Instant::now() + busy));
                format!("{cores} cores busy for {} s", busy.as_secs())
            }
            Fault::RestartRedis => {
                self.redis.restart().await;
                "Redis killed and restarted (append-only file kept)".into()
            }
            Fault::PauseRedis => {
                self.redis_paused_until = Some(Instant::now() + Duration::from_secs(10));
                let paused: Result<String, _> = async {
                    let mut conn = redis::Client::open(self.redis.url())?
                        .get_multiplexed_async_connection()
                        .await?;
                    redis::cmd("CLIENT")
                        .arg("PAUSE")
                        .arg(10_000)
                        .arg("ALL")
                        .query_async::<String>(&mut conn)
                        .await
                }
                .await;
                format!(
                    "Redis CLIENT PAUSE 10 s: {}",
                    paused.map_or_else(|e| e.to_string(), |_| "ok".into())
                )
            }
            Fault::RestartMongo => {
                self.mongo.restart().await;
                "MongoDB-compatible server restarted".into()
            }
            Fault::InstagramSlow => {
                for endpoint in [
                    Endpoint::MediaCreate,
                    Endpoint::MediaPublish,
                    Endpoint::ContainerStatus,
                ] {
                    self.studio.sim.add_fault(FaultRule::next(
                        endpoint,
                        20,
                        Effect::Latency { ms: 2_000 },
                    ));
                }
                "Instagram answers the next 20 calls of each workflow endpoint 2 s late".into()
            }
            Fault::InstagramThrottles => {
                // The account may not publish until Retry-After has passed: an incident of
                // its own, like a Redis pause. It starts with the next container creation,
                // within a second (two posts are prepared each second).
                self.throttled_until = Some(Instant::now() + THROTTLE + Duration::from_secs(1));
                self.studio.sim.add_fault(FaultRule::next(
                    Endpoint::MediaCreate,
                    1,
                    Effect::Http {
                        status: 429,
                        body: None,
                        content_type: None,
                        retry_after: Some(THROTTLE.as_secs()),
                    },
                ));
                format!(
                    "Instagram throttles the account (429, Retry-After {} s)",
                    THROTTLE.as_secs()
                )
            }
        }
    }
}

/// Faults that stay on for the whole soak: a share of calls answer 503, and a share of
/// publishes go through but answer 503 (the ambiguous case).
fn background_faults(studio: &Studio) {
    let error = || Effect::Http {
        status: 503,
        body: None,
        content_type: None,
        retry_after: None,
    };
    for endpoint in [
        Endpoint::MediaCreate,
        Endpoint::ContainerStatus,
        Endpoint::ImgbbUpload,
        Endpoint::MediaPublish,
    ] {
        studio
            .sim
            .add_fault(FaultRule::always(endpoint, error()).with_rate(0.05));
    }
    studio.sim.add_fault(
        FaultRule::always(Endpoint::MediaPublish, error())
            .with_rate(0.05)
            .after_success(),
    );
}

/// The posts: `per_second` due each second from `first`, cycling through the kinds.
fn posts(studio: &Studio, first: DateTime<Utc>, n: usize, per_second: usize) -> Vec<ScheduledPost> {
    (0..n)
        .map(|i| {
            let (kind, media) = match i % 4 {
                0 => (PostKind::Image, vec![studio.image.clone()]),
                1 => (
                    PostKind::Carousel,
                    vec![studio.image.clone(), studio.image2.clone()],
                ),
                2 => (PostKind::Reel, vec![studio.video.clone()]),
                _ => (PostKind::Story, vec![studio.image2.clone()]),
            };
            ScheduledPost {
                kind,
                media,
                caption: format!("soak post {i}"),
                at: first + chrono::Duration::seconds((i / per_second.max(1)) as i64),
            }
        })
        .collect()
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Publishes the simulator saw beyond one per published post (a post published twice, or
/// published but not recorded), plus containers published more than once.
fn duplicates(studio: &Studio, published_posts: usize) -> usize {
    let report = studio.sim.inspect();
    let publishes: usize = report.accounts.iter().map(|a| a.publishes.len()).sum();
    publishes.saturating_sub(published_posts) + report.duplicate_publishes.len()
}

/// A post's workflow steps, each with its start and end relative to the due time.
async fn timeline(
    store: &aistudio_jobs::store::Store,
    post_id: &str,
    due: DateTime<Utc>,
) -> Vec<String> {
    let events = store
        .workflow_events()
        .for_post(post_id, 100)
        .await
        .unwrap_or_default();
    let at = |t: DateTime<Utc>| (t - due).num_milliseconds() as f64 / 1000.0;
    events
        .iter()
        .map(|e| {
            let error = e
                .error
                .as_ref()
                .map(|e| format!(" {}: {}", e.class, e.message))
                .unwrap_or_default();
            format!(
                "{:+7.1} s .. {:+7.1} s  {} #{} {:?}{error}",
                at(e.started_at),
                at(e.ended_at),
                e.step,
                e.attempt,
                e.outcome
            )
        })
        .collect()
}

/// Runs the soak; `say` gets progress lines.
pub async fn run(options: &SoakOptions, say: impl Fn(&str)) -> SoakReport {
    let folder =
        std::env::temp_dir().join(format!("aistudio-soak-{}", uuid::Uuid::new_v4().simple()));
    let redis = RedisServer::start_persistent(&folder).await;
    let mongo = MongoServer::start(&folder).await;
    let (redis_url, mongo_url) = (redis.url(), mongo.url());
    // The product's timings, not the tests' fast ones.
    let studio = Studio::start(|env| {
        env.redis_url = redis_url.clone();
        env.mongo_url = mongo_url.clone();
        for (key, _) in FAST_WORKFLOW {
            env.unset(key);
        }
    })
    .await;
    studio
        .sim
        .set_quota_total("acme", Some(u32::MAX))
        .expect("quota");
    let n = options.duration.as_secs() as usize * options.per_second.max(1);
    // Posts are claimed 30 s ahead by default: the first is due once the workers are up.
    let first = Utc::now()
        .duration_trunc(chrono::Duration::seconds(1))
        .expect("whole second")
        + chrono::Duration::seconds(45 + n as i64 / 40);
    let ids = studio
        .insert_posts(&posts(&studio, first, n, options.per_second))
        .await;
    say(&format!("{n} posts stored, the first due at {first}"));

    let watch = ConsumerWatch::new(
        &redis_url,
        &studio.env.namespace,
        aistudio_jobs::tasks::QUEUES,
    )
    .await;
    let mut rig = Rig {
        studio,
        redis,
        mongo,
        slots: Vec::new(),
        logs: Vec::new(),
        exits: Vec::new(),
        hog: None,
        redis_paused_until: None,
        throttled_until: None,
        recovering_until: None,
        watch,
        untaken: BTreeMap::new(),
        last_tend: None,
        longest_tend_gap: Duration::ZERO,
    };
    for _ in 0..options.workers {
        let slot = rig.start_worker().await;
        rig.slots.push(slot);
    }
    background_faults(&rig.studio);

    let mut rng = StdRng::seed_from_u64(options.seed);
    let started = Instant::now();
    let chaos_from = started + (first - Utc::now()).to_std().unwrap_or_default();
    let chaos_until = chaos_from + options.duration;
    let mut cycle: Vec<Fault> = Vec::new();
    let mut next_fault = chaos_from;
    let mut faults = Vec::new();
    while Instant::now() < chaos_until {
        let now = Instant::now();
        rig.tend(now).await;
        // One incident at a time: the next fault comes at least half a gap after this one ends.
        if let Some(ends) = rig.incident_ends() {
            next_fault = next_fault
                .max(ends + Duration::from_secs_f64(options.chaos_every.as_secs_f64() * 0.5));
        }
        if now >= next_fault {
            if cycle.is_empty() {
                cycle = FAULTS.to_vec();
                cycle.shuffle(&mut rng);
            }
            let fault = cycle.pop().expect("refilled above");
            let what = rig.inject(fault, &mut rng, options).await;
            let line = format!(
                "+{:>5.1} s  {what}",
                now.duration_since(chaos_from).as_secs_f64()
            );
            say(&line);
            faults.push(line);
            let gap = options.chaos_every.as_secs_f64() * rng.random_range(0.5..1.5);
            next_fault = Instant::now() + Duration::from_secs_f64(gap);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The faults end; everything due must reach a final state within the drain.
    say("faults end; draining");
    for slot in &mut rig.slots {
        if slot.stopped_until.take().is_some() {
            slot.worker.process.signal("CONT");
        }
    }
    rig.hog = None;
    rig.studio.sim.clear_faults();
    let store = rig.studio.env.store().await;
    let drain_until = Instant::now() + options.drain;
    let finals = [
        PostStatus::Published,
        PostStatus::Failed,
        PostStatus::Canceled,
    ];
    let mut ended = BTreeMap::new();
    loop {
        rig.tend(Instant::now()).await;
        let open: Vec<&String> = ids.iter().filter(|id| !ended.contains_key(*id)).collect();
        for id in open {
            if let Ok(Some(post)) = store.posts().by_id(id).await
                && finals.contains(&post.content.status)
            {
                ended.insert(id.clone(), post);
            }
        }
        if ended.len() == ids.len() || Instant::now() > drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let posts: Vec<_> = ended.values().cloned().collect();

    let mut late: Vec<(i64, &aistudio_jobs::store::Post)> = posts
        .iter()
        .filter_map(|p| {
            Some((
                (p.published_at? - p.content.scheduled_at?).num_milliseconds(),
                p,
            ))
        })
        .collect();
    late.sort_by_key(|(ms, _)| *ms);
    let lateness: Vec<i64> = late.iter().map(|(ms, _)| *ms).collect();
    let mut latest = Vec::new();
    for (ms, p) in late.iter().rev().take(8) {
        let due_at = p.content.scheduled_at.unwrap_or(first);
        latest.push((
            p.content.kind.as_str().to_string(),
            (due_at - first).num_seconds(),
            *ms,
            timeline(&store, &p.id, due_at).await,
        ));
    }
    let mut failed = BTreeMap::new();
    for post in posts
        .iter()
        .filter(|p| p.content.status == PostStatus::Failed)
    {
        *failed
            .entry(post.failure_reason.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let lost = ids
        .iter()
        .filter(|id| !ended.contains_key(*id))
        .cloned()
        .collect();
    let logs: String = rig
        .logs
        .iter()
        .map(|(_, log)| std::fs::read_to_string(log).unwrap_or_default())
        .collect();
    let worst_stall = rig.watch.worst_stall().cloned().and_then(|stall| {
        let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(first);
        let (_, log) = rig.logs.iter().find(|(pid, _)| *pid == stall.pid)?;
        let lines = warnings_between(log, at(stall.from - 5), at(stall.until + 1), first);
        Some((stall, log.clone(), lines))
    });
    let published = posts
        .iter()
        .filter(|p| p.content.status == PostStatus::Published)
        .count();
    let report = SoakReport {
        due: ids.len(),
        published,
        failed,
        lost,
        duplicates: duplicates(&rig.studio, published),
        lateness_ms: (
            percentile(&lateness, 0.5),
            percentile(&lateness, 0.99),
            lateness.last().copied().unwrap_or(0),
        ),
        latest,
        longest_stalls: rig.watch.longest_stalls().clone(),
        worst_stall,
        observer_gaps: (rig.watch.longest_blind(), rig.longest_tend_gap),
        redis_warnings: rig.redis.warnings(),
        untaken: rig.untaken.clone(),
        consumer_restarts: (
            logs.matches("queue consumer stalled; restarting it")
                .count(),
            logs.matches("worker failed; restarting it").count(),
        ),
        process_exits: rig.exits.clone(),
        faults,
    };
    drop(rig);
    let _ = std::fs::remove_dir_all(&folder);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_stall_target_names_the_process_and_what_it_logged() {
        let stall = |gap: i64| Stall {
            queue: "publish".into(),
            pid: 4242,
            from: 1_000,
            until: 1_000 + gap,
        };
        let warned = vec!["  +21.0 s  WARN w: job failed error=timed out  (x3)".to_string()];
        let report = SoakReport {
            longest_stalls: BTreeMap::from([("publish".to_string(), Duration::from_secs(74))]),
            worst_stall: Some((stall(74), PathBuf::from("/logs/w.log"), warned.clone())),
            ..SoakReport::default()
        };
        let text = report.to_string();
        assert!(
            report
                .missed_targets()
                .contains(&"publish consumer stalled 74 s".to_string())
        );
        assert!(
            text.contains(
                "worker 4242 (publish consumer, 74 s without a heartbeat; log /logs/w.log)"
            ),
            "{text}"
        );
        assert!(text.contains(&warned[0]), "{text}");

        let within = SoakReport {
            worst_stall: Some((stall(15), PathBuf::from("/logs/w.log"), warned.clone())),
            ..SoakReport::default()
        };
        assert!(
            !within.to_string().contains("worker 4242"),
            "only a missed target prints it"
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0.5), 50);
        assert_eq!(percentile(&sorted, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}

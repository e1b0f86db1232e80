//! A queue consumer must never park with nothing left to wake it.
//!
//! These drive apalis's `Persisted` backend (the state machine apalis-redis runs on) with a fake
//! persistence whose fetches take longer than the poll interval, as a busy machine or a slow
//! Redis makes them. Unpatched apalis-core 1.0.0 fails both: its interval strategy installs the
//! next tick without arming it, and a heartbeat that falls due during a fetch spends its wake-up
//! on a poll that ignores it (see `vendor/README.md`).

mod common;

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{BackendExt, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::worker::context::WorkerContext;
use common::FakeBackend;

const FETCH_LATENCY: Duration = Duration::from_millis(220);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// One consumer's queue (job = how long it runs, in ms) and what it did.
#[derive(Clone, Default)]
struct Consumer {
    jobs: Arc<Mutex<VecDeque<u64>>>,
    heartbeats: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
}

impl Consumer {
    fn push(&self, job_ms: u64) {
        self.jobs.lock().unwrap().push_back(job_ms);
    }
    fn done(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }
    fn heartbeats(&self) -> usize {
        self.heartbeats.load(Ordering::SeqCst)
    }
}

/// A persistence whose every fetch takes `FETCH_LATENCY` and returns at most one job.
#[derive(Clone)]
struct SlowFetch(Consumer);

impl Persistence for SlowFetch {
    type Compact = u64;
    type Response = ();
    type Error = io::Error;

    async fn register(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn heartbeat(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        self.0.heartbeats.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn fetch_next(&mut self, _: &WorkerContext) -> Result<Vec<Task<u64>>, io::Error> {
        tokio::time::sleep(FETCH_LATENCY).await;
        let job = self.0.jobs.lock().unwrap().pop_front();
        Ok(job
            .map(|ms| TaskBuilder::new(ms).build())
            .into_iter()
            .collect())
    }
    async fn reenqueue_abandoned(
        &mut self,
        _: Vec<Task<u64>>,
        _: &WorkerContext,
    ) -> Result<u64, io::Error> {
        Ok(0)
    }
    async fn handle_events(
        &mut self,
        _: Vec<TaskEvent<()>>,
        _: &WorkerContext,
    ) -> Result<(), io::Error> {
        Ok(())
    }
    async fn push_tasks(&mut self, _: Vec<Task<u64>>) -> Result<(), io::Error> {
        Ok(())
    }
}

async fn run_job(ms: u64, consumer: Data<Consumer>) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    consumer.done.fetch_add(1, Ordering::SeqCst);
}

/// Runs one monitor with a consumer per first-job length (ms); `build` makes each backend.
struct Pool {
    consumers: Vec<(u64, Consumer)>,
    stop: tokio::sync::oneshot::Sender<()>,
    monitor: tokio::task::JoinHandle<Result<(), apalis::prelude::MonitorError>>,
}

macro_rules! start_pool {
    ($first_jobs:expr, $backend:expr) => {{
        let consumers: Vec<(u64, Consumer)> =
            $first_jobs.map(|ms| (ms, Consumer::default())).collect();
        let mut monitor = Monitor::new();
        for (ms, consumer) in &consumers {
            consumer.push(*ms);
            let consumer = consumer.clone();
            let name = format!("consumer-{ms}");
            monitor = monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(($backend)(&consumer))
                    .data(consumer.clone())
                    .concurrency(1)
                    .build(run_job)
            });
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let monitor = tokio::spawn(monitor.run_with_signal(async move {
            let _ = stopped.await;
            Ok(())
        }));
        Pool {
            consumers,
            stop,
            monitor,
        }
    }};
}

impl Pool {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.monitor).await;
    }
}

/// With heartbeats far apart, only the poll interval wakes an idle consumer: each one must
/// take a job pushed after its first fetches came back empty within a few poll intervals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poll_interval_keeps_waking_an_idle_consumer() {
    let pool = start_pool!((1..=10).map(|n| n * 10), |c: &Consumer| {
        FakeBackend::new(SlowFetch(c.clone()), Duration::from_secs(60))
            .poll_with_interval(POLL_INTERVAL)
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for (_, consumer) in &pool.consumers {
        assert_eq!(consumer.done(), 1, "the first job ran");
        consumer.push(10);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let idle: Vec<u64> = pool
        .consumers
        .iter()
        .filter(|(_, c)| c.done() < 2)
        .map(|(ms, _)| *ms)
        .collect();
    pool.stop().await;
    assert!(
        idle.is_empty(),
        "consumers that never fetched again (first job ms): {idle:?}"
    );
}

/// Without a poll strategy, the heartbeat timer is what wakes a consumer: a heartbeat that
/// falls due while a fetch is in flight must still run, and the consumer keep fetching. Job
/// lengths 100..=600 ms put that moment everywhere in the heartbeat period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_due_during_a_slow_fetch_still_runs() {
    let heartbeat = Duration::from_millis(300);
    let pool = start_pool!((10..=60).map(|n| n * 10), |c: &Consumer| FakeBackend::new(
        SlowFetch(c.clone()),
        heartbeat
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before: Vec<usize> = pool.consumers.iter().map(|(_, c)| c.heartbeats()).collect();
    for (_, consumer) in &pool.consumers {
        consumer.push(10);
    }
    // A live consumer heartbeats every 300 ms and fetches at least once per heartbeat.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stalled: Vec<String> = pool
        .consumers
        .iter()
        .zip(before)
        .filter(|((_, c), hb)| c.done() < 2 || c.heartbeats() < hb + 3)
        .map(|((ms, c), hb)| {
            format!(
                "consumer-{ms}: jobs done {}, heartbeats {hb} then {}",
                c.done(),
                c.heartbeats()
            )
        })
        .collect();
    let total = pool.consumers.len();
    pool.stop().await;
    assert!(
        stalled.is_empty(),
        "{} of {total} consumers stopped: {stalled:#?}",
        stalled.len()
    );
}

/// A consumer whose every slot runs a long job still heartbeats: other workers would
/// otherwise treat it as dead and take its jobs while they run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_with_every_slot_busy_keeps_heartbeating() {
    let heartbeat = Duration::from_millis(300);
    let pool = start_pool!([3000u64].into_iter(), |c: &Consumer| FakeBackend::new(
        SlowFetch(c.clone()),
        heartbeat
    ));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (_, consumer) = &pool.consumers[0];
    let before = consumer.heartbeats();
    assert_eq!(consumer.done(), 0, "the long job is still running");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during = consumer.heartbeats() - before;
    let done = consumer.done();
    pool.stop().await;
    assert_eq!(done, 0, "the long job is still running");
    assert!(
        during >= 3,
        "{during} heartbeats in 1.5 s while the only slot was busy"
    );
}

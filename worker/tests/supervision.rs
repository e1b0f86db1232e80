//! The watchdog restarts a consumer that stopped making progress, and gives up on the process
//! when a restart does not bring it back. The consumers here run apalis's `Persisted` backend
//! over a fake persistence whose fetch can hang for good (one run, or every run), which is how
//! a stalled consumer looks from inside; the watchdog checks Redis as in production.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aistudio_config::{RedisSettings, Secret};
use aistudio_jobs::queue::Queue;
use aistudio_worker::supervision::{Expect, Supervised, Supervision, Watchdog};
use apalis::prelude::{BackendExt, Monitor, WorkerBuilder};
use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use common::FakeBackend;

const HEARTBEAT: Duration = Duration::from_millis(300);
const EXPECT: Expect = Expect {
    stall_after: Duration::from_secs(1),
    registered: false,
};

/// Which runs of the consumer hang in their fetch.
#[derive(Clone, Default)]
struct Freeze {
    /// Runs numbered from 0 (the restart count) up to this one hang...
    first_runs: Arc<AtomicUsize>,
    /// ...once this is set.
    on: Arc<AtomicBool>,
}

#[derive(Clone)]
struct Freezable {
    freeze: Freeze,
    run: usize,
}

impl Persistence for Freezable {
    type Compact = ();
    type Response = ();
    type Error = io::Error;

    async fn register(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn heartbeat(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn fetch_next(&mut self, _: &WorkerContext) -> Result<Vec<Task<()>>, io::Error> {
        if self.freeze.on.load(Ordering::SeqCst)
            && self.run < self.freeze.first_runs.load(Ordering::SeqCst)
        {
            std::future::pending::<()>().await;
        }
        Ok(Vec::new())
    }
    async fn reenqueue_abandoned(
        &mut self,
        _: Vec<Task<()>>,
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
    async fn push_tasks(&mut self, _: Vec<Task<()>>) -> Result<(), io::Error> {
        Ok(())
    }
}

fn queue() -> Queue {
    let url = std::env::var("AISTUDIO_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    Queue::connect(&RedisSettings {
        url: Secret::from(url),
        namespace: format!("sv{}", std::process::id()),
        poll_interval_ms: 50,
        heartbeat_secs: 1,
        missed_heartbeats: 2,
        batch_size: 10,
        idempotency_ttl_secs: 60,
    })
    .expect("redis url")
}

/// A process `proc` with one supervised consumer `frozen`, its monitor and its watchdog, which
/// reports giving up on the returned channel.
fn start(
    freeze: &Freeze,
    give_up: Duration,
) -> (
    Supervision,
    Watchdog,
    tokio::sync::mpsc::UnboundedReceiver<Vec<String>>,
) {
    let supervision = Supervision::new("proc");
    let handle = supervision.add("frozen", EXPECT);
    let freeze = freeze.clone();
    let monitor = Monitor::new().register(move |restarts| {
        let name = if restarts == 0 {
            "proc:frozen".to_string()
        } else {
            format!("proc:frozen:r{restarts}")
        };
        let frozen = Freezable {
            freeze: freeze.clone(),
            run: restarts,
        };
        WorkerBuilder::new(name)
            .backend(Supervised::new(
                FakeBackend::new(frozen, HEARTBEAT).poll_with_interval(Duration::from_millis(50)),
                handle.clone(),
            ))
            .build(|_: ()| async {})
    });
    tokio::spawn(supervision.observe(monitor).run());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let watchdog = Watchdog::spawn(supervision.clone(), queue(), give_up, move |stalled| {
        let _ = tx.send(stalled);
    });
    (supervision, watchdog, rx)
}

fn status(supervision: &Supervision) -> (Option<String>, bool) {
    let statuses = supervision.statuses();
    let s = &statuses["frozen"];
    (s.run_name.clone(), s.stalled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_is_restarted_and_comes_back() {
    let freeze = Freeze::default();
    freeze.first_runs.store(1, Ordering::SeqCst);
    let (supervision, _watchdog, mut gave_up) = start(&freeze, Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(status(&supervision), (Some("proc:frozen".into()), false));

    // Run 0 hangs in its fetch: no heartbeat from now on. Nothing fails, so only the watchdog
    // can restart it, once it made no progress for `stall_after` (1 s).
    freeze.on.store(true, Ordering::SeqCst);
    let frozen_at = std::time::Instant::now();
    let mut restarted_after = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (run, stalled) = status(&supervision);
        if run.as_deref() == Some("proc:frozen:r1") && !stalled {
            restarted_after = Some(frozen_at.elapsed());
            break;
        }
    }
    let restarted_after =
        restarted_after.unwrap_or_else(|| panic!("not restarted: {:?}", supervision.statuses()));
    assert!(
        restarted_after >= Duration::from_secs(1) && restarted_after < Duration::from_secs(4),
        "restarted {restarted_after:?} after it froze"
    );
    // It stays live.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        supervision.stalled().is_empty(),
        "{:?}",
        supervision.statuses()
    );
    assert!(gave_up.try_recv().is_err(), "no give-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_a_restart_does_not_bring_back_ends_the_process() {
    let freeze = Freeze::default();
    freeze.first_runs.store(usize::MAX, Ordering::SeqCst);
    freeze.on.store(true, Ordering::SeqCst);
    let (supervision, _watchdog, mut gave_up) = start(&freeze, Duration::from_secs(3));
    let stalled = tokio::time::timeout(Duration::from_secs(15), gave_up.recv())
        .await
        .expect("the watchdog gave up in time")
        .expect("a report");
    assert_eq!(stalled, ["frozen"]);
    let (run, _) = status(&supervision);
    assert_eq!(
        run.as_deref(),
        Some("proc:frozen:r1"),
        "it was restarted first"
    );
}

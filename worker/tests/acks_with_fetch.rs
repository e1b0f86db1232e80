//! A consumer sends the completions of its finished jobs together with its next fetch, not in a
//! round trip of its own that the fetch waits for (apalis-core patched, see `vendor/README.md`).
//! Every completion is still handled, and the last ones when the consumer stops.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;

mod common;
use common::FakeBackend;

const JOBS: usize = 200;

/// What the persistence saw.
#[derive(Clone, Default)]
struct Log {
    left: Arc<Mutex<usize>>,
    fetches_in_flight: Arc<AtomicUsize>,
    completions: Arc<AtomicUsize>,
    /// `handle_events` calls, and those during which no fetch was in flight.
    event_calls: Arc<AtomicUsize>,
    alone: Arc<AtomicUsize>,
}

impl Persistence for Log {
    type Compact = u32;
    type Response = ();
    type Error = io::Error;

    async fn register(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn heartbeat(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn fetch_next(&mut self, _: &WorkerContext) -> Result<Vec<Task<u32>>, io::Error> {
        self.fetches_in_flight.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let taken = common::take(&self.left, 4);
        self.fetches_in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(common::jobs(0..taken))
    }
    async fn reenqueue_abandoned(
        &mut self,
        _: Vec<Task<u32>>,
        _: &WorkerContext,
    ) -> Result<u64, io::Error> {
        Ok(0)
    }
    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<()>>,
        _: &WorkerContext,
    ) -> Result<(), io::Error> {
        // A request in flight, as on Redis: a fetch sent with these events is in flight too.
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.event_calls.fetch_add(1, Ordering::SeqCst);
        if self.fetches_in_flight.load(Ordering::SeqCst) == 0 {
            self.alone.fetch_add(1, Ordering::SeqCst);
        }
        self.completions
            .fetch_add(common::completions(&events), Ordering::SeqCst);
        Ok(())
    }
    async fn push_tasks(&mut self, _: Vec<Task<u32>>) -> Result<(), io::Error> {
        Ok(())
    }
}

async fn noop(_: u32) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_go_with_the_next_fetch() {
    let log = Log {
        left: Arc::new(Mutex::new(JOBS)),
        ..Log::default()
    };
    let backend = log.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let monitor = tokio::spawn(
        Monitor::new()
            .register(move |_| {
                WorkerBuilder::new("acks")
                    .backend(FakeBackend::acking(backend.clone()))
                    .concurrency(4)
                    .build(noop)
            })
            .run_with_signal(async move {
                let _ = stopped.await;
                Ok(())
            }),
    );
    for _ in 0..100 {
        if *log.left.lock().unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), monitor).await;

    assert_eq!(*log.left.lock().unwrap(), 0, "every job fetched");
    assert_eq!(
        log.completions.load(Ordering::SeqCst),
        JOBS,
        "every completion handled, the last ones on stopping"
    );
    let (calls, alone) = (
        log.event_calls.load(Ordering::SeqCst),
        log.alone.load(Ordering::SeqCst),
    );
    // At most the final flush on stopping goes alone.
    assert!(
        alone <= 1,
        "{alone} of {calls} event round trips had no fetch going with them"
    );
}

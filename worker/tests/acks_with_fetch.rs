//! A consumer sends the completions of its finished jobs together with its next fetch, not in a
//! round trip of its own that the fetch waits for (apalis-core patched, see `vendor/README.md`).
//! Every completion is still handled, and the last ones when the consumer stops.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::codec::Codec;
use apalis_core::backend::finalize::Ephemeral;
use apalis_core::backend::persistence::{Persisted, Persistence, TaskEvent, TaskPersistLayer};
use apalis_core::backend::{Backend, BackendConfig};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::context::WorkerContext;

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
        let taken = {
            let mut left = self.left.lock().unwrap();
            let taken = (*left).min(4);
            *left -= taken;
            taken
        };
        self.fetches_in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok((0..taken)
            .map(|n| {
                TaskBuilder::new(n as u32)
                    .task_id(TaskId::from(n as u64))
                    .build()
            })
            .collect())
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
        let done = events
            .iter()
            .filter(|e| matches!(e, TaskEvent::Complete(_)))
            .count();
        self.completions.fetch_add(done, Ordering::SeqCst);
        Ok(())
    }
    async fn push_tasks(&mut self, _: Vec<Task<u32>>) -> Result<(), io::Error> {
        Ok(())
    }
}

/// Encodes a job's `()` result as `()`.
#[derive(Clone)]
struct Unit;

impl Codec<()> for Unit {
    type Error = io::Error;
    type Compact = ();
    fn encode(&self, _: &()) -> Result<(), io::Error> {
        Ok(())
    }
    fn decode(&self, _: &()) -> Result<(), io::Error> {
        Ok(())
    }
}

/// `Log` behind `Persisted`, with the layer that reports each job's completion.
struct Acking(Persisted<Log>);

impl Backend for Acking {
    type Task = Task<u32>;
    type Error = io::Error;

    fn poll_ready(&mut self, cx: &mut Context<'_>, w: &WorkerContext) -> Poll<io::Result<()>> {
        self.0.poll_ready(cx, w, Duration::from_secs(60))
    }
    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        w: &WorkerContext,
    ) -> Poll<Option<io::Result<Task<u32>>>> {
        self.0.poll_next(cx, w)
    }
    fn poll_close(&mut self, cx: &mut Context<'_>, w: &WorkerContext) -> Poll<io::Result<()>> {
        self.0.poll_close(cx, w)
    }
}

impl BackendConfig for Acking {
    type Args = u32;
    type Id = ();
    type Kind = Ephemeral;
    type Config = ();
    type Layer = TaskPersistLayer<Unit, ()>;

    fn config(&self) -> &() {
        &()
    }
    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        self.0.layer(Unit, 4).persist_results(true)
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
                    .backend(Acking(Persisted::new(backend.clone())))
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

//! A backend for the consumer tests: apalis's `Persisted` state machine (the one apalis-redis
//! runs on) over a persistence each test defines, heartbeating every `heartbeat`.
// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::io;
use std::ops::Range;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use apalis::prelude::{Monitor, ParallelizeExt, WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::codec::Codec;
use apalis_core::backend::finalize::Ephemeral;
use apalis_core::backend::persistence::{Persisted, Persistence, TaskEvent, TaskPersistLayer};
use apalis_core::backend::{Backend, BackendConfig};
use apalis_core::monitor::MonitorError;
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::context::WorkerContext;
use tower::layer::util::Identity;

/// `persistence` behind `Persisted`, as a worker's backend, with the worker layer `L` (none, or
/// the one that reports each job's completion: `acking`).
pub struct FakeBackend<P: Persistence, L = Identity> {
    persisted: Persisted<P>,
    heartbeat: Duration,
    layer: fn(&mut Persisted<P>) -> L,
}

impl<P> FakeBackend<P>
where
    P: Persistence + Clone,
    P::Compact: Send + 'static,
    P::Response: Send,
{
    pub fn new(persistence: P, heartbeat: Duration) -> Self {
        Self {
            persisted: Persisted::new(persistence),
            heartbeat,
            layer: |_| Identity::new(),
        }
    }
}

/// Encodes a job's `()` result as `()`.
#[derive(Clone)]
pub struct Unit;

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

impl<P> FakeBackend<P, TaskPersistLayer<Unit, ()>>
where
    P: Persistence<Response = ()> + Clone,
    P::Compact: Send + 'static,
{
    /// With the layer that reports each job's completion to `persistence`; heartbeats a minute
    /// apart.
    pub fn acking(persistence: P) -> Self {
        Self {
            persisted: Persisted::new(persistence),
            heartbeat: Duration::from_secs(60),
            layer: |persisted| persisted.layer(Unit, 16).persist_results(true),
        }
    }
}

impl<P, L> Backend for FakeBackend<P, L>
where
    P: Persistence + Clone,
    P::Compact: Send + 'static,
    P::Response: Send,
    P::Error: Send + Sync + 'static,
{
    type Task = Task<P::Compact>;
    type Error = P::Error;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), P::Error>> {
        self.persisted.poll_ready(cx, worker, self.heartbeat)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Task<P::Compact>, P::Error>>> {
        self.persisted.poll_next(cx, worker)
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), P::Error>> {
        self.persisted.poll_close(cx, worker)
    }
}

impl<P: Persistence, L> BackendConfig for FakeBackend<P, L> {
    type Args = P::Compact;
    type Id = ();
    type Kind = Ephemeral;
    type Config = ();
    type Layer = L;

    fn config(&self) -> &() {
        &()
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> L {
        (self.layer)(&mut self.persisted)
    }
}

/// Runs `persistence`'s jobs with `handler` in one worker named `name` of `slots` slots, its
/// completions reported (`FakeBackend::acking`), until `until` holds (checked every 5 ms, for at
/// most `limit`), then asks it to stop. Returns how long `until` took to hold, and the monitor's
/// task, stopping.
pub async fn run_acking_until<P, F, Fut>(
    name: &'static str,
    persistence: P,
    slots: usize,
    handler: F,
    limit: Duration,
    until: impl Fn() -> bool,
) -> (Duration, tokio::task::JoinHandle<Result<(), MonitorError>>)
where
    P: Persistence<Compact = u32, Response = (), Error = io::Error> + Clone + Sync + Unpin,
    F: Fn(u32) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let monitor = tokio::spawn(
        Monitor::new()
            .register(move |_| {
                WorkerBuilder::new(name)
                    .backend(FakeBackend::acking(persistence.clone()))
                    .parallelize(tokio::spawn)
                    .concurrency(slots)
                    .build(handler.clone())
            })
            .run_with_signal(async move {
                let _ = stopped.await;
                Ok(())
            }),
    );
    let started = Instant::now();
    while !until() && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed();
    let _ = stop.send(());
    (took, monitor)
}

/// Takes up to `most` of the jobs `left`; returns how many it took.
pub fn take(left: &Mutex<usize>, most: usize) -> usize {
    let mut left = left.lock().unwrap();
    let taken = (*left).min(most);
    *left -= taken;
    taken
}

/// The jobs numbered `numbers`, each with its number as its id.
pub fn jobs(numbers: Range<usize>) -> Vec<Task<u32>> {
    numbers
        .map(|n| {
            TaskBuilder::new(n as u32)
                .task_id(TaskId::from(n as u64))
                .build()
        })
        .collect()
}

/// How many of `events` are completions.
pub fn completions(events: &[TaskEvent<()>]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, TaskEvent::Complete(_)))
        .count()
}

//! A backend for the consumer tests: apalis's `Persisted` state machine (the one apalis-redis
//! runs on) over a persistence each test defines, heartbeating every `heartbeat`.

use std::task::{Context, Poll};
use std::time::Duration;

use apalis_core::backend::finalize::Ephemeral;
use apalis_core::backend::persistence::{Persisted, Persistence};
use apalis_core::backend::{Backend, BackendConfig};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use tower::layer::util::Identity;

/// `persistence` behind `Persisted`, as a worker's backend.
pub struct FakeBackend<P: Persistence> {
    persisted: Persisted<P>,
    heartbeat: Duration,
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
        }
    }
}

impl<P> Backend for FakeBackend<P>
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

impl<P: Persistence> BackendConfig for FakeBackend<P> {
    type Args = P::Compact;
    type Id = ();
    type Kind = Ephemeral;
    type Config = ();
    type Layer = Identity;

    fn config(&self) -> &() {
        &()
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Identity {
        Identity::new()
    }
}

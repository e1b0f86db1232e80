//! The backend wrapper that reports each poll of a consumer to its liveness record and, when
//! the watchdog asks, fails the consumer's current run so the monitor restarts it.

use std::task::{Context, Poll};

use apalis::prelude::Backend;
use apalis_core::backend::{BackendConfig, WireFormatBackend};
use apalis_core::worker::context::WorkerContext;

use super::ConsumerHandle;

/// A backend whose consumer is supervised.
#[derive(Debug)]
pub struct Supervised<B> {
    inner: B,
    handle: ConsumerHandle,
}

impl<B> Supervised<B> {
    /// Supervises `inner` through `handle`.
    pub fn new(inner: B, handle: ConsumerHandle) -> Self {
        Self { inner, handle }
    }
}

/// A supervised backend's error: its own, or the watchdog's restart.
#[derive(Debug, thiserror::Error)]
pub enum SupervisedError<E> {
    /// The wrapped backend failed.
    #[error(transparent)]
    Backend(E),
    /// The consumer made no progress; the watchdog restarts it.
    #[error("consumer {0} stalled; restarting it")]
    Stalled(String),
}

impl<B: Backend> Supervised<B> {
    /// Records the poll; `Err` when this run must end so the monitor restarts it.
    fn check_in(
        &self,
        cx: &Context<'_>,
        worker: &WorkerContext,
    ) -> Result<(), SupervisedError<B::Error>> {
        if self.handle.polled(worker.name(), cx.waker()) {
            Err(SupervisedError::Stalled(self.handle.label().to_string()))
        } else {
            Ok(())
        }
    }
}

impl<B: Backend> Backend for Supervised<B> {
    type Task = B::Task;
    type Error = SupervisedError<B::Error>;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        self.check_in(cx, worker)?;
        self.inner
            .poll_ready(cx, worker)
            .map_err(SupervisedError::Backend)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        if let Err(e) = self.check_in(cx, worker) {
            return Poll::Ready(Some(Err(e)));
        }
        self.inner
            .poll_next(cx, worker)
            .map(|next| next.map(|task| task.map_err(SupervisedError::Backend)))
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_close(cx, worker)
            .map_err(SupervisedError::Backend)
    }
}

impl<B: BackendConfig> BackendConfig for Supervised<B> {
    type Id = B::Id;
    type Args = B::Args;
    type Kind = B::Kind;
    type Config = B::Config;
    type Layer = B::Layer;

    fn config(&self) -> &Self::Config {
        self.inner.config()
    }

    fn middleware(&mut self, worker: &mut WorkerContext) -> Self::Layer {
        self.inner.middleware(worker)
    }
}

impl<B: WireFormatBackend> WireFormatBackend for Supervised<B> {
    type Codec = B::Codec;
    type Compact = B::Compact;

    fn codec(&self) -> &Self::Codec {
        self.inner.codec()
    }
}

use std::{
    collections::VecDeque,
    fmt::Debug,
    ops::{Deref, DerefMut},
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use futures_channel::mpsc::{self, Receiver};
use futures_timer::Delay;
use futures_util::FutureExt;

pub use crate::backend::persistence::{event::TaskEvent, service::TaskPersistLayer, state::State};
use crate::{backend::future::BoxSyncFuture, task::Task, worker::context::WorkerContext};

mod event;
mod service;
mod sink;
mod state;

/// Persistence layer for registering workers, maintaining their liveness,
/// fetching work, recovering abandoned tasks, and handling task events.
pub trait Persistence: Clone + Send + 'static {
    /// The compact type the upstream backend will use
    type Compact;

    /// The response type to be stored in the db
    type Response;

    /// Error returned by persistence operations.
    type Error: std::error::Error;

    /// Registers the worker with the persistence backend.
    fn register(
        &mut self,
        worker: &WorkerContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Records a heartbeat for the worker.
    fn heartbeat(
        &mut self,
        worker: &WorkerContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Fetches the next batch of tasks available for processing.
    fn fetch_next(
        &mut self,
        worker: &WorkerContext,
    ) -> impl Future<Output = Result<Vec<Task<Self::Compact>>, Self::Error>> + Send;

    /// Re-enqueues tasks that were abandoned by a worker.
    fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<Self::Compact>>,
        worker: &WorkerContext,
    ) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// Handles task lifecycle events produced by the worker.
    fn handle_events(
        &mut self,
        events: Vec<TaskEvent<Self::Response>>,
        worker: &WorkerContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Handle tasks being pushed
    fn push_tasks(
        &mut self,
        tasks: Vec<Task<Self::Compact>>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A backend that drives a [`Persistence`] instance to emit tasks
///
/// This provides a lightweight way to compose a backend without worrying about polling
#[derive(Debug)]
pub struct Persisted<P>
where
    P: Persistence,
{
    inner: P,
    state: State<Task<P::Compact>, P::Error>,
    heartbeat_timer: Option<Delay>,
    receiver: Option<Receiver<TaskEvent<P::Response>>>,
    // Completions drained by `poll_ready`, sent with the next fetch (patched: see `poll_next`).
    deferred: Box<Vec<TaskEvent<P::Response>>>,
    sink_buffer: Vec<Task<P::Compact>>,
    sink_future: Option<BoxSyncFuture<Result<(), P::Error>>>,
    // Patched (see `poll_next`): until this fires, the next fetch waits for the jobs of the last
    // batch to finish, so that it fills the slots they free in one round trip.
    fill_window: Option<Delay>,
    // Patched (see `poll_next`): fetches sent before the batch they follow was handed out, the
    // size of the last batch handed out (0 after an empty fetch), whether the fetch in flight was
    // sent ahead, since when the buffered batch has waited if it was, and the timer that hands
    // back jobs fetched ahead that wait too long (`poll_ready`), with the time it is set for.
    ahead: VecDeque<Ahead<Task<P::Compact>, P::Error>>,
    last_batch: usize,
    fetched_ahead: bool,
    buffered_since: Option<Instant>,
    hold: Option<(Instant, Delay)>,
}

/// How long a fetch may wait for the rest of the last batch to finish (patched, see `poll_next`).
const FILL_WINDOW: Duration = Duration::from_millis(2);

/// How many fetches a consumer of short jobs keeps in flight ahead of the batch it hands out
/// (patched, see `poll_next`).
const FETCHES_AHEAD: usize = 2;

/// How long jobs fetched ahead may wait for free slots before they are handed back to the queue
/// (patched, see `poll_ready`).
const AHEAD_HOLD: Duration = Duration::from_millis(20);

/// A fetch sent ahead (patched, see `poll_next`): in flight, or its answer.
enum Ahead<T, E> {
    Sent(BoxSyncFuture<Result<Vec<T>, E>>),
    Came(Box<Result<Vec<T>, E>>, Instant),
}

impl<T, E> Debug for Ahead<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sent(_) => f.write_str("Sent"),
            Self::Came(..) => f.write_str("Came"),
        }
    }
}

/// Whether a fetch's answer holds jobs.
fn has_jobs<T, E>(answer: &Result<Vec<T>, E>) -> bool {
    answer.as_ref().is_ok_and(|tasks| !tasks.is_empty())
}

impl<T, E> Ahead<T, E> {
    /// Drives the fetch; its answer is kept until it is taken.
    fn poll(&mut self, cx: &mut Context<'_>) {
        if let Self::Sent(fut) = self
            && let Poll::Ready(answer) = fut.poll_unpin(cx)
        {
            *self = Self::Came(Box::new(answer), Instant::now());
        }
    }
}

impl<T: Send + 'static, E: Send + 'static> Ahead<T, E> {
    fn into_future(self) -> BoxSyncFuture<Result<Vec<T>, E>> {
        match self {
            Self::Sent(fut) => fut,
            Self::Came(answer, _) => async move { *answer }.boxed().into(),
        }
    }
}

impl<P: Clone> Clone for Persisted<P>
where
    P: Persistence,
{
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            state: State::NotBootstrapped,
            heartbeat_timer: None,
            receiver: None,
            deferred: Box::default(),
            sink_buffer: Vec::new(),
            sink_future: None,
            fill_window: None,
            ahead: VecDeque::new(),
            last_batch: 0,
            fetched_ahead: false,
            buffered_since: None,
            hold: None,
        }
    }
}

impl<P> Deref for Persisted<P>
where
    P: Persistence,
{
    type Target = P;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<P> DerefMut for Persisted<P>
where
    P: Persistence,
{
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

macro_rules! poll_fut_or_return {
    ($fut:expr, $cx:expr) => {
        match $fut.poll_unpin($cx) {
            Poll::Ready(Ok(v)) => v,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    };
}

impl<P> Persisted<P>
where
    P: Persistence + Clone,
    P::Compact: Send + 'static,
    P::Response: Send,
{
    /// Creates a new `Persisted` in the `NotBootstrapped` state.
    ///
    /// The worker will register itself with the backend on the first call
    /// to [`poll_ready`](Self::poll_ready).
    pub fn new(inner: P) -> Self {
        Self {
            inner,
            heartbeat_timer: None,
            receiver: None,
            deferred: Box::default(),
            state: State::NotBootstrapped,
            sink_buffer: Vec::new(),
            sink_future: None,
            fill_window: None,
            ahead: VecDeque::new(),
            last_batch: 0,
            fetched_ahead: false,
            buffered_since: None,
            hold: None,
        }
    }

    /// Get the current state
    pub fn state(&self) -> &State<Task<P::Compact>, P::Error> {
        &self.state
    }

    /// Get the a mutable state
    pub fn state_mut(&mut self) -> &mut State<Task<P::Compact>, P::Error> {
        &mut self.state
    }

    /// Drains any pending events from the receiver.
    ///
    /// Returns `None` if there's nothing to process.
    fn try_drain_events(&mut self, _: &mut Context<'_>) -> Option<Vec<TaskEvent<P::Response>>> {
        let receiver = self.receiver.as_mut()?;
        let mut events = std::mem::take(&mut *self.deferred);
        let mut polls = 0u32;

        while let Ok(event) = receiver.try_recv() {
            polls += 1;
            events.push(event);
        }

        trace!(
            drained = events.len(),
            polls, "try_drain_events: receiver drain complete"
        );

        if events.is_empty() {
            None
        } else {
            debug!(
                count = events.len(),
                "try_drain_events: buffered events ready"
            );
            Some(events)
        }
    }

    /// A fetch, with the completions waiting sent in the same round trip: both requests go out
    /// before either answer is awaited (on a multiplexed connection, the completions first).
    /// Either failing fails the fetch.
    fn fetch_with_completions(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> BoxSyncFuture<Result<Vec<Task<P::Compact>>, P::Error>>
    where
        P::Error: Send,
    {
        let mut provider = self.inner.clone();
        let worker = worker.clone();
        let events = self.try_drain_events(cx);
        let mut events_provider = self.inner.clone();
        async move {
            let Some(events) = events else {
                return provider.fetch_next(&worker).await;
            };
            let (handled, fetched) = futures_util::future::join(
                events_provider.handle_events(events, &worker),
                provider.fetch_next(&worker),
            )
            .await;
            handled?;
            fetched
        }
        .boxed()
        .into()
    }

    /// Hands back to the queue the jobs fetched ahead that have waited `AHEAD_HOLD` for a free
    /// slot (patched): the buffered batch, if it was fetched ahead, and every fetch sent ahead
    /// that has come. A consumer whose slots are busy with slow jobs never sits on jobs another
    /// worker could start. Otherwise keeps a timer for when the oldest of them would be due.
    fn hand_back_held(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) {
        let buffered_since = match &self.state {
            State::Buffered(buffer) if !buffer.is_empty() => self.buffered_since,
            State::Ready => None,
            _ => return,
        };
        // The fetches sent ahead are driven here, before every `poll_next` (the worker calls
        // `poll_ready` first), and so whether or not a slot is free.
        for ahead in &mut self.ahead {
            ahead.poll(cx);
        }
        let came = self.ahead.iter().filter_map(|ahead| match ahead {
            Ahead::Came(answer, at) if has_jobs(answer) => Some(*at),
            _ => None,
        });
        let Some(oldest) = buffered_since.into_iter().chain(came).min() else {
            self.hold = None;
            return;
        };
        let due = oldest + AHEAD_HOLD;
        if Instant::now() < due {
            if self.hold.as_ref().is_none_or(|(at, _)| *at != due) {
                self.hold = Some((due, Delay::new(due - Instant::now())));
            }
            if let Some((_, timer)) = self.hold.as_mut()
                && Pin::new(timer).poll(cx).is_pending()
            {
                return;
            }
        }
        self.hold = None;
        let mut tasks = Vec::new();
        if let State::Buffered(buffer) = &mut self.state {
            tasks.extend(std::mem::take(buffer));
        }
        let mut kept = VecDeque::with_capacity(self.ahead.len());
        for ahead in self.ahead.drain(..) {
            match ahead {
                Ahead::Came(answer, _) if has_jobs(&answer) => {
                    tasks.extend((*answer).unwrap_or_default());
                }
                other => kept.push_back(other),
            }
        }
        self.ahead = kept;
        self.buffered_since = None;
        // Never an empty list: a backend releases every job the worker holds for one, those
        // running included (apalis-redis's `release_leases.lua`), and they would run twice.
        if tasks.is_empty() {
            return;
        }
        debug!(
            count = tasks.len(),
            "jobs fetched ahead found no free slot -> handing them back"
        );
        let mut provider = self.inner.clone();
        let worker = worker.clone();
        let fut = async move { provider.reenqueue_abandoned(tasks, &worker).await };
        self.state = State::ReenqueueOrphaned(fut.boxed().into());
    }

    /// Build a layer that wraps a TaskPersistLayer
    pub fn layer<C>(&mut self, codec: C, batch_size: usize) -> TaskPersistLayer<C, P::Response> {
        // Currently we only emit Lock and Ack
        let buffer = batch_size * 4;
        let (tx, rx) = mpsc::channel(buffer);
        self.receiver = Some(rx);
        TaskPersistLayer::new(tx, codec)
    }

    /// Drives the provider's internal state machine (bootstrap, heartbeat,
    /// event processing) until it is genuinely ready for [`poll_next`](Self::poll_next)
    /// to be called, or until it must return `Pending`.
    pub fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
        heartbeat_interval: Duration,
    ) -> Poll<Result<(), P::Error>> {
        trace!("poll_ready: {:?}", self.state);
        loop {
            self.hand_back_held(cx, worker);
            match &mut self.state {
                State::NotBootstrapped => {
                    debug!("poll_ready: NotBootstrapped -> registering worker");
                    let mut provider = self.inner.clone();
                    let worker = worker.clone();
                    let fut = async move {
                        provider.register(&worker).await?;
                        Ok(())
                    };
                    self.state = State::RegisterWorker(fut.boxed().into());
                }

                State::RegisterWorker(fut) | State::HeartBeat(fut) => match fut.poll_unpin(cx) {
                    Poll::Pending => {
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => {
                        warn!(error = ?e, "poll_ready: HeartBeat failed -> Dead");
                        self.state = State::Dead;
                        return Poll::Ready(Err(e));
                    }
                    Poll::Ready(Ok(())) => {
                        debug!(
                            ?heartbeat_interval,
                            "poll_ready: HeartBeat complete, arming heartbeat timer"
                        );
                        worker.heartbeat(cx);
                        self.heartbeat_timer = Some(Delay::new(heartbeat_interval));
                        self.state = State::Ready;
                    }
                },

                State::ProcessEvents(fut) => match fut.poll_unpin(cx) {
                    Poll::Pending => {
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => {
                        warn!(error = ?e, "poll_ready: ProcessEvents failed -> Dead");
                        self.state = State::Dead;
                        return Poll::Ready(Err(e));
                    }
                    Poll::Ready(Ok(())) => {
                        trace!("poll_ready: ProcessEvents complete -> Ready");
                        self.state = State::Ready;
                    }
                },

                State::ReenqueueOrphaned(fut) => match fut.poll_unpin(cx) {
                    Poll::Pending => {
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => {
                        warn!(error = ?e, "poll_ready: handing jobs back failed -> Dead");
                        self.state = State::Dead;
                        return Poll::Ready(Err(e));
                    }
                    Poll::Ready(Ok(count)) => {
                        debug!(count, "poll_ready: jobs handed back -> Ready");
                        self.state = State::Ready;
                    }
                },

                State::Ready => {
                    let heartbeat_due = Pin::new(self.heartbeat_timer.as_mut().unwrap())
                        .poll(cx)
                        .is_ready();

                    trace!(
                        heartbeat_due,
                        ?heartbeat_interval,
                        "poll_ready: State::Ready evaluating heartbeat timer"
                    );

                    if heartbeat_due {
                        debug!("poll_ready: heartbeat due -> dispatching HeartBeat future");
                        let mut provider = self.inner.clone();
                        let worker = worker.clone();
                        let fut = async move {
                            provider.heartbeat(&worker).await?;
                            Ok(())
                        };
                        self.state = State::HeartBeat(fut.boxed().into());
                        continue;
                    }

                    if let Some(events) = self.try_drain_events(cx) {
                        // Completions only: they go with the next fetch, in the same round
                        // trip (`poll_next`), instead of one round trip of their own that the
                        // fetch waits for. A job completing frees a slot, so a fetch follows.
                        if events.iter().all(|e| matches!(e, TaskEvent::Complete(_))) {
                            *self.deferred = events;
                            return Poll::Ready(Ok(()));
                        }
                        debug!(
                            count = events.len(),
                            "poll_ready: draining events -> dispatching ProcessEvents future"
                        );
                        let mut provider = self.inner.clone();
                        let worker = worker.clone();
                        let fut = async move { provider.handle_events(events, &worker).await };
                        self.state = State::ProcessEvents(fut.boxed().into());
                        continue;
                    }

                    trace!("poll_ready: no heartbeat/events pending -> Ready(Ok)");
                    return Poll::Ready(Ok(()));
                }

                _ => {
                    trace!(state = ?self.state, "poll_ready: state handled elsewhere -> Ready(Ok)");
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    /// Pulls the next task from the backend, fetching a fresh batch when the
    /// internal buffer is exhausted.
    ///
    /// Assumes [`poll_ready`](Self::poll_ready) has already driven the state
    /// machine into `State::Ready`; other states fall through to `Pending`
    /// since they're the responsibility of `poll_ready`/`poll_close`.
    #[allow(clippy::type_complexity)]
    pub fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Task<P::Compact>, P::Error>>>
    where
        P::Error: Send,
    {
        trace!("poll_next: poll: {state:?}", state = self.state);
        loop {
            match &mut self.state {
                State::Ready if !self.ahead.is_empty() => {
                    trace!("poll_next: State::Ready -> taking the fetch sent ahead");
                    let ahead = self.ahead.pop_front().expect("not empty");
                    self.fill_window = None;
                    self.fetched_ahead = true;
                    self.state = State::Fetch(ahead.into_future());
                }

                State::Ready => {
                    // Short jobs free their slots one after another: fetching at the first free
                    // slot splits every batch into a small fetch and a large one, two round
                    // trips where one would do. So the fetch waits until the last batch's jobs
                    // have all finished, but no longer than `FILL_WINDOW` after it came: a slow
                    // job never holds up the slots the others free. Waiting here is safe: the
                    // armed timer, every job finishing and the last one (`task_count` 0) all
                    // wake the worker, and it still fetches only for free slots.
                    if let Some(window) = self.fill_window.as_mut() {
                        if worker.task_count() > 0 && Pin::new(window).poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                        self.fill_window = None;
                    }
                    trace!("poll_next: State::Ready -> dispatching Fetch future");
                    self.fetched_ahead = false;
                    self.state = State::Fetch(self.fetch_with_completions(cx, worker));
                }

                State::Fetch(fut) => match fut.poll_unpin(cx) {
                    Poll::Pending => {
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(tasks)) if tasks.is_empty() => {
                        trace!(
                            "poll_next: fetch_next returned empty batch -> Ready, parking waker"
                        );
                        self.last_batch = 0;
                        self.state = State::Ready;
                        worker.register_waker(cx);
                        // `poll_ready` only looks at the heartbeat timer in `Ready`: one that fell
                        // due while this fetch was in flight has spent its wake-up on a poll that
                        // ignored it. Re-arm it here, or run it now, so the worker never parks
                        // with its heartbeat (and every later fetch) silently stopped.
                        if let Some(timer) = self.heartbeat_timer.as_mut()
                            && Pin::new(timer).poll(cx).is_ready()
                        {
                            cx.waker().wake_by_ref();
                        }
                        // Jobs that finished while this fetch was in flight have their
                        // completions waiting, and nothing may wake the worker again until
                        // another job finishes or the poll interval ticks: send them now.
                        if let Some(events) = self.try_drain_events(cx) {
                            *self.deferred = events;
                            cx.waker().wake_by_ref();
                        }
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(tasks)) => {
                        debug!(count = tasks.len(), "poll_next: fetch_next returned batch");
                        // Every job of the last batch finished within this round trip: the jobs
                        // are short, and the worker would idle while Redis answers the next
                        // fetch, then Redis while the worker hands this batch out. So keep
                        // `FETCHES_AHEAD` fetches in flight from now, each for the slots free
                        // now, with the completions waiting. What they take may wait for slots
                        // briefly; `poll_ready` hands back what waits longer than `AHEAD_HOLD`.
                        if self.last_batch > 0 && worker.task_count() == 0 {
                            while self.ahead.len() < FETCHES_AHEAD {
                                let mut ahead =
                                    Ahead::Sent(self.fetch_with_completions(cx, worker));
                                // Polled once so the request goes out now.
                                ahead.poll(cx);
                                self.ahead.push_back(ahead);
                            }
                        }
                        self.last_batch = tasks.len();
                        self.buffered_since = self.fetched_ahead.then(Instant::now);
                        self.fill_window = Some(Delay::new(FILL_WINDOW));
                        self.state = State::Buffered(VecDeque::from(tasks));
                    }
                    Poll::Ready(Err(e)) => {
                        warn!(error = ?e, "poll_next: fetch_next failed -> Dead");
                        self.state = State::Dead;
                        return Poll::Ready(Some(Err(e)));
                    }
                },

                State::Buffered(buffer) => {
                    if let Some(task) = buffer.pop_front() {
                        if buffer.is_empty() {
                            trace!("poll_next: buffer exhausted after pop -> Ready");
                            self.buffered_since = None;
                            self.state = State::Ready;
                        }
                        trace!(task_id = ?task.task_id(), "poll_next: yielding task from buffer");
                        return Poll::Ready(Some(Ok(task)));
                    }
                    trace!("poll_next: buffer already empty -> Ready");
                    self.state = State::Ready;
                }

                State::Dead => {
                    debug!("poll_next: State::Dead -> Ready(None)");
                    return Poll::Ready(None);
                }

                // RegisterWorker/HeartBeat/ProcessEvents/NotBootstrapped are
                // poll_ready's responsibility — if we land here, the caller
                // skipped poll_ready or called poll_next while it was still Pending.
                _ => {
                    error!(state = ?self.state, "poll_next: state not owned by poll_next -> Panic");
                    unreachable!("poll_ready should have been called first");
                }
            }
        }
    }

    /// Gracefully winds down the provider: finishes in-flight bootstrap/heartbeat
    /// event futures, re-enqueues any abandoned buffered tasks, then flushes
    /// remaining events before signalling completion.
    pub fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), P::Error>>
    where
        P::Error: Send,
    {
        trace!("poll_close: Start: {:?}", self.state);
        loop {
            match &mut self.state {
                // Let any in-flight future finish before we start forcing drains
                State::RegisterWorker(fut) | State::HeartBeat(fut) => {
                    poll_fut_or_return!(fut, cx);
                    debug!("poll_close: in-flight RegisterWorker/HeartBeat completed");
                    worker.heartbeat(cx);
                    self.state = State::Ready;
                }

                State::ProcessEvents(fut) => {
                    poll_fut_or_return!(fut, cx);
                    trace!("poll_close: ProcessEvents complete -> Ready");
                    self.state = State::Ready;
                }

                State::ReenqueueOrphaned(fut) => {
                    poll_fut_or_return!(fut, cx);
                    debug!("poll_close: ReenqueueOrphaned complete -> Ready");
                    self.state = State::Ready;
                }

                // A fetch carries the pending completions (see `poll_next`): let it finish,
                // then hand back what it took.
                State::Fetch(fut) => {
                    let tasks = poll_fut_or_return!(fut, cx);
                    debug!(count = tasks.len(), "poll_close: in-flight Fetch completed");
                    self.state = State::Buffered(VecDeque::from(tasks));
                }

                State::Buffered(remaining) => {
                    let mut provider = self.inner.clone();
                    let worker = worker.clone();

                    if !remaining.is_empty() {
                        debug!(
                            count = remaining.len(),
                            "poll_close: re-enqueuing abandoned buffered tasks"
                        );
                        let tasks = Vec::from(std::mem::take(remaining));
                        let fut = async move { provider.reenqueue_abandoned(tasks, &worker).await };
                        self.state = State::ReenqueueOrphaned(fut.boxed().into());
                    } else {
                        trace!("poll_close: buffer already empty -> Ready");
                        self.state = State::Ready;
                    }
                }

                // Fetches sent ahead may carry completions and take jobs: let each finish, then
                // hand back what it took, as for the fetch in flight.
                State::Ready if !self.ahead.is_empty() => {
                    let ahead = self.ahead.pop_front().expect("not empty");
                    self.state = State::Fetch(ahead.into_future());
                }

                State::Ready => {
                    let mut provider = self.inner.clone();
                    let worker = worker.clone();

                    if let Some(events) = self.try_drain_events(cx) {
                        debug!(
                            count = events.len(),
                            "poll_close: flushing remaining events before shutdown"
                        );
                        let fut = async move { provider.handle_events(events, &worker).await };
                        self.state = State::ProcessEvents(fut.boxed().into());
                        continue;
                    }
                    debug!("poll_close: no remaining work -> Ready(Ok)");
                    return Poll::Ready(Ok(()));
                }

                _ => {
                    trace!("poll_close: unexpected state -> forcing Ready");
                    self.state = State::Ready;
                }
            }
        }
    }
}

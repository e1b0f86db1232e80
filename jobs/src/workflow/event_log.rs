//! The workflow's event log, written in batches. A step hands its event to a writer task that
//! inserts whatever has gathered in one command, so a step costs no round trip of its own and
//! a burst of workflows costs a few commands for all their events. The writer waits [`GATHER`]
//! after the first event, and again while more keep arriving (a busy worker), up to
//! [`MAX_GATHER`]: a quiet worker writes within 20 ms, a busy one writes dozens of events per
//! insert. A process killed in that window loses its last events (the history shown to
//! operators), never workflow state, which each step saves before moving on. A graceful
//! shutdown flushes what is pending.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::store::{WorkflowEvent, WorkflowEvents};

/// How long the writer lets events gather after the first one arrives, and again after each
/// wait in which more arrived.
const GATHER: Duration = Duration::from_millis(20);
/// The longest events gather before they are written.
const MAX_GATHER: Duration = Duration::from_millis(250);
/// Most events in one insert.
const MAX_BATCH: usize = 500;
/// How many times a batch is tried before it is dropped (with a WARN and a metric).
const TRIES: u32 = 10;

enum Message {
    Event(Box<WorkflowEvent>),
    Flush(oneshot::Sender<()>),
}

/// Hands events to the writer task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EventLog {
    sender: mpsc::UnboundedSender<Message>,
}

impl EventLog {
    /// Starts the writer task (on the current Tokio runtime).
    pub fn start(events: WorkflowEvents) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write(events, receiver));
        Self { sender }
    }

    /// Queues an event for the next batch.
    pub fn record(&self, event: WorkflowEvent) {
        if self.sender.send(Message::Event(Box::new(event))).is_err() {
            metrics::counter!("aistudio_workflow_events_dropped_total").increment(1);
        }
    }

    /// Returns once every event queued before the call is written (or given up on).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }
}

async fn write(events: WorkflowEvents, mut receiver: mpsc::UnboundedReceiver<Message>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = Vec::new();
        let mut flushed = Vec::new();
        let mut gather = matches!(first, Message::Event(_));
        take(first, &mut batch, &mut flushed);
        let started = tokio::time::Instant::now();
        loop {
            if gather {
                tokio::time::sleep(GATHER).await;
            }
            let before = batch.len();
            while batch.len() < MAX_BATCH
                && let Ok(message) = receiver.try_recv()
            {
                take(message, &mut batch, &mut flushed);
            }
            // Quiet, full, gathered long enough, or asked to flush: write now.
            gather = batch.len() > before
                && batch.len() < MAX_BATCH
                && started.elapsed() + GATHER <= MAX_GATHER
                && flushed.is_empty();
            if !gather {
                break;
            }
        }
        insert(&events, &batch).await;
        for done in flushed {
            let _ = done.send(());
        }
    }
}

fn take(message: Message, batch: &mut Vec<WorkflowEvent>, flushed: &mut Vec<oneshot::Sender<()>>) {
    match message {
        Message::Event(event) => batch.push(*event),
        Message::Flush(done) => flushed.push(done),
    }
}

async fn insert(events: &WorkflowEvents, batch: &[WorkflowEvent]) {
    for attempt in 1..=TRIES {
        match events.record_many(batch).await {
            Ok(()) => return,
            Err(e) if attempt == TRIES => {
                tracing::warn!(events = batch.len(), error = %e, "workflow events dropped");
                metrics::counter!("aistudio_workflow_events_dropped_total")
                    .increment(batch.len() as u64);
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250) * attempt).await,
        }
    }
}

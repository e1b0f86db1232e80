//! A consumer whose short jobs finish one after another fetches once for the slots they free,
//! not once at the first free slot and again for the rest, and a slow job never holds up the
//! fetch for the slots the others free; a job that finishes during a fetch that comes back empty
//! is acknowledged at once (apalis-core patched, see `vendor/README.md`).

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;

mod common;

const SLOTS: usize = 8;

/// A queue of `left` jobs, numbered from 0, that records the size of every batch it hands out.
/// A fetch takes `latency`.
#[derive(Clone, Default)]
struct Queue {
    latency: Duration,
    left: Arc<Mutex<usize>>,
    next: Arc<AtomicUsize>,
    batches: Arc<Mutex<Vec<usize>>>,
    done: Arc<AtomicUsize>,
}

impl Persistence for Queue {
    type Compact = u32;
    type Response = ();
    type Error = io::Error;

    async fn register(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn heartbeat(&mut self, _: &WorkerContext) -> Result<(), io::Error> {
        Ok(())
    }
    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<Task<u32>>, io::Error> {
        // As the Redis backend: only as many jobs as there are free slots, at least one.
        let free = SLOTS.saturating_sub(worker.task_count()).max(1);
        tokio::time::sleep(self.latency).await;
        let taken = common::take(&self.left, free);
        if taken > 0 {
            self.batches.lock().unwrap().push(taken);
        }
        let first = self.next.fetch_add(taken, Ordering::SeqCst);
        Ok(common::jobs(first..first + taken))
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
        self.done
            .fetch_add(common::completions(&events), Ordering::SeqCst);
        Ok(())
    }
    async fn push_tasks(&mut self, _: Vec<Task<u32>>) -> Result<(), io::Error> {
        Ok(())
    }
}

/// Runs `jobs` jobs through one consumer of `SLOTS` slots with `handler`, each fetch taking
/// `latency`, until `until` holds (checked every 5 ms, for at most 10 s), then stops it. Returns
/// the queue and how long `until` took to hold.
async fn consume<F, Fut>(
    jobs: usize,
    latency: Duration,
    handler: F,
    until: impl Fn(&Queue) -> bool,
) -> (Queue, Duration)
where
    F: Fn(u32) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let queue = Queue {
        latency,
        left: Arc::new(Mutex::new(jobs)),
        ..Queue::default()
    };
    let (took, monitor) = common::run_acking_until(
        "full-fetches",
        queue.clone(),
        SLOTS,
        handler,
        Duration::from_secs(10),
        || until(&queue),
    )
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(1), monitor).await;
    (queue, took)
}

/// A short job that finishes after `n % SLOTS` turns of the scheduler, so that a batch's jobs
/// finish one after another within a few microseconds.
async fn short(n: u32) {
    for _ in 0..n as usize % SLOTS {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_jobs_are_fetched_in_full_batches() {
    const JOBS: usize = 800;
    let (queue, _) = consume(JOBS, Duration::from_micros(300), short, |q| {
        q.done.load(Ordering::SeqCst) == JOBS
    })
    .await;

    assert_eq!(queue.done.load(Ordering::SeqCst), JOBS, "every job done");
    let batches = queue.batches.lock().unwrap().clone();
    let full = batches.iter().filter(|&&b| b == SLOTS).count();
    // Unpatched, the fetch went out at the first free slot: one small and one large fetch per
    // batch's worth of slots, 1 of about 193 full. A busy machine may stretch some batches past
    // the window.
    assert!(
        full * 3 >= batches.len() * 2,
        "{full} of {} fetches took all {SLOTS} slots: {batches:?}",
        batches.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_job_does_not_hold_up_the_others_slots() {
    const JOBS: usize = 200;
    let slow = Duration::from_secs(5);
    let (queue, took) = consume(
        JOBS,
        Duration::from_micros(300),
        move |n| async move {
            if n == 0 {
                tokio::time::sleep(slow).await;
            }
        },
        |q| q.done.load(Ordering::SeqCst) == JOBS - 1,
    )
    .await;

    assert_eq!(
        queue.done.load(Ordering::SeqCst),
        JOBS - 1,
        "every other job done while the slow one ran"
    );
    assert!(
        took < Duration::from_secs(2),
        "the other jobs took {took:?} while the slow one ran for {slow:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_finishing_during_an_empty_fetch_is_acknowledged_at_once() {
    // Both jobs come in the first fetch (50 ms). Job 1 finishes 20 ms later, while the next
    // fetch, which finds the queue empty, is in flight; job 0 runs on for 5 s. Unpatched, job 1's
    // completion waited in the consumer until job 0 finished (or, in production, the next poll
    // interval): nothing woke the consumer after that empty fetch.
    let (queue, took) = consume(
        2,
        Duration::from_millis(50),
        |n| async move {
            let run = if n == 0 { 5_000 } else { 20 };
            tokio::time::sleep(Duration::from_millis(run)).await;
        },
        |q| q.done.load(Ordering::SeqCst) >= 1,
    )
    .await;

    assert_eq!(queue.batches.lock().unwrap().clone(), vec![2]);
    assert_eq!(queue.done.load(Ordering::SeqCst), 1, "job 1 acknowledged");
    assert!(
        took < Duration::from_secs(1),
        "job 1, done after 20 ms, was acknowledged after {took:?}"
    );
}

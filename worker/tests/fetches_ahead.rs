//! A consumer of short jobs keeps fetches in flight ahead of the batch it hands out, so that the
//! queue and the worker do not take turns idling; jobs fetched ahead that find no free slot soon
//! go back to the queue, and stopping hands back what those fetches took (apalis-core patched,
//! see `vendor/README.md`).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::context::WorkerContext;

mod common;

const SLOTS: usize = 8;
const LATENCY: Duration = Duration::from_micros(300);

/// A queue of numbered jobs that, as the Redis backend, hands out only as many as there are
/// free slots, takes back the ones handed back, and records what every job went through.
#[derive(Clone, Default)]
struct Queue {
    waiting: Arc<Mutex<VecDeque<u32>>>,
    /// Jobs taken and neither done nor handed back, with when they were taken.
    claimed: Arc<Mutex<HashMap<u32, Instant>>>,
    /// How many times each job was done.
    done: Arc<Mutex<HashMap<u32, usize>>>,
    handed_back: Arc<AtomicUsize>,
    /// The longest a job waited between its fetch and its start or hand-back.
    longest_wait: Arc<Mutex<Duration>>,
    fetches_in_flight: Arc<AtomicUsize>,
    most_fetches_in_flight: Arc<AtomicUsize>,
}

impl Queue {
    fn with_jobs(jobs: u32) -> Self {
        Self {
            waiting: Arc::new(Mutex::new((0..jobs).collect())),
            ..Self::default()
        }
    }

    fn done_count(&self) -> usize {
        self.done.lock().unwrap().values().sum()
    }

    /// A job left the consumer's hands: started, or handed back.
    fn waited(&self, job: u32) {
        if let Some(taken) = self.claimed.lock().unwrap().get(&job) {
            let mut longest = self.longest_wait.lock().unwrap();
            *longest = (*longest).max(taken.elapsed());
        }
    }
}

fn number(task: &Task<u32>) -> u32 {
    task.args
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
        // As on Redis, the jobs are claimed as the request arrives, whether or not anyone waits
        // for the answer, which takes `LATENCY` to come back.
        let free = SLOTS.saturating_sub(worker.task_count()).max(1);
        let taken: Vec<u32> = {
            let mut waiting = self.waiting.lock().unwrap();
            let n = free.min(waiting.len());
            waiting.drain(..n).collect()
        };
        let tasks: Vec<Task<u32>> = {
            let mut claimed = self.claimed.lock().unwrap();
            taken
                .into_iter()
                .map(|n| {
                    claimed.insert(n, Instant::now());
                    TaskBuilder::new(n)
                        .task_id(TaskId::from(u64::from(n)))
                        .build()
                })
                .collect()
        };
        let now = self.fetches_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_fetches_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(LATENCY).await;
        self.fetches_in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(tasks)
    }
    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<u32>>,
        _: &WorkerContext,
    ) -> Result<u64, io::Error> {
        // As apalis-redis's `release_leases.lua`: the jobs named, or with none named, every job
        // the worker holds, running ones included. Handed back to the front, in order.
        let mut jobs: Vec<u32> = tasks.iter().map(number).collect();
        if jobs.is_empty() {
            jobs = self.claimed.lock().unwrap().keys().copied().collect();
            jobs.sort_unstable();
        }
        for &job in &jobs {
            self.waited(job);
            self.claimed.lock().unwrap().remove(&job);
        }
        let mut waiting = self.waiting.lock().unwrap();
        for &job in jobs.iter().rev() {
            waiting.push_front(job);
        }
        self.handed_back.fetch_add(jobs.len(), Ordering::SeqCst);
        Ok(jobs.len() as u64)
    }
    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<()>>,
        _: &WorkerContext,
    ) -> Result<(), io::Error> {
        for event in events {
            if let TaskEvent::Complete(done) = event {
                let job = done.task_id.to_string().parse::<u32>().expect("numbered");
                self.claimed.lock().unwrap().remove(&job);
                *self.done.lock().unwrap().entry(job).or_default() += 1;
            }
        }
        Ok(())
    }
    async fn push_tasks(&mut self, _: Vec<Task<u32>>) -> Result<(), io::Error> {
        Ok(())
    }
}

/// Runs `queue` through one consumer of `SLOTS` slots with `handler`, recording when each job
/// starts, until `until` holds (checked every 5 ms, for at most 20 s), then stops it and waits
/// for it to stop.
async fn consume<F, Fut>(queue: &Queue, handler: F, until: impl Fn(&Queue) -> bool)
where
    F: Fn(u32) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let started = queue.clone();
    let (_, monitor) = common::run_acking_until(
        "fetches-ahead",
        queue.clone(),
        SLOTS,
        move |n| {
            started.waited(n);
            handler(n)
        },
        Duration::from_secs(20),
        || until(queue),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(10), monitor)
        .await
        .expect("the consumer stops")
        .expect("the monitor task")
        .expect("the monitor");
}

/// Each job once: none done twice, none missing.
fn assert_each_done_once(queue: &Queue, jobs: u32) {
    let done = queue.done.lock().unwrap();
    let twice: Vec<_> = done.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "done more than once: {twice:?}");
    assert_eq!(done.len(), jobs as usize, "every job done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_jobs_keep_fetches_in_flight_ahead() {
    const JOBS: u32 = 2_000;
    let queue = Queue::with_jobs(JOBS);
    consume(&queue, |_| async {}, |q| q.done_count() == JOBS as usize).await;

    assert_each_done_once(&queue, JOBS);
    // Unpatched, a consumer sent its next fetch only once the last one's jobs were handed out:
    // one fetch in flight at a time.
    let most = queue.most_fetches_in_flight.load(Ordering::SeqCst);
    assert!(most >= 2, "at most {most} fetch in flight at a time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_fetched_ahead_that_find_no_free_slot_go_back_to_the_queue() {
    // 400 short jobs, then 40 that run 3 s each. The fetches sent ahead while the short ones ran
    // take slow jobs the busy slots cannot start; they must not wait in this consumer while the
    // slow jobs run (another worker could start them), but go back to the queue at once.
    const SHORT: u32 = 400;
    const JOBS: u32 = SHORT + 40;
    let slow = Duration::from_secs(3);
    let queue = Queue::with_jobs(JOBS);
    consume(
        &queue,
        move |n| async move {
            if n >= SHORT {
                tokio::time::sleep(slow).await;
            }
        },
        |q| q.done_count() == JOBS as usize,
    )
    .await;

    assert_each_done_once(&queue, JOBS);
    let longest = *queue.longest_wait.lock().unwrap();
    assert!(
        longest < Duration::from_secs(1),
        "a job waited {longest:?} in the consumer for a slot, while the slow jobs ran {slow:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_hands_back_what_fetches_ahead_took() {
    let queue = Queue::with_jobs(1_000_000);
    consume(
        &queue,
        |_| async {},
        |q| q.done_count() >= 5_000 && q.most_fetches_in_flight.load(Ordering::SeqCst) >= 2,
    )
    .await;

    assert!(queue.done_count() >= 5_000, "the consumer ran");
    let claimed = queue.claimed.lock().unwrap().len();
    assert_eq!(
        claimed, 0,
        "jobs taken by the stopped consumer, neither done nor handed back"
    );
    let done = queue.done.lock().unwrap();
    assert!(done.values().all(|n| *n == 1), "a job done twice");
}

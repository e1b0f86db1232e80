//! A consumer takes no more jobs than it can start: the rest stay in the queue for a worker
//! with free slots, instead of waiting in a busy worker's buffer (without its heartbeat, and
//! until the orphan timeout if that worker dies).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aistudio_jobs::queue::{Job, PushOptions};
use aistudio_tests::{TestEnv, eventually};
use apalis::prelude::{
    BackendExt, Data, Monitor, ParallelizeExt, TaskSink, WorkerBuilder, WorkerBuilderExt,
    WorkerContext,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Held {
    n: u32,
}

impl Job for Held {
    const QUEUE: &'static str = "test-held";
}

/// Which consumer started which job; jobs run until the test opens the gate.
#[derive(Clone, Default)]
struct Gate {
    started: Arc<Mutex<Vec<(String, u32)>>>,
    open: Arc<tokio::sync::Notify>,
}

impl Gate {
    fn started_by(&self, consumer: &str) -> usize {
        let started = self.started.lock().unwrap();
        started.iter().filter(|(c, _)| c == consumer).count()
    }
}

async fn hold(job: Held, gate: Data<Gate>, worker: WorkerContext) {
    gate.started
        .lock()
        .unwrap()
        .push((worker.name().to_string(), job.n));
    gate.open.notified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_takes_only_the_jobs_it_can_start() {
    let env = TestEnv::new();
    let queue = env.queue();
    let gate = Gate::default();
    let consumer = |name: &'static str| {
        let (queue, gate) = (queue.clone(), gate.clone());
        move |_: usize| {
            WorkerBuilder::new(name)
                .backend(
                    queue
                        .consumer_storage::<Held>(2)
                        .poll_with_interval(Duration::from_millis(50)),
                )
                .data(gate.clone())
                .parallelize(tokio::spawn)
                .concurrency(2)
                .build(hold)
        }
    };
    let push = |n| queue.push(Held { n }, PushOptions::default());
    // One job running, one slot free: the next fetch may take one job only.
    push(0).await.unwrap();
    let first = tokio::spawn(Monitor::new().register(consumer("first")).run());
    eventually(
        Duration::from_secs(10),
        "the first consumer to start a job",
        || async { (gate.started_by("first") == 1).then_some(()) },
    )
    .await;
    // Three more at once, so the next fetch sees them all.
    let mut storage = queue.storage::<Held>();
    storage
        .push_bulk((1..4).map(|n| Held { n }).collect())
        .await
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the first consumer to start two jobs",
        || async { (gate.started_by("first") == 2).then_some(()) },
    )
    .await;
    // Both its slots are busy: the other two jobs must still be in the queue, not in its hands.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let inflight: u64 = redis::cmd("SCARD")
        .arg(format!("{}:{}:inflight:first", env.namespace, Held::QUEUE))
        .query_async(&mut env.redis().await)
        .await
        .unwrap();
    assert_eq!(inflight, 2, "the busy consumer holds only the jobs it runs");

    let second = tokio::spawn(Monitor::new().register(consumer("second")).run());
    eventually(
        Duration::from_secs(10),
        "the second consumer to start the other two",
        || async { (gate.started_by("second") == 2).then_some(()) },
    )
    .await;
    assert_eq!(gate.started_by("first"), 2, "no job ran twice");
    first.abort();
    second.abort();
}

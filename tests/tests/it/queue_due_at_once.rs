//! Many jobs due at the same second: every one runs, exactly once, and the consumer survives.
//! apalis-redis used to move every due job to the active list in one Lua call, which fails
//! above about 8,000 ("too many results to unpack") on every fetch, so no job ran at all; due
//! jobs are now promoted at most 1,000 a fetch (`vendor/README.md`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aistudio_jobs::queue::Job;
use aistudio_tests::{TestEnv, eventually};
use apalis::prelude::{
    BackendExt, Data, Monitor, ParallelizeExt, TaskBuilder, TaskSink, WorkerBuilder,
    WorkerBuilderExt,
};
use futures::TryStreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Due {
    n: usize,
}

impl Job for Due {
    const QUEUE: &'static str = "test-due";
}

const JOBS: usize = 20_000;

/// How many times each job ran.
#[derive(Clone)]
struct Runs(Arc<Vec<AtomicU32>>);

async fn run(job: Due, runs: Data<Runs>) {
    let Runs(runs) = &*runs;
    runs[job.n].fetch_add(1, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_jobs_due_at_the_same_second_each_run_once() {
    let env = TestEnv::new();
    let queue = env.queue();
    let config = queue.config_for(Due::QUEUE);
    let mut conn = env.redis().await;

    // All of them for one whole second, a little ahead so the pushes finish before it.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let due = now.as_secs() + 3;
    let mut storage = queue.storage::<Due>();
    for start in (0..JOBS).step_by(1_000) {
        let batch = (start..start + 1_000)
            .map(|n| TaskBuilder::new(Due { n }).run_at_timestamp(due).build());
        storage
            .push_all(futures::stream::iter(batch))
            .await
            .unwrap();
    }
    let scheduled: usize = conn
        .zcount(config.scheduled_jobs_set(), due, due)
        .await
        .unwrap();
    assert_eq!(scheduled, JOBS, "every job scheduled for the same second");

    // The consumer starts once they are all due, so its first fetch finds all of them.
    let wait = Duration::from_secs(due + 1).saturating_sub(now);
    tokio::time::sleep(wait).await;
    let runs = Runs(Arc::new((0..JOBS).map(|_| AtomicU32::new(0)).collect()));
    let consumer = {
        let (queue, runs) = (queue.clone(), runs.clone());
        move |_: usize| {
            WorkerBuilder::new("due-at-once")
                .backend(
                    queue
                        .consumer_storage::<Due>(64)
                        .poll_with_interval(Duration::from_millis(50)),
                )
                .data(runs.clone())
                .parallelize(tokio::spawn)
                .concurrency(64)
                .build(run)
        }
    };
    let monitor = tokio::spawn(Monitor::new().register(consumer).run());

    let ran = || {
        runs.0
            .iter()
            .filter(|r| r.load(Ordering::Relaxed) > 0)
            .count()
    };
    eventually(
        Duration::from_secs(120),
        "every job due at the same second to run",
        || async { (ran() == JOBS).then_some(()) },
    )
    .await;
    // Every job is acknowledged, none is left due, and a late duplicate would show by now.
    let done_set = config.done_jobs_set();
    eventually(Duration::from_secs(10), "every job acknowledged", || {
        let (mut conn, done_set) = (conn.clone(), done_set.clone());
        async move {
            let done: usize = conn.scard(done_set).await.unwrap();
            (done == JOBS).then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let twice: Vec<usize> = (0..JOBS)
        .filter(|&n| runs.0[n].load(Ordering::Relaxed) != 1)
        .collect();
    assert!(twice.is_empty(), "jobs that ran more than once: {twice:?}");
    let (left_scheduled, left_active): (usize, usize) = redis::pipe()
        .zcard(config.scheduled_jobs_set())
        .llen(config.active_jobs_list())
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!((left_scheduled, left_active), (0, 0), "no job left behind");
    assert!(!monitor.is_finished(), "the consumer is still running");
    monitor.abort();

    let keys: Vec<String> = conn
        .scan_match::<_, String>(format!("{}*", env.namespace))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    for chunk in keys.chunks(500) {
        let _: () = conn.unlink(chunk).await.unwrap();
    }
}

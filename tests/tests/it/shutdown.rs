//! SIGTERM: running jobs finish, unstarted ones go straight back to the queue.

use std::time::{Duration, Instant};

use aistudio_jobs::queue::PushOptions;
use aistudio_jobs::tasks::Canary;
use aistudio_tests::{TestEnv, Worker, eventually};

#[tokio::test]
async fn a_worker_finishing_a_slow_job_exits_cleanly_after_finishing_it() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__WORKER__CONCURRENCY", "1");
    // Orphan recovery would take a minute: anything recovered sooner was handed back on exit.
    env.set("AISTUDIO__REDIS__HEARTBEAT_SECS", "30");
    let mut worker = Worker::start(&env).await;
    let store = env.store().await;
    let queue = env.queue();
    for id in ["slow", "next-1", "next-2"] {
        queue
            .push(
                Canary {
                    canary_id: id.into(),
                    hold_ms: 3000,
                },
                PushOptions::default(),
            )
            .await
            .unwrap();
    }
    // Give the worker time to fetch the batch and start the first job.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let signalled = Instant::now();
    worker.process.signal("TERM");
    let status = worker.process.wait_exit(Duration::from_secs(30)).await;
    assert!(
        status.success(),
        "exit status {status}; output:\n{}",
        worker.process.output()
    );
    assert!(
        signalled.elapsed() >= Duration::from_millis(1000),
        "exited before the running job could have finished"
    );
    let mut done = Vec::new();
    for id in ["slow", "next-1", "next-2"] {
        done.push((id, store.canary_runs().find(id).await.unwrap().len()));
    }
    let completed: usize = done.iter().map(|(_, n)| n).sum();
    assert_eq!(
        completed, 1,
        "exactly the running job finished before exit: {done:?}"
    );

    // The two unstarted jobs went back to the queue: a new worker runs them, each once,
    // well before orphan recovery (60 s) could have.
    let started = Instant::now();
    let _next = Worker::start(&env).await;
    eventually(
        Duration::from_secs(20),
        "the handed-back canaries to run",
        || async {
            let mut all = 0;
            for id in ["slow", "next-1", "next-2"] {
                all += store.canary_runs().find(id).await.ok()?.len();
            }
            (all == 3).then_some(())
        },
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(30));
    tokio::time::sleep(Duration::from_secs(1)).await;
    for id in ["slow", "next-1", "next-2"] {
        assert_eq!(
            store.canary_runs().find(id).await.unwrap().len(),
            1,
            "{id} ran once"
        );
    }
}

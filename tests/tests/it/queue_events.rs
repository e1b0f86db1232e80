//! The queues publish no pub/sub event per job: consumers poll, nobody subscribes, and each
//! event would be one more Redis command for every job pushed and every job done.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aistudio_jobs::queue::{Job, PushOptions};
use aistudio_tests::{TestEnv, eventually};
use apalis::prelude::{BackendExt, Data, Monitor, ParallelizeExt, WorkerBuilder, WorkerBuilderExt};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Quiet {
    n: u32,
}

impl Job for Quiet {
    const QUEUE: &'static str = "test-quiet";
}

async fn count(_job: Quiet, done: Data<Arc<AtomicU32>>) {
    done.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushing_and_running_jobs_publishes_nothing() {
    let env = TestEnv::new();
    let queue = env.queue();
    let mut events = redis::Client::open(env.redis_url.as_str())
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    // apalis-redis names its channels `tasks:<key of the queue's list or set>[:event]`.
    events
        .psubscribe(format!("tasks:{}*", queue.queue_name(Quiet::QUEUE)))
        .await
        .unwrap();

    let done = Arc::new(AtomicU32::new(0));
    for n in 0..3 {
        queue
            .push(Quiet { n }, PushOptions::default())
            .await
            .unwrap();
    }
    let consumer = {
        let (queue, done) = (queue.clone(), done.clone());
        move |_: usize| {
            WorkerBuilder::new("quiet")
                .backend(
                    queue
                        .consumer_storage::<Quiet>(2)
                        .poll_with_interval(Duration::from_millis(50)),
                )
                .data(done.clone())
                .parallelize(tokio::spawn)
                .concurrency(2)
                .build(count)
        }
    };
    let monitor = tokio::spawn(Monitor::new().register(consumer).run());
    eventually(Duration::from_secs(10), "the three jobs to run", || async {
        (done.load(Ordering::SeqCst) == 3).then_some(())
    })
    .await;
    // Completions go with the consumer's next fetch: give it a few polls to send them.
    let published = tokio::time::timeout(Duration::from_secs(1), events.on_message().next()).await;
    monitor.abort();
    assert!(
        published.is_err(),
        "an event was published: {:?}",
        published
            .ok()
            .flatten()
            .map(|m| m.get_channel_name().to_string())
    );
}

//! Queue consumers under the conditions that once stopped them for good: several worker
//! processes, a Redis that answers slowly (fetches outlasting several poll intervals, heartbeats
//! falling due mid-fetch). Observed from outside, every consumer must keep heartbeating and
//! every due job must be taken.

use std::time::{Duration, Instant};

use aistudio_jobs::queue::PushOptions;
use aistudio_jobs::tasks::{Canary, QUEUES};
use aistudio_tests::chaos::{ConsumerWatch, SlowProxy};
use aistudio_tests::{TestEnv, Worker};

/// `host:port` of a `redis://host:port[/db]` URL.
fn address(url: &str) -> String {
    let rest = url.trim_start_matches("redis://");
    rest.split('/').next().unwrap_or(rest).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_keep_heartbeating_while_redis_answers_slowly() {
    let mut env = TestEnv::new();
    let direct = env.redis_url.clone();
    let proxy = SlowProxy::start(&address(&direct)).await;
    env.redis_url = proxy.url();
    env.set("AISTUDIO__REDIS__HEARTBEAT_SECS", "1")
        .set("AISTUDIO__REDIS__MISSED_HEARTBEATS", "3")
        .set("AISTUDIO__REDIS__POLL_INTERVAL_MS", "50");
    let workers = [Worker::start(&env).await, Worker::start(&env).await];
    let pids: Vec<u32> = workers.iter().map(|w| w.process.pid()).collect();
    let mut watch = ConsumerWatch::new(&direct, &env.namespace, QUEUES).await;

    // Answers take 0-300 ms: every fetch outlasts the 50 ms poll interval, often several.
    // A canary job falls due every second; due jobs no consumer takes are counted.
    proxy.set_latency(Duration::ZERO, Duration::from_millis(300));
    let queue = env.queue();
    let mut untaken = 0;
    let slow_until = Instant::now() + Duration::from_secs(40);
    for n in 0.. {
        if Instant::now() >= slow_until {
            break;
        }
        watch.sample(|pid| pids.contains(&pid), |_| false).await;
        untaken += watch
            .due_not_taken(Duration::from_secs(5))
            .await
            .values()
            .sum::<u64>();
        let canary = Canary {
            canary_id: format!("slow-{n}"),
            hold_ms: 0,
        };
        let due = PushOptions {
            idempotency_key: None,
            run_at: Some(std::time::SystemTime::now() + Duration::from_secs(1)),
        };
        queue.push(canary, due).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Then Redis is fast again: a consumer that stopped stays stopped; a live one catches up.
    proxy.set_latency(Duration::ZERO, Duration::ZERO);
    for _ in 0..10 {
        watch.sample(|pid| pids.contains(&pid), |_| false).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    assert_eq!(
        watch.consumers(),
        workers.len() * QUEUES.len(),
        "every queue of every worker registered a consumer"
    );
    assert_eq!(untaken, 0, "jobs due over 5 s that no consumer took");
    let stalled: Vec<_> = watch
        .longest_stalls()
        .iter()
        .filter(|(_, stall)| **stall > Duration::from_secs(8))
        .collect();
    assert!(
        stalled.is_empty(),
        "consumers went without a heartbeat (longest per queue): {stalled:?}\nall: {:?}",
        watch.longest_stalls()
    );
}

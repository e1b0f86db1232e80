//! The chaos soak, three minutes of it: nothing lost, nothing published twice, no consumer
//! stalled over 30 s, p99 lateness within 15 s (two posts due each second), while faults of every kind hit the workers,
//! Redis, the database server and Instagram. `scripts/soak` runs the same for 20 minutes.

use std::time::Duration;

use aistudio_tests::chaos::soak::{SoakOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_minutes_of_chaos_lose_nothing_and_publish_nothing_twice() {
    let options = SoakOptions {
        duration: Duration::from_secs(180),
        // Two a second: the p99 of 360 posts is a percentile, not the second latest of 180.
        per_second: 2,
        workers: 3,
        chaos_every: Duration::from_secs(12),
        longest_stop: Duration::from_secs(20),
        busy_for: Duration::from_secs(15),
        drain: Duration::from_secs(180),
        // SOAK_SEED repeats the faults of a printed seed.
        seed: std::env::var("SOAK_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
            }),
    };
    eprintln!("soak seed {}", options.seed);
    let report = run(&options, |line| eprintln!("soak: {line}")).await;
    eprintln!("{report}");
    let missed = report.missed_targets();
    assert!(missed.is_empty(), "targets missed: {missed:?}\n{report}");
    assert!(report.faults.len() >= 8, "every kind of fault was injected");
}

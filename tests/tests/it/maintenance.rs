//! The periodic maintenance job runs once per tick, however many workers run the schedule.

use std::collections::BTreeMap;
use std::time::Duration;

use aistudio_jobs::queue::PushOptions;
use aistudio_jobs::tasks::Canary;
use aistudio_tests::{TestEnv, Worker, eventually};

#[tokio::test]
async fn two_workers_run_each_maintenance_tick_exactly_once() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__WORKER__MAINTENANCE_CRON", "* * * * * *");
    env.set("AISTUDIO__WORKER__VACUUM_OLDER_THAN_SECS", "0");
    let _a = Worker::start(&env).await;
    let _b = Worker::start(&env).await;
    let store = env.store().await;

    // A finished job for maintenance to vacuum.
    let queue = env.queue();
    queue
        .push(
            Canary {
                canary_id: "vacuum-me".into(),
                hold_ms: 0,
            },
            PushOptions::default(),
        )
        .await
        .unwrap();

    eventually(Duration::from_secs(30), "six maintenance ticks", || async {
        let runs = store.maintenance_runs().recent(1000).await.ok()?;
        (runs.len() >= 6).then_some(())
    })
    .await;
    // Let in-flight duplicates, if any, land before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let runs = store.maintenance_runs().recent(1000).await.unwrap();
    let mut per_tick: BTreeMap<i64, usize> = BTreeMap::new();
    for run in &runs {
        *per_tick.entry(run.tick).or_default() += 1;
    }
    let twice: Vec<_> = per_tick.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "ticks run more than once: {twice:?}");
    assert!(per_tick.len() >= 6, "{} ticks ran", per_tick.len());
    let total_vacuumed: u64 = runs.iter().map(|r| r.vacuumed).sum();
    assert!(
        total_vacuumed >= 1,
        "the finished canary (and finished ticks) were vacuumed"
    );
}

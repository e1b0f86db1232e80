//! Jobs a worker hands back without running them (`release_leases.lua`, patched: jobs fetched
//! ahead that found no free slot, or a stopping worker's buffer) go back to the front of the
//! queue in their order, ahead of the jobs due after them, and only those named.

use aistudio_tests::TestEnv;
use redis::{AsyncCommands, Script};

const RELEASE_LEASES: &str = include_str!("../../../vendor/apalis-redis/lua/release_leases.lua");

#[tokio::test]
async fn jobs_handed_back_go_to_the_front_of_the_queue_in_their_order() {
    let env = TestEnv::new();
    let queue = env.queue().queue_name("test-release");
    let (inflight, active, signal, workers, meta) = (
        format!("{queue}:inflight:w"),
        format!("{queue}:active"),
        format!("{queue}:signal"),
        format!("{queue}:workers"),
        format!("{queue}:meta"),
    );
    let mut conn = env.redis().await;
    // The worker took a, b and c from the front of the queue and runs c; d and e are due after.
    let _: () = conn.sadd(&inflight, &["a", "b", "c"]).await.unwrap();
    let _: () = conn.rpush(&active, &["d", "e"]).await.unwrap();
    for id in ["a", "b", "c"] {
        let _: () = conn
            .hset_multiple(
                format!("{meta}:{id}"),
                &[("status", "Running"), ("locked_by", "w")],
            )
            .await
            .unwrap();
    }

    let released: u64 = Script::new(RELEASE_LEASES)
        .key(&inflight)
        .key(&active)
        .key(&signal)
        .key(&workers)
        .key(&meta)
        .arg("w")
        .arg("0")
        .arg("a")
        .arg("b")
        .invoke_async(&mut conn)
        .await
        .unwrap();

    assert_eq!(released, 2);
    // Unpatched: d, e, a, b — the jobs handed back waited behind every job due after them.
    let order: Vec<String> = conn.lrange(&active, 0, -1).await.unwrap();
    assert_eq!(order, ["a", "b", "d", "e"]);
    let held: Vec<String> = conn.smembers(&inflight).await.unwrap();
    assert_eq!(held, ["c"], "the running job stays the worker's");
    for (id, status) in [("a", "Pending"), ("b", "Pending"), ("c", "Running")] {
        let now: Option<String> = conn.hget(format!("{meta}:{id}"), "status").await.unwrap();
        assert_eq!(now.as_deref(), Some(status), "{id}");
    }
    let lock: Option<String> = conn.hget(format!("{meta}:a"), "locked_by").await.unwrap();
    assert_eq!(lock, None, "a job handed back is no one's");
}

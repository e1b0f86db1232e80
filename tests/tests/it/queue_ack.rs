//! The completion script (`handle_results.lua`, patched to change the in-flight and done sets
//! once per batch): a batch is acknowledged in order up to the first job the worker does not
//! hold, that job fails the call, and nothing after it changes.

use aistudio_tests::TestEnv;
use redis::{AsyncCommands, Script};

const HANDLE_RESULTS: &str = include_str!("../../../vendor/apalis-redis/lua/handle_results.lua");

struct Keys {
    inflight: String,
    done: String,
    dead: String,
    scheduled: String,
    meta: String,
}

impl Keys {
    fn new(env: &TestEnv) -> Self {
        let queue = env.queue().queue_name("test-ack");
        Self {
            inflight: format!("{queue}:inflight:w"),
            done: format!("{queue}:done"),
            dead: format!("{queue}:dead"),
            scheduled: format!("{queue}:scheduled"),
            meta: format!("{queue}:meta"),
        }
    }

    /// Acknowledges `(task id, status, attempt)` at time 1,000.
    async fn ack(
        &self,
        conn: &mut redis::aio::MultiplexedConnection,
        tasks: &[(&str, &str, u32)],
    ) -> redis::RedisResult<u32> {
        let script = Script::new(HANDLE_RESULTS);
        let mut call = script.prepare_invoke();
        call.key(&self.inflight)
            .key(&self.done)
            .key(&self.dead)
            .key(&self.scheduled)
            .key(&self.meta)
            .arg(false);
        for (id, status, attempt) in tasks {
            call.arg(*id)
                .arg(1_000)
                .arg("null")
                .arg(*status)
                .arg(*attempt);
        }
        call.invoke_async(conn).await
    }

    async fn status(
        &self,
        conn: &mut redis::aio::MultiplexedConnection,
        id: &str,
    ) -> Option<String> {
        conn.hget(format!("{}:{id}", self.meta), "status")
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_batch_is_acknowledged_up_to_the_first_job_the_worker_does_not_hold() {
    let env = TestEnv::new();
    let keys = Keys::new(&env);
    let mut conn = env.redis().await;
    let _: () = conn
        .sadd(&keys.inflight, &["a", "b", "c", "e"])
        .await
        .unwrap();

    let tasks = [
        ("a", "Done", 1),
        ("b", "Failed", 2),
        ("c", "Killed", 1),
        ("d", "Done", 1),
        ("e", "Done", 1),
    ];
    let refused = keys.ack(&mut conn, &tasks).await.unwrap_err();
    assert!(
        refused.to_string().contains("task not executed by worker"),
        "{refused}"
    );

    let done: Vec<String> = conn.smembers(&keys.done).await.unwrap();
    assert_eq!(done, vec!["a".to_string()]);
    let retry: Option<f64> = conn.zscore(&keys.scheduled, "b").await.unwrap();
    assert_eq!(
        retry,
        Some(1_002.0),
        "a failed job is scheduled again, later by its attempt"
    );
    let dead: Vec<String> = conn.smembers(&keys.dead).await.unwrap();
    assert_eq!(dead, vec!["c".to_string()]);
    assert_eq!(keys.status(&mut conn, "a").await.as_deref(), Some("Done"));
    assert_eq!(keys.status(&mut conn, "b").await.as_deref(), Some("Failed"));
    assert_eq!(keys.status(&mut conn, "c").await.as_deref(), Some("Killed"));
    assert_eq!(keys.status(&mut conn, "d").await, None);
    assert_eq!(
        keys.status(&mut conn, "e").await,
        None,
        "nothing after the refused job changes"
    );
    let held: Vec<String> = conn.smembers(&keys.inflight).await.unwrap();
    assert_eq!(held, vec!["e".to_string()]);

    // The job after the refused one is acknowledged by the next call.
    assert_eq!(keys.ack(&mut conn, &[("e", "Done", 1)]).await.unwrap(), 1);
    let done: u32 = conn.scard(&keys.done).await.unwrap();
    assert_eq!(done, 2);
}

#[tokio::test]
async fn a_batch_larger_than_one_command_takes_is_acknowledged_whole() {
    let env = TestEnv::new();
    let keys = Keys::new(&env);
    let mut conn = env.redis().await;
    // Lua's `unpack` fails above about 8,000 values; the script splits its set commands.
    let ids: Vec<String> = (0..10_000).map(|n| format!("t{n}")).collect();
    let _: () = conn.sadd(&keys.inflight, &ids).await.unwrap();
    let tasks: Vec<(&str, &str, u32)> = ids.iter().map(|id| (id.as_str(), "Done", 1)).collect();

    assert_eq!(keys.ack(&mut conn, &tasks).await.unwrap(), 10_000);
    let done: u32 = conn.scard(&keys.done).await.unwrap();
    assert_eq!(done, 10_000);
    let held: u32 = conn.scard(&keys.inflight).await.unwrap();
    assert_eq!(held, 0);
    assert_eq!(
        keys.status(&mut conn, "t9999").await.as_deref(),
        Some("Done")
    );
}

//! Readiness: can this process read from MongoDB and reach Redis right now?

use std::time::Duration;

use serde::Serialize;

use crate::queue::Queue;
use crate::store::Store;

/// How long each dependency check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The state of each dependency.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Readiness {
    /// `"ok"` or why MongoDB is not reachable.
    pub mongodb: String,
    /// `"ok"` or why Redis is not reachable.
    pub redis: String,
}

impl Readiness {
    /// Whether every dependency answered.
    pub fn is_ready(&self) -> bool {
        self.mongodb == "ok" && self.redis == "ok"
    }

    /// Names of the dependencies that did not answer.
    pub fn failing(&self) -> Vec<&'static str> {
        let mut failing = Vec::new();
        if self.mongodb != "ok" {
            failing.push("mongodb");
        }
        if self.redis != "ok" {
            failing.push("redis");
        }
        failing
    }
}

fn outcome<E: std::fmt::Display>(
    result: Result<Result<(), E>, tokio::time::error::Elapsed>,
) -> String {
    match result {
        Ok(Ok(())) => "ok".into(),
        Ok(Err(e)) => format!("unreachable: {e}"),
        Err(_) => format!("unreachable: no answer within {CHECK_TIMEOUT:?}"),
    }
}

/// Checks both dependencies concurrently.
pub async fn check(store: &Store, queue: &Queue) -> Readiness {
    let (mongodb, redis) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, store.read_check()),
        tokio::time::timeout(CHECK_TIMEOUT, queue.ping()),
    );
    let readiness = Readiness {
        mongodb: outcome(mongodb),
        redis: outcome(redis),
    };
    metrics::gauge!("aistudio_dependency_up", "dependency" => "mongodb")
        .set(if readiness.mongodb == "ok" { 1.0 } else { 0.0 });
    metrics::gauge!("aistudio_dependency_up", "dependency" => "redis")
        .set(if readiness.redis == "ok" { 1.0 } else { 0.0 });
    readiness
}

//! Test harness: real api and worker processes against real Redis and a real MongoDB-compatible
//! server, each test isolated by its own database name, Redis namespace and ports.
//!
//! Services come from `scripts/services` (the test command starts them); their URLs are read
//! from `AISTUDIO_TEST_MONGO_URL` / `AISTUDIO_TEST_REDIS_URL` (defaults: the script's ports).
#![forbid(unsafe_code)]

mod apps;
pub mod bench;
mod caddy;
mod certificates;
pub mod chaos;
mod client;
mod env;
pub mod fixtures;
mod idle_cut_proxy;
mod instagram;
mod instagram_flow;
pub mod mailroom;
pub mod mongo_commands;
mod mongo_server;
mod ports;
mod process;
mod proxy_listener;
mod publishing;
mod redis_server;
mod tls_files;
mod unanswering_proxy;
mod webhook_receiver;

pub use apps::{Api, Worker, get_json, wait_for_status};
pub use caddy::Caddy;
pub use certificates::{Issued, TestCa};
pub use client::{ApiClient, Reply};
pub use env::{TestEnv, repo_root};
pub use idle_cut_proxy::IdleCutProxy;
pub use instagram::connect_instagram;
pub use instagram_flow::{Browser, Hop, with_param};
pub use mongo_server::MongoServer;
pub use ports::free_port;
pub use process::{Process, binary};
pub use publishing::{FAST_WORKFLOW, ScheduledPost, Studio, fast_workflow, unleased_workflow};
pub use redis_server::RedisServer;
pub use tls_files::TlsFiles;
pub use unanswering_proxy::UnansweringProxy;
pub use webhook_receiver::{Received, Receiver};

use std::time::Duration;

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

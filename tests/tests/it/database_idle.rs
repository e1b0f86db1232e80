//! Writes after a quiet spell: a database server (or a firewall on the way) drops connections
//! that stay idle, without the client noticing. The store must not send a write on one.

use std::time::Duration;

use aistudio_tests::{IdleCutProxy, TestEnv};
use chrono::Utc;

#[tokio::test]
async fn writes_after_the_server_dropped_idle_connections_go_through() {
    let mut env = TestEnv::new();
    // Connections with nothing on them for 3 s are dropped; the driver's monitors talk every
    // 500 ms, so only pooled connections left unused go.
    let proxy = IdleCutProxy::start(&env.mongo_address(), Duration::from_secs(3)).await;
    env.mongo_url = format!(
        "mongodb://127.0.0.1:{}/?directConnection=true&retryWrites=false&heartbeatFrequencyMS=500",
        proxy.port
    );
    env.set("AISTUDIO__MONGO__MAX_IDLE_SECS", "1");
    let store = env.store().await;
    let notifications = store.notifications();
    let burst = || {
        futures::future::join_all((0..16).map(|i| {
            let notifications = notifications.clone();
            async move {
                notifications
                    .mark_all_read(&format!("user-{i}"), Utc::now())
                    .await
            }
        }))
    };

    for result in burst().await {
        result.expect("a write on fresh connections");
    }
    let opened = proxy.accepted();
    // Two are the driver's monitors; the rest were pooled by the burst and now sit idle.
    assert!(
        opened >= 4,
        "the burst pooled several connections ({opened} opened)"
    );
    tokio::time::sleep(Duration::from_millis(4500)).await;
    for result in burst().await {
        result.expect("a write after a quiet spell longer than the server's idle limit");
    }
    assert!(
        proxy.accepted() > opened,
        "the second burst went out on new connections, not the idle ones"
    );
}

//! Requests given up while they wait for a MongoDB connection (a client that disconnects, a
//! timeout) must not hold up the requests after them. The driver's pool served its queue of
//! waiting requests one per event, an abandoned one included; with every connection idle the
//! only event left is its 500 ms maintenance timer, so each abandoned request in front delayed
//! the next live one by half a second (`vendor/README.md`).

use std::time::Duration;

use aistudio_tests::{Api, TestEnv, wait_for_status};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Callers queued behind a pool of two connections, then all abandoned.
const CALLERS: usize = 200;

/// `url` with one more query option.
fn with_option(url: &str, option: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{option}")
}

/// An environment whose MongoDB pool holds two connections, so that most callers wait.
fn small_pool() -> TestEnv {
    let mut env = TestEnv::new();
    env.mongo_url = with_option(&env.mongo_url, "maxPoolSize=2");
    env
}

#[tokio::test]
async fn a_request_after_many_abandoned_ones_is_served_at_once() {
    let env = small_pool();
    let store = env.store().await;
    store.ping().await.expect("MongoDB answers");
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    let _ = store.ping().await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for caller in &callers {
        caller.abort();
    }
    for caller in callers {
        assert!(caller.await.unwrap_err().is_cancelled());
    }

    // Unpatched, about CALLERS / 2 seconds (one abandoned request per maintenance tick).
    tokio::time::timeout(Duration::from_secs(10), store.ping())
        .await
        .unwrap_or_else(|_| {
            panic!("no answer within 10 s after {CALLERS} callers gave up waiting for a connection")
        })
        .expect("MongoDB answers");
    // Then the pool serves as before: a burst on the same two connections goes through.
    let burst = futures::future::join_all((0..50).map(|_| store.ping())).await;
    assert!(burst.iter().all(Result::is_ok), "{burst:?}");
}

/// Sends `GET path` on a fresh connection and closes it without reading the answer.
async fn abandon(address: &str, path: &str) {
    let Ok(mut stream) = TcpStream::connect(address).await else {
        return;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
}

#[tokio::test]
async fn the_api_stays_ready_after_clients_abandon_their_requests() {
    let env = small_pool();
    let api = Api::start(&env).await;
    let ready = format!("{}/readyz", api.url);
    wait_for_status(&ready, 200, Duration::from_secs(20)).await;
    let address = api.url.trim_start_matches("http://").to_string();

    // Each readiness check pings MongoDB: most of these wait for one of the two connections
    // when their client hangs up, which cancels them.
    futures::future::join_all((0..CALLERS).map(|_| abandon(&address, "/readyz"))).await;

    // The check gives MongoDB 3 s; unpatched it waited behind the abandoned requests and
    // answered 503 "mongodb: no answer within 3s".
    let response = reqwest::get(&ready).await.expect("the api answers");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["mongodb"], "ok", "{body}");
}

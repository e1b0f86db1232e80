//! A TCP proxy in front of Redis that delays every answer by a random time within a range that
//! can change while it runs: a slow or overloaded Redis, as the workers see it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::proxy_listener::ProxyListener;

/// The delay range, in milliseconds.
#[derive(Debug, Default)]
struct Latency {
    min_ms: AtomicU64,
    max_ms: AtomicU64,
}

impl Latency {
    fn pick(&self) -> Duration {
        let (min, max) = (
            self.min_ms.load(Ordering::Relaxed),
            self.max_ms.load(Ordering::Relaxed),
        );
        Duration::from_millis(if max > min {
            rand::rng().random_range(min..=max)
        } else {
            min
        })
    }
}

/// A running proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct SlowProxy {
    /// Its port on loopback.
    pub port: u16,
    latency: Arc<Latency>,
    _listener: ProxyListener,
}

/// Copies Redis's answers to the client, each read held back by a fresh random delay. Reads
/// are forwarded in order, so a slow answer also delays the ones behind it, as on a busy server.
async fn delayed_copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    latency: Arc<Latency>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        tokio::time::sleep(latency.pick()).await;
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

async fn serve(client: TcpStream, server: TcpStream, latency: Arc<Latency>) {
    let (mut client_read, client_write) = client.into_split();
    let (server_read, mut server_write) = server.into_split();
    let answers = tokio::spawn(delayed_copy(server_read, client_write, latency));
    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    let _ = server_write.shutdown().await;
    let _ = answers.await;
}

impl SlowProxy {
    /// Starts a proxy to `upstream` (`host:port`) with no delay yet.
    pub async fn start(upstream: &str) -> Self {
        let latency = Arc::new(Latency::default());
        let listener = {
            let latency = latency.clone();
            ProxyListener::start(upstream, move |client, server| {
                serve(client, server, latency.clone())
            })
            .await
        };
        Self {
            port: listener.port,
            latency,
            _listener: listener,
        }
    }

    /// Each answer from now on is delayed by a random time in `min..=max`.
    pub fn set_latency(&self, min: Duration, max: Duration) {
        self.latency
            .min_ms
            .store(min.as_millis() as u64, Ordering::Relaxed);
        self.latency
            .max_ms
            .store(max.as_millis() as u64, Ordering::Relaxed);
    }

    /// The Redis URL that goes through the proxy.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

//! A TCP proxy that drops every connection on which nothing has passed either way for a set
//! time: what a server's idle timeout, a NAT gateway or a firewall does to a quiet connection,
//! without telling the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::proxy_listener::ProxyListener;

/// A running proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct IdleCutProxy {
    /// Its port on loopback.
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    _listener: ProxyListener,
}

/// Milliseconds since `origin` of the last byte that passed on one connection.
#[derive(Debug)]
struct LastActivity {
    origin: Instant,
    at_ms: AtomicU64,
}

impl LastActivity {
    fn touch(&self) {
        self.at_ms
            .store(self.origin.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let at = Duration::from_millis(self.at_ms.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(at)
    }
}

async fn copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, activity: Arc<LastActivity>) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        activity.touch();
    }
    let _ = to.shutdown().await;
}

/// Relays one connection until either side ends it, or drops both sides once it has been
/// idle for `idle`.
async fn serve(client: TcpStream, server: TcpStream, idle: Duration) {
    let activity = Arc::new(LastActivity {
        origin: Instant::now(),
        at_ms: AtomicU64::new(0),
    });
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let requests = tokio::spawn(copy(client_read, server_write, activity.clone()));
    let answers = tokio::spawn(copy(server_read, client_write, activity.clone()));
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if requests.is_finished() || answers.is_finished() {
            break;
        }
        if activity.idle() >= idle {
            // Aborting the copies drops both sockets: each end sees the connection closed.
            requests.abort();
            answers.abort();
            return;
        }
    }
    let _ = requests.await;
    let _ = answers.await;
}

impl IdleCutProxy {
    /// Starts a proxy to `upstream` (`host:port`) that drops connections idle for `idle`.
    pub async fn start(upstream: &str, idle: Duration) -> Self {
        let accepted = Arc::new(AtomicUsize::new(0));
        let listener = {
            let accepted = accepted.clone();
            ProxyListener::start(upstream, move |client, server| {
                accepted.fetch_add(1, Ordering::Relaxed);
                serve(client, server, idle)
            })
            .await
        };
        Self {
            port: listener.port,
            accepted,
            _listener: listener,
        }
    }

    /// How many connections it has relayed.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

//! A TCP proxy that drops every connection on which nothing has passed either way for a set
//! time: what a server's idle timeout, a NAT gateway or a firewall does to a quiet connection,
//! without telling the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct IdleCutProxy {
    /// Its port on loopback.
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

impl Drop for IdleCutProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
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
async fn serve(client: TcpStream, upstream: String, idle: Duration) {
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
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
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let upstream = upstream.to_string();
        let accept = {
            let accepted = accepted.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(serve(client, upstream.clone(), idle));
                }
            })
        };
        Self {
            port,
            accepted,
            accept,
        }
    }

    /// How many connections it has taken.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

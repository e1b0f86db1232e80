//! A TCP proxy to MongoDB that takes the first few commands naming one command, and never
//! relays or answers them: a server that has accepted a connection and a request and then
//! stopped answering (a stuck storage engine, a hung disk), while the connection stays open.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::proxy_listener::ProxyListener;

/// A running proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct UnansweringProxy {
    /// Its port on loopback.
    pub port: u16,
    swallowed: Arc<AtomicUsize>,
    _listener: ProxyListener,
}

/// Which messages the proxy swallows, and how many it has.
#[derive(Debug)]
struct Swallow {
    command: &'static [u8],
    limit: usize,
    taken: Arc<AtomicUsize>,
}

impl Swallow {
    /// Whether to swallow `message` (a wire message without its length), counting it if so.
    fn takes(&self, message: &[u8]) -> bool {
        message
            .windows(self.command.len())
            .any(|w| w == self.command)
            && self
                .taken
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n < self.limit).then_some(n + 1)
                })
                .is_ok()
    }
}

/// Relays the client's wire messages (each prefixed by its length) to the server, except
/// those `swallow` takes.
async fn relay_requests(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, swallow: Arc<Swallow>) {
    loop {
        let mut length = [0u8; 4];
        if from.read_exact(&mut length).await.is_err() {
            break;
        }
        let mut message = vec![0u8; (i32::from_le_bytes(length).max(4) - 4) as usize];
        if from.read_exact(&mut message).await.is_err() {
            break;
        }
        if swallow.takes(&message) {
            continue;
        }
        if to.write_all(&length).await.is_err() || to.write_all(&message).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

async fn serve(client: TcpStream, server: TcpStream, swallow: Arc<Swallow>) {
    let (client_read, mut client_write) = client.into_split();
    let (mut server_read, server_write) = server.into_split();
    let requests = tokio::spawn(relay_requests(client_read, server_write, swallow));
    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    let _ = client_write.shutdown().await;
    requests.abort();
}

impl UnansweringProxy {
    /// Starts a proxy to `upstream` (`host:port`) that swallows the first `limit` messages
    /// naming `command` (e.g. `b"createIndexes"`).
    pub async fn start(upstream: &str, command: &'static [u8], limit: usize) -> Self {
        let swallowed = Arc::new(AtomicUsize::new(0));
        let swallow = Arc::new(Swallow {
            command,
            limit,
            taken: swallowed.clone(),
        });
        let listener = ProxyListener::start(upstream, move |client, server| {
            serve(client, server, swallow.clone())
        })
        .await;
        Self {
            port: listener.port,
            swallowed,
            _listener: listener,
        }
    }

    /// How many messages it has swallowed.
    pub fn swallowed(&self) -> usize {
        self.swallowed.load(Ordering::SeqCst)
    }
}

//! What every test proxy shares: a loopback port whose each connection is paired with a new
//! one to the upstream server and handed, both ends, to the proxy's own relay.

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A listening proxy port; stops accepting when dropped.
#[derive(Debug)]
pub(crate) struct ProxyListener {
    /// Its port on loopback.
    pub(crate) port: u16,
    accept: JoinHandle<()>,
}

impl Drop for ProxyListener {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl ProxyListener {
    /// Listens on a free loopback port; for each connection taken, connects to `upstream`
    /// (`host:port`) and runs `relay(client, server)` in a task of its own. A connection whose
    /// upstream cannot be reached is dropped.
    pub(crate) async fn start<R, F>(upstream: &str, relay: R) -> Self
    where
        R: Fn(TcpStream, TcpStream) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let upstream = upstream.to_string();
        let relay = Arc::new(relay);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, relay) = (upstream.clone(), relay.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server).await;
                    }
                });
            }
        });
        Self { port, accept }
    }
}

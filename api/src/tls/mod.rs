//! HTTPS served by the api itself (`server.tls`): the certificate, read again when its files
//! change, and a listener that hands axum connections whose TLS handshake is done.
//!
//! Built on `tokio-rustls` with the ring provider, the TLS stack reqwest and lettre already
//! compile, and on axum's own `serve` (a [`TlsListener`] in place of the `TcpListener`), so
//! graceful shutdown is the same code with or without TLS.

mod certificate;
mod listener;
mod strict_transport;

use std::sync::Arc;

use tokio_rustls::rustls::{self, ServerConfig};

pub use certificate::{Certificate, CertificateError, RELOAD_EVERY};
pub use listener::TlsListener;
pub use strict_transport::strict_transport;

/// The TLS configuration that serves `certificate` (whichever it holds when a client
/// connects): rustls' safe default protocol versions, HTTP/1.1.
pub fn server_config(certificate: Arc<Certificate>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(certificate.provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(certificate);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

//! Errors of the library API.

/// What can go wrong when starting or driving the simulator in-process.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is unreadable or inconsistent.
    #[error("invalid simulator config: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: std::net::SocketAddr,
        /// The operating system's answer.
        source: std::io::Error,
    },
    /// An id given to a control method names nothing.
    #[error("not found: {0}")]
    NotFound(String),
    /// A control call conflicts with existing state (e.g. a duplicate account id).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Signing a token failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The HTTP client used for media downloads could not be built.
    #[error("http client: {0}")]
    Http(String),
}

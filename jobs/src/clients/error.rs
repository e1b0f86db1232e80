//! The error every outside-service client returns.
//!
//! No variant holds a request URL, a token, a client secret or an API key: texts taken from
//! answers are scrubbed of the secrets that went into the request before they are stored.

use std::fmt;
use std::time::Duration;

use super::graph_error::GraphError;

/// Why no complete answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The connection could not be established: the request never reached the service.
    Connect,
    /// The call took longer than the configured timeout: the service may have acted on it.
    Timeout,
    /// The connection was closed or reset after the request was sent, before an answer.
    ConnectionClosed,
    /// The answer started but its body could not be read to the end.
    Body,
    /// Any other failure of the HTTP stack.
    Other,
}

impl TransportKind {
    /// Whether the service may have received (and acted on) the request. Only a failed connect
    /// proves it did not.
    pub fn may_have_reached_service(self) -> bool {
        !matches!(self, TransportKind::Connect)
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connection failed",
            TransportKind::Timeout => "timed out",
            TransportKind::ConnectionClosed => "connection closed before an answer",
            TransportKind::Body => "answer body could not be read",
            TransportKind::Other => "HTTP failure",
        })
    }
}

/// A failed call to Instagram, the Graph API or ImgBB.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// No complete answer: timeout, refused or dropped connection. A write that failed this way
    /// has an unknown outcome (see [`TransportKind::may_have_reached_service`]).
    #[error("transport failure: {kind}")]
    Transport {
        /// What went wrong.
        kind: TransportKind,
    },
    /// A Graph API error answer (`{"error":{...}}`).
    #[error("{0}")]
    Graph(Box<GraphError>),
    /// An error answer of the Instagram Login token endpoint
    /// (`{"error_type","code","error_message"}`).
    #[error("Instagram OAuth error {code} ({error_type}): {message} (HTTP {http_status})")]
    OAuth {
        /// HTTP status.
        http_status: u16,
        /// `error_type`, e.g. `OAuthException`.
        error_type: String,
        /// `code` (usually 400).
        code: i64,
        /// `error_message`.
        message: String,
    },
    /// An ImgBB error answer (`{"status_code","error":{"message","code"},"status_txt"}`).
    #[error("ImgBB error {code}: {message} (HTTP {http_status})")]
    Imgbb {
        /// HTTP status.
        http_status: u16,
        /// `error.code` (e.g. 100 for a bad key, 310 for an unreadable image).
        code: i64,
        /// `error.message`.
        message: String,
    },
    /// A non-2xx answer without a recognisable error body (bare 429, 502, 503, an HTML page).
    #[error("HTTP {http_status} without a recognisable error body")]
    Http {
        /// HTTP status.
        http_status: u16,
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// An answer that is not what the API documents: empty, HTML with a 2xx status, JSON of
    /// another shape.
    #[error("unexpected answer (HTTP {http_status}): {reason}")]
    UnexpectedBody {
        /// HTTP status.
        http_status: u16,
        /// What was wrong, never the body itself.
        reason: String,
    },
    /// A configured base URL could not be used, or the HTTP client could not be built.
    #[error("client setup: {0}")]
    Setup(String),
}

impl ClientError {
    /// The Graph error, if this is one.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            ClientError::Graph(e) => Some(e),
            _ => None,
        }
    }
}

impl From<GraphError> for ClientError {
    fn from(error: GraphError) -> Self {
        ClientError::Graph(Box::new(error))
    }
}

//! The one HTTP client every outside-service client shares, and the defensive reading of
//! answers.
//!
//! The client uses rustls, a connect timeout, an overall request timeout, a User-Agent and no
//! redirects at all (no endpoint we call legitimately redirects; a redirect from an OAuth
//! endpoint must never be followed with credentials attached). Reading an answer never panics:
//! an empty body, an HTML page with a 2xx status or JSON of the wrong shape become
//! [`ClientError::UnexpectedBody`]. Errors never carry request URLs (which may hold
//! `access_token=` or `client_secret=`), and every text taken from an answer is scrubbed of the
//! secrets that went into the request.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::{ClientError, TransportKind};

/// Connect timeout used unless configured otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Overall timeout of one API call unless configured otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Overall timeout of one upload (an image of up to 32 MB) unless configured otherwise.
pub const DEFAULT_UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// The User-Agent every call carries.
pub const USER_AGENT: &str = concat!("AIStudio/", env!("CARGO_PKG_VERSION"));

/// How long outside calls may take. Production uses [`HttpOptions::default`]; tests shorten it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Give up establishing a connection after this long.
    pub connect_timeout: Duration,
    /// Give up on a whole API call (connect, send, answer) after this long.
    pub request_timeout: Duration,
    /// Give up on a whole upload after this long.
    pub upload_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            upload_timeout: DEFAULT_UPLOAD_TIMEOUT,
        }
    }
}

/// The shared `reqwest` client: rustls, timeouts from `options`, no redirects, our User-Agent.
/// Build it once per process and clone it (clones share the connection pool).
pub fn build_client(options: &HttpOptions) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| ClientError::Setup(e.without_url().to_string()))
}

/// A whole answer: status, headers and body bytes, read without interpretation.
#[derive(Debug)]
pub(crate) struct RawAnswer {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the body looks like JSON (by content and, when present, content type).
    fn looks_like_json(&self) -> bool {
        let html = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("html"));
        let first = self.body.iter().find(|b| !b.is_ascii_whitespace());
        !html && matches!(first, Some(b'{') | Some(b'['))
    }

    /// The body as a JSON document, if it is one.
    pub(crate) fn json_value(&self) -> Option<serde_json::Value> {
        if !self.looks_like_json() {
            return None;
        }
        serde_json::from_slice(&self.body).ok()
    }

    /// Parses the body as `T`, or explains (without echoing the body) why it is not one.
    pub(crate) fn parse<T: DeserializeOwned>(&self, secrets: &[&str]) -> Result<T, ClientError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(self.unexpected("empty body".to_owned()));
        }
        if !self.looks_like_json() {
            return Err(self.unexpected(format!("not JSON ({})", self.content_type())));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| self.unexpected(redact(&format!("unexpected JSON: {e}"), secrets)))
    }

    /// An [`ClientError::UnexpectedBody`] for this answer.
    pub(crate) fn unexpected(&self, reason: String) -> ClientError {
        ClientError::UnexpectedBody {
            http_status: self.status,
            reason,
        }
    }

    fn content_type(&self) -> String {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_owned()
    }

    /// `Retry-After` in seconds, if present and numeric.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// Sends `request` and reads the whole answer. Failures before a complete answer arrived are
/// [`ClientError::Transport`].
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<RawAnswer, ClientError> {
    let response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(transport)?.to_vec();
    Ok(RawAnswer {
        status,
        headers,
        body,
    })
}

/// Classifies a `reqwest` failure, dropping its URL.
fn transport(error: reqwest::Error) -> ClientError {
    let kind = if error.is_timeout() {
        TransportKind::Timeout
    } else if error.is_connect() {
        TransportKind::Connect
    } else if error.is_body() || error.is_decode() {
        TransportKind::Body
    } else if error.is_request() {
        TransportKind::ConnectionClosed
    } else {
        TransportKind::Other
    };
    ClientError::Transport { kind }
}

/// Parses a configured base URL (`key` names the setting in errors).
pub(crate) fn parse_base(key: &str, value: &str) -> Result<Url, ClientError> {
    let url = Url::parse(value.trim())
        .map_err(|e| ClientError::Setup(format!("{key} is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ClientError::Setup(format!(
            "{key} must be an http(s) base URL"
        )));
    }
    Ok(url)
}

/// `base` with `segments` appended as path segments (each percent-encoded, so an id can never
/// change the path's shape).
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Replaces every occurrence of each non-empty secret in `text`.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, "[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{RawAnswer, join, parse_base, redact};
    use crate::clients::ClientError;
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

    fn answer(status: u16, content_type: Option<&str>, body: &str) -> RawAnswer {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(ct).expect("header"));
        }
        RawAnswer {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn joins_segments_safely() {
        let base = parse_base("k", "http://127.0.0.1:9/graph/").expect("base");
        assert_eq!(
            join(&base, &["v25.0", "17841/x", "media"]).as_str(),
            "http://127.0.0.1:9/graph/v25.0/17841%2Fx/media"
        );
        let base = parse_base("k", "https://graph.instagram.com").expect("base");
        assert_eq!(
            join(&base, &["me"]).as_str(),
            "https://graph.instagram.com/me"
        );
        assert!(parse_base("k", "ftp://x").is_err());
        assert!(parse_base("k", "not a url").is_err());
    }

    #[derive(Debug, serde::Deserialize)]
    struct Id {
        #[allow(dead_code)]
        id: String,
    }

    #[test]
    fn html_with_200_is_a_typed_error() {
        let a = answer(200, Some("text/html"), "<html><body>Hi</body></html>");
        match a.parse::<Id>(&[]) {
            Err(ClientError::UnexpectedBody {
                http_status,
                reason,
            }) => {
                assert_eq!(http_status, 200);
                assert!(reason.contains("not JSON"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn empty_and_wrong_shape_are_typed_errors() {
        assert!(matches!(
            answer(200, None, "  ").parse::<Id>(&[]),
            Err(ClientError::UnexpectedBody { .. })
        ));
        assert!(matches!(
            answer(200, Some("application/json"), r#"{"other":1}"#).parse::<Id>(&[]),
            Err(ClientError::UnexpectedBody { .. })
        ));
        assert!(
            answer(200, Some("application/json"), r#"{"id":"1"}"#)
                .parse::<Id>(&[])
                .is_ok()
        );
    }

    #[test]
    fn json_mislabelled_as_html_is_not_trusted() {
        let a = answer(200, Some("text/html; charset=utf-8"), r#"{"id":"1"}"#);
        assert!(a.parse::<Id>(&[]).is_err());
        assert!(a.json_value().is_none());
    }

    #[test]
    fn parse_errors_do_not_echo_secrets() {
        let a = answer(200, Some("application/json"), r#"{"id":"IGAAsecret"}"#);
        #[derive(Debug, serde::Deserialize)]
        struct Num {
            #[allow(dead_code)]
            id: u64,
        }
        let err = a.parse::<Num>(&["IGAAsecret"]).expect_err("wrong type");
        assert!(!err.to_string().contains("IGAAsecret"), "{err}");
        assert_eq!(redact("a tok1234 b", &["tok1234"]), "a [redacted] b");
    }
}

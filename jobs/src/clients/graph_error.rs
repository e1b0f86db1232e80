//! Graph API error answers: `{"error":{"message","type","code","error_subcode","is_transient",
//! "error_user_title","error_user_msg","fbtrace_id"}}`, with the rate-limit headers that came
//! with them. What to do about one is decided by [`super::classify`].

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::error::ClientError;
use super::http::{RawAnswer, redact};
use super::usage::Usage;

/// One Graph API error.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// HTTP status of the answer.
    pub http_status: u16,
    /// `code`.
    pub code: i64,
    /// `error_subcode`.
    pub subcode: Option<i64>,
    /// `message` (for logs; not meant for end users).
    pub message: String,
    /// `type`, e.g. `OAuthException`.
    pub error_type: Option<String>,
    /// `error_user_title`: a short title Instagram wrote for end users.
    pub user_title: Option<String>,
    /// `error_user_msg`: an explanation Instagram wrote for end users.
    pub user_msg: Option<String>,
    /// `is_transient`.
    pub is_transient: bool,
    /// `fbtrace_id`, for Meta support.
    pub fbtrace_id: Option<String>,
    /// Rate-limit usage reported with the error.
    pub usage: Usage,
    /// `Retry-After`, when the answer carried one.
    pub retry_after_header: Option<Duration>,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph API error {}", self.code)?;
        if let Some(sub) = self.subcode {
            write!(f, "/{sub}")?;
        }
        write!(f, " (HTTP {}): {}", self.http_status, self.message)?;
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    message: Option<String>,
    #[serde(rename = "type", default)]
    error_type: Option<String>,
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    is_transient: Option<bool>,
    #[serde(default)]
    error_user_title: Option<String>,
    #[serde(default)]
    error_user_msg: Option<String>,
    #[serde(default)]
    fbtrace_id: Option<String>,
}

impl GraphError {
    /// The Graph error in `answer`, if its body is one. Texts are scrubbed of `secrets`.
    pub(crate) fn from_answer(answer: &RawAnswer, secrets: &[&str]) -> Option<Self> {
        let value = answer.json_value()?;
        let body = serde_json::from_value::<Envelope>(value).ok()?.error;
        let clean = |t: Option<String>| t.map(|t| redact(&t, secrets));
        Some(Self {
            http_status: answer.status,
            code: body.code,
            subcode: body.error_subcode,
            message: clean(body.message).unwrap_or_default(),
            error_type: body.error_type,
            user_title: clean(body.error_user_title),
            user_msg: clean(body.error_user_msg),
            is_transient: body.is_transient.unwrap_or(false),
            fbtrace_id: body.fbtrace_id,
            usage: Usage::from_headers(&answer.headers),
            retry_after_header: answer.retry_after(),
        })
    }
}

/// The error for a non-2xx Graph answer: the Graph error when the body is one, otherwise a bare
/// [`ClientError::Http`].
pub(crate) fn graph_failure(answer: &RawAnswer, secrets: &[&str]) -> ClientError {
    match GraphError::from_answer(answer, secrets) {
        Some(error) => error.into(),
        None => ClientError::Http {
            http_status: answer.status,
            retry_after: answer.retry_after(),
        },
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::{GraphError, graph_failure};
    use crate::clients::ClientError;
    use crate::clients::http::RawAnswer;

    #[test]
    fn parses_every_field_and_scrubs_secrets() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let body = r#"{"error":{"message":"Bad token IGQVsecret","type":"OAuthException","code":190,"error_subcode":463,"is_transient":false,"error_user_title":"Expired","error_user_msg":"Log in again","fbtrace_id":"Abc"}}"#;
        let answer = RawAnswer {
            status: 400,
            headers,
            body: body.as_bytes().to_vec(),
        };
        let error = GraphError::from_answer(&answer, &["IGQVsecret"]).expect("graph error");
        assert_eq!(error.code, 190);
        assert_eq!(error.subcode, Some(463));
        assert_eq!(error.message, "Bad token [redacted]");
        assert_eq!(error.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(error.user_title.as_deref(), Some("Expired"));
        assert_eq!(error.user_msg.as_deref(), Some("Log in again"));
        assert_eq!(error.fbtrace_id.as_deref(), Some("Abc"));
        assert!(!error.is_transient);
        assert_eq!(
            error.to_string(),
            "Graph API error 190/463 (HTTP 400): Bad token [redacted] [fbtrace_id Abc]"
        );
    }

    #[test]
    fn a_bare_status_is_an_http_error() {
        let answer = RawAnswer {
            status: 502,
            headers: HeaderMap::new(),
            body: b"Bad Gateway".to_vec(),
        };
        assert_eq!(
            graph_failure(&answer, &[]),
            ClientError::Http {
                http_status: 502,
                retry_after: None
            }
        );
    }
}

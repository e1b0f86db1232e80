//! One delivery attempt over HTTP: a POST to the checked addresses only (no proxy, no second
//! DNS lookup, no redirects), bounded in time and in how much of the answer is read.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};

use super::target::Target;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, or `None` when no answer came (the error says why).
    pub status: Option<u16>,
    /// Why no answer came, in words.
    pub error: Option<String>,
    /// From sending to the end of the answer (or the failure).
    pub elapsed: Duration,
}

impl Answer {
    /// Whether the endpoint accepted the event (any 2xx).
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The limits of one attempt.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connect, send and read the answer within this.
    pub timeout: Duration,
    /// Read at most this much of the answer.
    pub max_response_bytes: u64,
}

/// The three Standard Webhooks headers of one attempt.
#[derive(Debug, Clone)]
pub struct Signed {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp` (Unix seconds).
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
}

/// POSTs `body` to `target`, connecting only to `addresses`.
pub async fn post(
    target: &Target,
    addresses: &[SocketAddr],
    signed: &Signed,
    body: String,
    limits: Limits,
) -> Answer {
    let started = Instant::now();
    let result = attempt(target, addresses, signed, body, limits).await;
    let elapsed = started.elapsed();
    match result {
        Ok(status) => Answer {
            status: Some(status),
            error: None,
            elapsed,
        },
        Err(error) => Answer {
            status: None,
            error: Some(error),
            elapsed,
        },
    }
}

async fn attempt(
    target: &Target,
    addresses: &[SocketAddr],
    signed: &Signed,
    body: String,
    limits: Limits,
) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(limits.timeout)
        .timeout(limits.timeout)
        .resolve_to_addrs(&target.host, addresses)
        .build()
        .map_err(|e| format!("could not prepare the request: {e}"))?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static("AIStudio-Webhooks/1"));
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| e.to_string());
    headers.insert("webhook-id", value(&signed.id)?);
    headers.insert("webhook-timestamp", value(&signed.timestamp.to_string())?);
    headers.insert("webhook-signature", value(&signed.signature)?);
    let read = async {
        let mut response = client
            .post(target.url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| in_words(&e))?;
        let status = response.status().as_u16();
        let mut read = 0u64;
        while read < limits.max_response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len() as u64,
                Ok(None) => break,
                // The status counts; a broken body after it does not change the outcome.
                Err(_) => break,
            }
        }
        Ok(status)
    };
    tokio::time::timeout(limits.timeout, read)
        .await
        .map_err(|_| timed_out(limits.timeout))?
}

fn timed_out(limit: Duration) -> String {
    format!("no answer within {} s", limit.as_secs())
}

/// A transport error in plain words.
fn in_words(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    if e.is_connect() {
        format!("could not connect ({text})")
    } else {
        text
    }
}

//! A webhook receiver for tests: an HTTP server on loopback that records every request, checks
//! its Standard Webhooks signature with the secret the api showed at creation (computed here,
//! independently of the product's signer), and answers the statuses a test plans.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// Whether `webhook-signature` holds a `v1` signature made with the secret.
    pub verified: bool,
    /// The JSON body.
    pub body: serde_json::Value,
    /// The `content-type` header.
    pub content_type: String,
}

#[derive(Debug, Default)]
struct Inner {
    secret: Option<String>,
    plan: VecDeque<u16>,
    otherwise: u16,
    delay: Option<Duration>,
    received: Vec<Received>,
}

/// A running receiver; stops when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// Its URL (`http://127.0.0.1:<port>/hook`).
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Starts a receiver that answers 200.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            otherwise: 200,
            ..Inner::default()
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver port");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, inner, task }
    }

    /// The secret to verify signatures with (the api shows it at creation).
    pub fn set_secret(&self, secret: &str) {
        self.inner.lock().unwrap().secret = Some(secret.to_string());
    }

    /// Answers these statuses to the next requests, in order, then `otherwise`.
    pub fn answer(&self, statuses: &[u16], otherwise: u16) {
        let mut inner = self.inner.lock().unwrap();
        inner.plan = statuses.iter().copied().collect();
        inner.otherwise = otherwise;
    }

    /// Waits this long before answering (each request is recorded on arrival).
    pub fn delay(&self, delay: Option<Duration>) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let (status, delay) = {
        let mut inner = inner.lock().unwrap();
        let verified = inner.secret.as_deref().is_some_and(|secret| {
            signature_matches(secret, &id, &timestamp, &body, &header("webhook-signature"))
        });
        inner.received.push(Received {
            id,
            timestamp: timestamp.parse().unwrap_or_default(),
            verified,
            body: serde_json::from_slice(&body).unwrap_or_default(),
            content_type: header("content-type"),
        });
        let status = inner.plan.pop_front().unwrap_or(inner.otherwise);
        (status, inner.delay)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

/// Standard Webhooks verification: any `v1,<base64>` among the space-separated signatures is
/// the HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed by the base64 after `whsec_`.
fn signature_matches(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Ok(key) = STANDARD.decode(secret.trim_start_matches("whsec_")) else {
        return false;
    };
    header.split(' ').any(|candidate| {
        let Some(given) = candidate
            .strip_prefix("v1,")
            .and_then(|b| STANDARD.decode(b).ok())
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    })
}

//! Shared helpers: a simulator with test settings, a client, a static file server, fixtures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aistudio_sim::{InstagramConfig, SimConfig, SimHandle, Simulator, TokenKind};
use anyhow::{Context, Result, anyhow};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Test config: seeded, no processing delay.
pub fn config() -> SimConfig {
    SimConfig {
        seed: Some(42),
        hang_ms: 5_000,
        instagram: InstagramConfig {
            image_processing_ms: 0,
            video_processing_ms: 0,
            ..InstagramConfig::default()
        },
        ..SimConfig::default()
    }
}

/// A simulator with [`config`].
pub async fn sim() -> Result<SimHandle> {
    Ok(Simulator::start(config()).await?)
}

/// A client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// A JPEG header with a start-of-frame giving `w` x `h`, padded to look like an image.
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    bytes.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    bytes.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    bytes.extend_from_slice(&h.to_be_bytes());
    bytes.extend_from_slice(&w.to_be_bytes());
    bytes.extend_from_slice(&[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    bytes.extend(std::iter::repeat_n(0x55u8, 200));
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A PNG header.
pub fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&[0, 0, 2, 0, 0, 0, 2, 0, 8, 2, 0, 0, 0]);
    bytes.extend(std::iter::repeat_n(0u8, 64));
    bytes
}

/// The start of an MP4 file.
pub fn mp4() -> Vec<u8> {
    let mut bytes = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 512));
    bytes
}

type Files = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

/// A static file server standing in for the product's public media URLs.
pub struct FileServer {
    pub base: String,
    files: Files,
}

impl FileServer {
    pub async fn start() -> Result<Self> {
        let files: Files = Arc::default();
        let app = axum::Router::new()
            .route("/files/{name}", axum::routing::get(serve))
            .with_state(Arc::clone(&files));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { base, files })
    }

    /// Publishes `bytes` and returns their URL.
    pub fn put(&self, name: &str, content_type: &str, bytes: Vec<u8>) -> String {
        if let Ok(mut files) = self.files.lock() {
            files.insert(name.to_owned(), (content_type.to_owned(), bytes));
        }
        format!("{}/files/{name}", self.base)
    }

    /// A URL that answers 404.
    pub fn missing(&self) -> String {
        format!("{}/files/does-not-exist.jpg", self.base)
    }
}

async fn serve(State(files): State<Files>, Path(name): Path<String>) -> Response {
    let found = files.lock().ok().and_then(|f| f.get(&name).cloned());
    match found {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A long-lived token with both scopes for the default account, and its professional id.
pub fn token(sim: &SimHandle) -> Result<(String, String)> {
    let issued = sim.issue_instagram_token("aistudio_demo", TokenKind::LongLived)?;
    Ok((issued.access_token, issued.user_id))
}

/// The value of query parameter `name` in a redirect `Location`.
pub fn query_param(location: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(location).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `Location` header of a redirect.
pub fn location(response: &reqwest::Response) -> Result<String> {
    Ok(response
        .headers()
        .get(header::LOCATION)
        .context("no Location header")?
        .to_str()?
        .to_owned())
}

/// Graph API helper bound to one simulator and token.
pub struct Graph {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Graph {
    pub fn new(sim: &SimHandle, token: &str) -> Self {
        Self {
            http: client(),
            base: format!("{}/v25.0", sim.urls().graph),
            token: token.to_owned(),
        }
    }

    /// POST form parameters; returns (status, body).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{}/{path}", self.base))
            .bearer_auth(&self.token)
            .form(form)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// GET with query parameters (token in the query); returns (status, body).
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<(u16, Value)> {
        let mut all = vec![("access_token", self.token.as_str())];
        all.extend_from_slice(query);
        let response = self
            .http
            .get(format!("{}/{path}", self.base))
            .query(&all)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// Creates a container; returns its id or fails with the error body.
    pub async fn create(&self, user_id: &str, form: &[(&str, &str)]) -> Result<String> {
        let (status, body) = self.post(&format!("{user_id}/media"), form).await?;
        if status != 200 {
            return Err(anyhow!("create failed: {status} {body}"));
        }
        Ok(body["id"].as_str().context("id")?.to_owned())
    }

    /// `status_code` of a container.
    pub async fn status(&self, id: &str) -> Result<String> {
        let (status, body) = self.get(id, &[("fields", "status_code,status")]).await?;
        if status != 200 {
            return Err(anyhow!("status failed: {status} {body}"));
        }
        Ok(body["status_code"]
            .as_str()
            .context("status_code")?
            .to_owned())
    }

    /// Polls until the container leaves `IN_PROGRESS` (at most ~5 s).
    pub async fn settle(&self, id: &str) -> Result<String> {
        for _ in 0..250 {
            let status = self.status(id).await?;
            if status != "IN_PROGRESS" {
                return Ok(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Err(anyhow!("container {id} stayed IN_PROGRESS"))
    }

    /// Publishes; returns (status, body).
    pub async fn publish(&self, user_id: &str, creation_id: &str) -> Result<(u16, Value)> {
        self.post(
            &format!("{user_id}/media_publish"),
            &[("creation_id", creation_id)],
        )
        .await
    }
}

/// Asserts a Graph error body has the full documented shape and the given code/subcode.
pub fn assert_graph_error(body: &Value, code: i64, subcode: Option<i64>) {
    let error = &body["error"];
    assert_eq!(error["type"], "OAuthException", "{body}");
    assert_eq!(error["code"].as_i64(), Some(code), "{body}");
    assert_eq!(error["error_subcode"].as_i64(), subcode, "{body}");
    assert!(error["message"].is_string(), "{body}");
    assert!(error["is_transient"].is_boolean(), "{body}");
    assert!(error["fbtrace_id"].is_string(), "{body}");
}

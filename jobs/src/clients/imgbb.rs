//! ImgBB, the public image host Instagram fetches images from: `POST {imgbb.base_url}/1/upload`
//! with the image as a binary multipart part.
//!
//! The API key goes in the multipart body (never in the URL) and is scrubbed from every error.
//! ImgBB writes numbers as strings or numbers, and has been seen answering HTML with a 2xx
//! status: both are handled without panicking.

use std::time::Duration;

use aistudio_config::{ExposeSecret, ImgbbSettings, Secret};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use url::Url;

use super::error::ClientError;
use super::http::{HttpOptions, RawAnswer, join, parse_base, redact, send};
use super::lenient::NumOrText;

/// An uploaded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedImage {
    /// ImgBB's id.
    pub id: String,
    /// Direct link to the file (`data.url`): Instagram's `image_url`.
    pub url: String,
    /// Display link (`data.display_url`).
    pub display_url: String,
    /// Link that deletes the image (`data.delete_url`).
    pub delete_url: Option<String>,
    /// Lifetime ImgBB applied (`None`: kept forever).
    pub expiration: Option<Duration>,
}

/// The ImgBB client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ImgbbClient {
    http: reqwest::Client,
    upload_url: Url,
    key: Secret,
    default_expiration: Duration,
    timeout: Duration,
}

#[derive(Deserialize)]
struct Success {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    id: String,
    url: String,
    #[serde(default)]
    display_url: Option<String>,
    #[serde(default)]
    delete_url: Option<String>,
    #[serde(default)]
    expiration: Option<NumOrText>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<NumOrText>,
}

impl ImgbbClient {
    /// A client for `settings.base_url` with `settings.api_key`, images expiring after
    /// `settings.expiration_secs` unless told otherwise, uploads bounded by
    /// `options.upload_timeout`.
    pub fn new(
        http: reqwest::Client,
        settings: &ImgbbSettings,
        options: &HttpOptions,
    ) -> Result<Self, ClientError> {
        let base = parse_base("imgbb.base_url", &settings.base_url)?;
        Ok(Self {
            http,
            upload_url: join(&base, &["1", "upload"]),
            key: settings.api_key.clone(),
            default_expiration: Duration::from_secs(settings.expiration_secs),
            timeout: options.upload_timeout,
        })
    }

    /// Uploads `bytes` as `name`; ImgBB deletes it after `expiration` (60 s to 180 days; the
    /// configured default when `None`).
    #[tracing::instrument(skip_all, fields(name = %name, size = bytes.len()))]
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        name: &str,
        expiration: Option<Duration>,
    ) -> Result<UploadedImage, ClientError> {
        let key = self.key.expose_secret();
        let expiration = expiration.unwrap_or(self.default_expiration).as_secs();
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let part = Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .map_err(|e| ClientError::Setup(e.without_url().to_string()))?;
        let form = Form::new()
            .text("key", key.to_owned())
            .text("expiration", expiration.to_string())
            .text("name", stem.to_owned())
            .part("image", part);
        let request = self
            .http
            .post(self.upload_url.clone())
            .timeout(self.timeout)
            .multipart(form);
        let answer = send(request).await?;
        let secrets = [key];
        if let Some(error) = imgbb_error(&answer, &secrets) {
            return Err(error);
        }
        if !answer.is_success() {
            return Err(ClientError::Http {
                http_status: answer.status,
                retry_after: answer.retry_after(),
            });
        }
        let data = answer.parse::<Success>(&secrets)?.data;
        let expiration = data
            .expiration
            .and_then(|e| e.as_i64())
            .and_then(|s| u64::try_from(s).ok())
            .filter(|&s| s > 0)
            .map(Duration::from_secs);
        Ok(UploadedImage {
            display_url: data.display_url.unwrap_or_else(|| data.url.clone()),
            id: data.id,
            url: data.url,
            delete_url: data.delete_url,
            expiration,
        })
    }
}

/// The ImgBB error in `answer`, whatever its status.
fn imgbb_error(answer: &RawAnswer, secrets: &[&str]) -> Option<ClientError> {
    let body = serde_json::from_value::<ErrorBody>(answer.json_value()?).ok()?;
    Some(ClientError::Imgbb {
        http_status: answer.status,
        code: body
            .error
            .code
            .as_ref()
            .and_then(NumOrText::as_i64)
            .unwrap_or_default(),
        message: redact(&body.error.message.unwrap_or_default(), secrets),
    })
}

//! Request parameters merged from the query string and the body, as the Graph API and the
//! OAuth endpoints accept them: URL-encoded form, multipart form, or a JSON object.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::faults::ConnKill;
use crate::multipart;

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A text field.
    Text(String),
    /// A file part of a multipart body.
    File {
        /// Its filename.
        filename: Option<String>,
        /// Its bytes.
        data: Vec<u8>,
    },
}

/// Everything a request carried, parsed.
#[derive(Debug, Default)]
pub(crate) struct Params {
    fields: Vec<(String, Value)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// The connection kill switch.
    pub kill: Option<ConnKill>,
}

impl Params {
    /// Reads a whole request, refusing bodies over `limit` bytes with 413.
    pub(crate) async fn read(request: Request, limit: usize) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(Body::new(body), limit)
            .await
            .map_err(|_| {
                (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()
            })?;
        let mut params = Params {
            fields: Vec::new(),
            kill: parts.extensions.get::<ConnKill>().cloned(),
            headers: parts.headers,
        };
        if let Some(query) = parts.uri.query() {
            params.add_urlencoded(query.as_bytes());
        }
        params
            .add_body(&bytes)
            .map_err(|message| (StatusCode::BAD_REQUEST, message).into_response())?;
        Ok(params)
    }

    fn add_urlencoded(&mut self, raw: &[u8]) {
        for (k, v) in url::form_urlencoded::parse(raw) {
            self.fields
                .push((k.into_owned(), Value::Text(v.into_owned())));
        }
    }

    fn add_body(&mut self, bytes: &Bytes) -> Result<(), &'static str> {
        if bytes.is_empty() {
            return Ok(());
        }
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if let Some(boundary) = multipart::boundary(&content_type) {
            let parts = multipart::parse(bytes, &boundary).ok_or("malformed multipart body")?;
            for part in parts {
                let value = match (part.filename, String::from_utf8(part.data)) {
                    (None, Ok(text)) => Value::Text(text),
                    (filename, Ok(text)) => Value::File {
                        filename,
                        data: text.into_bytes(),
                    },
                    (filename, Err(err)) => Value::File {
                        filename,
                        data: err.into_bytes(),
                    },
                };
                self.fields.push((part.name, value));
            }
        } else if content_type.starts_with("application/json") {
            let json: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|_| "malformed JSON body")?;
            if let serde_json::Value::Object(map) = json {
                for (k, v) in map {
                    self.fields.push((k, Value::Text(json_text(&v))));
                }
            }
        } else {
            self.add_urlencoded(bytes);
        }
        Ok(())
    }

    /// The last text value of `name` (body values override query values).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().rev().find_map(|(k, v)| match v {
            Value::Text(text) if k == name => Some(text.as_str()),
            _ => None,
        })
    }

    /// The last text value of `name`, when present and not blank.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|s| !s.is_empty())
    }

    /// The last value of `name`, text or file.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .rev()
            .find_map(|(k, v)| (k == name).then_some(v))
    }

    /// The bearer token of the `Authorization` header.
    pub(crate) fn bearer(&self) -> Option<&str> {
        let value = self.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
            .then(|| token.trim())
            .filter(|t| !t.is_empty())
    }

    /// HTTP Basic credentials (`user`, `password`), decoded.
    pub(crate) fn basic(&self) -> Option<(String, String)> {
        use base64::Engine;
        let value = self.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        Some((unescape(user), unescape(password)))
    }

    /// The comma-separated `fields` parameter.
    pub(crate) fn fields(&self) -> Vec<String> {
        self.get("fields")
            .map(|f| {
                f.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(json_text).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

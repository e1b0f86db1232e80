//! A small JSON client for the API, carrying a session like a browser or an API client would.

use reqwest::Method;
use serde_json::Value;

/// A response: status, headers and JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON.
    pub body: Value,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The session token set by a `Set-Cookie` header, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("aistudio_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
            .filter(|v| !v.is_empty())
    }
}

/// Sends `request` and reads the answer's status, headers and JSON body.
async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request is answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// A client bound to one API, optionally with a session token.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    /// Sent as `Authorization: Bearer` when set.
    pub token: Option<String>,
    /// Sent as the session cookie when set (takes the place of `token`).
    pub cookie: Option<String>,
}

impl ApiClient {
    /// A client without a session.
    pub fn new(base: &str) -> Self {
        Self::using(
            base,
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client builds"),
        )
    }

    /// A client without a session sending its requests with `http` (e.g. one that trusts a
    /// test's own certificate authority).
    pub fn using(base: &str, http: reqwest::Client) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http,
            token: None,
            cookie: None,
        }
    }

    /// The same API with a bearer token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_string()),
            cookie: None,
            ..self.clone()
        }
    }

    /// The same API with a session cookie.
    pub fn with_cookie(&self, token: &str) -> Self {
        Self {
            cookie: Some(token.to_string()),
            token: None,
            ..self.clone()
        }
    }

    /// `request` with the bearer token, when there is one.
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.token, &self.cookie) {
            (Some(token), _) => request.bearer_auth(token),
            (None, Some(cookie)) => request.header("cookie", format!("aistudio_session={cookie}")),
            (None, None) => request,
        }
    }

    /// Sends a request with an optional JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        request = self.authorized(request);
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request).await
    }

    /// Sends a raw body with a content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_string());
        request = self.authorized(request);
        reply(request).await
    }

    /// Uploads `bytes` as a multipart form field `field` (the file name and content type are
    /// what a browser would send; the API must not trust them).
    pub async fn upload_as(
        &self,
        field: &str,
        file_name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str(content_type)
            .expect("valid content type");
        let form = reqwest::multipart::Form::new().part(field.to_string(), part);
        let mut request = self
            .http
            .post(format!("{}/api/v1/media", self.base))
            .multipart(form);
        request = self.authorized(request);
        reply(request).await
    }

    /// Uploads a file to the media library (field `file`).
    pub async fn upload(&self, file_name: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        self.upload_as("file", file_name, content_type, bytes).await
    }

    /// GETs raw bytes: status, headers and body.
    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        request = self.authorized(request);
        let response = request.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body is read").to_vec();
        (status, headers, body)
    }

    /// PUT with JSON.
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    /// POST with JSON.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Signs up and returns a client carrying the new session (as a bearer token).
    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> Self {
        let reply = self
            .post(
                "/api/v1/auth/signup",
                serde_json::json!({ "name": name, "email": email, "password": password }),
            )
            .await;
        assert_eq!(reply.status, 201, "sign-up failed: {:?}", reply.body);
        let token = reply
            .session_cookie()
            .expect("sign-up sets the session cookie");
        self.with_token(&token)
    }
}

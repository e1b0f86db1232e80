//! Graph API errors: `{"error":{"message","type","code","error_subcode","is_transient",
//! "error_user_title","error_user_msg","fbtrace_id"}}`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

static TRACE: AtomicU64 = AtomicU64::new(0);

/// One Graph API error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub is_transient: bool,
    pub user_title: Option<String>,
    pub user_msg: Option<String>,
}

impl GraphError {
    pub(crate) fn new(
        status: StatusCode,
        code: i64,
        subcode: Option<i64>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            subcode,
            message: message.into(),
            is_transient: false,
            user_title: None,
            user_msg: None,
        }
    }

    /// A 400 error with a subcode and the user-facing texts Instagram adds to those.
    pub(crate) fn content(code: i64, subcode: i64, title: &str, user_msg: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, Some(subcode), title).user(title, user_msg)
    }

    pub(crate) fn transient(mut self, transient: bool) -> Self {
        self.is_transient = transient;
        self
    }

    pub(crate) fn user(mut self, title: &str, msg: &str) -> Self {
        self.user_title = Some(title.to_owned());
        self.user_msg = Some(msg.to_owned());
        self
    }

    /// `(#100) ...` invalid parameter.
    pub(crate) fn param(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, None, message)
    }

    /// 100/33: unknown object, someone else's object, or the fresh-read bug.
    pub(crate) fn object_not_found(method: &str, id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            100,
            Some(33),
            format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be \
                 loaded due to missing permissions, or does not support this operation."
            ),
        )
    }

    /// No token at all.
    pub(crate) fn token_missing() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            2500,
            None,
            "An active access token must be used to query information about the current user.",
        )
    }

    /// 190 with a subcode.
    pub(crate) fn token(subcode: i64) -> Self {
        let message = match subcode {
            463 => "Error validating access token: Session has expired.",
            460 => {
                "Error validating access token: The session has been invalidated because the user \
                 changed their password or Facebook has changed the session for security reasons."
            }
            458 => "Error validating access token: The user has not authorized application.",
            _ => "Invalid OAuth access token - Cannot parse access token",
        };
        Self::new(StatusCode::BAD_REQUEST, 190, Some(subcode), message)
    }

    /// Code 10: the token lacks a scope.
    pub(crate) fn permission(scope: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            10,
            None,
            format!("(#10) Application does not have permission for this action ({scope})"),
        )
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let trace = TRACE.fetch_add(1, Ordering::Relaxed);
        let mut error = Map::new();
        error.insert("message".into(), self.message.clone().into());
        error.insert("type".into(), "OAuthException".into());
        error.insert("code".into(), self.code.into());
        if let Some(subcode) = self.subcode {
            error.insert("error_subcode".into(), subcode.into());
        }
        error.insert("is_transient".into(), self.is_transient.into());
        if let Some(title) = &self.user_title {
            error.insert("error_user_title".into(), title.clone().into());
        }
        if let Some(msg) = &self.user_msg {
            error.insert("error_user_msg".into(), msg.clone().into());
        }
        error.insert("fbtrace_id".into(), format!("ASim{trace:012X}").into());
        json!({ "error": error })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        response.headers_mut().insert(
            "www-authenticate",
            axum::http::HeaderValue::from_static("OAuth \"Facebook Platform\""),
        );
        response
    }
}

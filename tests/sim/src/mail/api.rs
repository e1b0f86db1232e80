//! The inbox's JSON API. Errors are `{"code", "message", "field"?}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::shared::Shared;

type Sim = State<Arc<Shared>>;

/// A refused request.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    fn not_found(id: u64) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("no message {id} in the inbox"),
            field: None,
        }
    }

    fn invalid(status: StatusCode, field: &str, message: String) -> Self {
        Self {
            status,
            code: if status == StatusCode::BAD_REQUEST {
                "bad_request"
            } else {
                "validation_failed"
            },
            message,
            field: Some(field.to_owned()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        (self.status, Json(body)).into_response()
    }
}

/// A message id from the path: a positive integer.
pub(super) fn message_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::invalid(
            StatusCode::BAD_REQUEST,
            "id",
            "id must be a positive integer".to_owned(),
        )
    })
}

/// The `to` filter of the list; any other parameter is refused.
fn to_filter(query: Option<&str>) -> Result<Option<String>, ApiError> {
    let mut to = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let unprocessable =
            |message: String| ApiError::invalid(StatusCode::UNPROCESSABLE_ENTITY, &name, message);
        if name != "to" {
            return Err(unprocessable(format!("unknown query parameter {name}")));
        }
        if to.is_some() {
            return Err(unprocessable("to may be given once".to_owned()));
        }
        if value.trim().is_empty() {
            return Err(unprocessable("to must be an address".to_owned()));
        }
        to = Some(value.trim().to_owned());
    }
    Ok(to)
}

/// `GET /mail/api/messages[?to=addr]`: `{"messages": [...]}`, newest first.
pub(super) async fn get_messages(State(shared): Sim, RawQuery(query): RawQuery) -> Response {
    match to_filter(query.as_deref()) {
        Ok(to) => {
            let messages = shared.lock().mail.list(to.as_deref());
            Json(json!({ "messages": messages })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /mail/api/messages/{id}`.
pub(super) async fn get_message(State(shared): Sim, Path(id): Path<String>) -> Response {
    let found = message_id(&id).and_then(|id| {
        let state = shared.lock();
        let stored = state.mail.get(id).ok_or_else(|| ApiError::not_found(id))?;
        Ok(stored.message.clone())
    });
    match found {
        Ok(message) => Json(message).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /mail/api/messages/{id}/raw`: the bytes as received (`message/rfc822`).
pub(super) async fn get_raw(State(shared): Sim, Path(id): Path<String>) -> Response {
    let found = message_id(&id).and_then(|id| {
        let state = shared.lock();
        let stored = state.mail.get(id).ok_or_else(|| ApiError::not_found(id))?;
        Ok(Arc::clone(&stored.raw))
    });
    match found {
        Ok(raw) => (
            [
                (header::CONTENT_TYPE, "message/rfc822"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            raw.as_ref().clone(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `DELETE /mail/api/messages`: empties the inbox, `{"deleted": n}`.
pub(super) async fn delete_messages(State(shared): Sim, RawQuery(query): RawQuery) -> Response {
    if let Some(name) = query
        .as_deref()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).next())
        .map(|(name, _)| name.into_owned())
    {
        let message = format!("unknown query parameter {name}");
        return ApiError::invalid(StatusCode::UNPROCESSABLE_ENTITY, &name, message).into_response();
    }
    let deleted = shared.lock().mail.clear();
    Json(json!({ "deleted": deleted })).into_response()
}

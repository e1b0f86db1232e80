//! JSON bodies: 415 without a JSON content type, 400 for malformed JSON, 422 naming the field
//! for a missing, unknown or mistyped field, 413 over the body limit.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body of type `T`. Request types use `#[serde(deny_unknown_fields)]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(format!("could not read the body: {e}"))
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Deserialises `bytes`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::BadRequest(format!("the body is not valid JSON: {inner}"));
        }
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        field_error(&path, message)
    })?;
    // One JSON value and nothing after it but whitespace: `{..}xyz` or `{..}{..}` is refused.
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// A 422 for a deserialisation `message` at `path`, naming the unknown or missing field
/// when the message is about one.
pub fn field_error(path: &str, message: String) -> ApiError {
    let field = unknown_field(&message)
        .map(|name| join(path, name))
        .unwrap_or_else(|| missing_field(&message).map_or(path.to_string(), |m| join(path, m)));
    ApiError::Validation { field, message }
}

fn join(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        name.to_string()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

fn unknown_field(message: &str) -> Option<&str> {
    quoted_after(message, "unknown field `")
}

fn missing_field(message: &str) -> Option<&str> {
    quoted_after(message, "missing field `")
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct In {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: u32,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse::<In>(body.as_bytes()).unwrap_err() {
            ApiError::Validation { field, message } => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(field_of(r#"{"items":[]}"#).0, "name");
        assert_eq!(field_of(r#"{"name":"a","items":[],"nme":1}"#).0, "nme");
        assert_eq!(
            field_of(r#"{"name":"a","items":[{"id":"x"}]}"#).0,
            "items[0].id"
        );
        assert_eq!(
            field_of(r#"{"name":"a","items":[{"id":1,"x":2}]}"#).0,
            "items[0].x"
        );
        assert!(matches!(
            parse::<In>(b"{not json"),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn refuses_anything_after_the_json_value() {
        for body in [
            r#"{"name":"a","items":[]}xyz"#,
            r#"{"name":"a","items":[]}{"name":"b","items":[]}"#,
            r#"{"name":"a","items":[]} trailing"#,
        ] {
            assert!(
                matches!(parse::<In>(body.as_bytes()), Err(ApiError::BadRequest(_))),
                "{body}"
            );
        }
        assert!(parse::<In>(b"{\"name\":\"a\",\"items\":[]}\n  ").is_ok());
    }
}

//! Cross-cutting request handling: request ids, metrics, and JSON bodies for every error.

pub mod json_errors;
pub mod metrics;
pub mod request_id;

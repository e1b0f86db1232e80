//! Request extractors that reject with the standard error shape.

pub mod client_ip;
pub mod current_user;
pub mod json;
pub mod query;

pub use client_ip::ClientIp;
pub use current_user::{CurrentUser, SESSION_COOKIE};
pub use json::ApiJson;
pub use query::ApiQuery;

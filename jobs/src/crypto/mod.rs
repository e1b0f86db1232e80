//! Secrets handling: password hashing, session tokens, and the token vault.

pub mod password;
pub mod session_token;
pub mod signed_request;
pub mod vault;

//! Secrets handling: password hashing and session tokens (and, later, the token vault).

pub mod password;
pub mod session_token;

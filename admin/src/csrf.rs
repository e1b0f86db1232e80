//! CSRF tokens. Signed-in forms carry a token derived from the session token (SHA-256 with a
//! domain prefix): unguessable without the session cookie, nothing extra to store, and it dies
//! with the session. The sign-in form, before any session, uses a double-submit token: a random
//! value in a short-lived `SameSite=Strict` cookie that the form must repeat. Checks are
//! constant-time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The CSRF token of the session with this token.
pub fn token_for(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "aistudio-admin-csrf:{session_token}"
    )))
}

/// Whether `given` equals `expected`, in constant time (an empty value never matches).
pub fn matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_per_session_and_checked_exactly() {
        let a = super::token_for("session-a");
        assert_eq!(a.len(), 64);
        assert_ne!(a, super::token_for("session-b"));
        assert!(super::matches(&a, &a.clone()));
        assert!(!super::matches(&a, &a[..63]));
        assert!(!super::matches(&a, ""));
        assert!(!super::matches("", ""));
    }
}

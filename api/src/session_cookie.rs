//! The session cookie: HttpOnly, SameSite=Lax (sent on top-level navigations such as an OAuth
//! redirect back to the dashboard, never on cross-site sub-requests), Secure outside local runs.

use axum::http::HeaderValue;

use crate::extract::SESSION_COOKIE;

/// `Set-Cookie` value that stores `token` for `max_age_secs`.
pub fn set(token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("session tokens are base64url")
}

/// `Set-Cookie` value that removes the cookie.
pub fn clear(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("static cookie")
}

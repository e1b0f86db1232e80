//! Meta's `signed_request` (deauthorize and data-deletion callbacks):
//! `<base64url HMAC-SHA256(app secret, encoded payload)>.<base64url JSON payload>`.
//!
//! The MAC is checked in constant time before the payload is read; the `algorithm` must be
//! `HMAC-SHA256`; `issued_at` must be recent (and not in the future) and `expires`, when present,
//! not past.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// Longest accepted `signed_request`.
const MAX_LEN: usize = 8192;
/// Clock skew tolerated for `issued_at` in the future.
const FUTURE_SKEW_SECS: i64 = 300;

/// Why a `signed_request` was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignedRequestError {
    /// Not `<signature>.<payload>` in base64url, or too long.
    #[error("malformed signed_request")]
    Malformed,
    /// The signature does not match the payload and the app secret.
    #[error("signature does not match")]
    BadSignature,
    /// The payload is not the expected JSON.
    #[error("malformed payload: {0}")]
    BadPayload(String),
    /// The algorithm is not HMAC-SHA256.
    #[error("unsupported algorithm {0:?}")]
    Algorithm(String),
    /// `issued_at` too old or in the future, or `expires` past.
    #[error("signed_request is expired or not yet valid")]
    Expired,
}

/// A verified payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The Instagram user the callback is about.
    pub user_id: String,
    /// When Meta signed it (Unix seconds).
    pub issued_at: i64,
    /// The signature, hex (used to refuse replays).
    pub signature_hex: String,
}

#[derive(Deserialize)]
struct Payload {
    algorithm: String,
    issued_at: i64,
    #[serde(default)]
    expires: Option<i64>,
    user_id: serde_json::Value,
}

fn decode(part: &str) -> Result<Vec<u8>, SignedRequestError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| SignedRequestError::Malformed)
}

/// Verifies `signed` with `app_secret` at time `now` (Unix seconds), accepting requests issued
/// at most `max_age_secs` ago.
pub fn verify(
    signed: &str,
    app_secret: &str,
    now: i64,
    max_age_secs: i64,
) -> Result<SignedRequest, SignedRequestError> {
    if signed.len() > MAX_LEN {
        return Err(SignedRequestError::Malformed);
    }
    let (signature, encoded) = signed
        .trim()
        .split_once('.')
        .ok_or(SignedRequestError::Malformed)?;
    if signature.is_empty() || encoded.is_empty() {
        return Err(SignedRequestError::Malformed);
    }
    let signature = decode(signature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .map_err(|_| SignedRequestError::BadSignature)?;
    mac.update(encoded.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| SignedRequestError::BadSignature)?;

    let payload: Payload = serde_json::from_slice(&decode(encoded)?)
        .map_err(|e| SignedRequestError::BadPayload(e.to_string()))?;
    if !payload.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(SignedRequestError::Algorithm(payload.algorithm));
    }
    if payload.issued_at > now + FUTURE_SKEW_SECS
        || now - payload.issued_at > max_age_secs
        || payload.expires.is_some_and(|e| e != 0 && e < now)
    {
        return Err(SignedRequestError::Expired);
    }
    let user_id = match payload.user_id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if user_id.is_empty() || !user_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(SignedRequestError::BadPayload("user_id".into()));
    }
    Ok(SignedRequest {
        user_id,
        issued_at: payload.issued_at,
        signature_hex: hex::encode(signature),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, payload: &str) -> String {
        let encoded = URL_SAFE_NO_PAD.encode(payload);
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(encoded.as_bytes());
        format!(
            "{}.{encoded}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    const NOW: i64 = 1_800_000_000;

    fn payload(algorithm: &str, issued_at: i64) -> String {
        format!(
            r#"{{"algorithm":"{algorithm}","issued_at":{issued_at},"user_id":"17841400000000001"}}"#
        )
    }

    #[test]
    fn accepts_a_genuine_request_with_or_without_padding() {
        let signed = sign("secret", &payload("HMAC-SHA256", NOW - 10));
        let ok = verify(&signed, "secret", NOW, 3600).unwrap();
        assert_eq!(ok.user_id, "17841400000000001");
        let (sig, body) = signed.split_once('.').unwrap();
        assert!(verify(&format!("{sig}=.{body}"), "secret", NOW, 3600).is_ok());
    }

    #[test]
    fn refuses_forged_tampered_malformed_and_stale_requests() {
        let genuine = sign("secret", &payload("HMAC-SHA256", NOW));
        assert_eq!(
            verify(&genuine, "other", NOW, 3600),
            Err(SignedRequestError::BadSignature)
        );
        let (sig, _) = genuine.split_once('.').unwrap();
        let swapped = format!(
            "{sig}.{}",
            URL_SAFE_NO_PAD.encode(payload("HMAC-SHA256", NOW + 1))
        );
        assert_eq!(
            verify(&swapped, "secret", NOW, 3600),
            Err(SignedRequestError::BadSignature)
        );
        for bad in ["", "nodot", ".x", "x.", "!!.??"] {
            assert!(verify(bad, "secret", NOW, 3600).is_err(), "{bad:?}");
        }
        let md5 = sign("secret", &payload("HMAC-MD5", NOW));
        assert_eq!(
            verify(&md5, "secret", NOW, 3600),
            Err(SignedRequestError::Algorithm("HMAC-MD5".into()))
        );
        let old = sign("secret", &payload("HMAC-SHA256", NOW - 7200));
        assert_eq!(
            verify(&old, "secret", NOW, 3600),
            Err(SignedRequestError::Expired)
        );
        let future = sign("secret", &payload("HMAC-SHA256", NOW + 3600));
        assert_eq!(
            verify(&future, "secret", NOW, 3600),
            Err(SignedRequestError::Expired)
        );
        let not_json = sign("secret", "not json");
        assert!(matches!(
            verify(&not_json, "secret", NOW, 3600),
            Err(SignedRequestError::BadPayload(_))
        ));
    }
}

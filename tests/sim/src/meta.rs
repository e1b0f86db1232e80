//! Meta's `signed_request` (deauthorize and data-deletion callbacks):
//! `base64url(HMAC-SHA256(app_secret, encoded_payload)) + "." + encoded_payload`, where
//! `encoded_payload = base64url(payload_json)`, both without padding.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A secret no real app uses, for forged requests.
const FORGER_SECRET: &str = "not-the-app-secret";

/// Signs a JSON payload with the app secret.
pub fn signed_request(app_secret: &str, payload: &Value) -> String {
    signed_request_raw(app_secret, &payload.to_string())
}

/// Signs a payload given as exact JSON text (for tests of odd payloads).
pub fn signed_request_raw(app_secret: &str, payload_json: &str) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(payload_json.as_bytes());
    format!(
        "{}.{encoded}",
        URL_SAFE_NO_PAD.encode(mac(app_secret, &encoded))
    )
}

/// A well-formed `signed_request` whose signature is made with the wrong key.
pub fn forged_signed_request(payload: &Value) -> String {
    signed_request(FORGER_SECRET, payload)
}

/// A `signed_request` whose payload was altered after signing (valid signature of another
/// payload).
pub fn tampered_signed_request(app_secret: &str, signed: &Value, delivered: &Value) -> String {
    let original = signed_request(app_secret, signed);
    let signature = original.split_once('.').map_or("", |(s, _)| s);
    format!(
        "{signature}.{}",
        URL_SAFE_NO_PAD.encode(delivered.to_string().as_bytes())
    )
}

/// The deauthorize callback payload.
pub fn deauthorize_payload(user_id: &str, issued_at: i64) -> Value {
    json!({"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": user_id})
}

/// The data-deletion callback payload.
pub fn data_deletion_payload(user_id: &str, issued_at: i64, expires: i64) -> Value {
    json!({
        "algorithm": "HMAC-SHA256",
        "expires": expires,
        "issued_at": issued_at,
        "user_id": user_id,
    })
}

/// Verifies a `signed_request` (constant-time MAC check, `HMAC-SHA256` only) and returns
/// its payload.
pub fn verify_signed_request(app_secret: &str, signed: &str) -> Option<Value> {
    let (signature, encoded) = signed.split_once('.')?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .ok()?;
    let mut mac = HmacSha256::new_from_slice(app_secret.as_bytes()).ok()?;
    mac.update(encoded.as_bytes());
    mac.verify_slice(&signature).ok()?;
    let payload = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    let payload: Value = serde_json::from_slice(&payload).ok()?;
    (payload.get("algorithm")?.as_str()? == "HMAC-SHA256").then_some(payload)
}

/// HMAC-SHA256 (it accepts keys of any length, so construction cannot fail).
fn mac(secret: &str, message: &str) -> Vec<u8> {
    HmacSha256::new_from_slice(secret.as_bytes())
        .map(|mut mac| {
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let payload = deauthorize_payload("17841400000000001", 1_700_000_000);
        let signed = signed_request("s3cret", &payload);
        assert!(!signed.contains('='));
        assert_eq!(
            verify_signed_request("s3cret", &signed),
            Some(payload.clone())
        );
        assert_eq!(verify_signed_request("other", &signed), None);
        assert_eq!(
            verify_signed_request("s3cret", &forged_signed_request(&payload)),
            None
        );
        let altered = deauthorize_payload("17841400000000002", 1_700_000_000);
        let tampered = tampered_signed_request("s3cret", &payload, &altered);
        assert_eq!(verify_signed_request("s3cret", &tampered), None);
        let other_algorithm = json!({"algorithm": "HMAC-SHA1", "user_id": "1"});
        let signed = signed_request("s3cret", &other_algorithm);
        assert_eq!(verify_signed_request("s3cret", &signed), None);
    }

    #[test]
    fn matches_independent_computation() {
        // HMAC-SHA256("key", "eyJhIjoxfQ") computed independently (openssl dgst -hmac).
        let signed = signed_request_raw("key", "{\"a\":1}");
        let (sig, payload) = signed.split_once('.').expect("two parts");
        assert_eq!(payload, "eyJhIjoxfQ");
        assert_eq!(sig, "ckdYcLfDwNsq1k1nn7dt1Xudxs1w1KuwcXzhkeoDGAo");
    }
}

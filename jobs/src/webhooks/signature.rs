//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` of
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed by the base64-decoded part of the endpoint's
//! `whsec_` secret.

use aistudio_config::{ExposeSecret, Secret};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix of every secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a new secret (Standard Webhooks allows 24 to 64).
const SECRET_BYTES: usize = 32;

/// The secret is not `whsec_` followed by base64.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the signing secret is malformed")]
pub struct MalformedSecret;

/// A new random secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> Secret {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    Secret::from(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` header value of one attempt.
pub fn sign(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, MalformedSecret> {
    let encoded = secret.expose_secret();
    let key = STANDARD
        .decode(encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded))
        .map_err(|_| MalformedSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| MalformedSecret)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries.
    #[test]
    fn signs_the_standard_webhooks_example() {
        let secret = Secret::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string());
        let signature = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_are_prefixed_random_32_bytes() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a.expose_secret(), b.expose_secret());
        let raw = a.expose_secret().strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(STANDARD.decode(raw).unwrap().len(), 32);
    }

    #[test]
    fn a_malformed_secret_is_refused() {
        let secret = Secret::from("whsec_not base64!".to_string());
        assert_eq!(sign(&secret, "id", 1, "{}"), Err(MalformedSecret));
    }
}

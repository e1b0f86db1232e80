//! Signed, expiring public URLs for videos: Instagram downloads videos from a URL, so the api
//! serves them at `/api/v1/public-media/{id}?expires=..&sig=..`. The signature is an HMAC of
//! the media id and expiry with a key derived from the current token key.

use aistudio_config::{ExposeSecret, SecuritySettings, decode_token_key};
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(settings: &SecuritySettings, media_id: &str, expires: i64) -> Option<Hmac<Sha256>> {
    let key = settings.token_keys.get(&settings.current_token_key)?;
    let key = decode_token_key(key.expose_secret()).ok()?;
    let mut derive = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    derive.update(b"aistudio public media url v1");
    let derived = derive.finalize().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(&derived).ok()?;
    mac.update(format!("{media_id}:{expires}").as_bytes());
    Some(mac)
}

/// The public URL of `media_id` valid until `expires` (Unix seconds).
pub fn sign_media_url(
    settings: &SecuritySettings,
    public_base_url: &str,
    media_id: &str,
    expires: i64,
) -> Option<String> {
    let signature = hex::encode(mac(settings, media_id, expires)?.finalize().into_bytes());
    Some(format!(
        "{}/api/v1/public-media/{media_id}?expires={expires}&sig={signature}",
        public_base_url.trim_end_matches('/')
    ))
}

/// Whether `signature` is valid for `media_id` and `expires`, and `expires` is after `now`.
pub fn verify_media_url(
    settings: &SecuritySettings,
    media_id: &str,
    expires: i64,
    signature: &str,
    now: i64,
) -> bool {
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    expires > now
        && mac(settings, media_id, expires).is_some_and(|m| m.verify_slice(&given).is_ok())
}

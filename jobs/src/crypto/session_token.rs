//! Session tokens: 256 random bits given to the client; only their SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new token: (the value for the client, the hash to store).
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = digest(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_256_bit_and_stored_only_as_their_hash() {
        let (token, hash) = super::generate();
        assert_eq!(token.len(), 43, "32 bytes in unpadded base64url");
        assert_eq!(hash.len(), 64);
        assert_ne!(token, hash);
        assert_eq!(super::digest(&token), hash);
        assert_ne!(super::generate().0, token);
    }
}

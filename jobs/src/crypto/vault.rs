//! The token vault: Instagram tokens sealed with AES-256-GCM.
//!
//! Every seal uses a fresh random 96-bit nonce and the current key (`security.current_token_key`);
//! the key id is stored with the ciphertext so older keys keep opening what they sealed until
//! [`Vault::reseal`] moves it to the current key. The connection id is the associated data: a
//! ciphertext copied onto another connection's row does not open. Keys live only in
//! configuration, never in MongoDB.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aistudio_config::{ExposeSecret, Secret, SecuritySettings, decode_token_key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::store::SealedToken;

/// Why a token could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    /// No current key is configured.
    #[error("no token key is configured (security.current_token_key)")]
    NoCurrentKey,
    /// A key in the settings is malformed.
    #[error("token key {0} is malformed")]
    BadKey(String),
    /// The ciphertext names a key that is not configured.
    #[error("token key {0} is not configured")]
    UnknownKey(String),
    /// Tampered ciphertext, wrong associated data (another row), or wrong key.
    #[error("token does not open: tampered, moved to another row, or sealed with another key")]
    Corrupt,
}

/// Seals and opens tokens. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    current: Option<String>,
    keys: BTreeMap<String, [u8; 32]>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Vault {
    /// A vault with the configured keys.
    pub fn new(settings: &SecuritySettings) -> Result<Self, VaultError> {
        let mut keys = BTreeMap::new();
        for (id, key) in &settings.token_keys {
            let bytes = decode_token_key(key.expose_secret())
                .map_err(|_| VaultError::BadKey(id.clone()))?;
            keys.insert(id.clone(), bytes);
        }
        let current = Some(settings.current_token_key.clone()).filter(|c| !c.is_empty());
        Ok(Self { current, keys })
    }

    /// The id of the key new seals use.
    pub fn current_key_id(&self) -> Option<&str> {
        self.current.as_deref()
    }

    fn cipher(&self, id: &str) -> Result<Aes256Gcm, VaultError> {
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_string()))?;
        Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::BadKey(id.to_string()))
    }

    /// Seals `token` for the row `connection_id` with the current key.
    pub fn seal(&self, token: &Secret, connection_id: &str) -> Result<SealedToken, VaultError> {
        let key_id = self.current.as_deref().ok_or(VaultError::NoCurrentKey)?;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher(key_id)?
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.expose_secret().as_bytes(),
                    aad: connection_id.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        Ok(SealedToken {
            key_id: key_id.to_string(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        })
    }

    /// Opens a token sealed for the row `connection_id`.
    pub fn open(&self, sealed: &SealedToken, connection_id: &str) -> Result<Secret, VaultError> {
        let nonce = STANDARD
            .decode(&sealed.nonce)
            .map_err(|_| VaultError::Corrupt)?;
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| VaultError::Corrupt)?;
        if nonce.len() != 12 {
            return Err(VaultError::Corrupt);
        }
        let plaintext = self
            .cipher(&sealed.key_id)?
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: connection_id.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        String::from_utf8(plaintext)
            .map(Secret::from)
            .map_err(|_| VaultError::Corrupt)
    }

    /// Whether `sealed` uses a key other than the current one.
    pub fn needs_reseal(&self, sealed: &SealedToken) -> bool {
        self.current.as_deref() != Some(sealed.key_id.as_str())
    }

    /// Opens with whichever key sealed it and seals again with the current key.
    pub fn reseal(
        &self,
        sealed: &SealedToken,
        connection_id: &str,
    ) -> Result<SealedToken, VaultError> {
        self.seal(&self.open(sealed, connection_id)?, connection_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(current: &str, keys: &[(&str, u8)]) -> Vault {
        Vault {
            current: Some(current.to_string()),
            keys: keys
                .iter()
                .map(|(id, b)| (id.to_string(), [*b; 32]))
                .collect(),
        }
    }

    fn token() -> Secret {
        Secret::from("IGAA-secret-token-value".to_string())
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let v = vault("k1", &[("k1", 1)]);
        let a = v.seal(&token(), "conn-1").unwrap();
        let b = v.seal(&token(), "conn-1").unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert!(!a.ciphertext.contains("IGAA"));
        assert_eq!(
            v.open(&a, "conn-1").unwrap().expose_secret(),
            "IGAA-secret-token-value"
        );
        assert_eq!(a.key_id, "k1");
    }

    #[test]
    fn tampering_is_detected() {
        let v = vault("k1", &[("k1", 1)]);
        let sealed = v.seal(&token(), "conn-1").unwrap();
        let mut bytes = STANDARD.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        let tampered = SealedToken {
            ciphertext: STANDARD.encode(bytes),
            ..sealed.clone()
        };
        assert_eq!(
            v.open(&tampered, "conn-1").unwrap_err(),
            VaultError::Corrupt
        );
        let other_nonce = SealedToken {
            nonce: STANDARD.encode([9u8; 12]),
            ..sealed
        };
        assert_eq!(
            v.open(&other_nonce, "conn-1").unwrap_err(),
            VaultError::Corrupt
        );
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_does_not_open() {
        let v = vault("k1", &[("k1", 1)]);
        let sealed = v.seal(&token(), "conn-1").unwrap();
        assert_eq!(v.open(&sealed, "conn-2").unwrap_err(), VaultError::Corrupt);
    }

    #[test]
    fn rotation_opens_old_seals_and_reseals_with_the_current_key() {
        let old = vault("k1", &[("k1", 1)]);
        let sealed = old.seal(&token(), "conn-1").unwrap();
        let rotated = vault("k2", &[("k1", 1), ("k2", 2)]);
        assert!(rotated.needs_reseal(&sealed));
        assert_eq!(
            rotated.open(&sealed, "conn-1").unwrap().expose_secret(),
            "IGAA-secret-token-value"
        );
        let resealed = rotated.reseal(&sealed, "conn-1").unwrap();
        assert_eq!(resealed.key_id, "k2");
        assert!(!rotated.needs_reseal(&resealed));
        let retired = vault("k2", &[("k2", 2)]);
        assert_eq!(
            retired.open(&resealed, "conn-1").unwrap().expose_secret(),
            "IGAA-secret-token-value"
        );
        assert_eq!(
            retired.open(&sealed, "conn-1").unwrap_err(),
            VaultError::UnknownKey("k1".into())
        );
    }
}

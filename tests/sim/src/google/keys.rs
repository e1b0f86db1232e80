//! The fixed RSA test keys (test-only, committed on purpose, never trusted anywhere real):
//! `keys/google-test-signing-key.pem` signs the simulator's Google id tokens and is published
//! in its JWKS; `keys/google-rogue-key.pem` signs forged tokens for negative tests.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::EncodingKey;

use crate::error::SimError;

const SIGNING_PEM: &str = include_str!("../../keys/google-test-signing-key.pem");
const ROGUE_PEM: &str = include_str!("../../keys/google-rogue-key.pem");

/// One key pair: the signing key and the public components for a JWK.
pub(crate) struct KeyPair {
    pub encoding: EncodingKey,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

/// The simulator's key and the rogue key.
pub(crate) struct Keys {
    pub signing: KeyPair,
    pub rogue: KeyPair,
}

/// Parsed once, on first use.
pub(crate) fn keys() -> Result<&'static Keys, SimError> {
    static KEYS: OnceLock<Result<Keys, String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Ok(Keys {
            signing: key_pair(SIGNING_PEM)?,
            rogue: key_pair(ROGUE_PEM)?,
        })
    })
    .as_ref()
    .map_err(|e| SimError::Signing(e.clone()))
}

fn key_pair(pem: &str) -> Result<KeyPair, String> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = STANDARD
        .decode(body.trim())
        .map_err(|e| format!("test key is not base64: {e}"))?;
    let (n, e) = rsa_public_components(&der).ok_or("test key is not a PKCS#1 RSA key")?;
    Ok(KeyPair {
        encoding: EncodingKey::from_rsa_der(&der),
        n: URL_SAFE_NO_PAD.encode(n),
        e: URL_SAFE_NO_PAD.encode(e),
    })
}

/// Modulus and public exponent of a PKCS#1 `RSAPrivateKey`
/// (`SEQUENCE { version, modulus, publicExponent, ... }`), without sign bytes.
fn rsa_public_components(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, sequence, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _version, rest) = tlv(sequence)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, modulus, rest) = tlv(rest)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, exponent, _) = tlv(rest)?;
    if tag != 0x02 {
        return None;
    }
    Some((strip_zeros(modulus), strip_zeros(exponent)))
}

/// One DER tag-length-value: (tag, value, rest).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *bytes.first()?;
    let first = *bytes.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in bytes.get(2..2 + count)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + count)
    };
    let value = bytes.get(header..header + len)?;
    Some((tag, value, &bytes[header + len..]))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_parse_and_differ() {
        let keys = super::keys().expect("test keys parse");
        assert_eq!(keys.signing.e, "AQAB");
        assert!(keys.signing.n.len() > 300);
        assert_ne!(keys.signing.n, keys.rogue.n);
    }
}

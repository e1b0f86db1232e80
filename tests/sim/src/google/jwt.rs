//! Signing Google-style id tokens: with the simulator's published key (valid tokens, or any
//! claims a negative test wants) or with the rogue key (forged tokens), and the JWKS.

use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use super::keys::{KeyPair, keys};
use crate::error::SimError;

/// `kid` of the simulator's signing key. Rogue tokens carry the same `kid`, so a verifier
/// must check the signature, not just find a key.
pub const GOOGLE_KEY_ID: &str = "aistudio-sim-google-1";

fn sign(pair: &KeyPair, claims: &Value) -> Result<String, SimError> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(GOOGLE_KEY_ID.to_owned());
    jsonwebtoken::encode(&header, claims, &pair.encoding)
        .map_err(|e| SimError::Signing(e.to_string()))
}

/// Signs arbitrary claims with the key published at the simulator's JWKS endpoint.
pub fn sign_google_claims(claims: &Value) -> Result<String, SimError> {
    sign(&keys()?.signing, claims)
}

/// Signs claims with a key that is not published anywhere (a forged id token).
pub fn sign_with_rogue_key(claims: &Value) -> Result<String, SimError> {
    sign(&keys()?.rogue, claims)
}

/// The JWKS document (`{"keys":[{kty,alg,use,kid,n,e}]}`) with the signing key.
pub fn google_jwks() -> Result<Value, SimError> {
    let pair = &keys()?.signing;
    Ok(json!({"keys": [{
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": GOOGLE_KEY_ID,
        "n": pair.n,
        "e": pair.e,
    }]}))
}

/// Standard id token claims for `user`, as the token endpoint issues them.
pub(crate) fn id_token_claims(
    issuer: &str,
    client_id: &str,
    user: &crate::config::GoogleUser,
    nonce: Option<&str>,
    scope: &str,
    now_secs: i64,
) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "azp": client_id,
        "aud": client_id,
        "sub": user.sub,
        "iat": now_secs,
        "exp": now_secs + 3600,
    });
    let scopes: Vec<&str> = scope.split(' ').collect();
    if let Value::Object(map) = &mut claims {
        if let Some(nonce) = nonce {
            map.insert("nonce".into(), nonce.into());
        }
        if scopes.contains(&"email") {
            map.insert("email".into(), user.email.clone().into());
            map.insert("email_verified".into(), user.email_verified.into());
        }
        if scopes.contains(&"profile") {
            add_profile(map, user);
        }
    }
    claims
}

/// `name`, `given_name`, `family_name`, `picture`.
pub(crate) fn add_profile(
    map: &mut serde_json::Map<String, Value>,
    user: &crate::config::GoogleUser,
) {
    map.insert("name".into(), user.name.clone().into());
    let (given, family) = user.name.split_once(' ').unwrap_or((&user.name, ""));
    map.insert("given_name".into(), given.into());
    if !family.is_empty() {
        map.insert("family_name".into(), family.into());
    }
    if let Some(picture) = &user.picture {
        map.insert("picture".into(), picture.clone().into());
    }
}

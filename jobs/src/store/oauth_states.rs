//! OAuth `state` values (with the PKCE verifier and nonce of Google sign-in) kept server-side:
//! short-lived and single-use. Only a hash of the state is stored, so a database read does not
//! yield a usable state.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::crypto::session_token;

pub(super) const COLLECTION: &str = "oauth_states";

/// Which flow a state belongs to; a state is only accepted by its own flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthPurpose {
    /// Sign in with Google.
    GoogleSignIn,
    /// Connect an Instagram account to a signed-in user.
    InstagramConnect,
}

/// A pending authorization.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OAuthState {
    /// SHA-256 (hex) of the state value.
    #[serde(rename = "_id")]
    pub state_hash: String,
    /// The flow.
    pub purpose: OAuthPurpose,
    /// The signed-in user the flow is bound to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// OpenID Connect nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// PKCE code verifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce_verifier: Option<String>,
    /// Unusable after this instant; the TTL index removes it later.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub expires_at: DateTime<Utc>,
}

/// What to remember about a new authorization.
#[derive(Debug, Clone, Default)]
pub struct NewOAuthState {
    /// The signed-in user, if the flow is bound to one.
    pub user_id: Option<String>,
    /// OpenID Connect nonce.
    pub nonce: Option<String>,
    /// PKCE code verifier.
    pub pkce_verifier: Option<String>,
}

/// Repository of [`OAuthState`]s.
#[derive(Debug, Clone)]
pub struct OAuthStates {
    collection: Collection<OAuthState>,
}

/// A random 256-bit URL-safe value (states, nonces).
pub fn random_value() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl OAuthStates {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Stores a new random state valid for `ttl`; returns the value to send to the provider.
    pub async fn create(
        &self,
        purpose: OAuthPurpose,
        new: NewOAuthState,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let state = random_value();
        self.create_with_value(purpose, &state, new, ttl).await?;
        Ok(state)
    }

    /// Stores `state` (a value from [`random_value`]) valid for `ttl`.
    pub async fn create_with_value(
        &self,
        purpose: OAuthPurpose,
        state: &str,
        new: NewOAuthState,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.collection
            .insert_one(OAuthState {
                state_hash: session_token::digest(state),
                purpose,
                user_id: new.user_id,
                nonce: new.nonce,
                pkce_verifier: new.pkce_verifier,
                expires_at: Utc::now() + ttl,
            })
            .await?;
        Ok(())
    }

    /// Consumes a state: returns it once if it exists, belongs to `purpose` and has not
    /// expired; never again.
    pub async fn take(
        &self,
        purpose: OAuthPurpose,
        state: &str,
    ) -> Result<Option<OAuthState>, StoreError> {
        if state.is_empty() || state.len() > 128 {
            return Ok(None);
        }
        let taken = self
            .collection
            .find_one_and_delete(doc! { "_id": session_token::digest(state) })
            .await?;
        Ok(taken.filter(|s| s.purpose == purpose && s.expires_at > Utc::now()))
    }

    /// Deletes every pending state of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

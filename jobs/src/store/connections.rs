//! Instagram connections: which Instagram professional account a user publishes to, its
//! (encrypted) token and its state.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Bson, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::compare_and_set::update_then_read;
use super::{StoreError, bson_now};

pub(super) const COLLECTION: &str = "connections";

/// Whether posts can be published through a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// The token works.
    Active,
    /// The token was refused (expired, revoked): the user must reconnect; posts are parked.
    NeedsReconnect,
    /// The user disconnected it (or Meta deauthorized the app): the token is deleted.
    Disconnected,
}

impl ConnectionStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disconnected => "disconnected",
        }
    }
}

/// A freshly issued token, sealed for its row, with its lifetime.
#[derive(Debug, Clone)]
pub struct TokenUpdate {
    /// The sealed token.
    pub token: SealedToken,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// A token sealed with AES-256-GCM: never stored in plaintext.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedToken {
    /// Id of the key (in `security.token_keys`) it was sealed with.
    pub key_id: String,
    /// The 96-bit nonce, base64.
    pub nonce: String,
    /// Ciphertext and tag, base64.
    pub ciphertext: String,
}

/// A stored connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Connection {
    /// Opaque id (also the associated data of the sealed token).
    #[serde(rename = "_id")]
    pub id: String,
    /// The AIStudio user.
    pub user_id: String,
    /// Instagram professional account id (used in publishing paths and Meta callbacks).
    pub ig_user_id: String,
    /// Instagram username, shown so the user knows where posts go.
    pub username: String,
    /// The long-lived token, sealed; absent once disconnected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SealedToken>,
    /// When the token expires.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub token_expires_at: Option<DateTime<Utc>>,
    /// When the token was issued or last refreshed.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub token_refreshed_at: Option<DateTime<Utc>>,
    /// State.
    pub status: ConnectionStatus,
    /// Created.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
}

/// Repository of [`Connection`]s.
#[derive(Debug, Clone)]
pub struct Connections {
    collection: Collection<Connection>,
}

impl Connections {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Inserts a connection; [`StoreError::Duplicate`] if the Instagram account is connected.
    pub async fn insert(&self, connection: &Connection) -> Result<(), StoreError> {
        self.collection.insert_one(connection).await?;
        Ok(())
    }

    /// The user's connection with this id (another user's id gives `None`).
    pub async fn by_id_for_user(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<Connection>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "user_id": user_id })
            .await?)
    }

    /// The connection of an Instagram account, whoever owns it.
    pub async fn by_ig_user_id(&self, ig_user_id: &str) -> Result<Option<Connection>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "ig_user_id": ig_user_id })
            .await?)
    }

    /// The connection with this id, whoever owns it (workers).
    pub async fn by_id(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// All connections of a user, oldest first.
    pub async fn list_for_user(&self, user_id: &str) -> Result<Vec<Connection>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "user_id": user_id })
            .sort(doc! { "created_at": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// Stores a new token on a connection and makes it active; the updated connection.
    pub async fn store_token(
        &self,
        id: &str,
        username: &str,
        update: &TokenUpdate,
    ) -> Result<Option<Connection>, StoreError> {
        update_then_read(
            &self.collection,
            doc! { "_id": id },
            doc! { "$set": {
                "token": token_bson(&update.token)?,
                "username": username,
                "token_expires_at": mongodb::bson::DateTime::from_chrono(update.expires_at),
                "token_refreshed_at": bson_now(),
                "status": "active",
                "updated_at": bson_now(),
            } },
        )
        .await
    }

    /// Replaces the token only if it is still the one that was refreshed (`previous`): a refresh
    /// that raced a reconnect or a disconnect never overwrites the newer state.
    pub async fn replace_token(
        &self,
        id: &str,
        previous: &SealedToken,
        update: &TokenUpdate,
    ) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "token.ciphertext": &previous.ciphertext },
                doc! { "$set": {
                    "token": token_bson(&update.token)?,
                    "token_expires_at": mongodb::bson::DateTime::from_chrono(update.expires_at),
                    "token_refreshed_at": bson_now(),
                    "updated_at": bson_now(),
                } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Re-seals in place (key rotation), only if the ciphertext is still `previous`.
    pub async fn reseal(
        &self,
        id: &str,
        previous: &SealedToken,
        resealed: &SealedToken,
    ) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "token.ciphertext": &previous.ciphertext },
                doc! { "$set": { "token": token_bson(resealed)?, "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Marks a connection whose token was refused; true if it was active.
    pub async fn mark_needs_reconnect(&self, id: &str) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "status": "active" },
                doc! { "$set": { "status": "needs_reconnect", "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Deletes the token at once and marks the connection disconnected.
    pub async fn disconnect(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        update_then_read(
            &self.collection,
            doc! { "_id": id },
            doc! {
                "$set": { "status": "disconnected", "updated_at": bson_now() },
                "$unset": { "token": "", "token_expires_at": "", "token_refreshed_at": "" },
            },
        )
        .await
    }

    /// Deletes one connection document; how many (0 or 1).
    pub async fn delete(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_one(doc! { "_id": id })
            .await?
            .deleted_count)
    }

    /// Active connections whose token expires before `expires_before` and was refreshed before
    /// `refreshed_before` (Instagram refuses to refresh a token younger than 24 hours).
    pub async fn due_for_refresh(
        &self,
        expires_before: DateTime<Utc>,
        refreshed_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Connection>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "status": "active",
                "token": { "$exists": true },
                "token_expires_at": { "$lt": mongodb::bson::DateTime::from_chrono(expires_before) },
                "token_refreshed_at": { "$lt": mongodb::bson::DateTime::from_chrono(refreshed_before) },
            })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Connections holding a token sealed with a key other than `current_key_id`.
    pub async fn sealed_with_other_keys(
        &self,
        current_key_id: &str,
        limit: i64,
    ) -> Result<Vec<Connection>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "token": { "$exists": true }, "token.key_id": { "$ne": current_key_id } })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Deletes every connection of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }

    /// The connections of an Instagram username (Instagram usernames are lower-case; a leading
    /// `@` is ignored), whoever owns them (admin console; a username can change hands).
    pub async fn by_username(&self, username: &str) -> Result<Vec<Connection>, StoreError> {
        let username = username.trim().trim_start_matches('@').to_lowercase();
        Ok(self
            .collection
            .find(doc! { "username": username })
            .limit(50)
            .await?
            .try_collect()
            .await?)
    }

    /// The connections with these ids (admin console listings).
    pub async fn by_ids(&self, ids: &[String]) -> Result<Vec<Connection>, StoreError> {
        Ok(self
            .collection
            .find(doc! { "_id": { "$in": ids } })
            .await?
            .try_collect()
            .await?)
    }
}

fn token_bson(token: &SealedToken) -> Result<Bson, StoreError> {
    mongodb::bson::to_bson(token).map_err(|e| StoreError::Encode(e.to_string()))
}

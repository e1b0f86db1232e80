//! Instagram connections: which Instagram professional account a user publishes to, its
//! (encrypted) token and its state.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::doc;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const COLLECTION: &str = "connections";

/// Whether posts can be published through a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// The token works.
    Active,
    /// The token was refused (expired, revoked): the user must reconnect; posts are parked.
    NeedsReconnect,
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

    /// Deletes every connection of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }
}

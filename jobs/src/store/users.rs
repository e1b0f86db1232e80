//! Users: who signs in, how, and with which role.

use chrono::{DateTime, Utc};
use mongodb::bson::{Bson, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::compare_and_set::update_then_read;
use super::{StoreError, bson_now};

pub(super) const COLLECTION: &str = "users";

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A customer.
    #[default]
    User,
    /// Read-only access to the admin console.
    Operator,
    /// Full access to the admin console, including actions.
    Admin,
}

impl Role {
    /// Parses `user`, `operator` or `admin`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "operator" => Some(Self::Operator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

/// Whether the account is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Normal.
    Active,
    /// Deletion requested: no sign-in, no publishing; the deletion job removes everything.
    Deleting,
}

/// A stored user. Only name, email, picture and Google's `sub` are kept about a person.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// Opaque id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Normalised email (unique).
    pub email: String,
    /// bcrypt hash, for email/password accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Google's subject id, for accounts that sign in with Google (unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_sub: Option<String>,
    /// Picture URL from Google.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Role.
    #[serde(default)]
    pub role: Role,
    /// Status.
    pub status: UserStatus,
    /// Created.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// When the owner proved the address `email` (an emailed link, a password reset, or
    /// Google's verified claim). Absent: not proven, including accounts made before
    /// verification existed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// Repository of [`User`]s.
#[derive(Debug, Clone)]
pub struct Users {
    collection: Collection<User>,
}

impl Users {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Inserts a user; [`StoreError::Duplicate`] when the email or Google id is taken.
    pub async fn insert(&self, user: &User) -> Result<(), StoreError> {
        self.collection.insert_one(user).await?;
        Ok(())
    }

    /// The user with this id.
    pub async fn by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// The user with this (normalised) email.
    pub async fn by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(self.collection.find_one(doc! { "email": email }).await?)
    }

    /// The user with this Google subject id.
    pub async fn by_google_sub(&self, sub: &str) -> Result<Option<User>, StoreError> {
        Ok(self.collection.find_one(doc! { "google_sub": sub }).await?)
    }

    /// Renames an active user; the updated user, or `None` if there is no such active user.
    pub async fn set_name(&self, id: &str, name: &str) -> Result<Option<User>, StoreError> {
        update_then_read(
            &self.collection,
            doc! { "_id": id, "status": "active" },
            doc! { "$set": { "name": name, "updated_at": bson_now() } },
        )
        .await
    }

    /// Replaces the password hash of an active user.
    pub async fn set_password_hash(&self, id: &str, hash: &str) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "status": "active" },
                doc! { "$set": { "password_hash": hash, "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Records that the owner of active account `id` proved the address `email`, if it is
    /// still the account's address and was not proven before; whether the account's address is
    /// now proven.
    pub async fn mark_email_verified(&self, id: &str, email: &str) -> Result<bool, StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id, "email": email, "status": "active", "email_verified_at": null },
                doc! { "$set": { "email_verified_at": bson_now(), "updated_at": bson_now() } },
            )
            .await?;
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "email": email, "status": "active" })
            .await?
            .is_some_and(|u| u.email_verified_at.is_some()))
    }

    /// Links a Google identity to an existing active account.
    pub async fn link_google(
        &self,
        id: &str,
        sub: &str,
        picture: Option<&str>,
    ) -> Result<Option<User>, StoreError> {
        let picture = picture.map_or(Bson::Null, |p| Bson::String(p.to_string()));
        update_then_read(
            &self.collection,
            doc! { "_id": id, "status": "active" },
            doc! { "$set": { "google_sub": sub, "picture": picture, "updated_at": bson_now() } },
        )
        .await
    }

    /// Sets the role of the user with this email; the updated user, if any.
    pub async fn set_role(&self, email: &str, role: Role) -> Result<Option<User>, StoreError> {
        let Some(user) = self.by_email(email).await? else {
            return Ok(None);
        };
        update_then_read(
            &self.collection,
            doc! { "_id": &user.id, "email": email },
            doc! { "$set": { "role": role.as_str(), "updated_at": bson_now() } },
        )
        .await
    }

    /// Marks the account as being deleted; true only for the request that changed it.
    pub async fn mark_deleting(&self, id: &str) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "status": "active" },
                doc! { "$set": { "status": "deleting", "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Removes the user document; how many were removed (0 or 1).
    pub async fn delete(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_one(doc! { "_id": id })
            .await?
            .deleted_count)
    }

    /// The users with these ids (admin console listings).
    pub async fn by_ids(&self, ids: &[String]) -> Result<Vec<User>, StoreError> {
        use futures::TryStreamExt;
        Ok(self
            .collection
            .find(doc! { "_id": { "$in": ids } })
            .await?
            .try_collect()
            .await?)
    }
}

//! Per-user notification preferences: for each kind and channel, on or off. Only what a user
//! changed is stored; everything else follows the kind's default. Essential kinds (the deletion
//! receipt) cannot be changed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::{Channel, NotificationKind};

/// Keyed by the user id, the only way it is read: it needs no index of its own.
pub(super) const COLLECTION: &str = "notification_preferences";

/// What a user chose, kind by kind (`kind -> channel -> on`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotificationPreferences {
    /// The user.
    #[serde(rename = "_id")]
    pub user_id: String,
    /// The choices made, by kind name and channel name.
    #[serde(default)]
    pub choices: BTreeMap<String, BTreeMap<String, bool>>,
    /// Last changed.
    #[serde(
        default,
        with = "bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

impl NotificationPreferences {
    /// Whether `channel` delivers `kind` for this user.
    pub fn wants(&self, kind: NotificationKind, channel: Channel) -> bool {
        if !kind.offers(channel) {
            return false;
        }
        if kind.is_essential() {
            return kind.default_on(channel);
        }
        self.choices
            .get(kind.as_str())
            .and_then(|c| c.get(channel.as_str()))
            .copied()
            .unwrap_or_else(|| kind.default_on(channel))
    }
}

/// One choice to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreferenceChoice {
    /// The kind (not an essential one).
    pub kind: NotificationKind,
    /// The channel.
    pub channel: Channel,
    /// On or off.
    pub on: bool,
}

/// Repository of [`NotificationPreferences`].
#[derive(Debug, Clone)]
pub struct NotificationPreferencesStore {
    collection: Collection<NotificationPreferences>,
}

impl NotificationPreferencesStore {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// A user's preferences (the defaults when they never chose).
    pub async fn for_user(&self, user_id: &str) -> Result<NotificationPreferences, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": user_id })
            .await?
            .unwrap_or_else(|| NotificationPreferences {
                user_id: user_id.to_string(),
                ..Default::default()
            }))
    }

    /// Stores `choices` in one write; the preferences after it.
    pub async fn choose(
        &self,
        user_id: &str,
        choices: &[PreferenceChoice],
    ) -> Result<NotificationPreferences, StoreError> {
        let mut set = doc! { "updated_at": bson::DateTime::now() };
        for c in choices.iter().filter(|c| !c.kind.is_essential()) {
            set.insert(
                format!("choices.{}.{}", c.kind.as_str(), c.channel.as_str()),
                c.on,
            );
        }
        self.collection
            .update_one(doc! { "_id": user_id }, doc! { "$set": set })
            .upsert(true)
            .await?;
        self.for_user(user_id).await
    }

    /// Deletes a user's preferences (account deletion); how many documents (0 or 1).
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "_id": user_id })
            .await?
            .deleted_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_override_defaults_except_for_essential_kinds() {
        let mut prefs = NotificationPreferences::default();
        assert!(prefs.wants(NotificationKind::PostFailed, Channel::Email));
        assert!(!prefs.wants(NotificationKind::PostPublished, Channel::InApp));
        prefs.choices.insert(
            "post_failed".into(),
            BTreeMap::from([("email".into(), false)]),
        );
        prefs.choices.insert(
            "account_deleted".into(),
            BTreeMap::from([("email".into(), false)]),
        );
        assert!(!prefs.wants(NotificationKind::PostFailed, Channel::Email));
        assert!(prefs.wants(NotificationKind::PostFailed, Channel::InApp));
        assert!(prefs.wants(NotificationKind::AccountDeleted, Channel::Email));
        assert!(!prefs.wants(NotificationKind::AccountDeleted, Channel::InApp));
    }
}

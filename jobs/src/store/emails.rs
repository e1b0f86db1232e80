//! The email outbox: one document per email to send, keyed by the event that causes it, so an
//! event never sends two. The email job claims a document with a lease, sends, and records the
//! outcome; temporary SMTP failures are retried later, permanent ones fail the email visibly.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{self, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{StoreError, outbox_lease};
use crate::domain::NotificationKind;

pub(super) const COLLECTION: &str = "emails";

/// What an email says; rendered when it is sent, from the records it names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EmailContent {
    /// A link to choose a new password.
    PasswordReset {
        /// The reset (its token is made when the email is sent).
        reset_id: String,
    },
    /// A link to confirm the account's email address.
    EmailVerification {
        /// The verification (its token is made when the email is sent).
        verification_id: String,
    },
    /// The password was changed (by a reset or in the account settings).
    PasswordChanged {
        /// When.
        #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
        changed_at: DateTime<Utc>,
    },
    /// An account notification, with everything it says (so it is sent as raised, even when
    /// the account is erased meanwhile: the deletion receipt).
    Notification {
        /// What happened (decides the unsubscribe link).
        #[serde(rename = "notification")]
        kind: NotificationKind,
        /// The account holder's name when it was raised.
        name: String,
        /// One line (the subject).
        title: String,
        /// What it means and what to do, in plain words.
        details: String,
        /// Where to act: a path below the public base URL.
        link: String,
    },
    /// Deliveries to a webhook endpoint were turned off because they kept failing.
    WebhookDisabled {
        /// The endpoint.
        endpoint_id: String,
        /// Its URL when it was turned off.
        url: String,
        /// Why, in words.
        reason: String,
    },
}

impl EmailContent {
    /// The kind, as stored and in logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::EmailVerification { .. } => "email_verification",
            Self::PasswordChanged { .. } => "password_changed",
            Self::Notification { kind, .. } => kind.as_str(),
            Self::WebhookDisabled { .. } => "webhook_disabled",
        }
    }
}

/// Where an email stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up: refused for good, or still failing after every attempt.
    Failed,
}

/// One email to send.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Email {
    /// The event that causes it, e.g. `password_reset:<reset id>`: one email per event.
    #[serde(rename = "_id")]
    pub id: String,
    /// The account it is about.
    pub user_id: String,
    /// The address on file when the event happened.
    pub to: String,
    /// What it says.
    pub content: EmailContent,
    /// Where it stands.
    pub status: EmailStatus,
    /// Attempts started so far.
    pub attempts: u32,
    /// Not attempted before this instant.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub next_attempt_at: DateTime<Utc>,
    /// An attempt in progress holds the email until then.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub lease_until: Option<DateTime<Utc>>,
    /// Created.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Accepted by the SMTP server.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl Email {
    /// A new email for `event`, to send now.
    pub fn new(event: String, user_id: &str, to: &str, content: EmailContent) -> Self {
        let now = Utc::now();
        Self {
            id: event,
            user_id: user_id.to_string(),
            to: to.to_string(),
            content,
            status: EmailStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            created_at: now,
            sent_at: None,
            last_error: None,
        }
    }
}

/// Repository of [`Email`]s.
#[derive(Debug, Clone)]
pub struct Emails {
    collection: Collection<Email>,
}

impl Emails {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Stores `email` unless its event already has one; whether it was stored.
    pub async fn insert_once(&self, email: &Email) -> Result<bool, StoreError> {
        match self.collection.insert_one(email).await {
            Ok(_) => Ok(true),
            Err(e) => match StoreError::from(e) {
                StoreError::Duplicate => Ok(false),
                other => Err(other),
            },
        }
    }

    /// The email of `id`.
    pub async fn by_id(&self, id: &str) -> Result<Option<Email>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// Takes a pending, due email that no attempt holds, for `lease`, counting the attempt.
    pub async fn claim(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<Email>, StoreError> {
        outbox_lease::claim(&self.collection, id, now, lease).await
    }

    /// Records that the SMTP server accepted the email.
    pub async fn mark_sent(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.finish(
            id,
            doc! { "status": "sent", "sent_at": bson::DateTime::from_chrono(at) },
        )
        .await
    }

    /// Records a temporary failure; the next attempt is not before `next_at`.
    pub async fn retry_later(
        &self,
        id: &str,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.finish(
            id,
            doc! { "next_attempt_at": bson::DateTime::from_chrono(next_at), "last_error": error },
        )
        .await
    }

    /// Gives the email up, with the reason.
    pub async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        self.finish(id, doc! { "status": "failed", "last_error": error })
            .await
    }

    async fn finish(&self, id: &str, mut set: bson::Document) -> Result<(), StoreError> {
        set.insert("lease_until", bson::Bson::Null);
        self.collection
            .update_one(
                doc! { "_id": id, "status": "pending" },
                doc! { "$set": set },
            )
            .await?;
        Ok(())
    }

    /// Pending emails whose attempt is due, with their attempt counts (for the sweep that
    /// queues again what Redis lost), oldest first.
    pub async fn due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(String, u32)>, StoreError> {
        outbox_lease::due(&self.collection, now, limit).await
    }

    /// Deletes every email of a user (account deletion) except the deletion receipt, which is
    /// sent after the account is gone; how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! {
                "user_id": user_id,
                "content.notification": { "$ne": NotificationKind::AccountDeleted.as_str() },
            })
            .await?
            .deleted_count)
    }

    /// Removes the address and account id of a finished email (the deletion receipt, whose
    /// account no longer exists).
    pub async fn forget_recipient(&self, id: &str) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id, "status": { "$ne": "pending" } },
                doc! { "$set": { "to": "", "user_id": "", "content.name": "" } },
            )
            .await?;
        Ok(())
    }
}

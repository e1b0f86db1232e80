//! Raising an account event: the one function every transition point calls.

use chrono::Utc;

use super::AccountEvent;
use crate::domain::Channel;
use crate::queue::Queue;
use crate::store::{Email, EmailContent, NotificationPreferences, Store, StoreError};
use crate::tasks::send_email::{EmailJobError, SendEmail};

/// Raising an event failed (the caller's job is retried, and raising again is harmless).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Queuing the email failed.
    #[error(transparent)]
    Email(#[from] EmailJobError),
}

/// What raising an event did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Raised {
    /// The in-app notification was stored now (not already there, wanted by the user).
    pub in_app: bool,
    /// The email was written to the outbox now.
    pub email: bool,
}

/// Notifies the event's user as their preferences say: stores the in-app notification and
/// writes and queues the email, each at most once per event key.
pub async fn raise(
    store: &Store,
    queue: &Queue,
    event: &AccountEvent,
) -> Result<Raised, NotifyError> {
    let prefs = store
        .notification_preferences()
        .for_user(&event.user_id)
        .await?;
    raise_as(store, queue, event, &prefs).await
}

/// [`raise`] with the user's preferences already read (the publisher reads them with the post).
#[tracing::instrument(skip_all, fields(user_id = %event.user_id, kind = event.kind.as_str()))]
pub async fn raise_as(
    store: &Store,
    queue: &Queue,
    event: &AccountEvent,
    prefs: &NotificationPreferences,
) -> Result<Raised, NotifyError> {
    let mut raised = Raised::default();
    if prefs.wants(event.kind, Channel::InApp) {
        raised.in_app = store
            .notifications()
            .insert_once(&event.notification(Utc::now()))
            .await?;
    }
    if prefs.wants(event.kind, Channel::Email)
        && let Some(user) = store.users().by_id(&event.user_id).await?
    {
        let email = Email::new(
            event.key.clone(),
            &user.id,
            &user.email,
            EmailContent::Notification {
                kind: event.kind,
                name: user.name.clone(),
                title: event.title.clone(),
                details: event.details.clone(),
                link: event.link.clone(),
            },
        );
        raised.email = SendEmail::submit(store, queue, email).await?;
    }
    if raised.in_app || raised.email {
        metrics::counter!("aistudio_notifications_raised_total", "kind" => event.kind.as_str())
            .increment(1);
        tracing::info!(
            in_app = raised.in_app,
            email = raised.email,
            "notification raised"
        );
    }
    Ok(raised)
}

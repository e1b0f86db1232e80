//! What happened, to whom, about what: one account event, ready to notify.

use chrono::{DateTime, Utc};

use super::plain_words;
use crate::domain::NotificationKind;
use crate::store::{Connection, Notification, Post};

/// One account event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    /// What happened.
    pub kind: NotificationKind,
    /// Identifies the event: raising the same key again notifies nobody twice.
    pub key: String,
    /// The account.
    pub user_id: String,
    /// The post or connection it is about (the deletion request for the receipt).
    pub object_id: String,
    /// One line.
    pub title: String,
    /// What it means and what to do, in plain words.
    pub details: String,
    /// Where in the dashboard to act (a path below `/app/`).
    pub link: String,
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "no time set".into(),
        |at| at.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The caption's start, to recognise the post by.
fn caption_start(post: &Post) -> String {
    let caption = post.content.caption.trim();
    if caption.is_empty() {
        return "a post without a caption".into();
    }
    let start: String = caption.chars().take(60).collect();
    if start.len() < caption.len() {
        format!("\"{start}…\"")
    } else {
        format!("\"{start}\"")
    }
}

impl AccountEvent {
    /// `post` failed (as stored after the change: its version names this failure).
    pub fn post_failed(post: &Post) -> Self {
        Self {
            kind: NotificationKind::PostFailed,
            key: format!("post_failed:{}:{}", post.id, post.version),
            user_id: post.user_id.clone(),
            object_id: post.id.clone(),
            title: "A post could not be published".into(),
            details: format!(
                "Your post {} scheduled for {} was not published. {}",
                caption_start(post),
                when(post.content.scheduled_at),
                plain_words::failure(post.failure_reason.as_deref())
            ),
            link: format!("/app/posts/{}", post.id),
        }
    }

    /// `post` is parked until its Instagram account is reconnected.
    pub fn post_parked(post: &Post) -> Self {
        let parking = post.parked_at.map_or_else(
            || format!("v{}", post.version),
            |at| at.timestamp_millis().to_string(),
        );
        Self {
            kind: NotificationKind::PostNeedsReconnect,
            key: format!("post_needs_reconnect:{}:{parking}", post.id),
            user_id: post.user_id.clone(),
            object_id: post.id.clone(),
            title: "Reconnect Instagram to publish your post".into(),
            details: format!(
                "Instagram no longer accepts AIStudio's access to your account, so your post {} \
                 scheduled for {} is waiting. Reconnect Instagram on the dashboard's overview and it will be \
                 published (at once if its time has passed).",
                caption_start(post),
                when(post.content.scheduled_at),
            ),
            link: "/app/".into(),
        }
    }

    /// `post` went live.
    pub fn post_published(post: &Post) -> Self {
        Self {
            kind: NotificationKind::PostPublished,
            key: format!("post_published:{}", post.id),
            user_id: post.user_id.clone(),
            object_id: post.id.clone(),
            title: "Your post was published".into(),
            details: format!("Your post {} is live on Instagram.", caption_start(post)),
            link: format!("/app/posts/{}", post.id),
        }
    }

    /// The token of `connection` could not be renewed and expires at `expires_at`.
    pub fn token_expiring(connection: &Connection, expires_at: DateTime<Utc>) -> Self {
        let generation = connection.token.as_ref().map_or("", |t| t.nonce.as_str());
        Self {
            kind: NotificationKind::TokenExpiring,
            key: format!("token_expiring:{}:{generation}", connection.id),
            user_id: connection.user_id.clone(),
            object_id: connection.id.clone(),
            title: format!("Instagram access for @{} ends soon", connection.username),
            details: format!(
                "AIStudio could not renew its access to your Instagram account @{}. It ends on \
                 {}; after that, scheduled posts wait until you reconnect. Reconnect Instagram \
                 on the dashboard's overview now to keep publishing without a break.",
                connection.username,
                when(Some(expires_at)),
            ),
            link: "/app/".into(),
        }
    }

    /// The account of `user_id` was deleted (the receipt, emailed before the account is
    /// erased); `code` is the deletion request's id, which is also the receipt code.
    pub fn account_deleted(user_id: &str, code: &str) -> Self {
        Self {
            kind: NotificationKind::AccountDeleted,
            key: format!("account_deleted:{code}"),
            user_id: user_id.to_string(),
            object_id: code.to_string(),
            title: "Your AIStudio account was deleted".into(),
            details: format!(
                "Your AIStudio account and everything in it (posts, media, Instagram \
                 connections, notifications and settings) were deleted at your request. Your \
                 receipt code is {code}; the status page of the deletion confirms when it \
                 was completed."
            ),
            link: format!("/deletion-status/{code}"),
        }
    }

    /// The id of this event's in-app notification: derived from the key.
    pub fn notification_id(&self) -> String {
        crate::crypto::session_token::digest(&self.key)
    }

    /// The in-app notification of this event, raised `at`.
    pub fn notification(&self, at: DateTime<Utc>) -> Notification {
        Notification {
            id: self.notification_id(),
            event: self.key.clone(),
            user_id: self.user_id.clone(),
            kind: self.kind,
            title: self.title.clone(),
            body: self.details.clone(),
            object_id: self.object_id.clone(),
            link: self.link.clone(),
            created_at: at,
            read_at: None,
        }
    }
}

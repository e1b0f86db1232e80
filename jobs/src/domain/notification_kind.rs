//! What a notification is about, and where it can be delivered.

use serde::{Deserialize, Serialize};

/// The kinds of account events users are notified of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A post could not be published.
    PostFailed,
    /// A post is parked until the Instagram account is reconnected.
    PostNeedsReconnect,
    /// An Instagram token could not be renewed and expires soon.
    TokenExpiring,
    /// A post went live.
    PostPublished,
    /// The account and its data were deleted (the receipt; always emailed).
    AccountDeleted,
}

/// Where a notification is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The dashboard's notification center.
    InApp,
    /// An email to the address on file.
    Email,
}

impl Channel {
    /// Both channels.
    pub const ALL: [Self; 2] = [Self::InApp, Self::Email];

    /// The channel's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Email => "email",
        }
    }

    /// Parses a channel name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::PostFailed,
        Self::PostNeedsReconnect,
        Self::TokenExpiring,
        Self::PostPublished,
        Self::AccountDeleted,
    ];

    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PostFailed => "post_failed",
            Self::PostNeedsReconnect => "post_needs_reconnect",
            Self::TokenExpiring => "token_expiring",
            Self::PostPublished => "post_published",
            Self::AccountDeleted => "account_deleted",
        }
    }

    /// Parses a kind name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Essential kinds are always emailed, cannot be turned off and carry no unsubscribe link.
    pub fn is_essential(self) -> bool {
        self == Self::AccountDeleted
    }

    /// Whether `channel` delivers this kind for a user who has not chosen.
    pub fn default_on(self, channel: Channel) -> bool {
        match self {
            Self::PostFailed | Self::PostNeedsReconnect | Self::TokenExpiring => true,
            Self::PostPublished => false,
            Self::AccountDeleted => channel == Channel::Email,
        }
    }

    /// Whether the kind can reach `channel` at all (the deletion receipt has no account left
    /// to show it in).
    pub fn offers(self, channel: Channel) -> bool {
        !(self == Self::AccountDeleted && channel == Channel::InApp)
    }

    /// What the kind is, for the preferences page.
    pub fn label(self) -> &'static str {
        match self {
            Self::PostFailed => "A post could not be published",
            Self::PostNeedsReconnect => "A post waits until Instagram is reconnected",
            Self::TokenExpiring => "Instagram access could not be renewed and ends soon",
            Self::PostPublished => "A post was published",
            Self::AccountDeleted => "Account deletion receipt",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_follow_the_product_rules() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                mongodb::bson::to_bson(&kind).unwrap(),
                mongodb::bson::Bson::String(kind.as_str().into())
            );
        }
        assert_eq!(NotificationKind::parse("post_deleted"), None);
        assert_eq!(Channel::parse("sms"), None);
        assert!(!NotificationKind::PostPublished.default_on(Channel::Email));
        assert!(!NotificationKind::PostPublished.default_on(Channel::InApp));
        assert!(NotificationKind::PostFailed.default_on(Channel::Email));
        assert!(NotificationKind::AccountDeleted.is_essential());
        assert!(!NotificationKind::AccountDeleted.offers(Channel::InApp));
    }
}

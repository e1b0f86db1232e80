//! What a webhook says: the event types, their payloads, and event ids.
//!
//! An event's id is derived from the transition that raised it (`post.failed:<post>:<version>`),
//! so a step that runs again after a crash raises the same event, and it is delivered once.
//! The payload is `{"type", "timestamp", "data"}` (the Standard Webhooks shape); `data` has one
//! documented shape per type.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Connection, ConnectionStatus, Post};

/// The kinds of event an endpoint can subscribe to (and the test event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// A post was published on Instagram.
    #[serde(rename = "post.published")]
    PostPublished,
    /// A post failed and will not be published.
    #[serde(rename = "post.failed")]
    PostFailed,
    /// Instagram refused a connection's token: reconnect it to resume its posts.
    #[serde(rename = "connection.needs_reconnect")]
    ConnectionNeedsReconnect,
    /// A connection was disconnected (by its owner or by removing the app in Instagram).
    #[serde(rename = "connection.disconnected")]
    ConnectionDisconnected,
    /// Sent on request to one endpoint, to try it.
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    /// The types an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 4] = [
        Self::PostPublished,
        Self::PostFailed,
        Self::ConnectionNeedsReconnect,
        Self::ConnectionDisconnected,
    ];

    /// The name, as in payloads and subscriptions.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PostPublished => "post.published",
            Self::PostFailed => "post.failed",
            Self::ConnectionNeedsReconnect => "connection.needs_reconnect",
            Self::ConnectionDisconnected => "connection.disconnected",
            Self::WebhookTest => "webhook.test",
        }
    }

    /// A subscribable type by name.
    pub fn subscribable(name: &str) -> Option<Self> {
        Self::SUBSCRIBABLE.into_iter().find(|t| t.as_str() == name)
    }
}

/// `data` of `post.published`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostPublishedData {
    /// The post.
    pub post_id: String,
    /// Always `published`.
    pub status: String,
    /// The Instagram connection it was published to.
    pub connection_id: String,
    /// That account's Instagram username.
    pub username: String,
    /// Instagram's media id (absent when Instagram did not name it).
    pub ig_media_id: Option<String>,
    /// The post on Instagram (absent when Instagram did not give it).
    pub permalink: Option<String>,
    /// When it went live.
    pub published_at: Option<DateTime<Utc>>,
}

/// `data` of `post.failed`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostFailedData {
    /// The post.
    pub post_id: String,
    /// Always `failed`.
    pub status: String,
    /// The Instagram connection it was for.
    pub connection_id: String,
    /// That account's Instagram username (absent if the connection is gone).
    pub username: Option<String>,
    /// Why, for a person.
    pub reason: String,
}

/// `data` of `connection.needs_reconnect` and `connection.disconnected`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionData {
    /// The connection.
    pub connection_id: String,
    /// The Instagram professional account id.
    pub ig_user_id: String,
    /// Its Instagram username.
    pub username: String,
    /// `needs_reconnect` or `disconnected`.
    pub status: String,
}

/// `data` of `webhook.test`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestData {
    /// The endpoint the test was sent to.
    pub endpoint_id: String,
    /// A fixed sentence saying this is a test.
    pub message: String,
}

/// One event, ready to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_` and 32 hex digits, derived from the transition: the `webhook-id` of every
    /// delivery and retry of this event.
    pub id: String,
    /// Its type.
    pub kind: EventType,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The type's `data`.
    pub data: serde_json::Value,
}

/// The JSON body of a delivery.
#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: &'a serde_json::Value,
}

impl Event {
    /// The event of the transition named `key` (e.g. `post.failed:<post id>:<version>`).
    pub fn new(key: &str, kind: EventType, at: DateTime<Utc>, data: impl Serialize) -> Self {
        Self {
            id: event_id(key),
            kind,
            at,
            data: serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
        }
    }

    /// `post.published` of `post_id` (one per post version).
    pub fn post_published(version: i64, data: PostPublishedData) -> Self {
        let key = format!("post.published:{}:{version}", data.post_id);
        Self::new(&key, EventType::PostPublished, Utc::now(), data)
    }

    /// `post.failed` of `post_id` (one per post version).
    pub fn post_failed(version: i64, data: PostFailedData) -> Self {
        let key = format!("post.failed:{}:{version}", data.post_id);
        Self::new(&key, EventType::PostFailed, Utc::now(), data)
    }

    /// A connection event; `generation` names the token it is about (its issue time), so one
    /// token raises each event once.
    pub fn connection(kind: EventType, generation: i64, data: ConnectionData) -> Self {
        let key = format!("{}:{}:{generation}", kind.as_str(), data.connection_id);
        Self::new(&key, kind, Utc::now(), data)
    }

    /// `post.published` of a settled post, published through `connection`.
    pub fn published(post: &Post, connection_id: &str, connection: Option<&Connection>) -> Self {
        Self::post_published(
            post.version,
            PostPublishedData {
                post_id: post.id.clone(),
                status: "published".into(),
                connection_id: connection_id.to_string(),
                username: connection.map(|c| c.username.clone()).unwrap_or_default(),
                ig_media_id: post.ig_media_id.clone(),
                permalink: post.permalink.clone(),
                published_at: post.published_at,
            },
        )
    }

    /// `post.failed` of version `version` of a post, for `reason`.
    pub fn failed(
        post_id: &str,
        version: i64,
        connection_id: &str,
        connection: Option<&Connection>,
        reason: &str,
    ) -> Self {
        Self::post_failed(
            version,
            PostFailedData {
                post_id: post_id.to_string(),
                status: "failed".into(),
                connection_id: connection_id.to_string(),
                username: connection.map(|c| c.username.clone()),
                reason: reason.to_string(),
            },
        )
    }

    /// `connection.needs_reconnect` or `connection.disconnected` of `connection` as it was
    /// before the change (its token names the transition).
    pub fn connection_changed(kind: EventType, before: &Connection) -> Self {
        let status = match kind {
            EventType::ConnectionDisconnected => ConnectionStatus::Disconnected,
            _ => ConnectionStatus::NeedsReconnect,
        };
        let generation = before
            .token_refreshed_at
            .unwrap_or(before.created_at)
            .timestamp_millis();
        Self::connection(
            kind,
            generation,
            ConnectionData {
                connection_id: before.id.clone(),
                ig_user_id: before.ig_user_id.clone(),
                username: before.username.clone(),
                status: status.as_str().to_string(),
            },
        )
    }

    /// The body sent: `{"type", "timestamp", "data"}`.
    pub fn body(&self) -> String {
        serde_json::to_string(&Payload {
            kind: self.kind.as_str(),
            timestamp: self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            data: &self.data,
        })
        .unwrap_or_default()
    }
}

/// `evt_` and the first 16 bytes of the SHA-256 of `key`, in hex.
pub fn event_id(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("evt_{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_transition_gives_the_same_id_and_another_gives_another() {
        let data = |post: &str| PostFailedData {
            post_id: post.into(),
            status: "failed".into(),
            connection_id: "c1".into(),
            username: None,
            reason: "r".into(),
        };
        let a = Event::post_failed(3, data("p1"));
        let again = Event::post_failed(3, data("p1"));
        assert_eq!(a.id, again.id);
        assert!(a.id.starts_with("evt_") && a.id.len() == 36);
        assert_ne!(a.id, Event::post_failed(4, data("p1")).id);
        assert_ne!(a.id, Event::post_failed(3, data("p2")).id);
    }

    #[test]
    fn the_body_has_type_timestamp_and_data() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = Event::new(
            "k",
            EventType::WebhookTest,
            at,
            TestData {
                endpoint_id: "e".into(),
                message: "m".into(),
            },
        );
        let body: serde_json::Value = serde_json::from_str(&event.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "webhook.test",
                "timestamp": "2026-12-02T10:00:00.000Z",
                "data": { "endpoint_id": "e", "message": "m" }
            })
        );
    }
}

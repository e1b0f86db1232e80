//! Media containers and published media, and how a container's status follows from time,
//! its download and its children.

use serde::{Deserialize, Serialize};

use crate::clock::DAY_MS;

/// How long an unpublished container lives.
pub(crate) const CONTAINER_TTL_MS: i64 = DAY_MS;

/// `media_type` of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaType {
    /// A feed image (or an image carousel item).
    Image,
    /// A carousel video item.
    Video,
    /// A reel (feed video).
    Reels,
    /// A story (image or video).
    Stories,
    /// A carousel parent.
    Carousel,
}

impl MediaType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "IMAGE",
            MediaType::Video => "VIDEO",
            MediaType::Reels => "REELS",
            MediaType::Stories => "STORIES",
            MediaType::Carousel => "CAROUSEL_ALBUM",
        }
    }
}

/// `status_code` of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusCode {
    /// Still processing.
    InProgress,
    /// Ready to publish.
    Finished,
    /// Failed; `status` says why.
    Error,
    /// Older than 24 h and never published.
    Expired,
    /// Published.
    Published,
}

impl StatusCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::InProgress => "IN_PROGRESS",
            StatusCode::Finished => "FINISHED",
            StatusCode::Error => "ERROR",
            StatusCode::Expired => "EXPIRED",
            StatusCode::Published => "PUBLISHED",
        }
    }
}

/// Why a download or processing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: i64,
    pub subcode: i64,
    pub message: String,
    /// The failure was a download failure (rendered with an empty status code when configured).
    pub download: bool,
}

/// The state of the container's media download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fetch {
    Pending,
    Done,
    Failed(Failure),
}

/// A container.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub id: String,
    pub user_id: String,
    pub media_type: MediaType,
    pub is_carousel_item: bool,
    /// Created from a `video_url` (a story's media type depends on it).
    pub is_video: bool,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    pub children: Vec<String>,
    pub created_ms: i64,
    pub ready_at_ms: i64,
    pub fetch: Fetch,
    pub publish_count: u32,
    pub refused_publish_attempts: u32,
    pub already_published_attempts: u32,
    pub media_id: Option<String>,
}

impl Container {
    /// Status ignoring children (for leaf containers, and the parent's own part).
    pub(crate) fn own_status(&self, now_ms: i64) -> (StatusCode, Option<&Failure>) {
        if self.media_id.is_some() {
            return (StatusCode::Published, None);
        }
        if let Fetch::Failed(failure) = &self.fetch {
            return (StatusCode::Error, Some(failure));
        }
        if now_ms >= self.created_ms + CONTAINER_TTL_MS {
            return (StatusCode::Expired, None);
        }
        if self.fetch == Fetch::Pending || now_ms < self.ready_at_ms {
            return (StatusCode::InProgress, None);
        }
        (StatusCode::Finished, None)
    }
}

/// Combines a carousel parent's own status with its children's.
pub(crate) fn combine(own: StatusCode, children: &[StatusCode]) -> StatusCode {
    if matches!(
        own,
        StatusCode::Published | StatusCode::Expired | StatusCode::Error
    ) {
        return own;
    }
    if children.contains(&StatusCode::Error) {
        return StatusCode::Error;
    }
    if children.contains(&StatusCode::Expired) {
        return StatusCode::Expired;
    }
    if own == StatusCode::InProgress || children.contains(&StatusCode::InProgress) {
        return StatusCode::InProgress;
    }
    StatusCode::Finished
}

/// A published media object.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub id: String,
    pub user_id: String,
    pub container_id: String,
    pub shortcode: String,
    pub media_type: MediaType,
    /// Published from a video.
    pub is_video: bool,
    pub caption: Option<String>,
    pub media_url: Option<String>,
    pub published_ms: i64,
}

/// One successful publish.
#[derive(Debug, Clone)]
pub(crate) struct PublishRecord {
    pub user_id: String,
    pub media_id: String,
    pub container_id: String,
    pub at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::{StatusCode, combine};

    #[test]
    fn carousel_status_follows_children() {
        use StatusCode::*;
        assert_eq!(combine(Finished, &[Finished, Finished]), Finished);
        assert_eq!(combine(Finished, &[Finished, InProgress]), InProgress);
        assert_eq!(combine(InProgress, &[Finished, Finished]), InProgress);
        assert_eq!(combine(Finished, &[Error, Finished]), Error);
        assert_eq!(combine(Finished, &[Expired, Finished]), Expired);
        assert_eq!(combine(Published, &[Expired]), Published);
    }
}

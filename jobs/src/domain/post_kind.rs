//! What a post is on Instagram: a single image, a carousel, a reel or a story.

use serde::{Deserialize, Serialize};

/// The kind of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// One image in the feed.
    Image,
    /// 2 to 10 images and/or videos in the feed, swiped through.
    Carousel,
    /// One video (with an optional cover image).
    Reel,
    /// One image or video shown for 24 hours.
    Story,
}

impl PostKind {
    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Carousel => "carousel",
            Self::Reel => "reel",
            Self::Story => "story",
        }
    }

    /// How many media items a post of this kind holds when it is scheduled.
    pub fn item_range(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Self::Carousel => 2..=10,
            _ => 1..=1,
        }
    }
}

/// What a stored media file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A JPEG image.
    Image,
    /// An MP4 or MOV video.
    Video,
}

impl MediaKind {
    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
        }
    }
}

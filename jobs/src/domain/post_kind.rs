//! What a post is on Instagram: a single image, a carousel, a reel or a story.

use serde::{Deserialize, Serialize};

use super::FieldError;

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
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Image, Self::Carousel, Self::Reel, Self::Story];

    /// Parses a kind's name.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("unknown kind `{raw}`; use image, carousel, reel or story"),
                )
            })
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_name() {
        for kind in PostKind::ALL {
            assert_eq!(PostKind::parse("kind", kind.as_str()), Ok(kind));
        }
        let e = PostKind::parse("kind", "video").unwrap_err();
        assert_eq!(e.field, "kind");
        assert!(e.message.contains("unknown kind `video`"), "{}", e.message);
        assert!(PostKind::parse("kind", "Image").is_err());
    }
}

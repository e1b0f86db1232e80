//! What a media container is made of, and the ids the publishing calls hand back.
//!
//! Each [`ContainerSpec`] variant is one documented container kind; [`ContainerSpec::form`]
//! renders exactly the parameters Instagram expects for it (a caption only where Instagram
//! accepts one: never on carousel items).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id of a media container (`POST /{ig-user-id}/media`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContainerId(pub String);

/// The id of a published media (`POST /{ig-user-id}/media_publish`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MediaId(pub String);

impl ContainerId {
    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl MediaId {
    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Image or video, by public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaUrl {
    /// A JPEG at this public URL.
    Image(String),
    /// An MP4/MOV at this public URL.
    Video(String),
}

/// One container to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerSpec {
    /// A single feed image.
    Image {
        /// Public JPEG URL (ImgBB `data.url`).
        image_url: String,
        /// Caption.
        caption: Option<String>,
        /// Alternative text (at most 1000 characters).
        alt_text: Option<String>,
    },
    /// A reel (also how single feed videos are posted).
    Reel {
        /// Public video URL.
        video_url: String,
        /// Caption.
        caption: Option<String>,
        /// Public JPEG URL of a cover image.
        cover_url: Option<String>,
        /// Also show the reel in the feed.
        share_to_feed: Option<bool>,
        /// Cover frame offset in milliseconds (when no `cover_url`).
        thumb_offset_ms: Option<u64>,
    },
    /// A story (image or video; stories take no caption).
    Story(MediaUrl),
    /// One item of a carousel (no caption).
    CarouselItem(MediaUrl),
    /// A carousel of 2 to 10 item containers, captioned on the parent only.
    Carousel {
        /// Item containers, in order.
        children: Vec<ContainerId>,
        /// Caption.
        caption: Option<String>,
    },
}

impl ContainerSpec {
    /// The form parameters of `POST /{ig-user-id}/media` for this container.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        let mut form: Vec<(&'static str, String)> = Vec::new();
        match self {
            ContainerSpec::Image {
                image_url,
                caption,
                alt_text,
            } => {
                form.push(("image_url", image_url.clone()));
                opt(&mut form, "caption", caption);
                opt(&mut form, "alt_text", alt_text);
            }
            ContainerSpec::Reel {
                video_url,
                caption,
                cover_url,
                share_to_feed,
                thumb_offset_ms,
            } => {
                form.push(("media_type", "REELS".into()));
                form.push(("video_url", video_url.clone()));
                opt(&mut form, "caption", caption);
                opt(&mut form, "cover_url", cover_url);
                if let Some(share) = share_to_feed {
                    form.push(("share_to_feed", share.to_string()));
                }
                if let Some(offset) = thumb_offset_ms {
                    form.push(("thumb_offset", offset.to_string()));
                }
            }
            ContainerSpec::Story(media) => {
                form.push(("media_type", "STORIES".into()));
                form.push(media_param(media));
            }
            ContainerSpec::CarouselItem(media) => {
                form.push(("is_carousel_item", "true".into()));
                if matches!(media, MediaUrl::Video(_)) {
                    form.push(("media_type", "VIDEO".into()));
                }
                form.push(media_param(media));
            }
            ContainerSpec::Carousel { children, caption } => {
                form.push(("media_type", "CAROUSEL".into()));
                let ids: Vec<&str> = children.iter().map(ContainerId::as_str).collect();
                form.push(("children", ids.join(",")));
                opt(&mut form, "caption", caption);
            }
        }
        form
    }

    /// A short name of the kind, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ContainerSpec::Image { .. } => "image",
            ContainerSpec::Reel { .. } => "reel",
            ContainerSpec::Story(_) => "story",
            ContainerSpec::CarouselItem(_) => "carousel_item",
            ContainerSpec::Carousel { .. } => "carousel",
        }
    }
}

fn opt(form: &mut Vec<(&'static str, String)>, key: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        form.push((key, v.clone()));
    }
}

fn media_param(media: &MediaUrl) -> (&'static str, String) {
    match media {
        MediaUrl::Image(url) => ("image_url", url.clone()),
        MediaUrl::Video(url) => ("video_url", url.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::{ContainerId, ContainerSpec, MediaUrl};

    fn form(spec: &ContainerSpec) -> Vec<(&'static str, String)> {
        spec.form()
    }

    fn pairs<const N: usize>(list: [(&'static str, &str); N]) -> Vec<(&'static str, String)> {
        list.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn image_reel_story_carousel_forms() {
        let image = ContainerSpec::Image {
            image_url: "https://i/x.jpg".into(),
            caption: Some("Hi".into()),
            alt_text: Some("a cat".into()),
        };
        assert_eq!(
            form(&image),
            pairs([
                ("image_url", "https://i/x.jpg"),
                ("caption", "Hi"),
                ("alt_text", "a cat")
            ])
        );
        let reel = ContainerSpec::Reel {
            video_url: "https://v/x.mp4".into(),
            caption: None,
            cover_url: Some("https://i/c.jpg".into()),
            share_to_feed: Some(true),
            thumb_offset_ms: Some(1500),
        };
        assert_eq!(
            form(&reel),
            pairs([
                ("media_type", "REELS"),
                ("video_url", "https://v/x.mp4"),
                ("cover_url", "https://i/c.jpg"),
                ("share_to_feed", "true"),
                ("thumb_offset", "1500")
            ])
        );
        let story = ContainerSpec::Story(MediaUrl::Video("https://v/s.mp4".into()));
        assert_eq!(
            form(&story),
            pairs([("media_type", "STORIES"), ("video_url", "https://v/s.mp4")])
        );
        let item = ContainerSpec::CarouselItem(MediaUrl::Video("https://v/i.mp4".into()));
        assert_eq!(
            form(&item),
            pairs([
                ("is_carousel_item", "true"),
                ("media_type", "VIDEO"),
                ("video_url", "https://v/i.mp4")
            ])
        );
        let item = ContainerSpec::CarouselItem(MediaUrl::Image("https://i/i.jpg".into()));
        assert_eq!(
            form(&item),
            pairs([
                ("is_carousel_item", "true"),
                ("image_url", "https://i/i.jpg")
            ])
        );
        let parent = ContainerSpec::Carousel {
            children: vec![ContainerId("1".into()), ContainerId("2".into())],
            caption: Some("Both".into()),
        };
        assert_eq!(
            form(&parent),
            pairs([
                ("media_type", "CAROUSEL"),
                ("children", "1,2"),
                ("caption", "Both")
            ])
        );
    }
}

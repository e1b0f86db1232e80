//! Instagram's rules for the media of each kind of post, checked when a post is scheduled so
//! the user hears "item 2: the video is 75 s long; carousel videos can be at most 60 s" now,
//! not a failure at publishing time.
//!
//! Sources: Instagram's content publishing reference (feed images 4:5 to 1.91:1; reels 3 s to
//! 15 min, H.264/HEVC, AAC, 23-60 fps, at most 1920 px wide, 300 MB; story videos at most 60 s
//! and 100 MB; carousel videos at most 60 s).

use super::{FieldError, FieldErrors, MediaKind, PostKind};

/// What the rules need to know about a media file.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFacts {
    /// Image or video.
    pub kind: MediaKind,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Stored size.
    pub size_bytes: u64,
    /// Video length.
    pub duration_ms: Option<u64>,
    /// Video frames per second.
    pub frame_rate: Option<f64>,
    /// Video codec (`h264`, `hevc`, or the container's code for anything else).
    pub video_codec: Option<String>,
    /// Audio codec (`aac`, or the container's code), absent for silent videos.
    pub audio_codec: Option<String>,
}

/// Narrowest feed image (4:5).
const MIN_FEED_RATIO: f64 = 0.8;
/// Widest feed image (1.91:1).
const MAX_FEED_RATIO: f64 = 1.91;
/// Shortest video, in milliseconds.
const MIN_VIDEO_MS: u64 = 3_000;
/// Longest reel.
const MAX_REEL_MS: u64 = 15 * 60 * 1000;
/// Longest story or carousel video.
const MAX_SHORT_VIDEO_MS: u64 = 60_000;
/// Largest story video.
const MAX_STORY_VIDEO_BYTES: u64 = 100 * 1024 * 1024;
/// Widest video frame.
const MAX_VIDEO_WIDTH: u32 = 1920;

/// Checks the items (and the reel cover) of a post about to be scheduled, reporting every rule
/// broken: the number of items, each item, the cover. `field_of(i)` names item `i` in the
/// request (e.g. `items[1].media_id`).
pub fn check_post_media(
    kind: PostKind,
    items: &[MediaFacts],
    cover: Option<&MediaFacts>,
    field_of: impl Fn(usize) -> String,
    cover_field: &str,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let range = kind.item_range();
    if !range.contains(&items.len()) {
        let wanted = if range.start() == range.end() {
            format!("exactly {}", range.start())
        } else {
            format!("{} to {}", range.start(), range.end())
        };
        errors.push(FieldError::new(
            "items",
            format!(
                "a {} post needs {wanted} media items, got {}",
                kind.as_str(),
                items.len()
            ),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        errors.check(
            check_item(kind, item)
                .map_err(|rule| FieldError::new(&field_of(i), format!("item {}: {rule}", i + 1))),
        );
    }
    errors.check(check_cover(kind, cover, cover_field));
    errors.or_value(())
}

/// Only a reel has a cover, and it is an image.
fn check_cover(
    kind: PostKind,
    cover: Option<&MediaFacts>,
    cover_field: &str,
) -> Result<(), FieldError> {
    match (kind, cover) {
        (PostKind::Reel, Some(cover)) if cover.kind != MediaKind::Image => {
            Err(FieldError::new(cover_field, "the cover must be an image"))
        }
        (PostKind::Reel, _) | (_, None) => Ok(()),
        (_, Some(_)) => Err(FieldError::new(
            cover_field,
            "only reels have a cover image",
        )),
    }
}

/// The rule `item` breaks for a post of `kind`, if any.
fn check_item(kind: PostKind, item: &MediaFacts) -> Result<(), String> {
    match (kind, item.kind) {
        (PostKind::Image, MediaKind::Video) => {
            Err("an image post needs an image; publish a video as a reel".into())
        }
        (PostKind::Reel, MediaKind::Image) => Err("a reel needs a video".into()),
        (PostKind::Image | PostKind::Carousel, MediaKind::Image) => feed_ratio(item),
        (PostKind::Story, MediaKind::Image) => Ok(()),
        (PostKind::Reel, MediaKind::Video) => video(item, MAX_REEL_MS, "reels"),
        (PostKind::Carousel, MediaKind::Video) => {
            video(item, MAX_SHORT_VIDEO_MS, "carousel videos")
        }
        (PostKind::Story, MediaKind::Video) => {
            if item.size_bytes > MAX_STORY_VIDEO_BYTES {
                return Err(format!(
                    "the video is {} MB; story videos can be at most 100 MB",
                    item.size_bytes.div_ceil(1024 * 1024)
                ));
            }
            video(item, MAX_SHORT_VIDEO_MS, "story videos")
        }
    }
}

fn feed_ratio(item: &MediaFacts) -> Result<(), String> {
    let ratio = f64::from(item.width) / f64::from(item.height.max(1));
    if (MIN_FEED_RATIO - 1e-9..=MAX_FEED_RATIO + 1e-9).contains(&ratio) {
        Ok(())
    } else {
        Err(format!(
            "the image is {}x{} (aspect ratio {ratio:.2}:1); feed images must be between 4:5 \
             (0.8:1) and 1.91:1",
            item.width, item.height
        ))
    }
}

fn video(item: &MediaFacts, max_ms: u64, what: &str) -> Result<(), String> {
    let duration = item.duration_ms.unwrap_or(0);
    if duration < MIN_VIDEO_MS {
        return Err(format!(
            "the video is {:.1} s long; {what} must be at least 3 s",
            duration as f64 / 1000.0
        ));
    }
    if duration > max_ms {
        return Err(format!(
            "the video is {:.1} s long; {what} can be at most {} s",
            duration as f64 / 1000.0,
            max_ms / 1000
        ));
    }
    match item.video_codec.as_deref() {
        Some("h264" | "hevc") => {}
        other => {
            return Err(format!(
                "the video codec is {}; Instagram needs H.264 or HEVC",
                other.unwrap_or("unknown")
            ));
        }
    }
    if let Some(audio) = item.audio_codec.as_deref()
        && audio != "aac"
    {
        return Err(format!("the audio codec is {audio}; Instagram needs AAC"));
    }
    if let Some(fps) = item.frame_rate
        && !(23.0 - 0.5..=60.0 + 0.5).contains(&fps)
    {
        return Err(format!(
            "the video has {fps:.1} frames per second; Instagram needs 23 to 60"
        ));
    }
    if item.width > MAX_VIDEO_WIDTH {
        return Err(format!(
            "the video is {} px wide; Instagram allows at most {MAX_VIDEO_WIDTH} px",
            item.width
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32) -> MediaFacts {
        MediaFacts {
            kind: MediaKind::Image,
            width,
            height,
            size_bytes: 100_000,
            duration_ms: None,
            frame_rate: None,
            video_codec: None,
            audio_codec: None,
        }
    }

    fn video(seconds: u64) -> MediaFacts {
        MediaFacts {
            kind: MediaKind::Video,
            width: 1080,
            height: 1920,
            size_bytes: 10_000_000,
            duration_ms: Some(seconds * 1000),
            frame_rate: Some(30.0),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
        }
    }

    /// The first refusal, as the tests below look at one rule at a time.
    fn check(kind: PostKind, items: &[MediaFacts]) -> Result<(), FieldError> {
        check_post_media(
            kind,
            items,
            None,
            |i| format!("items[{i}].media_id"),
            "cover",
        )
        .map_err(|errors| errors.into_iter().next().unwrap())
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let errors = check_post_media(
            PostKind::Image,
            &[image(1080, 1920), video(10)],
            Some(&image(10, 10)),
            |i| format!("items[{i}].media_id"),
            "cover_media_id",
        )
        .unwrap_err();
        let fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "items",
                "items[0].media_id",
                "items[1].media_id",
                "cover_media_id"
            ]
        );
    }

    #[test]
    fn counts_and_kinds() {
        assert!(check(PostKind::Image, &[image(1080, 1080)]).is_ok());
        let two = check(PostKind::Image, &[image(1080, 1080), image(1080, 1080)]).unwrap_err();
        assert_eq!(two.field, "items");
        assert!(two.message.contains("exactly 1"), "{}", two.message);
        let one = check(PostKind::Carousel, &[image(1080, 1080)]).unwrap_err();
        assert!(one.message.contains("2 to 10"), "{}", one.message);
        assert!(check(PostKind::Carousel, &vec![image(1080, 1080); 11]).is_err());
        assert!(check(PostKind::Carousel, &[image(1080, 1080), video(30)]).is_ok());
        let reel = check(PostKind::Reel, &[image(1080, 1920)]).unwrap_err();
        assert_eq!(reel.field, "items[0].media_id");
        assert!(check(PostKind::Story, &[image(1080, 1920)]).is_ok());
        assert!(check(PostKind::Story, &[video(15)]).is_ok());
    }

    #[test]
    fn names_the_item_and_the_rule() {
        let tall = check(PostKind::Carousel, &[image(1080, 1080), image(1080, 1920)]).unwrap_err();
        assert_eq!(tall.field, "items[1].media_id");
        assert!(tall.message.starts_with("item 2:"), "{}", tall.message);
        assert!(tall.message.contains("4:5"), "{}", tall.message);
        let long = check(PostKind::Carousel, &[image(1080, 1080), video(75)]).unwrap_err();
        assert!(long.message.contains("at most 60 s"), "{}", long.message);
        assert!(check(PostKind::Reel, &[video(600)]).is_ok());
        assert!(check(PostKind::Reel, &[video(901)]).is_err());
        assert!(check(PostKind::Reel, &[video(2)]).is_err());
        let mut vp9 = video(10);
        vp9.video_codec = Some("vp09".into());
        assert!(
            check(PostKind::Reel, &[vp9])
                .unwrap_err()
                .message
                .contains("H.264")
        );
        let mut slow = video(10);
        slow.frame_rate = Some(15.0);
        assert!(check(PostKind::Reel, &[slow]).is_err());
        let mut wide = video(10);
        wide.width = 3840;
        assert!(check(PostKind::Reel, &[wide]).is_err());
        assert!(check(PostKind::Story, &[video(61)]).is_err());
        let cover = check_post_media(
            PostKind::Image,
            &[image(1080, 1080)],
            Some(&image(10, 10)),
            |i| format!("items[{i}]"),
            "cover_media_id",
        )
        .unwrap_err();
        assert_eq!(cover.iter().next().unwrap().field, "cover_media_id");
    }
}

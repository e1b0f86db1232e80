//! What the Graph API tells about published media: one media's permalink and timestamp
//! (`GET /{media-id}`), and pages of an account's recent media (`GET /{ig-user-id}/media`,
//! `GET /{ig-user-id}/stories`).
//!
//! Instagram writes timestamps as `2026-12-01T22:04:00+0000` (whole seconds, UTC); RFC 3339
//! is accepted too. A timestamp that reads as neither is `None`, never a guess.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::lenient::NumOrText;

/// Which list of an account's media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEdge {
    /// `/{ig-user-id}/media`: feed media (images, reels, carousels), newest first.
    Media,
    /// `/{ig-user-id}/stories`: the stories of the last 24 hours.
    Stories,
}

impl MediaEdge {
    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Media => "media",
            Self::Stories => "stories",
        }
    }
}

/// The fields read for every listed media.
pub(crate) const LISTED_FIELDS: &str =
    "id,caption,media_type,media_product_type,timestamp,permalink";

/// One media of an account's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMedia {
    /// The media id.
    pub id: String,
    /// Its caption (`None` when it has none).
    pub caption: Option<String>,
    /// `IMAGE`, `VIDEO` or `CAROUSEL_ALBUM`.
    pub media_type: Option<String>,
    /// `FEED`, `REELS` or `STORY` (absent on some older media).
    pub media_product_type: Option<String>,
    /// When Instagram published it, when given in a readable form.
    pub timestamp: Option<DateTime<Utc>>,
    /// Its public URL.
    pub permalink: Option<String>,
}

/// One page of an account's media, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaPage {
    /// The media on this page.
    pub items: Vec<ListedMedia>,
    /// The cursor of the next (older) page; `None` on the last page.
    pub next: Option<String>,
}

/// A published media's permalink and Instagram's publish time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishedMedia {
    /// Its public URL, when Instagram has one (yet).
    pub permalink: Option<String>,
    /// When Instagram published it, when given in a readable form.
    pub timestamp: Option<DateTime<Utc>>,
}

/// Parses a Graph API timestamp (`2026-12-01T22:04:00+0000`, or RFC 3339).
pub fn parse_graph_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

#[derive(Deserialize)]
pub(crate) struct RawPublished {
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

impl From<RawPublished> for PublishedMedia {
    fn from(raw: RawPublished) -> Self {
        Self {
            permalink: non_empty(raw.permalink),
            timestamp: raw.timestamp.as_deref().and_then(parse_graph_timestamp),
        }
    }
}

#[derive(Deserialize)]
struct RawListed {
    id: NumOrText,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    media_product_type: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
}

#[derive(Deserialize)]
struct RawCursors {
    #[serde(default)]
    after: Option<String>,
}

#[derive(Deserialize)]
struct RawPaging {
    #[serde(default)]
    cursors: Option<RawCursors>,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawPage {
    data: Vec<RawListed>,
    #[serde(default)]
    paging: Option<RawPaging>,
}

impl From<RawPage> for MediaPage {
    fn from(raw: RawPage) -> Self {
        // Another page exists only when Instagram names it (`next`); its cursor is `after`.
        let next = raw.paging.and_then(|p| {
            p.next
                .filter(|n| !n.is_empty())
                .and(p.cursors.and_then(|c| non_empty(c.after)))
        });
        Self {
            items: raw
                .data
                .into_iter()
                .map(|m| ListedMedia {
                    id: m.id.into_text(),
                    caption: m.caption,
                    media_type: non_empty(m.media_type),
                    media_product_type: non_empty(m.media_product_type),
                    timestamp: m.timestamp.as_deref().and_then(parse_graph_timestamp),
                    permalink: non_empty(m.permalink),
                })
                .collect(),
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn reads_instagram_and_rfc3339_timestamps() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 22, 4, 0).single();
        assert_eq!(parse_graph_timestamp("2026-12-01T22:04:00+0000"), at);
        assert_eq!(parse_graph_timestamp("2026-12-01T23:04:00+0100"), at);
        assert_eq!(parse_graph_timestamp("2026-12-01T22:04:00Z"), at);
        assert_eq!(parse_graph_timestamp("yesterday"), None);
        assert_eq!(parse_graph_timestamp(""), None);
    }

    #[test]
    fn a_page_names_its_next_cursor_only_when_there_is_a_next_page() {
        let raw: RawPage = serde_json::from_str(
            r#"{"data":[{"id":"17900000000000001","caption":"Hi","media_type":"IMAGE",
                "media_product_type":"FEED","timestamp":"2026-12-01T22:04:00+0000",
                "permalink":"https://www.instagram.com/p/C1/"},{"id":17900000000000002}],
                "paging":{"cursors":{"before":"b","after":"a"},"next":"https://graph/next"}}"#,
        )
        .expect("page");
        let page = MediaPage::from(raw);
        assert_eq!(page.next.as_deref(), Some("a"));
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].caption.as_deref(), Some("Hi"));
        assert!(page.items[0].timestamp.is_some());
        assert_eq!(page.items[1].id, "17900000000000002");
        assert_eq!(page.items[1].timestamp, None);

        let last: RawPage =
            serde_json::from_str(r#"{"data":[],"paging":{"cursors":{"before":"b","after":"a"}}}"#)
                .expect("last page");
        assert_eq!(MediaPage::from(last).next, None);
        let empty: RawPage = serde_json::from_str(r#"{"data":[]}"#).expect("empty page");
        assert_eq!(MediaPage::from(empty), MediaPage::default());
    }
}

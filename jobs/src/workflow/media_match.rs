//! Which media a post became, when Instagram published it without saying so
//! (`media_publish` answered an error, yet the container reads `PUBLISHED`).
//!
//! Instagram's answer is the only certain link between a publish and its media, so this rule
//! never guesses. A listed media *fits* a post when all of these hold:
//! 1. same kind: a feed `IMAGE` for an image post, a `VIDEO` with `media_product_type`
//!    `REELS` for a reel, a `CAROUSEL_ALBUM` for a carousel, a `STORY` (from the stories
//!    list) of the same image or video kind for a story;
//! 2. the caption is exactly the caption we sent (both may be empty; stories carry none);
//! 3. Instagram's `timestamp` lies in the publish window: not earlier than our first
//!    `media_publish` call of that container (`publish_attempted_at`), not later than when
//!    we learned the post was live, each widened by [`CLOCK_ALLOWANCE`] (Instagram's
//!    timestamps are whole seconds, and its clock is not ours);
//! 4. its id is not already recorded on another of our posts.
//!
//! The media id is recorded only when the match is one to one: exactly one listed media
//! fits, the listing reached back past the window, and no other of our posts on the account
//! (same kind and caption, no media id, publish attempted by then and not learned live
//! before it) could be that media. Otherwise:
//! - nothing fits: the list may lag behind the publish; look again later;
//! - the only fitting media could be another post's whose publish is still being resolved,
//!   or the listing is incomplete: look again later ([`Decision::Unsettled`]);
//! - several media fit, or a settled post of ours could be the one that fits: the media
//!   cannot be told apart, and it stays unknown ([`Decision::Ambiguous`]).
//!
//! A media published outside AIStudio with the same kind and caption within the same
//! seconds is told apart the same way once it is listed.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use crate::clients::{ListedMedia, MediaEdge, MediaPage};
use crate::domain::PostKind;

/// How far Instagram's timestamp may lie outside the window we observed: whole seconds, and
/// another clock.
pub const CLOCK_ALLOWANCE: Duration = Duration::seconds(5);

/// The kind of media a post becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A feed image.
    Image,
    /// A reel.
    Reel,
    /// A carousel.
    Carousel,
    /// A story of an image (`Some(false)`), a video (`Some(true)`) or either (`None`: unknown).
    Story {
        /// Whether its media is a video, when known.
        video: Option<bool>,
    },
}

impl Shape {
    /// The shape of a post of `kind` whose first item is a video or not (when known).
    pub fn of(kind: PostKind, first_is_video: Option<bool>) -> Self {
        match kind {
            PostKind::Image => Self::Image,
            PostKind::Reel => Self::Reel,
            PostKind::Carousel => Self::Carousel,
            PostKind::Story => Self::Story {
                video: first_is_video,
            },
        }
    }

    /// The list its media appear in.
    pub fn edge(self) -> MediaEdge {
        match self {
            Self::Story { .. } => MediaEdge::Stories,
            _ => MediaEdge::Media,
        }
    }

    /// Whether `media` is of this kind.
    pub fn fits(self, media: &ListedMedia) -> bool {
        let kind = media.media_type.as_deref();
        let product = media.media_product_type.as_deref();
        let feed = matches!(product, None | Some("FEED"));
        match self {
            Self::Image => kind == Some("IMAGE") && feed,
            Self::Reel => kind == Some("VIDEO") && product == Some("REELS"),
            Self::Carousel => kind == Some("CAROUSEL_ALBUM") && feed,
            Self::Story { video } => {
                let story = matches!(product, None | Some("STORY"));
                let kind_ok = match video {
                    Some(true) => kind == Some("VIDEO"),
                    Some(false) => kind == Some("IMAGE"),
                    None => matches!(kind, Some("IMAGE" | "VIDEO")),
                };
                story && kind_ok
            }
        }
    }
}

/// The caption a post of `kind` was sent with (stories carry none).
pub fn sent_caption(kind: PostKind, caption: &str) -> &str {
    if kind == PostKind::Story { "" } else { caption }
}

fn same_caption(media: &ListedMedia, caption: &str) -> bool {
    media.caption.as_deref().unwrap_or("") == caption
}

/// The post whose media is sought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Its kind.
    pub shape: Shape,
    /// The caption it was sent with.
    pub caption: String,
    /// Our first `media_publish` call of its container.
    pub attempted_at: DateTime<Utc>,
    /// When we learned it was live.
    pub learned_at: DateTime<Utc>,
}

impl Wanted {
    /// The earliest Instagram timestamp its media can carry.
    pub fn earliest(&self) -> DateTime<Utc> {
        self.attempted_at - CLOCK_ALLOWANCE
    }

    fn is_like(&self, media: &ListedMedia) -> bool {
        self.shape.fits(media) && same_caption(media, &self.caption)
    }

    fn fits(&self, media: &ListedMedia) -> bool {
        self.is_like(media)
            && media
                .timestamp
                .is_some_and(|t| t >= self.earliest() && t <= self.learned_at + CLOCK_ALLOWANCE)
    }
}

/// Another of our posts on the same account, without a media id, that might have become one
/// of the listed media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rival {
    /// Its kind.
    pub shape: Shape,
    /// The caption it was sent with.
    pub caption: String,
    /// Its first `media_publish` call, when known.
    pub attempted_at: Option<DateTime<Utc>>,
    /// When it was learned live, if it was.
    pub learned_at: Option<DateTime<Utc>>,
    /// Whether its record is final (it will not look for its media any more).
    pub settled: bool,
}

impl Rival {
    /// Whether `media` could be this post's (unknown times count as "could").
    pub fn could_own(&self, media: &ListedMedia) -> bool {
        if !self.shape.fits(media) || !same_caption(media, &self.caption) {
            return false;
        }
        let Some(at) = media.timestamp else {
            return true;
        };
        self.attempted_at.is_none_or(|a| at >= a - CLOCK_ALLOWANCE)
            && self.learned_at.is_none_or(|l| at <= l + CLOCK_ALLOWANCE)
    }
}

/// The media read from an account's list, newest first, and whether they reach back far
/// enough that no older page can hold a fitting media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The media, in the order listed, without repeats.
    pub items: Vec<ListedMedia>,
    /// Every media that could fit was seen.
    pub complete: bool,
    ordered: bool,
    oldest: Option<DateTime<Utc>>,
}

impl Default for Listing {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            complete: false,
            ordered: true,
            oldest: None,
        }
    }
}

impl Listing {
    /// Takes the next page; the cursor of the page to read after it, or `None` when the
    /// listing is complete: the list ended, or it is newest first (as checked on every item
    /// read) and went back past `earliest`.
    pub fn take(&mut self, page: MediaPage, earliest: DateTime<Utc>) -> Option<String> {
        for media in page.items {
            let in_order = media
                .timestamp
                .is_some_and(|t| self.oldest.is_none_or(|o| t <= o));
            self.ordered &= in_order;
            if media.timestamp.is_some() {
                self.oldest = media.timestamp;
            }
            if !self.items.iter().any(|m| m.id == media.id) {
                self.items.push(media);
            }
        }
        let past = self.ordered && self.oldest.is_some_and(|o| o < earliest);
        match page.next {
            Some(cursor) if !past => Some(cursor),
            _ => {
                self.complete = true;
                None
            }
        }
    }
}

/// What the listing says about the post's media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This media, and no other, is the post's.
    Found(ListedMedia),
    /// No listed media fits (yet).
    NotListed,
    /// A media fits, but it might yet turn out to be another post's, or more media might fit:
    /// look again later.
    Unsettled,
    /// The post's media cannot be told apart from another.
    Ambiguous,
}

/// The rivals that could own `media`.
fn claimants<'a>(
    rivals: &'a [Rival],
    media: &'a ListedMedia,
) -> impl Iterator<Item = &'a Rival> + 'a {
    rivals.iter().filter(move |r| r.could_own(media))
}

/// Applies the rule (see the module documentation). `taken` holds the media ids recorded on
/// our other posts.
pub fn decide(
    wanted: &Wanted,
    listing: &Listing,
    taken: &HashSet<String>,
    rivals: &[Rival],
) -> Decision {
    let free = |m: &&ListedMedia| !taken.contains(&m.id);
    let candidates: Vec<&ListedMedia> = listing
        .items
        .iter()
        .filter(free)
        .filter(|m| wanted.fits(m))
        .collect();
    // Of the post's kind and caption, but without a time to place it in or out of the window.
    let undated = listing
        .items
        .iter()
        .filter(free)
        .any(|m| m.timestamp.is_none() && wanted.is_like(m));
    let pending = candidates
        .iter()
        .any(|m| claimants(rivals, m).any(|rival| !rival.settled));
    match candidates.as_slice() {
        [] => Decision::NotListed,
        [only] => {
            if claimants(rivals, only).next().is_none() && listing.complete && !undated {
                Decision::Found((*only).clone())
            } else if pending || !listing.complete || undated {
                Decision::Unsettled
            } else {
                Decision::Ambiguous
            }
        }
        _ if pending => Decision::Unsettled,
        _ => Decision::Ambiguous,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0)
            .single()
            .expect("valid time")
    }

    fn media(id: &str, kind: &str, product: &str, caption: &str, secs: i64) -> ListedMedia {
        ListedMedia {
            id: id.into(),
            caption: (!caption.is_empty()).then(|| caption.to_string()),
            media_type: Some(kind.into()),
            media_product_type: Some(product.into()),
            timestamp: Some(at(secs)),
            permalink: Some(format!("https://www.instagram.com/p/{id}/")),
        }
    }

    fn image(id: &str, caption: &str, secs: i64) -> ListedMedia {
        media(id, "IMAGE", "FEED", caption, secs)
    }

    fn listing(items: Vec<ListedMedia>) -> Listing {
        let mut listing = Listing::default();
        assert_eq!(listing.take(MediaPage { items, next: None }, at(0)), None);
        listing
    }

    /// An image post captioned "Hello", first publish call at 100 s, learned live at 102 s.
    fn wanted() -> Wanted {
        Wanted {
            shape: Shape::Image,
            caption: "Hello".into(),
            attempted_at: at(100),
            learned_at: at(102),
        }
    }

    fn rival(settled: bool) -> Rival {
        Rival {
            shape: Shape::Image,
            caption: "Hello".into(),
            attempted_at: Some(at(100)),
            learned_at: settled.then(|| at(102)),
            settled,
        }
    }

    fn none() -> HashSet<String> {
        HashSet::new()
    }

    #[test]
    fn the_only_fitting_media_is_found() {
        let list = listing(vec![
            image("other-caption", "Bye", 101),
            media("a-reel", "VIDEO", "REELS", "Hello", 101),
            image("ours", "Hello", 101),
            image("too-early", "Hello", 90),
        ]);
        let found = decide(&wanted(), &list, &none(), &[]);
        assert_eq!(found, Decision::Found(image("ours", "Hello", 101)));
    }

    #[test]
    fn the_window_is_widened_by_the_clock_allowance_and_no_more() {
        for (secs, fits) in [(95, true), (94, false), (107, true), (108, false)] {
            let list = listing(vec![image("m", "Hello", secs)]);
            let decision = decide(&wanted(), &list, &none(), &[]);
            assert_eq!(
                decision == Decision::NotListed,
                !fits,
                "timestamp {secs}: {decision:?}"
            );
        }
    }

    #[test]
    fn nothing_fitting_means_not_listed_yet() {
        assert_eq!(
            decide(&wanted(), &listing(Vec::new()), &none(), &[]),
            Decision::NotListed
        );
        let list = listing(vec![image("m", "Hello!", 101), image("n", "hello", 101)]);
        assert_eq!(decide(&wanted(), &list, &none(), &[]), Decision::NotListed);
    }

    #[test]
    fn two_fitting_media_are_ambiguous() {
        let list = listing(vec![image("a", "Hello", 101), image("b", "Hello", 101)]);
        assert_eq!(decide(&wanted(), &list, &none(), &[]), Decision::Ambiguous);
    }

    #[test]
    fn media_recorded_on_another_post_is_not_a_candidate() {
        let list = listing(vec![image("a", "Hello", 101), image("b", "Hello", 101)]);
        let taken: HashSet<String> = ["a".to_string()].into();
        assert_eq!(
            decide(&wanted(), &list, &taken, &[]),
            Decision::Found(image("b", "Hello", 101))
        );
    }

    #[test]
    fn a_media_another_unresolved_post_could_be_is_never_taken() {
        // Our own media lags behind; the one listed may be the other post's.
        let list = listing(vec![image("theirs-or-ours", "Hello", 101)]);
        assert_eq!(
            decide(&wanted(), &list, &none(), &[rival(false)]),
            Decision::Unsettled,
            "the other post is still being resolved"
        );
        assert_eq!(
            decide(&wanted(), &list, &none(), &[rival(true)]),
            Decision::Ambiguous,
            "the other post settled without a media id"
        );
        let two = listing(vec![image("a", "Hello", 101), image("b", "Hello", 101)]);
        assert_eq!(
            decide(&wanted(), &two, &none(), &[rival(false)]),
            Decision::Unsettled
        );
    }

    #[test]
    fn a_rival_outside_the_media_time_or_of_another_kind_does_not_count() {
        let list = listing(vec![image("ours", "Hello", 101)]);
        let later = Rival {
            attempted_at: Some(at(200)),
            ..rival(false)
        };
        let earlier = Rival {
            learned_at: Some(at(50)),
            ..rival(true)
        };
        let reel = Rival {
            shape: Shape::Reel,
            ..rival(false)
        };
        let other_caption = Rival {
            caption: "Bye".into(),
            ..rival(false)
        };
        assert_eq!(
            decide(
                &wanted(),
                &list,
                &none(),
                &[later, earlier, reel, other_caption]
            ),
            Decision::Found(image("ours", "Hello", 101))
        );
    }

    #[test]
    fn an_incomplete_or_undated_listing_never_finds() {
        let mut partial = Listing::default();
        let page = MediaPage {
            items: vec![image("ours", "Hello", 101)],
            next: Some("cursor".into()),
        };
        assert_eq!(partial.take(page, at(95)), Some("cursor".into()));
        assert!(!partial.complete);
        assert_eq!(
            decide(&wanted(), &partial, &none(), &[]),
            Decision::Unsettled
        );
        let mut undated = image("no-time", "Hello", 0);
        undated.timestamp = None;
        let list = listing(vec![image("ours", "Hello", 101), undated]);
        assert_eq!(decide(&wanted(), &list, &none(), &[]), Decision::Unsettled);
    }

    #[test]
    fn kinds_and_captions() {
        let reel = Wanted {
            shape: Shape::Reel,
            ..wanted()
        };
        let list = listing(vec![
            media("feed-video", "VIDEO", "FEED", "Hello", 101),
            media("reel", "VIDEO", "REELS", "Hello", 101),
        ]);
        assert_eq!(
            decide(&reel, &list, &none(), &[]),
            Decision::Found(media("reel", "VIDEO", "REELS", "Hello", 101))
        );
        let carousel = Wanted {
            shape: Shape::Carousel,
            caption: String::new(),
            ..wanted()
        };
        let list = listing(vec![
            image("image", "", 101),
            media("album", "CAROUSEL_ALBUM", "FEED", "", 101),
        ]);
        assert_eq!(
            decide(&carousel, &list, &none(), &[]),
            Decision::Found(media("album", "CAROUSEL_ALBUM", "FEED", "", 101))
        );
        let story = Wanted {
            shape: Shape::Story { video: Some(true) },
            caption: sent_caption(PostKind::Story, "ignored").to_string(),
            ..wanted()
        };
        let list = listing(vec![
            media("image-story", "IMAGE", "STORY", "", 101),
            media("video-story", "VIDEO", "STORY", "", 101),
        ]);
        assert_eq!(
            decide(&story, &list, &none(), &[]),
            Decision::Found(media("video-story", "VIDEO", "STORY", "", 101))
        );
        assert_eq!(Shape::of(PostKind::Story, None).edge(), MediaEdge::Stories);
        assert_eq!(Shape::of(PostKind::Carousel, None).edge(), MediaEdge::Media);
    }

    #[test]
    fn a_listing_stops_once_past_the_window_only_when_it_is_newest_first() {
        let mut listing = Listing::default();
        let first = MediaPage {
            items: vec![image("c", "x", 120), image("b", "x", 110)],
            next: Some("p2".into()),
        };
        assert_eq!(listing.take(first, at(95)), Some("p2".into()));
        let second = MediaPage {
            items: vec![image("b", "x", 110), image("a", "x", 90)],
            next: Some("p3".into()),
        };
        assert_eq!(listing.take(second, at(95)), None, "went back past 95 s");
        assert!(listing.complete);
        assert_eq!(listing.items.len(), 3, "repeats are dropped");

        let mut shuffled = Listing::default();
        let page = MediaPage {
            items: vec![image("old", "x", 90), image("new", "x", 120)],
            next: Some("p2".into()),
        };
        assert_eq!(
            shuffled.take(page, at(95)),
            Some("p2".into()),
            "not newest first: older pages may still hold a fitting media"
        );
        let last = MediaPage {
            items: Vec::new(),
            next: None,
        };
        assert_eq!(shuffled.take(last, at(95)), None);
        assert!(shuffled.complete, "the list ended");
    }
}

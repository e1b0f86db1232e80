//! Request and response shapes of the posts endpoints.

use aistudio_jobs::content::ComposeInput;
use aistudio_jobs::domain::PostKind;
use aistudio_jobs::store::{Post, PostItem, PostStatus};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// One media item of a post.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostItemIn {
    /// A media id from your library.
    pub media_id: String,
    /// Alternative text, images only (at most 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// Declares a post body: the fields shared by create and edit, plus `$extra`, and its
/// conversion to the input `compose` checks.
macro_rules! post_body {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// `image` (1 image), `carousel` (2-10 images and/or videos), `reel` (1 video,
            /// optional cover image) or `story` (1 image or video).
            #[schema(example = "image")]
            pub kind: String,
            /// The Instagram connection to publish through (required to schedule).
            #[serde(default)]
            pub connection_id: Option<String>,
            /// At most 2200 characters, 30 hashtags and 20 @mentions.
            #[serde(default)]
            pub caption: String,
            /// The media, in order.
            #[serde(default)]
            pub items: Vec<PostItemIn>,
            /// A reel's cover image (a media id).
            #[serde(default)]
            pub cover_media_id: Option<String>,
            /// When to publish: RFC 3339 with an offset, in the future and at most 730 days
            /// ahead, e.g. `2026-12-01T09:30:00+01:00`.
            #[serde(default)]
            pub scheduled_at: Option<String>,
            /// Publish as soon as possible instead of at `scheduled_at`.
            #[serde(default)]
            pub publish_now: bool,
            /// The IANA time zone the schedule is shown in (default `UTC`), e.g.
            /// `Europe/Paris`.
            #[serde(default)]
            pub time_zone: Option<String>,
            $($extra)*
        }

        impl $name {
            /// The input to compose a post from.
            pub fn into_compose(self) -> ComposeInput {
                ComposeInput {
                    kind: self.kind,
                    connection_id: self.connection_id,
                    caption: self.caption,
                    items: self
                        .items
                        .into_iter()
                        .map(|i| PostItem {
                            media_id: i.media_id,
                            alt_text: i.alt_text,
                        })
                        .collect(),
                    cover_media_id: self.cover_media_id,
                    scheduled_at: self.scheduled_at,
                    publish_now: self.publish_now,
                    time_zone: self.time_zone,
                }
            }
        }
    };
}

post_body! {
    /// A new post (`POST /posts`). Leave out both `scheduled_at` and `publish_now` to keep a
    /// draft. Media are checked against Instagram's rules for the kind of post only when it is
    /// scheduled.
    PostCreateIn {
        /// Add to the connection's queue: the post takes the next free slot of its posting
        /// schedule (at least a minute ahead), in the schedule's time zone unless `time_zone`
        /// is given. Not with `scheduled_at` or `publish_now`.
        #[serde(default)]
        pub queue: bool,
        /// Refused: only edits send a version.
        #[serde(default)]
        #[schema(ignore)]
        pub version: Option<i64>,
    }
}

post_body! {
    /// A post replacing the one you loaded (`PUT /posts/{id}`): the same fields as a new post,
    /// plus its `version`. Leaving out both `scheduled_at` and `publish_now` makes it a draft.
    PostEditIn {
        /// The version you loaded; a concurrent change makes the edit fail with 409.
        #[serde(default)]
        #[schema(required = true, value_type = i64)]
        pub version: Option<i64>,
    }
}

/// A new time for a scheduled post: `scheduled_at` or `publish_now`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleIn {
    /// The version you loaded.
    pub version: i64,
    /// The new time: RFC 3339 with an offset, in the future and at most 730 days ahead.
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// Publish as soon as possible instead.
    #[serde(default)]
    pub publish_now: bool,
    /// A new display time zone (kept when absent).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Cancellation of a scheduled post.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelIn {
    /// The version you loaded; when given, a concurrent change makes the cancel fail with 409.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A post as the dashboard shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostOut {
    /// Post id.
    pub id: String,
    /// `image`, `carousel`, `reel` or `story`.
    #[schema(value_type = String)]
    pub kind: PostKind,
    /// `draft`, `scheduled`, `publishing`, `published`, `failed`, `canceled` or
    /// `needs_reconnect`.
    #[schema(value_type = String)]
    pub status: PostStatus,
    /// Send it back when editing, rescheduling or canceling.
    pub version: i64,
    /// The Instagram connection it publishes through.
    pub connection_id: Option<String>,
    /// The caption.
    pub caption: String,
    /// The media, in order.
    pub items: Vec<PostItemIn>,
    /// A reel's cover image.
    pub cover_media_id: Option<String>,
    /// When it publishes (UTC).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The same instant in the post's time zone, e.g. `2026-12-01T09:30:00+01:00`.
    pub scheduled_at_local: Option<String>,
    /// The post's IANA time zone.
    pub time_zone: String,
    /// Whether it was asked to publish as soon as possible.
    pub publish_now: bool,
    /// Whether it holds a slot of its account's posting schedule (added with `queue: true`
    /// and not moved by hand since): it can be reordered in the queue.
    pub queued: bool,
    /// Whether it waits in its account's paused queue: it does not publish until the queue
    /// resumes (then, if its slot has passed, it moves to the next free one).
    pub held: bool,
    /// When it went live: Instagram's own time of the published media once known (never later
    /// than when AIStudio learned it was live, which it shows until then).
    pub published_at: Option<DateTime<Utc>>,
    /// Instagram's media id, once published.
    pub ig_media_id: Option<String>,
    /// The post on Instagram, once known.
    pub permalink: Option<String>,
    /// Published, but Instagram did not say which media the post became and it could not be
    /// determined: `not_found` (no recent media of the account matched it) or `ambiguous`
    /// (more than one matched); the post then has no `ig_media_id` and no `permalink`.
    pub media_unresolved: Option<String>,
    /// Why there is no link, for the user, when `media_unresolved` is set.
    pub link_note: Option<String>,
    /// Why it failed, and what to do.
    pub failure_reason: Option<String>,
    /// While publishing: the workflow step it is at (`prepare_media`, `create_containers`,
    /// `poll_containers`, `publish`, `fetch_permalink`).
    pub step: Option<String>,
    /// While publishing: why it is waiting, e.g. `quota: ...` (deferred until Instagram's
    /// 24-hour publishing window frees a slot) or `throttled by Instagram`.
    pub waiting_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// `at` in the IANA zone `time_zone`, as RFC 3339 with that zone's offset; `None` for an
/// instant whose local year RFC 3339 cannot write (outside 0000-9999), which no accepted
/// schedule time reaches.
pub fn local_time(at: DateTime<Utc>, time_zone: &str) -> Option<String> {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&tz);
    (0..=9999)
        .contains(&local.year())
        .then(|| local.to_rfc3339())
}

impl From<&Post> for PostOut {
    fn from(p: &Post) -> Self {
        let c = &p.content;
        Self {
            id: p.id.clone(),
            kind: c.kind,
            status: c.status,
            version: p.version,
            connection_id: c.connection_id.clone(),
            caption: c.caption.clone(),
            items: c
                .items
                .iter()
                .map(|i| PostItemIn {
                    media_id: i.media_id.clone(),
                    alt_text: i.alt_text.clone(),
                })
                .collect(),
            cover_media_id: c.cover_media_id.clone(),
            scheduled_at: c.scheduled_at,
            scheduled_at_local: c.scheduled_at.and_then(|at| local_time(at, &c.time_zone)),
            time_zone: c.time_zone.clone(),
            publish_now: c.publish_now,
            queued: p.queue_slot.is_some(),
            held: p.held.is_some(),
            published_at: p.published_at,
            ig_media_id: p.ig_media_id.clone(),
            permalink: p.permalink.clone(),
            media_unresolved: p.media_unresolved.map(|r| r.as_str().to_string()),
            link_note: p.media_unresolved.map(|r| r.note().to_string()),
            failure_reason: p.failure_reason.clone(),
            step: None,
            waiting_reason: None,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

impl PostOut {
    /// Adds the workflow's progress of a post being published.
    pub fn with_progress(mut self, workflow: Option<&aistudio_jobs::store::Workflow>) -> Self {
        if let Some(wf) = workflow.filter(|_| self.status == PostStatus::Publishing) {
            self.step = Some(wf.step.as_str().to_string());
            self.waiting_reason = wf.waiting_reason.clone();
        }
        self
    }
}

/// A page of posts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostPageOut {
    /// The posts, in the requested order.
    pub items: Vec<PostOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_rfc_3339_or_absent() {
        let at: DateTime<Utc> = "2026-12-01T08:30:00Z".parse().unwrap();
        assert_eq!(
            local_time(at, "Europe/Paris").as_deref(),
            Some("2026-12-01T09:30:00+01:00")
        );
        let last: DateTime<Utc> = "9999-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(
            local_time(last, "Pacific/Kiritimati"),
            None,
            "year 10000 locally"
        );
        let local = local_time(last, "UTC").unwrap();
        assert!(DateTime::parse_from_rfc3339(&local).is_ok(), "{local}");
    }
}

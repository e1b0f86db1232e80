//! From what the user sent to a [`PostContent`] that can be stored: caption limits, time and
//! time zone, that every media item and the connection are the user's, and, when the post is
//! to be scheduled, Instagram's rules for the kind of post and each of its media.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::ComposeError;
use crate::domain::{
    Caption, FieldError, FieldErrors, MediaKind, PostKind, ScheduleTime, TimeZoneName,
    check_post_media,
};
use crate::store::{ConnectionStatus, Media, PostContent, PostItem, PostStatus, Store};

/// Longest alternative text of an image, in characters (Instagram's limit).
pub const MAX_ALT_TEXT_CHARS: usize = 1000;
/// Most items of any post (a carousel's maximum).
pub const MAX_ITEMS: usize = 10;

/// When the post should publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Not yet: keep it as a draft.
    Draft,
    /// At this RFC 3339 time (with an offset), in the future.
    At(String),
    /// As soon as possible.
    Now,
}

impl When {
    /// The one of `scheduled_at` and `publish_now` that is set (neither: a draft).
    pub fn from_fields(
        scheduled_at: Option<String>,
        publish_now: bool,
    ) -> Result<Self, FieldError> {
        match (scheduled_at, publish_now) {
            (Some(_), true) => Err(FieldError::new(
                "publish_now",
                "cannot be combined with scheduled_at",
            )),
            (Some(at), false) => Ok(Self::At(at)),
            (None, true) => Ok(Self::Now),
            (None, false) => Ok(Self::Draft),
        }
    }
}

/// A post as the user sent it, before any check.
#[derive(Debug, Clone)]
pub struct ComposeInput {
    /// `image`, `carousel`, `reel` or `story`.
    pub kind: String,
    /// The Instagram connection (required to schedule).
    pub connection_id: Option<String>,
    /// The caption (may be empty).
    pub caption: String,
    /// The media, in order.
    pub items: Vec<PostItem>,
    /// A reel's cover image.
    pub cover_media_id: Option<String>,
    /// When to publish: an RFC 3339 time with an offset (absent: a draft, or `publish_now`).
    pub scheduled_at: Option<String>,
    /// Publish as soon as possible.
    pub publish_now: bool,
    /// IANA time zone for display (UTC when absent).
    pub time_zone: Option<String>,
}

fn item_field(i: usize) -> String {
    format!("items[{i}].media_id")
}

/// Checks `input` for `user_id` at time `now`, reporting every field that breaks a rule:
/// kind, caption, items, alternative texts, time zone, schedule time, media ownership and the
/// connection, then, for a post to be scheduled, Instagram's rules for its media.
pub async fn compose(
    store: &Store,
    user_id: &str,
    input: ComposeInput,
    now: DateTime<Utc>,
) -> Result<PostContent, ComposeError> {
    let mut errors = FieldErrors::new();
    let kind = errors.check(PostKind::parse("kind", &input.kind));
    let caption = errors.check(Caption::parse("caption", &input.caption));
    let too_many = input.items.len() > MAX_ITEMS;
    if too_many {
        errors.push(FieldError::new(
            "items",
            format!(
                "has {} items; a post holds at most {MAX_ITEMS}",
                input.items.len()
            ),
        ));
    }
    for (i, item) in input.items.iter().enumerate() {
        if let Some(alt) = &item.alt_text
            && alt.chars().count() > MAX_ALT_TEXT_CHARS
        {
            errors.push(FieldError::new(
                &format!("items[{i}].alt_text"),
                format!("is longer than {MAX_ALT_TEXT_CHARS} characters"),
            ));
        }
    }
    let time_zone = errors.check(match input.time_zone.as_deref() {
        Some(raw) => TimeZoneName::parse("time_zone", raw),
        None => Ok(TimeZoneName::utc()),
    });
    let scheduling = input.scheduled_at.is_some() || input.publish_now;
    let schedule = errors
        .check(When::from_fields(input.scheduled_at, input.publish_now))
        .and_then(|when| match when {
            When::Draft => Some((PostStatus::Draft, None, false)),
            When::At(raw) => errors
                .check(ScheduleTime::parse("scheduled_at", &raw, now))
                .map(|at| (PostStatus::Scheduled, Some(at.at()), false)),
            When::Now => Some((PostStatus::Scheduled, Some(now), true)),
        });
    let media = owned_media(
        store,
        user_id,
        &input.items,
        input.cover_media_id.as_deref(),
        &mut errors,
    )
    .await?;
    errors
        .check(check_connection(store, user_id, input.connection_id.as_deref(), scheduling).await?);
    if scheduling
        && let Some(kind) = kind
        && !too_many
        && let Some(media) = &media
    {
        check_scheduled_media(
            kind,
            &input.items,
            input.cover_media_id.as_deref(),
            media,
            &mut errors,
        );
    }
    match (kind, caption, time_zone, schedule) {
        (Some(kind), Some(caption), Some(time_zone), Some((status, scheduled_at, publish_now)))
            if errors.is_empty() =>
        {
            Ok(PostContent {
                connection_id: input.connection_id,
                kind,
                caption: caption.as_str().to_string(),
                items: input.items,
                cover_media_id: input.cover_media_id,
                status,
                scheduled_at,
                publish_now,
                time_zone: time_zone.as_str().to_string(),
            })
        }
        _ => Err(ComposeError::Invalid(errors)),
    }
}

/// Instagram's rules for the media of a post of `kind`, and alternative text on images only.
fn check_scheduled_media(
    kind: PostKind,
    items: &[PostItem],
    cover: Option<&str>,
    media: &HashMap<String, Media>,
    errors: &mut FieldErrors,
) {
    let facts: Vec<_> = items
        .iter()
        .map(|item| media[&item.media_id].facts())
        .collect();
    let cover = cover.map(|id| media[id].facts());
    if let Err(broken) =
        check_post_media(kind, &facts, cover.as_ref(), item_field, "cover_media_id")
    {
        errors.extend(broken);
    }
    for (i, item) in items.iter().enumerate() {
        if item.alt_text.is_some() && media[&item.media_id].kind != MediaKind::Image {
            errors.push(FieldError::new(
                &format!("items[{i}].alt_text"),
                format!("item {}: alternative text is only for images", i + 1),
            ));
        }
    }
}

/// The user's media used by the post, by id; `None` (with each missing one named by its field
/// in `errors`) when some are not in the user's library.
async fn owned_media(
    store: &Store,
    user_id: &str,
    items: &[PostItem],
    cover: Option<&str>,
    errors: &mut FieldErrors,
) -> Result<Option<HashMap<String, Media>>, ComposeError> {
    let mut ids: Vec<String> = items.iter().map(|i| i.media_id.clone()).collect();
    ids.extend(cover.map(str::to_string));
    ids.sort();
    ids.dedup();
    let found: HashMap<String, Media> = store
        .media()
        .many_for_user(&ids, user_id)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let missing = |field: String| FieldError::new(&field, "no such media in your library");
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        if !found.contains_key(&item.media_id) {
            errors.push(missing(item_field(i)));
            complete = false;
        }
    }
    if let Some(cover) = cover
        && !found.contains_key(cover)
    {
        errors.push(missing("cover_media_id".into()));
        complete = false;
    }
    Ok(complete.then_some(found))
}

/// The connection must be the user's; to schedule, it must also be usable. The outer result
/// is the store's, the inner one the rule's.
async fn check_connection(
    store: &Store,
    user_id: &str,
    connection_id: Option<&str>,
    scheduling: bool,
) -> Result<Result<(), FieldError>, ComposeError> {
    let field = "connection_id";
    let Some(id) = connection_id else {
        if scheduling {
            return Ok(Err(FieldError::new(
                field,
                "is required to schedule a post",
            )));
        }
        return Ok(Ok(()));
    };
    let Some(connection) = store.connections().by_id_for_user(id, user_id).await? else {
        return Ok(Err(FieldError::new(field, "no such Instagram connection")));
    };
    if scheduling && (connection.status != ConnectionStatus::Active || connection.token.is_none()) {
        return Ok(Err(FieldError::new(
            field,
            format!(
                "the Instagram account @{} must be reconnected before posts can be scheduled to it",
                connection.username
            ),
        )));
    }
    Ok(Ok(()))
}

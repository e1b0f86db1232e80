//! From what the user sent to a [`PostContent`] that can be stored: caption limits, time and
//! time zone, that every media item and the connection are the user's, and, when the post is
//! to be scheduled, Instagram's rules for the kind of post and each of its media.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::ComposeError;
use crate::domain::{Caption, FieldError, PostKind, ScheduleTime, TimeZoneName, check_post_media};
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

/// A post as the user sent it, before any check.
#[derive(Debug, Clone)]
pub struct ComposeInput {
    /// Image, carousel, reel or story.
    pub kind: PostKind,
    /// The Instagram connection (required to schedule).
    pub connection_id: Option<String>,
    /// The caption (may be empty).
    pub caption: String,
    /// The media, in order.
    pub items: Vec<PostItem>,
    /// A reel's cover image.
    pub cover_media_id: Option<String>,
    /// Draft, a time, or now.
    pub when: When,
    /// IANA time zone for display (UTC when absent).
    pub time_zone: Option<String>,
}

fn item_field(i: usize) -> String {
    format!("items[{i}].media_id")
}

/// Checks `input` for `user_id` at time `now`.
pub async fn compose(
    store: &Store,
    user_id: &str,
    input: ComposeInput,
    now: DateTime<Utc>,
) -> Result<PostContent, ComposeError> {
    let caption = Caption::parse("caption", &input.caption)?;
    if input.items.len() > MAX_ITEMS {
        return Err(FieldError::new(
            "items",
            format!(
                "has {} items; a post holds at most {MAX_ITEMS}",
                input.items.len()
            ),
        )
        .into());
    }
    for (i, item) in input.items.iter().enumerate() {
        if let Some(alt) = &item.alt_text
            && alt.chars().count() > MAX_ALT_TEXT_CHARS
        {
            return Err(FieldError::new(
                &format!("items[{i}].alt_text"),
                format!("is longer than {MAX_ALT_TEXT_CHARS} characters"),
            )
            .into());
        }
    }
    let time_zone = match input.time_zone.as_deref() {
        Some(raw) => TimeZoneName::parse("time_zone", raw)?,
        None => TimeZoneName::utc(),
    };
    let (status, scheduled_at, publish_now) = match &input.when {
        When::Draft => (PostStatus::Draft, None, false),
        When::At(raw) => (
            PostStatus::Scheduled,
            Some(ScheduleTime::parse("scheduled_at", raw, now)?.at()),
            false,
        ),
        When::Now => (PostStatus::Scheduled, Some(now), true),
    };
    let content = PostContent {
        connection_id: input.connection_id.clone(),
        kind: input.kind,
        caption: caption.as_str().to_string(),
        items: input.items,
        cover_media_id: input.cover_media_id,
        status,
        scheduled_at,
        publish_now,
        time_zone: time_zone.as_str().to_string(),
    };
    let media = owned_media(store, user_id, &content).await?;
    check_connection(store, user_id, &content).await?;
    if status == PostStatus::Scheduled {
        let facts: Vec<_> = content
            .items
            .iter()
            .map(|item| media[&item.media_id].facts())
            .collect();
        let cover = content.cover_media_id.as_ref().map(|id| media[id].facts());
        check_post_media(
            content.kind,
            &facts,
            cover.as_ref(),
            item_field,
            "cover_media_id",
        )?;
        for (i, item) in content.items.iter().enumerate() {
            if item.alt_text.is_some()
                && media[&item.media_id].kind != crate::domain::MediaKind::Image
            {
                return Err(FieldError::new(
                    &format!("items[{i}].alt_text"),
                    format!("item {}: alternative text is only for images", i + 1),
                )
                .into());
            }
        }
    }
    Ok(content)
}

/// The user's media used by `content`, by id; a missing one is named by its field.
async fn owned_media(
    store: &Store,
    user_id: &str,
    content: &PostContent,
) -> Result<HashMap<String, Media>, ComposeError> {
    let found: HashMap<String, Media> = store
        .media()
        .many_for_user(&content.media_ids(), user_id)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let missing = |field: String| FieldError::new(&field, "no such media in your library");
    for (i, item) in content.items.iter().enumerate() {
        if !found.contains_key(&item.media_id) {
            return Err(missing(item_field(i)).into());
        }
    }
    if let Some(cover) = &content.cover_media_id
        && !found.contains_key(cover)
    {
        return Err(missing("cover_media_id".into()).into());
    }
    Ok(found)
}

/// The connection must be the user's; to schedule, it must also be usable.
async fn check_connection(
    store: &Store,
    user_id: &str,
    content: &PostContent,
) -> Result<(), ComposeError> {
    let field = "connection_id";
    let Some(id) = &content.connection_id else {
        if content.status == PostStatus::Scheduled {
            return Err(FieldError::new(field, "is required to schedule a post").into());
        }
        return Ok(());
    };
    let connection = store
        .connections()
        .by_id_for_user(id, user_id)
        .await?
        .ok_or_else(|| FieldError::new(field, "no such Instagram connection"))?;
    if content.status == PostStatus::Scheduled
        && (connection.status != ConnectionStatus::Active || connection.token.is_none())
    {
        return Err(FieldError::new(
            field,
            format!(
                "the Instagram account @{} must be reconnected before posts can be scheduled to it",
                connection.username
            ),
        )
        .into());
    }
    Ok(())
}

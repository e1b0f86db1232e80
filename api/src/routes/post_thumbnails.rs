//! The picture that stands for a post where posts are shown small (the dashboard's calendar):
//! its first media item, or a reel's cover image when it has one.

use std::collections::HashMap;

use aistudio_jobs::domain::{MediaKind, PostKind};
use aistudio_jobs::store::{Post, Store, StoreError};
use serde::Serialize;

use crate::routes::media::content_url;

/// A post's picture.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThumbnailOut {
    /// The media id.
    pub media_id: String,
    /// `image` or `video` (a video has no still image: show a placeholder).
    #[schema(value_type = String)]
    pub kind: MediaKind,
    /// Where to download the stored file (the media's `content_url`).
    pub content_url: String,
    /// The item's alternative text, when the post gives one.
    pub alt_text: Option<String>,
}

/// The media standing for `post` and its alternative text: a reel's cover, else the first item.
fn standing_for(post: &Post) -> Option<(&str, Option<&str>)> {
    let content = &post.content;
    match (content.kind, &content.cover_media_id) {
        (PostKind::Reel, Some(cover)) => Some((cover, None)),
        _ => content.items.first().map(|item| {
            let alt = item.alt_text.as_deref().filter(|a| !a.trim().is_empty());
            (item.media_id.as_str(), alt)
        }),
    }
}

/// The picture of each of `posts` whose media is still in the user's library, by post id
/// (one query for all).
pub async fn thumbnails(
    store: &Store,
    user_id: &str,
    posts: &[Post],
) -> Result<HashMap<String, ThumbnailOut>, StoreError> {
    let mut ids: Vec<String> = posts
        .iter()
        .filter_map(standing_for)
        .map(|(id, _)| id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let kinds: HashMap<String, MediaKind> = store
        .media()
        .many_for_user(&ids, user_id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.kind))
        .collect();
    Ok(posts
        .iter()
        .filter_map(|post| {
            let (id, alt) = standing_for(post)?;
            let kind = *kinds.get(id)?;
            Some((
                post.id.clone(),
                ThumbnailOut {
                    media_id: id.to_string(),
                    kind,
                    content_url: content_url(id),
                    alt_text: alt.map(str::to_string),
                },
            ))
        })
        .collect())
}
